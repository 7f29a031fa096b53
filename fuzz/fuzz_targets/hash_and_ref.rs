//! Identifier parsing at the edge: `Sha256Hash`, `PatientRef`, `RuleCode`,
//! `PartnerCode`. Accepted values must round-trip and keep their promises.
#![no_main]

use idmap_common::Sha256Hash;
use idmap_common::ids::{PartnerCode, PatientRef, RuleCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(hash) = Sha256Hash::parse(s) {
        let hex = hash.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(hex, s.to_ascii_lowercase());
        assert_eq!(Sha256Hash::parse(&hex).unwrap(), hash);
    }
    if let Ok(r) = PatientRef::parse(s) {
        assert_eq!(r.as_str(), s);
        let n = s.chars().count();
        assert!((1..=128).contains(&n));
        assert!(!s.chars().any(char::is_control));
    }
    if let Ok(rule) = RuleCode::parse(s) {
        assert_eq!(rule.as_str(), s);
        assert!(s.len() <= 32 && s.starts_with(|c: char| c.is_ascii_uppercase()));
    }
    let _ = PartnerCode::parse(s);
});
