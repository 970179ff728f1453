//! Property tests: no input makes the query parser or the decoders panic.

use oxiam_protocol::query::Params;
use oxiam_protocol::{iam, sts};
use proptest::prelude::*;

fn decode_both(params: &Params) {
    // The result does not matter, only that there is one.
    let _ = iam::Request::decode(params);
    let _ = sts::Request::decode(params);
}

/// Parameter names shaped like real ones: known members, list and map items, nesting.
fn name() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "UserName",
        "Path",
        "Tags",
        "TagKeys",
        "MaxItems",
        "Marker",
        "Properties",
        "ReplacementValues",
        "PolicyArns",
        "DurationSeconds",
        "RequireSymbols",
        "ContextEntries",
        "PolicyInputList",
        "Key",
        "Value",
        "Values",
        "arn",
        "ContextKeyValues",
    ]);
    let part = prop_oneof![
        base.clone().prop_map(str::to_owned),
        Just("member".to_owned()),
        Just("entry".to_owned()),
        Just("key".to_owned()),
        Just("value".to_owned()),
        (0u32..12).prop_map(|n| n.to_string()),
        Just(u32::MAX.to_string()),
        Just(String::new()),
    ];
    prop::collection::vec(part, 1..6).prop_map(|parts| parts.join("."))
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("true".to_owned()),
        Just("-1".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("2024-05-01T12:00:00Z".to_owned()),
        "[a-zA-Z0-9/=+ ._-]{0,20}",
        any::<String>(),
    ]
}

fn action() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = iam::Operation::ALL
        .iter()
        .map(|o| o.name())
        .chain(sts::Operation::ALL.iter().map(|o| o.name()))
        .collect();
    prop::sample::select(names).prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(params) = Params::parse(&raw) {
            decode_both(&params);
        }
    }

    #[test]
    fn structured_requests_never_panic(
        action in action(),
        pairs in prop::collection::vec((name(), value()), 0..24),
    ) {
        let mut params: Vec<(&str, &str)> = vec![("Action", action.as_str())];
        params.extend(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let params: Params = params.into_iter().collect();
        decode_both(&params);
    }

    #[test]
    fn parse_round_trips_encoded_pairs(pairs in prop::collection::vec(("[^&=]{1,8}", ".{0,8}"), 0..8)) {
        // Percent-encoding every byte and parsing gives the pairs back.
        let encode = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
        let raw = pairs
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let params = Params::parse(raw.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = params.iter().collect();
        let want: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(got, want);
    }
}

/// A JSON value of the shapes Access Analyzer's inputs hold, nested a few levels deep,
/// with member names of the model among arbitrary ones.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9:/_. -]{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(vec![
                "analyzerName",
                "type",
                "tags",
                "configuration",
                "unusedAccess",
                "internalAccess",
                "analysisRule",
                "exclusions",
                "archiveRules",
                "filter",
                "policyDocument",
                "access",
            ])
            .prop_map(str::to_owned),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(key, inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    /// No method, path, query string or body makes Access Analyzer's REST-JSON decoder panic.
    #[test]
    fn access_analyzer_requests_never_panic(
        method in prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "PATCH"]),
        path in prop_oneof![
            prop::sample::select(vec![
                "/analyzer", "/analyzer/a", "/analyzer/a/archive-rule", "/tags/x%2Fy",
                "/policy/validation", "/policy/generation/j", "/finding", "/", "//", "/%ff",
            ]).prop_map(str::to_owned),
            "(/[a-z%0-9{}-]{0,8}){0,4}",
        ],
        query in "([a-zA-Z]{1,12}=[a-z0-9%+]{0,6}&?){0,4}",
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..64),
        ],
    ) {
        let http = oxiam_protocol::rest_json::HttpRequest {
            method,
            path: &path,
            query: &query,
            body: &body,
        };
        let _ = oxiam_protocol::accessanalyzer::Request::decode(&http);
    }
}
