//! ValidatePolicy: AWS's documented example with its exact findings, one test per
//! implemented issue code (a policy that triggers it and a close one that does not), exact
//! locations, and a property test that any text gives findings without panicking.

use oxiam_analysis::validate::{
    Finding, FindingType, IssueCode, Location, PathElement, PolicyType, Position, Span,
    ValidatePolicyResourceType, validate_policy,
};
use oxiam_catalogue::Catalogue;

use PolicyType::{IdentityPolicy, ResourceControlPolicy, ResourcePolicy, ServiceControlPolicy};

fn run(doc: &str, policy_type: PolicyType) -> Vec<Finding> {
    validate_policy(doc, policy_type, None, Catalogue::aws())
}

fn codes(doc: &str, policy_type: PolicyType) -> Vec<IssueCode> {
    run(doc, policy_type).iter().map(|f| f.issue_code).collect()
}

fn value(k: &str) -> PathElement {
    PathElement::Value(k.into())
}

fn key(k: &str) -> PathElement {
    PathElement::Key(k.into())
}

fn at(line: usize, column: usize, offset: usize) -> Position {
    Position {
        line,
        column,
        offset,
    }
}

/// An identity policy with one statement whose members are `members`.
fn identity(members: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{{{members}}}]}}"#)
}

/// A resource policy with one statement whose members are `members`.
fn resource(members: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},{members}}}]}}"#
    )
}

// ---------------------------------------------------------------------------------------
// AWS's documented example: `aws accessanalyzer validate-policy` (AWS CLI examples,
// accessanalyzer/validate-policy.rst), a trust policy for a Cognito role.

const CLI_EXAMPLE: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "",
            "Effect": "Allow",
            "Principal": {
                "Federated": "cognito-identity.amazonaws.com"
            },
            "Action": [
                "sts:AssumeRole",
                "sts:TagSession"
            ],
            "Condition": {
                "StringEquals": {
                    "cognito-identity.amazonaws.com:aud": "us-west-2_EXAMPLE"
                }
            }
        }
    ]
}"#;

#[test]
fn aws_cli_example_gives_aws_findings_exactly() {
    let link = |anchor: &str| {
        format!(
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-{anchor}"
        )
    };
    let loc = |path: Vec<PathElement>, start: Position, end: Position| Location {
        path,
        span: Span { start, end },
    };
    let statement = || vec![value("Statement"), PathElement::Index(0)];
    let with = |mut p: Vec<PathElement>, more: Vec<PathElement>| {
        p.extend(more);
        p
    };
    let expected = vec![
        Finding {
            finding_type: FindingType::Suggestion,
            issue_code: IssueCode::EmptySidValue,
            finding_details: "Add a value to the empty string in the Sid element.".into(),
            learn_more_link: link("suggestion-empty-sid-value"),
            locations: vec![loc(with(statement(), vec![value("Sid")]), at(5, 19, 79), at(5, 21, 81))],
        },
        Finding {
            finding_type: FindingType::Error,
            issue_code: IssueCode::MismatchedActionForPrincipal,
            finding_details: "The sts:AssumeRole action is invalid with the following principal(s): cognito-identity.amazonaws.com. Use a SAML provider principal with the sts:AssumeRoleWithSAML action or use an OIDC provider principal with the sts:AssumeRoleWithWebIdentity action. Ensure the provider is Federated if you use either of the two options.".into(),
            learn_more_link: link("error-mismatched-action-for-principal"),
            locations: vec![
                loc(
                    with(statement(), vec![value("Action"), PathElement::Index(0)]),
                    at(11, 16, 258),
                    at(11, 32, 274),
                ),
                loc(
                    with(statement(), vec![value("Principal"), value("Federated")]),
                    at(8, 29, 170),
                    at(8, 61, 202),
                ),
            ],
        },
        Finding {
            finding_type: FindingType::Error,
            issue_code: IssueCode::UnsupportedActionForConditionKey,
            finding_details: "The following actions: sts:TagSession are not supported by the condition key cognito-identity.amazonaws.com:aud. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key.".into(),
            learn_more_link: link("error-unsupported-action-for-condition-key"),
            locations: vec![
                loc(
                    with(statement(), vec![value("Action"), PathElement::Index(1)]),
                    at(12, 16, 292),
                    at(12, 32, 308),
                ),
                loc(
                    with(
                        statement(),
                        vec![
                            value("Condition"),
                            value("StringEquals"),
                            value("cognito-identity.amazonaws.com:aud"),
                        ],
                    ),
                    // AWS's example prints the end as column 79, offset 464: two characters
                    // past the end of line 16, so the example's value was shortened after
                    // the output was produced (`"us-west-2_EXAMPLE"` is 19 characters, and
                    // every other span of the example is exactly its value's length).
                    at(16, 58, 443),
                    at(16, 77, 462),
                ),
            ],
        },
    ];
    assert_eq!(run(CLI_EXAMPLE, ResourcePolicy), expected);
}

#[test]
fn a_clean_policy_has_no_findings() {
    let doc = identity(
        r#""Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket","arn:aws:s3:::bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
    );
    assert_eq!(run(&doc, IdentityPolicy), vec![]);
}

#[test]
fn every_finding_carries_its_codes_type_and_link() {
    for code in IssueCode::ALL {
        let link = code.learn_more_link();
        assert!(
            link.starts_with(oxiam_analysis::validate::REFERENCE_PAGE),
            "{link}"
        );
        assert!(link.ends_with(&code.as_str().to_ascii_lowercase().replace('_', "-")));
    }
    let f = &run("{", IdentityPolicy)[0];
    assert_eq!(f.finding_type, f.issue_code.finding_type());
    assert_eq!(f.learn_more_link, f.issue_code.learn_more_link());
}

// ---------------------------------------------------------------------------------------
// Locations.

