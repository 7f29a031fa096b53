//! Parsing of `/api/v1/link` and `/api/v1/lookup` bodies into domain types,
//! collecting every bad item (index and field) instead of stopping at the
//! first, so a partner can fix a whole batch at once.

use std::collections::HashSet;

use idmap_common::Sha256Hash;
use idmap_common::error::ErrorDetail;
use idmap_common::fingerprint::is_fingerprint;
use idmap_common::ids::{PatientRef, RuleCode};
use idmap_common::wire::{LinkRequest, LookupRequest};

use super::linkage::Patient;

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// A problem with the request as a whole (no details).
    Request(String),
    /// One entry per bad item.
    Items(Vec<ErrorDetail>),
}

/// A link request that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLink {
    pub patients: Vec<Patient>,
    /// Lowercased, when sent.
    pub salt_fingerprint: Option<String>,
}

/// Validates a link request against the batch limit and the registered rules.
pub fn link_request(
    req: LinkRequest,
    max_patients: usize,
    known_rules: &HashSet<String>,
) -> Result<ValidLink, Invalid> {
    if req.patients.len() > max_patients {
        return Err(Invalid::Request(format!(
            "too many patients: {} sent, at most {max_patients} per request",
            req.patients.len()
        )));
    }
    let salt_fingerprint = match req.salt_fingerprint {
        Some(fp) if !is_fingerprint(&fp) => {
            return Err(Invalid::Request(
                "salt_fingerprint must be 16 hexadecimal characters".into(),
            ));
        }
        other => other.map(|fp| fp.to_ascii_lowercase()),
    };
    let mut details = Vec::new();
    let mut patients = Vec::with_capacity(req.patients.len());
    for (index, p) in req.patients.into_iter().enumerate() {
        let mut bad = |field: String, message: String| {
            details.push(ErrorDetail {
                index,
                field,
                message,
            });
        };
        let patient_ref = match p.patient_ref.as_deref().map(PatientRef::parse) {
            Some(Err(e)) => {
                bad("ref".into(), e.to_string());
                None
            }
            Some(Ok(r)) => Some(r),
            None => None,
        };
        if p.hashes.is_empty() {
            bad("hashes".into(), "must not be empty".into());
        }
        let mut hashes = Vec::with_capacity(p.hashes.len());
        for (j, h) in p.hashes.iter().enumerate() {
            let rule = match RuleCode::parse(&h.rule) {
                Ok(code) if known_rules.contains(code.as_str()) => Some(code),
                Ok(_) | Err(_) => {
                    bad(format!("hashes[{j}].rule"), "unknown rule code".into());
                    None
                }
            };
            let hash = match Sha256Hash::parse(&h.hash) {
                Ok(hash) => Some(hash),
                Err(e) => {
                    bad(format!("hashes[{j}].hash"), e.to_string());
                    None
                }
            };
            if let (Some(rule), Some(hash)) = (rule, hash) {
                hashes.push((hash, Some(rule)));
            }
        }
        patients.push(Patient {
            patient_ref,
            hashes,
        });
    }
    if details.is_empty() {
        Ok(ValidLink {
            patients,
            salt_fingerprint,
        })
    } else {
        Err(Invalid::Items(details))
    }
}

/// Whether the request's fingerprint is acceptable; `accepted` empty means
/// the check is off.
pub fn salt_fingerprint_ok(sent: Option<&str>, accepted: &[String]) -> bool {
    accepted.is_empty() || sent.is_some_and(|fp| accepted.iter().any(|a| a == fp))
}

