//! Feeds arbitrary bytes to the policy parser and validator under every policy kind: neither
//! may panic, and they must agree (a document `parse` accepts has no error finding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxiam_policy::{Policy, PolicyKind, Severity, validate};

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::PermissionsBoundary,
    PolicyKind::Session,
    PolicyKind::Scp,
    PolicyKind::Rcp,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in KINDS {
        let parsed = Policy::parse(text, kind);
        let findings = validate(text, kind);
        let has_error = findings.iter().any(|f| f.severity == Severity::Error);
        assert_eq!(
            parsed.is_err(),
            has_error,
            "parse and validate disagree for {kind:?}"
        );
    }
});
