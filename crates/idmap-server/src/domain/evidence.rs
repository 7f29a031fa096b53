//! Fellegi–Sunter weights of the rules: the evidence a rule's agreement or
//! disagreement gives that a patient is a candidate UUID's person, and the
//! EM estimate of each rule's m (agreement among true matches) and u
//! (agreement among non-matches) from the agreement patterns the server
//! counted. Pure, so that the arithmetic is unit-tested here.

use std::collections::{BTreeMap, HashMap};

use idmap_common::ids::RuleCode;

/// How one rule counts in the evidence decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleWeight {
    /// Lower first: breaks ties between candidates of equal weight.
    pub priority: i32,
    /// log2(m/u): added when the rule's hashes agree.
    pub agree: f64,
    /// log2((1-m)/(1-u)): added when they disagree.
    pub disagree: f64,
}

impl RuleWeight {
    /// Weights from m and u; a rule without both weighs nothing.
    pub fn new(priority: i32, m: Option<f64>, u: Option<f64>) -> Self {
        match (m, u) {
            (Some(m), Some(u)) => Self {
                priority,
                agree: (m / u).log2(),
                disagree: ((1.0 - m) / (1.0 - u)).log2(),
            },
            _ => Self {
                priority,
                agree: 0.0,
                disagree: 0.0,
            },
        }
    }
}

/// Whether `p` may be stored as m or u: a probability strictly between 0
/// and 1 (either end makes a weight infinite).
pub fn is_probability(p: f64) -> bool {
    p.is_finite() && p > 0.0 && p < 1.0
}

/// One comparison: per rule of the patient, `Some(true)` when its hash is
/// bound to the candidate, `Some(false)` when the candidate has another
/// hash of that rule, `None` when the candidate has none (no evidence).
pub type Comparison<'a> = [(&'a RuleCode, Option<bool>)];

/// The total weight of a comparison.
pub fn total_weight(comparison: &Comparison<'_>, weights: &HashMap<RuleCode, RuleWeight>) -> f64 {
    comparison
        .iter()
        .filter_map(|(rule, agrees)| {
            let w = weights.get(*rule)?;
            agrees.map(|a| if a { w.agree } else { w.disagree })
        })
        .sum()
}

/// The stored form of a comparison's pattern: rule codes in byte order,
/// each followed by `+` or `-`, comma-separated; `None` when no rule was
/// compared.
pub fn pattern_text(comparison: &Comparison<'_>) -> Option<String> {
    let mut seen: Vec<(&str, bool)> = comparison
        .iter()
        .filter_map(|(rule, agrees)| agrees.map(|a| (rule.as_str(), a)))
        .collect();
    if seen.is_empty() {
        return None;
    }
    seen.sort_unstable();
    seen.dedup_by(|a, b| a.0 == b.0);
    let parts: Vec<String> = seen
        .iter()
        .map(|(code, a)| format!("{code}{}", if *a { '+' } else { '-' }))
        .collect();
    Some(parts.join(","))
}

/// The rules and outcomes of a stored pattern; `None` if it is malformed.
pub fn parse_pattern(text: &str) -> Option<Vec<(String, bool)>> {
    text.split(',')
        .map(|part| {
            let (code, sign) = part.split_at(part.len().checked_sub(1)?);
            match sign {
                "+" if !code.is_empty() => Some((code.to_owned(), true)),
                "-" if !code.is_empty() => Some((code.to_owned(), false)),
                _ => None,
            }
        })
        .collect()
}

/// A rule's estimate; m and u are `None` when it was compared fewer than
/// the asked minimum of times.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub code: String,
    pub m: Option<f64>,
    pub u: Option<f64>,
    pub comparisons: u64,
}

const ITERATIONS: usize = 500;
const TOLERANCE: f64 = 1e-9;
const CLAMP: f64 = 1e-6;

/// EM over counted patterns (the latent class is "same person"), assuming
/// the rules independent given the class; starts from m 0.9, u 0.1 and a
/// match share of one half, so that the class with the higher agreement is
/// the one called a match. Rules in byte order.
pub fn estimate(patterns: &[(Vec<(String, bool)>, u64)], min_comparisons: u64) -> Vec<Estimate> {
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (pattern, _) in patterns {
        for (code, _) in pattern {
            let next = index.len();
            index.entry(code.as_str()).or_insert(next);
        }
    }
    let codes: Vec<&str> = index.keys().copied().collect();
    let slot: HashMap<&str, usize> = codes.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let rows: Vec<(Vec<(usize, bool)>, f64)> = patterns
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(p, n)| {
            let cells = p.iter().map(|(c, a)| (slot[c.as_str()], *a)).collect();
            (cells, *n as f64)
        })
        .collect();
    let k = codes.len();
    let mut comparisons = vec![0u64; k];
    for (pattern, n) in patterns {
        for (code, _) in pattern {
            comparisons[slot[code.as_str()]] += n;
        }
    }

    let (mut m, mut u, mut p): (Vec<f64>, Vec<f64>, f64) = (vec![0.9; k], vec![0.1; k], 0.5);
    for _ in 0..ITERATIONS {
        let mut match_agree = vec![0.0; k];
        let mut match_seen = vec![0.0; k];
        let mut non_agree = vec![0.0; k];
        let mut non_seen = vec![0.0; k];
        let (mut matched, mut total) = (0.0, 0.0);
        for (cells, n) in &rows {
            let (mut lm, mut lu) = (p.ln(), (1.0 - p).ln());
            for &(i, a) in cells {
                lm += (if a { m[i] } else { 1.0 - m[i] }).ln();
                lu += (if a { u[i] } else { 1.0 - u[i] }).ln();
            }
            let w = 1.0 / (1.0 + (lu - lm).exp());
            matched += n * w;
            total += n;
            for &(i, a) in cells {
                match_seen[i] += n * w;
                non_seen[i] += n * (1.0 - w);
                if a {
                    match_agree[i] += n * w;
                    non_agree[i] += n * (1.0 - w);
                }
            }
        }
        if total == 0.0 {
            break;
        }
        let mut change: f64 = 0.0;
        let new_p = (matched / total).clamp(CLAMP, 1.0 - CLAMP);
        change = change.max((new_p - p).abs());
        p = new_p;
        for i in 0..k {
            let nm = ratio(match_agree[i], match_seen[i], m[i]);
            let nu = ratio(non_agree[i], non_seen[i], u[i]);
            change = change.max((nm - m[i]).abs()).max((nu - u[i]).abs());
            m[i] = nm;
            u[i] = nu;
        }
        if change < TOLERANCE {
            break;
        }
    }
    codes
        .iter()
        .enumerate()
        .map(|(i, code)| {
            let enough = comparisons[i] >= min_comparisons.max(1);
            Estimate {
                code: (*code).to_owned(),
                m: enough.then_some(m[i]),
                u: enough.then_some(u[i]),
                comparisons: comparisons[i],
            }
        })
        .collect()
}

