//! Unit tests of `policy`.

use super::*;

fn err(json: &str, kind: PolicyKind) -> String {
    Policy::parse(json, kind).unwrap_err().message().to_owned()
}

fn id_err(json: &str) -> String {
    err(json, PolicyKind::Identity)
}

const OK: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}"#;

#[test]
fn parses_a_valid_policy() {
    let p = Policy::parse(OK, PolicyKind::Identity).unwrap();
    assert_eq!(p.version(), Version::V2012_10_17);
    assert_eq!(p.statement_count(), 1);
    assert_eq!(p.statement(0).unwrap().effect, StatementEffect::Allow);
}

#[test]
fn syntax_errors_point_at_the_place() {
    let e = Policy::parse(
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [}\n",
        PolicyKind::Identity,
    )
    .unwrap_err();
    assert_eq!(e.message(), messages::SYNTAX);
    assert_eq!((e.location().line, e.location().column), (3, 17));
    let e = Policy::parse(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\n\"Action\":\"s3:x\",\n\"Resource\":[\"arn:aws:s3:::a\", \"bad\"]}]}",
        PolicyKind::Identity,
    )
    .unwrap_err();
    assert_eq!(e.message(), "Resource bad must be in ARN format or \"*\".");
    assert_eq!(e.location().line, 3);
    assert_eq!(e.location().column, 31);
    assert_eq!(e.location().path, "$.Statement[0].Resource[1]");
}

#[test]
fn aws_messages_for_structure() {
    assert_eq!(id_err("not json"), messages::SYNTAX);
    assert_eq!(id_err(r#"{"Version":"2012-10-17"}"#), messages::SYNTAX);
    assert_eq!(
        id_err(
            r#"{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(r#"{"Version":"2012-10-17","Statement":[]}"#),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(r#"{"Version":"2012-10-17","Statement":["x"]}"#),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Extra":1,"Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Extra":1}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Id":[],"Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(r#"{"Version":"2012-10-17","Statement":{"Action":"s3:x","Resource":"*"}}"#),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"invalid","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"denY","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::LEGACY
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","NotAction":"s3:y","Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","NotResource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[[]],"Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*","Effect":"Deny"}}"#
        ),
        messages::SYNTAX
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Sid":{},"Effect":"Allow","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::SYNTAX
    );
}

#[test]
fn aws_messages_for_required_and_prohibited_fields() {
    assert_eq!(
        id_err(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x"}}"#),
        messages::RESOURCES_REQUIRED
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":[]}}"#
        ),
        messages::RESOURCES_REQUIRED
    );
    assert_eq!(
        id_err(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#),
        messages::ACTIONS_REQUIRED
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#
        ),
        messages::ACTIONS_REQUIRED
    );
    assert_eq!(
        id_err(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid"}}"#),
        messages::ACTION_VENDOR
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::PRINCIPAL_PROHIBITED
    );
    let trust = |s: &str| err(s, PolicyKind::Trust);
    assert_eq!(
        trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#
        ),
        messages::PRINCIPAL_REQUIRED
    );
    assert_eq!(
        trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}}"#
        ),
        "Has prohibited field Resource"
    );
    assert!(Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        PolicyKind::Trust
    )
    .is_ok());
    assert_eq!(
        trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"nope"},"Action":"sts:AssumeRole"}}"#
        ),
        "Invalid principal in policy: \"AWS\":\"nope\""
    );
}

#[test]
fn aws_messages_for_actions_and_resources() {
    let with_resource_ok = |r: &str| {
        Policy::parse(
            &format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:x","Resource":"{r}"}}}}"#),
            PolicyKind::Identity,
        )
        .is_ok()
    };
    let with_action = |a: &str| {
        id_err(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{a}","Resource":"*"}}}}"#
        ))
    };
    assert_eq!(with_action("invalid"), messages::ACTION_VENDOR);
    assert_eq!(with_action(""), messages::ACTION_VENDOR);
    assert_eq!(with_action("a a:ListBucket"), "Vendor a a is not valid");
    assert_eq!(with_action("s3:List:Bucket"), messages::ACTION_COLON);
    let with_resource = |r: &str| {
        id_err(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"{r}"}}}}"#
        ))
    };
    assert_eq!(
        with_resource("invalid resource"),
        "Resource invalid resource must be in ARN format or \"*\"."
    );
    assert_eq!(
        with_resource(""),
        "Resource  must be in ARN format or \"*\"."
    );
    assert_eq!(
        with_resource("a:bsdfdsafsad"),
        "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\"."
    );
    assert_eq!(
        with_resource("a:b:c:d:e:f:g:h"),
        "Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\"."
    );
    assert_eq!(
        with_resource("aws:s3:::example_bucket"),
        "Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\"."
    );
    assert_eq!(with_resource("arn:aws"), messages::RESOURCE_VENDOR);
    assert_eq!(
        with_resource("arn:aws:s3::example_bucket"),
        messages::LEGACY
    );
    assert_eq!(with_resource("arn:aws::fdsasf"), messages::LEGACY);
    assert_eq!(
        with_resource("arn:aws:iam:::example_bucket"),
        messages::IAM_RESOURCE_PATH
    );
    assert_eq!(
        with_resource("arn:aws:iam:us-east-1::example_bucket"),
        "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."
    );
    assert_eq!(
        with_resource("arn:aws:s3:us-east-1::example_bucket"),
        "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."
    );
    assert_eq!(
        with_resource("arn:aws:s3:us-west-2:123456789012:test/athena"),
        "Resource arn:aws:s3:us-west-2:123456789012:test/athena can not contain region information."
    );
    assert!(with_resource_ok(
        "arn:aws:s3:us-west-2:123456789012:accesspoint/ap"
    ));
    for ok in [
        "arn:aws:fdsasf",
        "arn:aws:s33:::b",
        "arn:aws:iam::*:user/${aws:username}",
        "arn:aws:ec2:us-east-1::x",
    ] {
        assert!(Policy::parse(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:x","Resource":"{ok}"}}}}"#), PolicyKind::Identity).is_ok(), "{ok}");
    }
    // A resource error wins over an action error (AWS checks resources first).
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s:3:ListBucket","Resource":"sdfsadf"}}"#
        ),
        "Resource sdfsadf must be in ARN format or \"*\"."
    );
}