#[test]
fn json_syntax_error_points_at_the_first_bad_character() {
    let doc = "{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}";
    let findings = run(doc, IdentityPolicy);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.issue_code, IssueCode::JsonSyntaxError);
    assert_eq!(f.finding_type, FindingType::Error);
    assert_eq!(
        f.finding_details,
        "Fix the JSON syntax error at index 30 line 3 column 2."
    );
    assert_eq!(
        f.locations,
        vec![Location {
            path: vec![],
            span: Span {
                start: at(3, 2, 30),
                end: at(3, 3, 31)
            }
        }]
    );
    // At the end of the text the span is empty.
    let f = &run("{\"a\":", IdentityPolicy)[0];
    assert_eq!(f.locations[0].span.start, at(1, 5, 5));
    assert_eq!(f.locations[0].span.end, at(1, 5, 5));
}

#[test]
fn positions_count_characters_not_bytes() {
    // `é` is two bytes, one character: the offset after it is one less than in bytes.
    let doc = "{\"Id\":\"é\",\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:NoSuchThing\",\"Resource\":\"*\"}}";
    let f = &run(doc, IdentityPolicy)[0];
    assert_eq!(f.issue_code, IssueCode::InvalidAction);
    let start = doc.find("\"s3:NoSuch").unwrap();
    assert_eq!(f.locations[0].span.start.offset, start - 1);
    assert_eq!(f.locations[0].span.start.column, start - 1);
    // A single statement object and a single action string: no index in the path.
    assert_eq!(
        f.locations[0].path,
        vec![value("Statement"), value("Action")]
    );
}

#[test]
fn unknown_elements_are_located_by_their_key() {
    let doc = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Actoin\":\"x\"}]}";
    let findings = run(doc, IdentityPolicy);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.issue_code, IssueCode::InvalidPolicyElement);
    assert_eq!(f.finding_details, "The policy element Actoin is not valid.");
    let start = doc.find("\"Actoin\"").unwrap();
    assert_eq!(
        f.locations[0],
        Location {
            path: vec![value("Statement"), PathElement::Index(0), key("Actoin")],
            span: Span {
                start: at(1, start, start),
                end: at(1, start + 8, start + 8)
            }
        }
    );
}

#[test]
fn document_and_statement_findings_span_what_they_are_about() {
    // No `Version`: the document, empty path.
    let doc = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
    let f = &run(doc, IdentityPolicy)[0];
    assert_eq!(f.issue_code, IssueCode::MissingVersion);
    let end = doc.len();
    assert_eq!(
        f.locations,
        vec![Location {
            path: vec![],
            span: Span {
                start: at(1, 0, 0),
                end: at(1, end, end)
            }
        }]
    );
    // No `Effect`: the statement.
    let doc = "{\"Version\":\"2012-10-17\",\"Statement\":[\n  {\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}\n]}";
    let f = &run(doc, IdentityPolicy)[0];
    assert_eq!(f.issue_code, IssueCode::MissingEffect);
    let start = doc.find("{\"Action").unwrap();
    let stop = doc.find("}\n]").unwrap() + 1;
    assert_eq!(
        f.locations,
        vec![Location {
            path: vec![value("Statement"), PathElement::Index(0)],
            span: Span {
                start: at(2, 2, start),
                end: at(2, 2 + stop - start, stop)
            }
        }]
    );
    // A wrong JSON type: the value.
    let doc = identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":[]"#);
    let f = &run(&doc, IdentityPolicy)[0];
    assert_eq!(f.issue_code, IssueCode::DataTypeMismatch);
    assert_eq!(
        f.finding_details,
        "The text does not match the expected JSON data type Object."
    );
    let start = doc.find("[]").unwrap();
    assert_eq!(
        f.locations[0].path,
        vec![
            value("Statement"),
            PathElement::Index(0),
            value("Condition")
        ]
    );
    assert_eq!(f.locations[0].span.start.offset, start);
    assert_eq!(f.locations[0].span.end.offset, start + 2);
}

#[test]
fn condition_findings_locate_keys_and_values() {
    let doc = identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:usename":"a","aws:SecureTransport":["x","y"]}}"#,
    );
    let findings = run(&doc, IdentityPolicy);
    let codes: Vec<IssueCode> = findings.iter().map(|f| f.issue_code).collect();
    assert_eq!(
        codes,
        vec![
            IssueCode::InvalidGlobalConditionKey,
            IssueCode::TypeMismatch
        ]
    );
    let block = vec![
        value("Statement"),
        PathElement::Index(0),
        value("Condition"),
        value("StringEquals"),
    ];
    let key_start = doc.find("\"aws:usename\"").unwrap();
    let mut key_path = block.clone();
    key_path.push(key("aws:usename"));
    assert_eq!(
        findings[0].locations,
        vec![Location {
            path: key_path,
            span: Span {
                start: at(1, key_start, key_start),
                end: at(1, key_start + 13, key_start + 13)
            }
        }]
    );
    let value_start = doc.find("[\"x\"").unwrap();
    let mut value_path = block;
    value_path.push(value("aws:SecureTransport"));
    assert_eq!(findings[1].locations[0].path, value_path);
    assert_eq!(findings[1].locations[0].span.start.offset, value_start);
    assert_eq!(findings[1].locations[0].span.end.offset, value_start + 9);
}

// ---------------------------------------------------------------------------------------
// One test per issue code: `$trigger` reports `$code` (with the code's finding type and,
// where given, exactly `$details`), `$clean` (a close policy) does not.

/// What a case validates as: a policy type, or a resource type (of a resource policy).
trait Target {
    fn target(self) -> (PolicyType, Option<ValidatePolicyResourceType>);
}

impl Target for PolicyType {
    fn target(self) -> (PolicyType, Option<ValidatePolicyResourceType>) {
        (self, None)
    }
}

impl Target for ValidatePolicyResourceType {
    fn target(self) -> (PolicyType, Option<ValidatePolicyResourceType>) {
        (ResourcePolicy, Some(self))
    }
}