fn ratio(part: f64, whole: f64, fallback: f64) -> f64 {
    if whole > 0.0 {
        (part / whole).clamp(CLAMP, 1.0 - CLAMP)
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RuleCode {
        RuleCode::parse(s).unwrap()
    }

    #[test]
    fn weights_follow_fellegi_sunter() {
        let w = RuleWeight::new(10, Some(0.9), Some(0.1));
        assert!((w.agree - 9f64.log2()).abs() < 1e-12);
        assert!((w.disagree - (0.1f64 / 0.9).log2()).abs() < 1e-12);
        let none = RuleWeight::new(10, Some(0.9), None);
        assert_eq!((none.agree, none.disagree), (0.0, 0.0));
    }

    #[test]
    fn total_adds_agreements_and_disagreements_and_ignores_missing_and_unweighted() {
        let (a, b, c, d) = (code("A"), code("B"), code("C"), code("D"));
        let weights = HashMap::from([
            (a.clone(), RuleWeight::new(1, Some(0.9), Some(0.1))),
            (b.clone(), RuleWeight::new(2, Some(0.8), Some(0.2))),
            (c.clone(), RuleWeight::new(3, Some(0.8), Some(0.2))),
        ]);
        let cmp = [
            (&a, Some(true)),
            (&b, Some(false)),
            (&c, None),
            (&d, Some(true)),
        ];
        let want = 9f64.log2() + (0.2f64 / 0.8).log2();
        assert!((total_weight(&cmp, &weights) - want).abs() < 1e-12);
    }

    #[test]
    fn patterns_are_sorted_skip_missing_and_parse_back() {
        let (a, b, c) = (code("F_L_D_Z"), code("A_B"), code("C"));
        let cmp = [(&a, Some(true)), (&b, Some(false)), (&c, None)];
        let text = pattern_text(&cmp).unwrap();
        assert_eq!(text, "A_B-,F_L_D_Z+");
        assert_eq!(
            parse_pattern(&text).unwrap(),
            vec![("A_B".to_owned(), false), ("F_L_D_Z".to_owned(), true)]
        );
        assert_eq!(pattern_text(&[(&c, None)]), None);
        assert_eq!(parse_pattern("A_B"), None);
        assert_eq!(parse_pattern("+"), None);
    }

    fn pat(cells: &[(&str, bool)], n: u64) -> (Vec<(String, bool)>, u64) {
        (
            cells.iter().map(|(c, a)| ((*c).to_owned(), *a)).collect(),
            n,
        )
    }

    #[test]
    fn em_recovers_m_and_u_of_a_two_class_mixture() {
        // 800 matches with m = (0.9, 0.8, 0.95), 200 non-matches with
        // u = (0.5, 0.1, 0.05), independent: expected counts of each cell.
        let (m, u) = ([0.9, 0.8, 0.95], [0.5, 0.1, 0.05]);
        let mut patterns = Vec::new();
        for bits in 0..8u32 {
            let a = [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0];
            let pm: f64 = (0..3)
                .map(|i| if a[i] { m[i] } else { 1.0 - m[i] })
                .product();
            let pu: f64 = (0..3)
                .map(|i| if a[i] { u[i] } else { 1.0 - u[i] })
                .product();
            let n = (800.0 * pm + 200.0 * pu) * 1000.0;
            patterns.push(pat(
                &[("A", a[0]), ("B", a[1]), ("C", a[2])],
                n.round() as u64,
            ));
        }
        let est = estimate(&patterns, 1);
        assert_eq!(est.len(), 3);
        for (i, e) in est.iter().enumerate() {
            assert!((e.m.unwrap() - m[i]).abs() < 0.01, "{e:?}");
            assert!((e.u.unwrap() - u[i]).abs() < 0.01, "{e:?}");
            assert_eq!(e.comparisons, 1_000_000);
        }
    }

    #[test]
    fn rules_compared_too_rarely_get_no_estimate() {
        let patterns = vec![
            pat(&[("A", true), ("B", true)], 50),
            pat(&[("A", false)], 50),
        ];
        let est = estimate(&patterns, 60);
        assert_eq!(est[0].code, "A");
        assert!(est[0].m.is_some());
        assert_eq!(est[1].code, "B");
        assert_eq!((est[1].m, est[1].u, est[1].comparisons), (None, None, 50));
        assert!(estimate(&[], 1).is_empty());
    }

    #[test]
    fn probabilities_exclude_the_ends() {
        assert!(is_probability(0.5));
        for bad in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(!is_probability(bad), "{bad}");
        }
    }
}
