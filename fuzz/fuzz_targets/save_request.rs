//! `POST /api/save` bodies of the older clients: JSON parsing, then the
//! label and hash validation that orders entries numerically.
#![no_main]

use idmap_common::wire::SaveRequest;
use idmap_server::domain::save::save_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<SaveRequest>(data) else {
        return;
    };
    let sent = request.data.len();
    if let Ok(entries) = save_request(request, 1000) {
        assert_eq!(entries.len(), sent);
        assert!(entries.iter().all(|(_, p)| !p.hashes.is_empty()));
        // Labels come out in strictly increasing numeric order.
        let numbers: Vec<u64> = entries.iter().map(|(l, _)| l.parse().unwrap()).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    }
});
