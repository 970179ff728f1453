//! Unit tests of `validate`: positions and paths.

use super::finding::Lines;
use super::*;

#[test]
fn positions_count_lines_from_one_and_columns_from_zero() {
    let src = "{\n  \"a\": \"é\",\r\n\t\"b\": 1\n}";
    let lines = Lines::new(src);
    assert_eq!(
        lines.position(0),
        Position {
            line: 1,
            column: 0,
            offset: 0
        }
    );
    assert_eq!(
        lines.position(2),
        Position {
            line: 2,
            column: 0,
            offset: 2
        }
    );
    assert_eq!(
        lines.position(4),
        Position {
            line: 2,
            column: 2,
            offset: 4
        }
    );
    // `é` is two bytes: after it, offsets in characters lag bytes by one.
    let after = src.find("\",\r").unwrap();
    assert_eq!(
        lines.position(after),
        Position {
            line: 2,
            column: 9,
            offset: 11
        }
    );
    // `\r\n` ends a line at `\n`; the `\r` is the line's last character.
    let b = src.find("\"b\"").unwrap();
    assert_eq!(
        lines.position(b),
        Position {
            line: 3,
            column: 1,
            offset: b - 1
        }
    );
    // Past the end and inside a character, positions are clamped and rounded down.
    let end = lines.position(src.len());
    assert_eq!(lines.position(src.len() + 10), end);
    let e = src.find('é').unwrap();
    assert_eq!(lines.position(e + 1), lines.position(e));
}

#[test]
fn paths_grow_by_value_key_index_and_substring() {
    let p = Path::root()
        .value("Statement")
        .index(2)
        .key("Foo")
        .substring(1, 3);
    assert_eq!(
        p.0,
        vec![
            PathElement::Value("Statement".into()),
            PathElement::Index(2),
            PathElement::Key("Foo".into()),
            PathElement::Substring {
                start: 1,
                length: 3
            },
        ]
    );
}

#[test]
fn names_round_trip() {
    for t in [
        PolicyType::IdentityPolicy,
        PolicyType::ResourcePolicy,
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ] {
        assert_eq!(PolicyType::from_name(t.as_str()), Some(t));
    }
    for t in ValidatePolicyResourceType::ALL {
        assert_eq!(ValidatePolicyResourceType::from_name(t.as_str()), Some(t));
    }
    assert_eq!(PolicyType::from_name("identity_policy"), None);
    assert_eq!(FindingType::SecurityWarning.as_str(), "SECURITY_WARNING");
    assert_eq!(
        IssueCode::PassRoleWithStarInResource.learn_more_link(),
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"
    );
    assert_eq!(
        IssueCode::MissingVersion.learn_more_link(),
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-general-warning-missing-version"
    );
    // Codes are unique.
    for (i, a) in IssueCode::ALL.iter().enumerate() {
        assert!(
            IssueCode::ALL
                .iter()
                .skip(i + 1)
                .all(|b| a.as_str() != b.as_str())
        );
    }
}