#[test]
fn aws_messages_for_sids_and_conditions() {
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:x","Resource":"*"},{"Sid":"a","Effect":"Allow"}]}"#
        ),
        messages::SID_UNIQUE
    );
    assert_eq!(
        id_err(
            r#"{"Version":"2012-10-17","Statement":{"Sid":"my-sid","Effect":"Allow","Action":"s3:x","Resource":"*"}}"#
        ),
        messages::SID_ALPHANUMERIC
    );
    assert!(Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Sid":"my sid","Effect":"Allow","Principal":"*","Action":"s3:x","Resource":"*"}}"#,
        PolicyKind::Resource
    )
    .is_ok());
    let with_cond = |c: &str| {
        Policy::parse(&format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:x","Resource":"*","Condition":{c}}}}}"#), PolicyKind::Identity).map_err(|e| e.message().to_owned())
    };
    assert_eq!(with_cond("[]").unwrap_err(), messages::SYNTAX);
    assert_eq!(with_cond(r#"{"a":"b"}"#).unwrap_err(), messages::SYNTAX);
    assert_eq!(
        with_cond(r#"{"x":{"a":"1"}}"#).unwrap_err(),
        messages::SYNTAX
    );
    assert_eq!(
        with_cond(r#"{"ForAnyValue::StringEqualsIfExists":{"a":"1"}}"#).unwrap_err(),
        messages::SYNTAX
    );
    assert_eq!(
        with_cond(r#"{"DateGreaterThan":{"a":{}}}"#).unwrap_err(),
        messages::SYNTAX
    );
    assert_eq!(
        with_cond(r#"{"DateGreaterThan":{"a":"sdfdsf"}}"#).unwrap_err(),
        messages::LEGACY
    );
    assert_eq!(
        with_cond(r#"{"IpAddress":{"aws:SourceIp":"300.0.0.0/8"}}"#).unwrap_err(),
        messages::LEGACY
    );
    assert!(with_cond(r#"{"x":{},"y":{}}"#).is_ok());
    assert!(with_cond(r#"{"DateGreaterThan":{"a":[]}}"#).is_ok());
    assert!(
        with_cond(r#"{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}"#)
            .is_ok()
    );
    assert!(with_cond(r#"{"StringEqualsIfExists":{"a":"asf"}}"#).is_ok());
}

#[test]
fn version_rules() {
    let no_version = r#"{"Statement":{"Effect":"Allow","Action":"s3:x","Resource":"*"}}"#;
    assert_eq!(
        Policy::parse(no_version, PolicyKind::Identity)
            .unwrap()
            .version(),
        Version::V2008_10_17
    );
    let strict = ParseOptions {
        require_version_2012: true,
        ..ParseOptions::for_kind(PolicyKind::Identity)
    };
    let e = Policy::parse_with(no_version, PolicyKind::Identity, &strict).unwrap_err();
    assert_eq!(e.message(), messages::VERSION);
    // The version error comes before legacy-parsing errors.
    let bad_effect = r#"{"Statement":{"Effect":"denY","Action":"s3:x","Resource":"*"}}"#;
    assert_eq!(
        Policy::parse_with(bad_effect, PolicyKind::Identity, &strict)
            .unwrap_err()
            .message(),
        messages::VERSION
    );
    let findings = validate(
        r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:x","Resource":"arn:aws:s3:::${aws:username}"}}"#,
        PolicyKind::Identity,
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Warning);
}

#[test]
fn non_white_space_chars_counts_characters_across_blocks() {
    let text = "a é\t€\n😀\r".repeat(300);
    let naive = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .count();
    assert_eq!(non_white_space_chars(&text), naive);
    assert_eq!(non_white_space_chars(&"x".repeat(1000)), 1000);
    assert_eq!(non_white_space_chars(""), 0);
}

#[test]
fn size_limits_count_non_whitespace_characters() {
    let padded = OK.replace(',', &format!(",{}", " ".repeat(10_000)));
    assert!(Policy::parse(&padded, PolicyKind::Identity).is_ok());
    let big: Vec<String> = (0..400).map(|i| format!("\"s3:Action{i:05}\"")).collect();
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":[{}],"Resource":"*"}}}}"#,
        big.join(",")
    );
    let e = Policy::parse(&doc, PolicyKind::Identity).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded);
    assert_eq!(e.message(), "Cannot exceed quota for PolicySize: 6144");
    let resource = doc.replace(
        "\"Resource\":\"*\"",
        "\"Principal\":\"*\",\"Resource\":\"*\"",
    );
    assert!(Policy::parse(&resource, PolicyKind::Resource).is_ok());
    let trust = err(
        &doc.replace("\"Resource\":\"*\"", "\"Principal\":\"*\""),
        PolicyKind::Trust,
    );
    assert_eq!(trust, "Cannot exceed quota for ACLSizePerRole: 2048");
}

#[test]
fn validate_reports_every_error_first_one_as_aws() {
    let f = validate(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bad","Resource":"bad"},{"Effect":"Allow","Action":"s3:x"}]}"#,
        PolicyKind::Identity,
    );
    let msgs: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "Resource bad must be in ARN format or \"*\".",
            messages::ACTION_VENDOR,
            messages::RESOURCES_REQUIRED
        ]
    );
}

#[test]
fn index_groups_by_service() {
    let p = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:Get*","EC2:Describe*"],"Resource":"*"},
            {"Effect":"Allow","Action":"s3*:Put*","Resource":"*"},
            {"Effect":"Deny","NotAction":"iam:*","Resource":"*"},
            {"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}"#,
        PolicyKind::Identity,
    )
    .unwrap();
    let candidates = |action: &str| p.inner.index.candidates(&RequestAction::new(action));
    assert_eq!(candidates("s3:x"), (&[0u32][..], &[1u32, 2][..]));
    assert_eq!(candidates("ec2:x"), (&[0u32][..], &[1u32, 2][..]));
    assert_eq!(candidates("sqs:x"), (&[3u32][..], &[1u32, 2][..]));
    assert_eq!(candidates("kms:x").0, &[] as &[u32]);
}

#[test]
fn accepts_every_aws_managed_policy() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/aws/aws-managed-policies.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let no_limit = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    let mut failures = Vec::new();
    let list = all.as_array().unwrap();
    for p in list {
        let name = p["PolicyName"].as_str().unwrap();
        let doc = serde_json::to_string_pretty(&p["Document"]).unwrap();
        if let Err(e) = Policy::parse_with(&doc, PolicyKind::Identity, &no_limit) {
            failures.push(format!("{name}: {} at {}", e.message(), e.location()));
        }
    }
    assert!(list.len() > 1000);
    assert!(
        failures.is_empty(),
        "{} rejected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Timing probe for profiling parse (run with `--release --ignored --nocapture`).
#[test]
#[ignore = "timing probe, not a behaviour test"]
fn parse_timing_probe() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/aws/aws-managed-policies.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let p = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == "AWSPanoramaServiceRolePolicy")
        .unwrap();
    let doc = serde_json::to_string_pretty(&p["Document"]).unwrap();
    // CPU time of this thread in clock ticks (10 ms), from /proc: unaffected by waiting
    // for a CPU on a loaded machine.
    let cpu = || {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("").to_owned();
        // Fields after the command name: state is field 3; utime 14, stime 15.
        let f: Vec<&str> = after.split_whitespace().collect();
        let field = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        field(11) + field(12)
    };
    let n = 20_000u32;
    let (t, c) = (std::time::Instant::now(), cpu());
    for _ in 0..n {
        std::hint::black_box(json::parse(std::hint::black_box(&doc)).unwrap());
    }
    let ticks = cpu() - c;
    eprintln!(
        "json only: wall {:?}, cpu {} µs",
        t.elapsed() / n,
        ticks * 10_000 / u64::from(n)
    );
    let (t, c) = (std::time::Instant::now(), cpu());
    for _ in 0..n {
        std::hint::black_box(
            Policy::parse(std::hint::black_box(&doc), PolicyKind::Identity).unwrap(),
        );
    }
    let ticks = cpu() - c;
    eprintln!(
        "parse+compile: wall {:?}, cpu {} µs ({} bytes)",
        t.elapsed() / n,
        ticks * 10_000 / u64::from(n),
        doc.len()
    );
    let no_limit = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    let c = cpu();
    for _ in 0..n {
        std::hint::black_box(
            Policy::parse_with(std::hint::black_box(&doc), PolicyKind::Identity, &no_limit)
                .unwrap(),
        );
    }
    eprintln!(
        "parse+compile without size check: cpu {} µs",
        (cpu() - c) * 10_000 / u64::from(n)
    );
    let p = Policy::parse(&doc, PolicyKind::Identity).unwrap();
    let c = cpu();
    for _ in 0..n {
        std::hint::black_box(std::hint::black_box(&p).clone());
    }
    eprintln!("clone: cpu {} µs", (cpu() - c) * 10_000 / u64::from(n));
}