macro_rules! issue {
    ($name:ident, $code:ident, $policy_type:expr, $trigger:expr, $clean:expr) => {
        issue!($name, $code, $policy_type, $trigger, $clean, None::<&str>);
    };
    ($name:ident, $code:ident, $policy_type:expr, $trigger:expr, $clean:expr, $details:expr) => {
        #[test]
        fn $name() {
            let code = IssueCode::$code;
            let trigger: String = $trigger.into();
            let clean: String = $clean.into();
            let (policy_type, resource_type) = $policy_type.target();
            let found = validate_policy(&trigger, policy_type, resource_type, Catalogue::aws());
            let hit = found
                .iter()
                .find(|f| f.issue_code == code)
                .unwrap_or_else(|| panic!("{code} not in {found:#?}"));
            assert_eq!(hit.finding_type, code.finding_type());
            assert!(!hit.locations.is_empty());
            if let Some(details) = $details {
                assert_eq!(hit.finding_details, details);
            }
            let clean_codes: Vec<IssueCode> =
                validate_policy(&clean, policy_type, resource_type, Catalogue::aws())
                    .iter()
                    .map(|f| f.issue_code)
                    .collect();
            assert!(!clean_codes.contains(&code), "{code} in {clean_codes:?}");
        }
    };
}

issue!(
    json_syntax_error,
    JsonSyntaxError,
    IdentityPolicy,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}"#,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    data_type_mismatch,
    DataTypeMismatch,
    IdentityPolicy,
    identity(r#""Effect":["Allow"],"Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some("The text does not match the expected JSON data type String.")
);
issue!(
    invalid_policy_element,
    InvalidPolicyElement,
    IdentityPolicy,
    r#"{"Version":"2012-10-17","Statment":[]}"#,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    missing_statement,
    MissingStatement,
    IdentityPolicy,
    r#"{"Version":"2012-10-17"}"#,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some("Add a statement to the policy")
);
issue!(
    missing_effect,
    MissingEffect,
    IdentityPolicy,
    identity(r#""Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    invalid_effect,
    InvalidEffect,
    IdentityPolicy,
    identity(r#""Effect":"allow","Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some("The effect allow is not valid. Use Allow or Deny.")
);
issue!(
    invalid_version,
    InvalidVersion,
    IdentityPolicy,
    r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#
);
issue!(
    missing_version,
    MissingVersion,
    IdentityPolicy,
    r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some(
        "We recommend that you specify the Version element to help you with debugging permission issues."
    )
);
issue!(
    missing_action,
    MissingAction,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Resource":"*""#),
    identity(r#""Effect":"Allow","NotAction":"s3:GetObject","Resource":"*""#)
);
issue!(
    missing_resource,
    MissingResource,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b""#)
);
issue!(
    missing_principal,
    MissingPrincipal,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    resource(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#)
);
issue!(
    unsupported_element_combination,
    UnsupportedElementCombination,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*""#
    ),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some(
        "The policy elements Action and NotAction can not be used in the same statement. Remove one of these elements."
    )
);
issue!(
    unsupported_principal,
    UnsupportedPrincipal,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    scp_syntax_error_principal,
    ScpSyntaxErrorPrincipal,
    ServiceControlPolicy,
    identity(r#""Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    unique_sids_required,
    UniqueSidsRequired,
    IdentityPolicy,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#
);
issue!(
    unique_sids_recommended,
    UniqueSidsRecommended,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Principal":"*","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"A","Principal":"*","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Principal":"*","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Sid":"B","Principal":"*","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#
);
issue!(
    unsupported_sid,
    UnsupportedSid,
    IdentityPolicy,
    identity(r#""Sid":"read objects","Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Sid":"ReadObjects","Effect":"Allow","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    empty_sid_value,
    EmptySidValue,
    IdentityPolicy,
    identity(r#""Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    identity(r#""Sid":"S","Effect":"Allow","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    invalid_principal_format,
    InvalidPrincipalFormat,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":"arn:aws:iam::111122223333:root","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Principal":"*","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
);
issue!(
    invalid_principal_key,
    InvalidPrincipalKey,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"Aws":"111122223333"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"111122223333"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    Some("The principal key Aws is not valid.")
);
issue!(
    unsupported_wildcard_in_principal,
    UnsupportedWildcardInPrincipal,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"*"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
);
issue!(
    invalid_role_reference,
    InvalidRoleReference,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"AROA1234567890EXAMPLE"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
);
issue!(
    invalid_user_reference,
    InvalidUserReference,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"AIDA1234567890EXAMPLE"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":"arn:aws:iam::111122223333:user/U"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
);
issue!(
    empty_object_principal,
    EmptyObjectPrincipal,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    resource(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#)
);
issue!(
    empty_array_principal,
    EmptyArrayPrincipal,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"AWS":[]},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    resource(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#)
);
issue!(
    allow_with_not_principal,
    AllowWithNotPrincipal,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"NotPrincipal":{"AWS":"111122223333"},"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"NotPrincipal":{"AWS":"111122223333"},"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    Some(
        "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead."
    )
);
issue!(
    mismatched_action_for_principal,
    MismatchedActionForPrincipal,
    ResourcePolicy,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"Federated":"accounts.google.com"},"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Principal":{"Federated":"accounts.google.com"},"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}}"#
);
issue!(
    invalid_action,
    InvalidAction,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObjects","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some("The action s3:GetObjects does not exist.")
);
issue!(
    invalid_service_in_action,
    InvalidServiceInAction,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s4:GetObject","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
    Some("The service s4 specified in the action does not exist.")
);
issue!(
    wildcard_in_service_name,
    WildcardInServiceName,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s*:GetObject","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"*:GetObject","Resource":"*""#)
);
issue!(
    redundant_action,
    RedundantAction,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":["iam:Get*","iam:List*","iam:GetCredentialReport"],"Resource":"*""#
    ),
    identity(
        r#""Effect":"Allow","Action":["iam:Get*","iam:List*","iam:*CredentialReport"],"Resource":"*""#
    ),
    Some(
        "The action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: iam:GetCredentialReport."
    )
);
issue!(
    empty_array_action,
    EmptyArrayAction,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":[],"Resource":"*""#),
    identity(r#""Effect":"Allow","Action":["s3:GetObject"],"Resource":"*""#)
);
issue!(
    empty_array_resource,
    EmptyArrayResource,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":[]"#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":["*"]"#)
);
issue!(
    invalid_arn_prefix,
    InvalidArnPrefix,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"aws:s3:::b/*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#)
);
issue!(
    missing_arn_field,
    MissingArnField,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:b""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b""#)
);
issue!(
    invalid_partition,
    InvalidPartition,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:amazon:s3:::b/*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws-cn:s3:::b/*""#)
);
issue!(
    invalid_arn_service_case,
    InvalidArnServiceCase,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:S3:::b/*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#),
    Some("Update the service name S3 in the resource ARN to use all lowercase letters.")
);
issue!(
    invalid_arn_account,
    InvalidArnAccount,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::1234:user/u""#),
    identity(
        r#""Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/u""#
    ),
    Some("The resource ARN account ID 1234 is not valid. Provide a 12-digit account ID.")
);
issue!(
    arn_region_not_allowed,
    ArnRegionNotAllowed,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam:us-east-1:123456789012:user/u""#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/u""#
    ),
    Some("The service iam does not support specifying a Region in the resource ARN.")
);
issue!(
    arn_account_not_allowed,
    ArnAccountNotAllowed,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"controlcatalog:GetControl","Resource":"arn:aws:controlcatalog::123456789012:control/c1""#
    ),
    identity(
        r#""Effect":"Allow","Action":"controlcatalog:GetControl","Resource":"arn:aws:controlcatalog:::control/c1""#
    ),
    Some(
        "The service controlcatalog does not support specifying an account ID in the resource ARN."
    )
);
issue!(
    missing_arn_region,
    MissingArnRegion,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs::123456789012:queue""#
    ),
    identity(
        r#""Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:queue""#
    )
);
issue!(
    invalid_arn_resource,
    InvalidArnResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:person/u""#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/u""#
    )
);
issue!(
    redundant_resource,
    RedundantResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::111122223333:role/jane-admin","arn:aws:iam::111122223333:role/jane*"]"#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::111122223333:role/jane-admin","arn:aws:iam::111122223333:role/john*"]"#
    )
);
issue!(
    variable_unsupported_in_version,
    VariableUnsupportedInVersion,
    IdentityPolicy,
    r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}"#
);
issue!(
    invalid_condition_operator,
    InvalidConditionOperator,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqual":{"aws:username":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"a"}}"#
    ),
    Some("The condition operator StringEqual is not valid. Use a valid condition operator.")
);
issue!(
    invalid_condition_key_format,
    InvalidConditionKeyFormat,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"username":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"a"}}"#
    )
);
issue!(
    invalid_global_condition_key,
    InvalidGlobalConditionKey,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:usename":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"a"}}"#
    ),
    Some("The condition key aws:usename does not exist. Use a valid condition key.")
);
issue!(
    unsupported_global_condition_key,
    UnsupportedGlobalConditionKey,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:ARN":"arn:aws:iam::*:role/x"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}"#
    )
);
issue!(
    missing_tag_key_in_condition,
    MissingTagKeyInCondition,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}"#
    )
);
issue!(
    invalid_service,
    InvalidService,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s4:prefix":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a"}}"#
    ),
    Some("The service s4 does not exist. Use a valid service name.")
);
issue!(
    invalid_service_condition_key,
    InvalidServiceConditionKey,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefixes":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a"}}"#
    ),
    Some(
        "The condition key s3:prefixes does not exist in the service s3. Use a valid condition key."
    )
);
issue!(
    unsupported_action_for_condition_key,
    UnsupportedActionForConditionKey,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":["s3:ListBucket","s3:GetObject"],"Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":["s3:ListBucket"],"Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a"}}"#
    )
);
issue!(
    null_with_if_exists,
    NullWithIfExists,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"aws:username":"true"}}"#
    )
);
issue!(
    null_with_qualifier,
    NullWithQualifier,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:Null":{"aws:TagKeys":"true"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Null":{"aws:TagKeys":"true"}}"#
    )
);
issue!(
    duplicate_keys_with_different_case,
    DuplicateKeysWithDifferentCase,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:UserName":"b"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"a","aws:userid":"b"}}"#
    )
);
issue!(
    invalid_variable_for_operator,
    InvalidVariableForOperator,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"${aws:username}"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/u":"${aws:username}"}}"#
    )
);
issue!(
    missing_qualifier,
    MissingQualifier,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"team"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"team"}}"#
    )
);
issue!(
    forallvalues_with_single_valued_key,
    ForAllValuesWithSingleValuedKey,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:username":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":"a"}}"#
    ),
    Some(
        "Using ForAllValues qualifier with the single-valued condition key aws:username can be overly permissive. We recommend that you remove ForAllValues:."
    )
);
issue!(
    type_mismatch,
    TypeMismatch,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SecureTransport":"true"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#
    ),
    Some(
        "Use the operator type Bool instead of operator StringEquals for the condition key aws:SecureTransport."
    )
);
issue!(
    type_mismatch_boolean,
    TypeMismatchBoolean,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}"#
    )
);
issue!(
    type_mismatch_date,
    TypeMismatchDate,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#
    )
);
issue!(
    type_mismatch_number,
    TypeMismatchNumber,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"an hour"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}"#
    )
);
issue!(
    type_mismatch_ip_range,
    TypeMismatchIpRange,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/33"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#
    )
);
issue!(
    wildcard_without_like_operator,
    WildcardWithoutLikeOperator,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/job":"admin-*"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:PrincipalTag/job":"admin-*"}}"#
    )
);
issue!(
    empty_object_condition,
    EmptyObjectCondition,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}"#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#)
);
issue!(
    empty_array_condition,
    EmptyArrayCondition,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:username":["a"]}}"#
    )
);
issue!(
    empty_array_condition_forallvalues,
    EmptyArrayConditionForAllValues,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":[]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#
    )
);
issue!(
    empty_array_condition_foranyvalue,
    EmptyArrayConditionForAnyValue,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":[]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}"#
    )
);
issue!(
    empty_array_condition_ifexists,
    EmptyArrayConditionIfExists,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:username":[]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:username":["a"]}}"#
    )
);
issue!(
    pass_role_with_star_in_resource,
    PassRoleWithStarInResource,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":["iam:PassRole"],"Resource":"arn:aws:iam::*:*""#),
    identity(
        r#""Effect":"Allow","Action":["iam:PassRole"],"Resource":"arn:aws:iam::416190041142:role/aws_jams_lab_monitoring""#
    ),
    Some(
        "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement."
    )
);
issue!(
    pass_role_with_star_in_action_and_resource,
    PassRoleWithStarInActionAndResource,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"iam:*","Resource":"*""#),
    identity(
        r#""Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}"#
    )
);
issue!(
    pass_role_with_star_in_resource_and_not_action,
    PassRoleWithStarInResourceAndNotAction,
    IdentityPolicy,
    identity(r#""Effect":"Allow","NotAction":"s3:*","Resource":"*""#),
    identity(r#""Effect":"Allow","NotAction":"iam:*","Resource":"*""#)
);
issue!(
    pass_role_with_not_resource,
    PassRoleWithNotResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin""#
    ),
    identity(
        r#""Effect":"Deny","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin""#
    )
);
issue!(
    pass_role_with_star_in_action_and_not_resource,
    PassRoleWithStarInActionAndNotResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:Pass*","NotResource":"arn:aws:iam::111122223333:role/admin""#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:Get*","NotResource":"arn:aws:iam::111122223333:role/admin""#
    )
);
issue!(
    pass_role_with_not_action_and_not_resource,
    PassRoleWithNotActionAndNotResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","NotAction":"s3:*","NotResource":"arn:aws:iam::111122223333:role/admin""#
    ),
    identity(
        r#""Effect":"Allow","NotAction":["iam:PassRole","iam:CreateServiceLinkedRole"],"NotResource":"arn:aws:iam::111122223333:role/admin""#
    )
);
issue!(
    create_slr_with_star_in_resource,
    CreateSlrWithStarInResource,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*""#),
    identity(
        r#""Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"ec2.amazonaws.com"}}"#
    )
);
issue!(
    create_slr_with_star_in_action_and_resource,
    CreateSlrWithStarInActionAndResource,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"iam:Create*","Resource":"*""#),
    identity(r#""Effect":"Allow","Action":"iam:Get*","Resource":"*""#)
);
issue!(
    create_slr_with_star_in_resource_and_not_action,
    CreateSlrWithStarInResourceAndNotAction,
    IdentityPolicy,
    identity(r#""Effect":"Allow","NotAction":"iam:PassRole","Resource":"*""#),
    identity(r#""Effect":"Allow","NotAction":"iam:*","Resource":"*""#)
);
issue!(
    create_slr_with_not_resource,
    CreateSlrWithNotResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:CreateServiceLinkedRole","NotResource":"arn:aws:iam::111122223333:role/x""#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::111122223333:role/aws-service-role/x""#
    )
);
issue!(
    create_slr_with_star_in_action_and_not_resource,
    CreateSlrWithStarInActionAndNotResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:CreateService*","NotResource":"arn:aws:iam::111122223333:role/x""#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:CreateUser","NotResource":"arn:aws:iam::111122223333:role/x""#
    )
);
issue!(
    create_slr_with_not_action_and_not_resource,
    CreateSlrWithNotActionAndNotResource,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","NotAction":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/x""#
    ),
    identity(
        r#""Effect":"Allow","NotAction":"iam:Create*","NotResource":"arn:aws:iam::111122223333:role/x""#
    )
);
issue!(
    redundant_statement,
    RedundantStatement,
    IdentityPolicy,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"B","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#
);

issue!(
    invalid_condition_multiple_boolean,
    InvalidConditionMultipleBoolean,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":["true","false"]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":["true"]}}"#
    ),
    Some(
        "The condition key aws:SecureTransport does not support multiple Boolean values. Use a single Boolean value."
    )
);
issue!(
    redundant_condition_value_num,
    RedundantConditionValueNum,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":["2700","3600"]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericEquals":{"aws:MultiFactorAuthAge":["2700","3600"]}}"#
    ),
    Some(
        "Multiple values in NumericLessThan are redundant. Replace with the greatest single value for aws:MultiFactorAuthAge."
    )
);
issue!(
    private_ip_address,
    PrivateIpAddress,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:VpcSourceIp":["10.0.0.0/8","192.168.0.0/16"]}}"#
    )
);
issue!(
    private_not_ip_address,
    PrivateNotIpAddress,
    IdentityPolicy,
    identity(
        r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"172.16.0.0/12"}}"#
    ),
    identity(
        r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#
    )
);
issue!(
    private_ip_address_subset,
    PrivateIpAddressSubset,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}"#
    )
);
issue!(
    private_not_ip_address_subset,
    PrivateNotIpAddressSubset,
    IdentityPolicy,
    identity(
        r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#
    ),
    identity(
        r#""Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}"#
    )
);
issue!(
    improve_ip_range,
    ImproveIpRange,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.7/24"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#
    ),
    Some(
        "The non-zero bits in the IP address after the masked bits are ignored. Replace address 203.0.113.7/24 with 203.0.113.0/24."
    )
);
issue!(
    deny_with_unsupported_tag_condition_key_for_service,
    DenyWithUnsupportedTagConditionKeyForService,
    IdentityPolicy,
    identity(
        r#""Effect":"Deny","Action":["appmesh:DeleteMesh","cloudshell:DeleteEnvironment"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/status":"Confidential"}}"#
    ),
    identity(
        r#""Effect":"Deny","Action":["appmesh:DeleteMesh","backup:DeleteBackupPlan"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/status":"Confidential"}}"#
    ),
    Some(
        "Using the effect Deny with the tag condition key and actions for services with the following prefixes can be overly permissive: cloudshell. Actions for the listed services are not denied by this statement. We recommend that you move these actions to a different statement without this condition key."
    )
);
issue!(
    deny_notaction_with_unsupported_tag_condition_key_for_service,
    DenyNotActionWithUnsupportedTagConditionKeyForService,
    IdentityPolicy,
    identity(
        r#""Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/status":"Confidential"}}"#
    ),
    identity(
        r#""Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/status":"Confidential"}}"#
    )
);
issue!(
    allow_with_unsupported_tag_condition_key_for_service,
    AllowWithUnsupportedTagConditionKeyForService,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":["appmesh:DescribeMesh","cloudshell:GetEnvironmentStatus"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"BumbleBee"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":["appmesh:DescribeMesh","backup:GetBackupPlan"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"BumbleBee"}}"#
    )
);
issue!(
    allow_notaction_with_unsupported_tag_condition_key_for_service,
    AllowNotActionWithUnsupportedTagConditionKeyForService,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","NotAction":"iam:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}"#
    )
);

issue!(
    variable_unsupported_in_element,
    VariableUnsupportedInElement,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:${aws:username}","Resource":"*""#),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}""#
    )
);
issue!(
    missing_brace_in_variable,
    MissingBraceInVariable,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username/*""#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*""#
    )
);
issue!(
    empty_variable,
    EmptyVariable,
    IdentityPolicy,
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${}/*""#),
    identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}/*""#)
);
issue!(
    unsupported_space_in_variable,
    UnsupportedSpaceInVariable,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws: username}/*""#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username, 'a b'}/*""#
    )
);
issue!(
    missing_quote_in_variable,
    MissingQuoteInVariable,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:username, anonymous}"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:username, 'anonymous'}"}}"#
    )
);

#[test]
fn a_variable_is_located_by_a_substring() {
    let doc =
        identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${}/x""#);
    let f = run(&doc, IdentityPolicy)
        .into_iter()
        .find(|f| f.issue_code == IssueCode::EmptyVariable)
        .unwrap();
    let start = doc.find("${}").unwrap();
    assert_eq!(
        f.locations,
        vec![Location {
            path: vec![
                value("Statement"),
                PathElement::Index(0),
                value("Resource"),
                PathElement::Substring {
                    start: 15,
                    length: 3
                }
            ],
            span: Span {
                start: at(1, start, start),
                end: at(1, start + 3, start + 3)
            }
        }]
    );
}

issue!(
    unsupported_action_in_policy,
    UnsupportedActionInPolicy,
    ValidatePolicyResourceType::S3Bucket,
    resource(
        r#""Effect":"Allow","Action":["s3:GetObject","sqs:SendMessage"],"Resource":"arn:aws:s3:::b/*""#
    ),
    resource(
        r#""Effect":"Allow","Action":["s3:GetObject","s3:Put*"],"Resource":"arn:aws:s3:::b/*""#
    ),
    Some(
        "The action sqs:SendMessage is not supported for the resource-based policy attached to the resource type AWS::S3::Bucket."
    )
);
issue!(
    unsupported_resource_arn_in_policy,
    UnsupportedResourceArnInPolicy,
    ValidatePolicyResourceType::DynamoDbTable,
    resource(r#""Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:s3:::b""#),
    resource(
        r#""Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/T""#
    )
);

#[test]
fn trust_policies_take_only_trust_actions() {
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":{action}}}}}"#
        )
    };
    let trust = |action: &str| -> Vec<IssueCode> {
        validate_policy(
            &doc(action),
            ResourcePolicy,
            Some(ValidatePolicyResourceType::IamAssumeRolePolicyDocument),
            Catalogue::aws(),
        )
        .iter()
        .map(|f| f.issue_code)
        .collect()
    };
    assert_eq!(trust(r#"["sts:AssumeRole","sts:TagSession"]"#), vec![]);
    assert_eq!(trust(r#""sts:Assume*""#), vec![]);
    assert_eq!(
        trust(r#"["sts:AssumeRole","s3:GetObject"]"#),
        vec![IssueCode::UnsupportedActionInPolicy]
    );
    assert_eq!(
        trust(r#""sts:GetCallerIdentity""#),
        vec![IssueCode::UnsupportedActionInPolicy]
    );
}

issue!(
    invalid_date_value,
    InvalidDateValue,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"1735689600"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2025-01-01"}}"#
    ),
    Some(
        "The date 1735689600 might not resolve as expected. We recommend that you use the YYYY-MM-DD format."
    )
);

issue!(
    invalid_service_principal_format,
    InvalidServicePrincipalFormat,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/r","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/r","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}"#
    ),
    Some(
        "The service principal ecs-tasks does not match the expected format. Use the service-name.amazonaws.com format."
    )
);
issue!(
    missing_paired_condition_keys,
    MissingPairedConditionKeys,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/16"}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/16"},"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}"#
    ),
    Some(
        "Using the condition key aws:VpcSourceIp can be overly permissive without also using the following condition keys: aws:SourceVpc. Condition keys like this one are more secure when paired with a related key. We recommend that you add the related condition keys to the same condition block."
    )
);

issue!(
    invalid_condition_data_type,
    InvalidConditionDataType,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":[3600,"7200"]}}"#
    ),
    identity(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":["3600","7200"]}}"#
    )
);
issue!(
    policy_size_exceeds_identity_policy_quota,
    PolicySizeExceedsIdentityPolicyQuota,
    IdentityPolicy,
    identity(&format!(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::{}"]"#,
        "b".repeat(6_144)
    )),
    identity(&format!(
        r#""Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::{}{}"]"#,
        "b".repeat(6_000),
        " ".repeat(500)
    ))
);
issue!(
    policy_size_exceeds_scp_quota,
    PolicySizeExceedsScpQuota,
    ServiceControlPolicy,
    identity(&format!(
        r#""Effect":"Deny","Action":"s3:GetObject","Resource":["arn:aws:s3:::{}"]"#,
        "b".repeat(5_120)
    )),
    identity(&format!(
        r#""Effect":"Deny","Action":"s3:GetObject","Resource":["arn:aws:s3:::{}"]"#,
        "b".repeat(5_000)
    ))
);

issue!(
    invalid_arn_region,
    InvalidArnRegion,
    IdentityPolicy,
    identity(
        r#""Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east:111122223333:q""#
    ),
    identity(
        r#""Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-gov-east-1:111122223333:q""#
    ),
    Some(
        "The Region us-east is not valid for this resource. Update the resource ARN to include a supported Region."
    )
);
issue!(
    invalid_region,
    InvalidRegion,
    IdentityPolicy,
    identity(
        r#""Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1a"]}}"#
    ),
    identity(
        r#""Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eusc-de-east-1"]}}"#
    ),
    Some("The Region us-east-1a is not valid. Update the condition value to a suported Region.")
);

#[test]
fn every_issue_code_has_a_test_above() {
    // The second argument of each `issue!(name, Code, …)` in this file.
    let tested: Vec<&str> = include_str!("validate.rs")
        .split("issue!(")
        .skip(1)
        .filter_map(|call| {
            call.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|t| !t.is_empty())
                .nth(1)
        })
        .collect();
    for code in IssueCode::ALL {
        let variant = format!("{code:?}");
        assert!(tested.contains(&variant.as_str()), "no test for {code}");
    }
}

// ---------------------------------------------------------------------------------------
// Policy types and resource types.

#[test]
fn policy_types_decide_principal_and_resource_rules() {
    let no_resource = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;
    assert_eq!(codes(no_resource, ResourcePolicy), vec![]);
    let trust = validate_policy(
        no_resource,
        ResourcePolicy,
        Some(ValidatePolicyResourceType::IamAssumeRolePolicyDocument),
        Catalogue::aws(),
    );
    assert_eq!(trust, vec![]);
    let bucket = validate_policy(
        no_resource,
        ResourcePolicy,
        Some(ValidatePolicyResourceType::S3Bucket),
        Catalogue::aws(),
    );
    assert_eq!(
        bucket.iter().map(|f| f.issue_code).collect::<Vec<_>>(),
        vec![
            IssueCode::MissingResource,
            IssueCode::UnsupportedActionInPolicy
        ]
    );
    // The resource type is read for resource policies only.
    let ignored = validate_policy(
        &identity(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"*""#),
        IdentityPolicy,
        Some(ValidatePolicyResourceType::S3Bucket),
        Catalogue::aws(),
    );
    assert_eq!(ignored, vec![]);
    let rcp = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abc"}}}}"#;
    assert_eq!(codes(rcp, ResourceControlPolicy), vec![]);
    assert_eq!(
        PolicyType::from_name("SERVICE_CONTROL_POLICY"),
        Some(ServiceControlPolicy)
    );
    assert_eq!(
        ValidatePolicyResourceType::from_name("AWS::DynamoDB::Table").map(|t| t.as_str()),
        Some("AWS::DynamoDB::Table")
    );
}

#[test]
fn federated_provider_keys_are_accepted() {
    let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:ns:sa","token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}}"#;
    assert_eq!(codes(doc, ResourcePolicy), vec![]);
}

#[test]
fn a_large_policy_reports_each_repetition() {
    let statement = r#"{"Effect":"Deny","Action":["*","s3:*","*:Get*"],"Resource":"*"}"#;
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        vec![statement; 300].join(",")
    );
    let findings = run(&doc, IdentityPolicy);
    let count = |code| findings.iter().filter(|f| f.issue_code == code).count();
    // In each statement `*` covers the two others; every statement after the first repeats it.
    assert_eq!(count(IssueCode::RedundantAction), 600);
    assert_eq!(count(IssueCode::RedundantStatement), 299);
    // 300 statements are far beyond the identity-policy quota.
    assert_eq!(count(IssueCode::PolicySizeExceedsIdentityPolicyQuota), 1);
    assert_eq!(findings.len(), 900);
}

// ---------------------------------------------------------------------------------------
// Totality.

mod totality {
    use super::*;
    use proptest::prelude::*;

    const SEEDS: [&str; 4] = [
        CLI_EXAMPLE,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["iam:PassRole","s3:Get*"],"Resource":["*","arn:aws:s3:::b/${aws:username}"],"Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}}]}"#,
        r#"{"Statement":{"NotPrincipal":{"AWS":["AROA1234567890EXAMPLE"]},"Effect":"Allow","NotAction":"*","NotResource":"arn:aws:iam::1:role/é"}}"#,
        r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Deny","Principal":{"Service":["a","b*"]},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8"]},"Null":{"aws:x":true}}}]}"#,
    ];

    fn all_types(doc: &str) {
        for t in [
            IdentityPolicy,
            ResourcePolicy,
            ServiceControlPolicy,
            ResourceControlPolicy,
        ] {
            for f in validate_policy(
                doc,
                t,
                Some(ValidatePolicyResourceType::S3Bucket),
                Catalogue::aws(),
            ) {
                assert_eq!(f.finding_type, f.issue_code.finding_type());
                for l in &f.locations {
                    assert!(l.span.start.offset <= l.span.end.offset);
                    assert!(l.span.end.offset <= doc.chars().count());
                }
            }
        }
    }

    /// Pools of element values, valid and not, for generated policies.
    fn element() -> impl Strategy<Value = (&'static str, serde_json::Value)> {
        use serde_json::json;
        prop_oneof![
            Just(("Sid", json!(""))),
            Just(("Sid", json!("Read Only"))),
            Just(("Effect", json!("Allow"))),
            Just(("Effect", json!("Deny"))),
            Just(("Effect", json!("allow"))),
            Just(("Effect", json!(["Allow"]))),
            Just(("Principal", json!("*"))),
            Just((
                "Principal",
                json!({"AWS": ["AIDA1234567890EXAMPLE", "arn:aws:iam::1:user/*"]})
            )),
            Just((
                "Principal",
                json!({"Federated": "cognito-identity.amazonaws.com", "Bad": []})
            )),
            Just(("NotPrincipal", json!({"AWS": "111122223333"}))),
            Just(("Action", json!("iam:PassRole"))),
            Just((
                "Action",
                json!([
                    "s3:GetObject",
                    "s3:Get*",
                    "s4:Nope",
                    "sts:AssumeRole",
                    "sts:TagSession",
                    "s3:${x}"
                ])
            )),
            Just(("Action", json!([]))),
            Just(("NotAction", json!(["iam:*"]))),
            Just(("Resource", json!("*"))),
            Just((
                "Resource",
                json!([
                    "arn:aws:s3:::b/${aws:username}",
                    "arn:aws:S3:::b",
                    "arn:aws:iam:us-east-1:1234:user/x",
                    "x",
                    7
                ])
            )),
            Just(("NotResource", json!("arn:aws:iam::111122223333:role/r"))),
            Just(("Condition", json!({}))),
            Just((
                "Condition",
                json!({"StringEquals": {"aws:SecureTransport": "true", "aws:usename": [], "cognito-identity.amazonaws.com:aud": "x"}})
            )),
            Just((
                "Condition",
                json!({"ForAllValues:StringLike": {"aws:username": ["a*"], "s3:prefix": "p"}, "IpAddress": {"aws:SourceIp": ["10.0.0.1/8", "203.0.113.0/33"]}})
            )),
            Just((
                "Condition",
                json!({"NumericLessThan": {"aws:MultiFactorAuthAge": ["1", "x"]}, "Bogus": {"a:b": "c"}})
            )),
            Just(("Actoin", json!("s3:GetObject"))),
        ]
    }

    fn policy() -> impl Strategy<Value = String> {
        let statement = proptest::collection::vec(element(), 0..7).prop_map(|pairs| {
            serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        });
        (
            any::<bool>(),
            proptest::collection::vec(statement, 1..4),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(version, statements, single, pretty)| {
                let mut doc = serde_json::Map::new();
                if version {
                    doc.insert("Version".into(), "2012-10-17".into());
                }
                let statement = match (single, statements.first()) {
                    (true, Some(first)) => first.clone(),
                    _ => serde_json::Value::Array(statements),
                };
                doc.insert("Statement".into(), statement);
                let doc = serde_json::Value::Object(doc);
                if pretty {
                    serde_json::to_string_pretty(&doc).unwrap_or_default()
                } else {
                    serde_json::to_string(&doc).unwrap_or_default()
                }
            })
    }

    /// The node a path names in `doc`, and whether the path ends at a key.
    fn follow<'v>(
        doc: &'v serde_json::Value,
        path: &[PathElement],
    ) -> Option<&'v serde_json::Value> {
        let mut node = doc;
        for step in path {
            node = match step {
                PathElement::Value(k) => node.get(k.as_str())?,
                PathElement::Index(i) => node.get(*i)?,
                PathElement::Key(_) | PathElement::Substring { .. } => return None,
            };
        }
        Some(node)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every location's span is the text of the JSON node its path names: a value or
        /// array element is that node, a key is that key's string, a substring lies in its
        /// string.
        #[test]
        fn spans_are_the_nodes_their_paths_name(doc in policy()) {
            let tree: serde_json::Value = serde_json::from_str(&doc).unwrap();
            let chars: Vec<char> = doc.chars().collect();
            for t in [IdentityPolicy, ResourcePolicy, ServiceControlPolicy, ResourceControlPolicy] {
                for f in run(&doc, t) {
                    for l in &f.locations {
                        let text: String = chars[l.span.start.offset..l.span.end.offset].iter().collect();
                        let (last, parent) = match l.path.split_last() {
                            Some(split) => split,
                            None => {
                                prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), tree.clone());
                                continue;
                            }
                        };
                        match last {
                            PathElement::Key(k) => {
                                prop_assert_eq!(serde_json::from_str::<String>(&text).unwrap(), k.clone());
                                prop_assert!(follow(&tree, parent).and_then(|p| p.get(k.as_str())).is_some());
                            }
                            PathElement::Substring { start, length } => {
                                let whole = follow(&tree, parent).and_then(|v| v.as_str()).unwrap();
                                let part: String = whole.chars().skip(*start).take(*length).collect();
                                prop_assert_eq!(text, part);
                            }
                            _ => {
                                let node = follow(&tree, &l.path).unwrap();
                                prop_assert_eq!(&serde_json::from_str::<serde_json::Value>(&text).unwrap(), node, "{:?}", f);
                            }
                        }
                        // Lines and columns agree with offsets.
                        let before: String = chars[..l.span.start.offset].iter().collect();
                        prop_assert_eq!(l.span.start.line, before.matches('\n').count() + 1);
                        prop_assert_eq!(l.span.start.column, before.rsplit('\n').next().unwrap().chars().count());
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_text_gives_findings(doc in ".{0,200}") {
            all_types(&doc);
        }

        #[test]
        fn mutated_policies_give_findings(
            seed in 0usize..SEEDS.len(),
            cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), ".{0,3}"), 1..4),
        ) {
            let mut doc: Vec<char> = SEEDS[seed].chars().collect();
            for (at, len, insert) in cuts {
                let start = at.index(doc.len() + 1);
                let end = (start + len.index(4)).min(doc.len());
                doc.splice(start..end, insert.chars());
            }
            let doc: String = doc.into_iter().collect();
            all_types(&doc);
        }
    }
}