/// Parses the hashes of a lookup, each reported by its position.
pub fn lookup_request(req: &LookupRequest) -> Result<Vec<Sha256Hash>, Invalid> {
    let mut details = Vec::new();
    let mut hashes = Vec::with_capacity(req.hashes.len());
    for (index, h) in req.hashes.iter().enumerate() {
        match Sha256Hash::parse(h) {
            Ok(hash) => hashes.push(hash),
            Err(e) => details.push(ErrorDetail {
                index,
                field: format!("hashes[{index}]"),
                message: e.to_string(),
            }),
        }
    }
    if details.is_empty() {
        Ok(hashes)
    } else {
        Err(Invalid::Items(details))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "816b9550a3dbebc32022c713de9ab238c6df1b3d71fdd4621e92d8ac94e2654f";

    fn rules() -> HashSet<String> {
        idmap_common::ids::KNOWN_RULES
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn parse(json: serde_json::Value) -> Result<ValidLink, Invalid> {
        link_request(serde_json::from_value(json).unwrap(), 3, &rules())
    }

    #[test]
    fn a_good_request_keeps_order_and_lowercases_the_fingerprint() {
        let v = parse(serde_json::json!({
            "patients": [
                {"ref": "01", "hashes": [{"rule": "F_L_D_R", "hash": H.to_uppercase()}]},
                {"hashes": [{"rule": "F_L_D_S", "hash": H}]}
            ],
            "salt_fingerprint": "0123456789ABCDEF"
        }))
        .unwrap();
        assert_eq!(v.patients.len(), 2);
        assert_eq!(v.patients[0].patient_ref.as_ref().unwrap().as_str(), "01");
        assert_eq!(v.patients[1].patient_ref, None);
        assert_eq!(v.patients[0].hashes[0].0.to_hex(), H);
        assert_eq!(v.salt_fingerprint.as_deref(), Some("0123456789abcdef"));
    }

    #[test]
    fn every_bad_item_is_listed_with_index_and_field() {
        let err = parse(serde_json::json!({
            "patients": [
                {"ref": "", "hashes": []},
                {"hashes": [{"rule": "F_L_D_S", "hash": H}, {"rule": "f_l_d_s", "hash": &H[..63]}]},
                {"ref": "a\u{7}", "hashes": [{"rule": "X_Y", "hash": format!("{}g", &H[..63])}]}
            ]
        }))
        .unwrap_err();
        let Invalid::Items(details) = err else {
            panic!("expected items")
        };
        let got: Vec<_> = details
            .iter()
            .map(|d| (d.index, d.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (0, "ref"),
                (0, "hashes"),
                (1, "hashes[1].rule"),
                (1, "hashes[1].hash"),
                (2, "ref"),
                (2, "hashes[0].rule"),
                (2, "hashes[0].hash"),
            ]
        );
    }

    #[test]
    fn too_many_patients_and_bad_fingerprints_are_request_level() {
        let p = serde_json::json!({"hashes": [{"rule": "F_L_D_S", "hash": H}]});
        let err = parse(serde_json::json!({"patients": [p, p, p, p]})).unwrap_err();
        assert!(matches!(err, Invalid::Request(_)));
        let err =
            parse(serde_json::json!({"patients": [], "salt_fingerprint": "xyz"})).unwrap_err();
        assert!(matches!(err, Invalid::Request(_)));
    }

    #[test]
    fn refs_of_128_characters_pass_and_129_fail() {
        let ok =
            serde_json::json!({"ref": "é".repeat(128), "hashes": [{"rule": "F_L_D_S", "hash": H}]});
        assert!(parse(serde_json::json!({"patients": [ok]})).is_ok());
        let long =
            serde_json::json!({"ref": "a".repeat(129), "hashes": [{"rule": "F_L_D_S", "hash": H}]});
        assert!(parse(serde_json::json!({"patients": [long]})).is_err());
    }

    #[test]
    fn fingerprint_check_is_off_without_configuration() {
        assert!(salt_fingerprint_ok(None, &[]));
        let accepted = vec!["0123456789abcdef".to_owned()];
        assert!(!salt_fingerprint_ok(None, &accepted));
        assert!(!salt_fingerprint_ok(Some("fedcba9876543210"), &accepted));
        assert!(salt_fingerprint_ok(Some("0123456789abcdef"), &accepted));
    }

    #[test]
    fn lookup_lists_bad_hashes_by_position() {
        let req = LookupRequest {
            hashes: vec![H.into(), "nope".into()],
        };
        let Err(Invalid::Items(d)) = lookup_request(&req) else {
            panic!("expected items")
        };
        assert_eq!((d[0].index, d[0].field.as_str()), (1, "hashes[1]"));
    }
}
