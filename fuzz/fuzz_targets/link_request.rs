//! `POST /api/v1/link` bodies: JSON parsing into the wire type, then the
//! server's validation (batch limit, hashes, refs, rules, fingerprint).
//! Must never panic; a valid result must satisfy the invariants below.
#![no_main]

use std::collections::HashSet;

use idmap_common::wire::LinkRequest;
use idmap_server::domain::validate::{Invalid, link_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<LinkRequest>(data) else {
        return;
    };
    let sent = request.patients.len();
    let rules: HashSet<String> = ["F_L_D_S", "F_L_D_R", "F_L_D_Z", "L_F_D_Z", "F_L_D_C", "L_F_D_C"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    match link_request(request, 100, &rules) {
        Ok(valid) => {
            assert_eq!(valid.patients.len(), sent);
            assert!(valid.patients.iter().all(|p| !p.hashes.is_empty()));
            if let Some(fp) = &valid.salt_fingerprint {
                assert!(idmap_common::fingerprint::is_fingerprint(fp));
            }
        }
        Err(Invalid::Items(details)) => assert!(!details.is_empty()),
        Err(Invalid::Request(message)) => assert!(!message.is_empty()),
    }
});
