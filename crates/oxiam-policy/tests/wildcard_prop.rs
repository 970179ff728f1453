//! Property tests of wildcard matching against a regex oracle (`regex-lite`): `*` is any run
//! of characters, `?` exactly one, everything else literal; resources are case-sensitive,
//! actions case-insensitive; ARN segments are matched one by one.
//!
//! `oxiam_policy::wildcard_match` is checked directly over a wide alphabet (regex
//! metacharacters, `$`, `{`, non-ASCII); the other properties go through `evaluate` with a
//! one-statement Allow policy (allowed exactly when the pattern matches), which also covers
//! how the engine splits ARNs into segments.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test harness: a panic is a failed test"
)]

use oxiam_policy::{
    Context, Effect, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType, Request,
    evaluate, wildcard_match,
};
use proptest::prelude::*;

/// The glob as an anchored regex.
fn glob_regex(pattern: &str, case_insensitive: bool) -> regex_lite::Regex {
    let mut re = String::from(if case_insensitive { "(?i)^" } else { "^" });
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex_lite::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex_lite::Regex::new(&re).unwrap()
}

/// Does a policy `Allow action_pattern on resource_pattern` allow `action` on `resource`?
fn allows(action_pattern: &str, resource_pattern: &str, action: &str, resource: &str) -> bool {
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action_pattern, "Resource": resource_pattern}]
    })
    .to_string();
    let policy = Policy::parse(&doc, PolicyKind::Identity)
        .unwrap_or_else(|e| panic!("generated policy rejected: {e}\n{doc}"));
    let principal = Principal {
        arn: "arn:aws:iam::111122223333:user/alice",
        account: "111122223333",
        kind: PrincipalType::User,
        role_arn: None,
        user_id: "AIDAALICEEXAMPLE00001",
    };
    let context = Context::for_principal(&principal, &[]);
    let request = Request {
        principal,
        action,
        resource,
        resource_account: Some("111122223333"),
        context: &context,
    };
    let identity = [NamedPolicy {
        name: "p",
        policy: &policy,
    }];
    let set = PolicySet {
        identity: &identity,
        ..PolicySet::default()
    };
    evaluate(&request, &set).effect == Effect::Allow
}

/// Patterns over a small alphabet, so that matches and near misses are both frequent.
fn pattern(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
        1..=max,
    )
    .prop_map(|v| v.into_iter().collect())
}

/// Texts over the same alphabet minus the wildcards.
fn text(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet
        .chars()
        .filter(|c| *c != '*' && *c != '?')
        .collect();
    proptest::collection::vec(proptest::sample::select(chars), 1..=max)
        .prop_map(|v| v.into_iter().collect())
}

/// A text that matches `pat` (wildcards filled from the alphabet), to keep positives common.
fn matching_text(pat: &str, fill: &[char], seed: &[usize]) -> String {
    let mut out = String::new();
    let mut k = 0;
    let mut next = || {
        k += 1;
        seed[k % seed.len()]
    };
    for c in pat.chars() {
        match c {
            '*' => {
                for _ in 0..next() % 3 {
                    out.push(fill[next() % fill.len()]);
                }
            }
            '?' => out.push(fill[next() % fill.len()]),
            c => out.push(c),
        }
    }
    out
}

const KEY: &str = "ab/:*?A";
const ACTION: &str = "abAB*?";
const REGION: &str = "ue-1*?";

const WIDE: &str = "aAbB*?.+()[]{}$^|\\/:-é日";

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// The public matcher against the regex oracle, case-sensitive, on a wide alphabet.
    #[test]
    fn wildcard_match_is_the_glob(
        pat in pattern(WIDE, 10),
        other in text(WIDE, 10),
        seed in proptest::collection::vec(0usize..100, 1..8),
        positive in any::<bool>(),
    ) {
        let text = if positive { matching_text(&pat, &['a', 'B', '.', '日', '$'], &seed) } else { other };
        let want = glob_regex(&pat, false).is_match(&text);
        prop_assert_eq!(wildcard_match(&pat, &text, false), want, "{:?} vs {:?}", pat, text);
    }

    /// Case-insensitive matching (actions) folds ASCII letters.
    #[test]
    fn wildcard_match_case_insensitive(
        pat in pattern("aAbB*?:", 8),
        other in text("aAbB*?:", 8),
        seed in proptest::collection::vec(0usize..100, 1..8),
        positive in any::<bool>(),
    ) {
        let text = if positive { matching_text(&pat, &['a', 'B', ':'], &seed) } else { other };
        let want = glob_regex(&pat, true).is_match(&text);
        prop_assert_eq!(wildcard_match(&pat, &text, true), want, "{:?} vs {:?}", pat, text);
    }

    /// The resource part of an ARN: case-sensitive glob, `*` spans `/` and `:`.
    #[test]
    fn resource_part_is_a_case_sensitive_glob(
        pat in pattern(KEY, 8),
        other in text(KEY, 8),
        seed in proptest::collection::vec(0usize..100, 1..8),
        positive in any::<bool>(),
    ) {
        let key = if positive { matching_text(&pat, &['a', 'b', '/', ':', 'A'], &seed) } else { other };
        prop_assume!(!key.is_empty());
        let res_pat = format!("arn:aws:s3:::bucket/{pat}");
        let res = format!("arn:aws:s3:::bucket/{key}");
        let want = glob_regex(&res_pat, false).is_match(&res);
        prop_assert_eq!(allows("s3:GetObject", &res_pat, "s3:GetObject", &res), want, "{} vs {}", res_pat, res);
    }

    /// Action names: case-insensitive glob after the service prefix.
    #[test]
    fn action_is_a_case_insensitive_glob(
        pat in pattern(ACTION, 7),
        other in text(ACTION, 7),
        seed in proptest::collection::vec(0usize..100, 1..8),
        positive in any::<bool>(),
    ) {
        let name = if positive { matching_text(&pat, &['a', 'b', 'A', 'B'], &seed) } else { other };
        prop_assume!(!name.is_empty());
        let act_pat = format!("s3:{pat}");
        let action = format!("s3:{name}");
        let want = glob_regex(&act_pat, true).is_match(&action);
        prop_assert_eq!(allows(&act_pat, "*", &action, "arn:aws:s3:::bucket/k"), want, "{} vs {}", act_pat, action);
    }

    /// ARN segments are matched one by one: a wildcard in the region segment never reaches
    /// into the account or resource segments.
    #[test]
    fn region_segment_is_matched_on_its_own(
        pat in pattern(REGION, 6),
        region in text(REGION, 6),
        seed in proptest::collection::vec(0usize..100, 1..8),
        positive in any::<bool>(),
        same_account in any::<bool>(),
    ) {
        let region = if positive { matching_text(&pat, &['u', 'e', '-', '1'], &seed) } else { region };
        prop_assume!(!region.is_empty());
        let account = if same_account { "111122223333" } else { "444455556666" };
        let res_pat = format!("arn:aws:sqs:{pat}:111122223333:queue");
        let res = format!("arn:aws:sqs:{region}:{account}:queue");
        let want = glob_regex(&pat, false).is_match(&region) && same_account;
        prop_assert_eq!(allows("sqs:SendMessage", &res_pat, "sqs:SendMessage", &res), want, "{} vs {}", res_pat, res);
    }
}
