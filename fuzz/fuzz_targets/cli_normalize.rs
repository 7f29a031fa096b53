//! The partner CLI's input side: field normalization, date parsing in both
//! slash orders, match-key transforms (the phonetic encoders must never
//! panic, whatever the name), and CSV reading with delimiter detection and
//! column resolution, as a partner's export file would drive them.
#![no_main]

use idmap_cli::input::{ColumnMap, ColumnNames, RowReader};
use idmap_cli::normalize::{SlashOrder, normalize_date, normalize_race, normalize_text, parse_date};
use idmap_cli::rules::Field;
use idmap_cli::transform::Transform;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let normalized = normalize_text(&text);
    let _ = normalize_race(&text);
    for transform in [Transform::Soundex, Transform::Nysiis, Transform::Metaphone, Transform::Prefix(3)] {
        let code = transform.apply(&normalized);
        if transform != Transform::Prefix(3) {
            assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
        }
    }
    for order in [SlashOrder::MonthFirst, SlashOrder::DayFirst] {
        let _ = parse_date(&text, order);
        if let Ok(date) = normalize_date(&text, order) {
            // Empty stays empty; anything else is YYYY-MM-DD.
            assert!(date.is_empty() || (date.len() == 10 && date.as_bytes()[4] == b'-'), "{date}");
        }
    }

    let Ok(mut reader) = RowReader::open(data, None) else {
        return;
    };
    let headers = reader.headers().into_iter().map(str::to_owned).collect::<Vec<_>>();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let Ok(map) = ColumnMap::resolve(&headers, &ColumnNames::default(), &Field::ALL) else {
        return;
    };
    for _ in 0..1000 {
        let Ok(Some(row)) = reader.next_row(&map) else {
            return;
        };
        let _ = row.reference();
        for field in Field::ALL {
            if let Ok(Some(value)) = row.field(field) {
                let _ = normalize_text(value);
            }
        }
    }
});
