//! Parsing of the older clients' `POST /api/save` body: batch-local labels
//! (non-negative decimal integers) to numbered hashes. Entries are taken in
//! numeric order of their labels ("10" after "2"), hashes in numeric order of
//! theirs; no rule and no ref is attached.

use idmap_common::Sha256Hash;
use idmap_common::wire::SaveRequest;

use super::linkage::Patient;

/// A save request in processing order: each label and its patient.
pub type ValidSave = Vec<(String, Patient)>;

/// Validates a save body; the error is the message of the 400 answer.
pub fn save_request(req: SaveRequest, max_entries: usize) -> Result<ValidSave, String> {
    if req.data.len() > max_entries {
        return Err(format!(
            "too many entries: {} sent, at most {max_entries} per request",
            req.data.len()
        ));
    }
    let mut problems = Vec::new();
    let mut entries = Vec::with_capacity(req.data.len());
    for (label, hashes) in req.data {
        let Some(number) = label_number(&label) else {
            problems.push(format!(
                "label {label:?} is not a non-negative decimal integer"
            ));
            continue;
        };
        if hashes.is_empty() {
            problems.push(format!("entry {label} has no hashes"));
            continue;
        }
        let mut numbered = Vec::with_capacity(hashes.len());
        for (key, value) in &hashes {
            let Some(n) = label_number(key) else {
                problems.push(format!(
                    "entry {label}: hash key {key:?} is not a non-negative decimal integer"
                ));
                continue;
            };
            match Sha256Hash::parse(value) {
                Ok(hash) => numbered.push((n, hash)),
                Err(e) => problems.push(format!("entry {label}, hash {key}: {e}")),
            }
        }
        numbered.sort_by_key(|(n, _)| *n);
        let patient = Patient {
            patient_ref: None,
            hashes: numbered.into_iter().map(|(_, h)| (h, None)).collect(),
        };
        entries.push((number, label, patient));
    }
    entries.sort_by_key(|(n, _, _)| *n);
    if let Some(pair) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
        problems.push(format!(
            "labels {:?} and {:?} are the same number",
            pair[0].1, pair[1].1
        ));
    }
    if problems.is_empty() {
        Ok(entries
            .into_iter()
            .map(|(_, label, p)| (label, p))
            .collect())
    } else {
        Err(problems.join("; "))
    }
}

/// Digits only (no sign, no spaces), within `u64`.
fn label_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(n: u8) -> String {
        Sha256Hash::from_bytes([n; 32]).to_hex()
    }

    fn parse(json: serde_json::Value) -> Result<ValidSave, String> {
        save_request(serde_json::from_value(json).unwrap(), 100)
    }

    #[test]
    fn entries_and_hashes_follow_numeric_order() {
        let v = parse(serde_json::json!({"data": {
            "10": {"1": hex(1)},
            "2": {"10": hex(3), "2": hex(2)},
            "0": {"1": hex(4)}
        }}))
        .unwrap();
        let labels: Vec<_> = v.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["0", "2", "10"]);
        let second: Vec<_> = v[1].1.hashes.iter().map(|(h, _)| h.to_hex()).collect();
        assert_eq!(second, [hex(2), hex(3)]);
        assert!(v.iter().all(|(_, p)| p.patient_ref.is_none()));
        assert!(v[1].1.hashes.iter().all(|(_, r)| r.is_none()));
    }

    #[test]
    fn empty_data_is_fine() {
        assert_eq!(parse(serde_json::json!({"data": {}})).unwrap(), vec![]);
    }

    #[test]
    fn bad_labels_empty_entries_and_bad_hashes_are_refused() {
        for bad in [
            serde_json::json!({"data": {"-1": {"1": hex(1)}}}),
            serde_json::json!({"data": {"a": {"1": hex(1)}}}),
            serde_json::json!({"data": {" 1": {"1": hex(1)}}}),
            serde_json::json!({"data": {"1.5": {"1": hex(1)}}}),
            serde_json::json!({"data": {"99999999999999999999999": {"1": hex(1)}}}),
            serde_json::json!({"data": {"1": {}}}),
            serde_json::json!({"data": {"1": {"1": "abc"}}}),
            serde_json::json!({"data": {"1": {"x": hex(1)}}}),
            serde_json::json!({"data": {"1": {"1": hex(1)}, "01": {"1": hex(2)}}}),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_entry_limit_applies() {
        let req: SaveRequest = serde_json::from_value(
            serde_json::json!({"data": {"0": {"1": hex(1)}, "1": {"1": hex(2)}}}),
        )
        .unwrap();
        assert!(save_request(req, 1).is_err());
    }
}
