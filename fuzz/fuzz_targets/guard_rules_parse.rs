//! `oxiam guard`'s rules file (`oxiam::guard_rules`): any text must parse or be refused
//! with a position inside the text, and any request must match or not, without a panic.
//! Input: the rules file, optionally followed by NUL, a method, NUL and a raw request
//! path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxiam::guard_rules::{Segment, find, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let rules_text = parts.next().unwrap_or("");
    let method = parts.next().unwrap_or("GET");
    let path = parts.next().unwrap_or("/files/a/b%20c");
    match parse(rules_text, "fuzz") {
        Ok(rules) => {
            for rule in &rules {
                assert_eq!(rule.method, rule.method.to_ascii_uppercase());
                assert!(rule.action.contains(':'), "{:?}", rule.action);
                // INVARIANT (rest-last): `{name+}` only as the last segment.
                if let Some((_, init)) = rule.path.split_last() {
                    assert!(!init.iter().any(|s| matches!(s, Segment::Rest(_))));
                }
            }
            let _ = find(&rules, method, path);
        }
        Err(e) => {
            let lines = rules_text.matches('\n').count() + 1;
            assert!(
                (1..=lines).contains(&e.line) && e.column >= 1,
                "{e} is outside the {lines}-line text"
            );
        }
    }
});
