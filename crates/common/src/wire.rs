//! Request and response bodies of the ID-mapping API, shared by the server
//! and its clients. Request fields stay strings here: the server parses them
//! itself so it can report every bad item with its index and field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{LinkUuid, Sha256Hash};

/// `POST /api/v1/link` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub patients: Vec<LinkPatient>,
    /// First 16 hex characters of HMAC-SHA256(salt, "idmap salt fingerprint v1").
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{16}$"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt_fingerprint: Option<String>,
}

/// One patient: an optional partner ref and its hashes in priority order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkPatient {
    /// The partner's own patient id, 1 to 128 printable characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
    #[serde(rename = "ref", default)]
    pub patient_ref: Option<String>,
    pub hashes: Vec<RuleHash>,
}

/// A hash and the rule that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleHash {
    /// Rule code, uppercase and case-sensitive (e.g. `F_L_D_S`).
    pub rule: String,
    /// 64 hex characters, any case.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-fA-F]{64}$"))]
    pub hash: String,
}

/// `POST /api/v1/link` answer, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkResponse {
    pub results: Vec<LinkResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkResult {
    /// `null` when the patient was sent without a ref.
    #[serde(rename = "ref")]
    pub patient_ref: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = "uuid"))]
    pub uuid: LinkUuid,
}

/// `POST /api/v1/lookup` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    pub hashes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupResponse {
    pub results: Vec<LookupResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupResult {
    /// Lowercase hex.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
    pub hash: Sha256Hash,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = "uuid"))]
    pub uuid: Option<LinkUuid>,
}

/// `POST /api/save` body of the older clients: batch-local labels to
/// hash-number labels to hex hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    pub data: BTreeMap<String, BTreeMap<String, String>>,
}

/// `POST /api/save` answer; UUIDs as 32 hex characters without dashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveResponse {
    pub status: String,
    pub data: BTreeMap<String, SaveResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveResult {
    /// 32 lowercase hex characters, no dashes.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{32}$"))]
    pub uuid: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_request_reads_ref_and_rejects_unknown_fields() {
        let r: LinkRequest = serde_json::from_str(
            r#"{"patients":[{"ref":"01","hashes":[{"rule":"F_L_D_S","hash":"ab"}]},{"hashes":[]}]}"#,
        )
        .unwrap();
        assert_eq!(r.patients[0].patient_ref.as_deref(), Some("01"));
        assert_eq!(r.patients[1].patient_ref, None);
        assert!(serde_json::from_str::<LinkRequest>(r#"{"patients":[],"x":1}"#).is_err());
        assert!(
            serde_json::from_str::<LinkRequest>(r#"{"patients":[{"hashes":[],"extra":1}]}"#)
                .is_err()
        );
    }

    #[test]
    fn link_result_writes_null_ref() {
        let r = LinkResult {
            patient_ref: None,
            uuid: LinkUuid::new_random(),
        };
        assert_eq!(
            serde_json::to_value(r).unwrap()["ref"],
            serde_json::Value::Null
        );
    }
}
