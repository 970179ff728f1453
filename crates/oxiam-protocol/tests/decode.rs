//! Request decoding: the AWS Query encodings of lists, maps and nested structures, and the
//! model's constraints reported as AWS reports them.

#![expect(
    clippy::unwrap_used,
    reason = "test code: a failed expectation should fail the test loudly"
)]

use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_protocol::query::Params;
use oxiam_protocol::{iam, sts};

fn iam(query: &str) -> Result<iam::Request, ApiError> {
    iam::Request::decode(&Params::parse(query.as_bytes()).unwrap())
}

fn sts(query: &str) -> Result<sts::Request, ApiError> {
    sts::Request::decode(&Params::parse(query.as_bytes()).unwrap())
}

/// The message of the `ValidationError` a request must fail with.
fn validation(result: Result<iam::Request, ApiError>) -> String {
    let err = result.unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError, "{err}");
    err.message
}

fn tag(key: &str, value: &str) -> iam::Tag {
    iam::Tag {
        key: key.into(),
        value: value.into(),
    }
}

#[test]
fn create_user_with_nested_list_of_structures() {
    let request = iam(
        "Action=CreateUser&Version=2010-05-08&UserName=bob&Path=%2Fteam%2F\
         &Tags.member.1.Key=dept&Tags.member.1.Value=eng\
         &Tags.member.2.Key=cost+center&Tags.member.2.Value=4%2B2",
    )
    .unwrap();
    assert_eq!(request.operation(), iam::Operation::CreateUser);
    assert_eq!(
        request,
        iam::Request::CreateUser(iam::CreateUserRequest {
            path: Some("/team/".into()),
            user_name: "bob".into(),
            permissions_boundary: None,
            tags: Some(vec![tag("dept", "eng"), tag("cost center", "4+2")]),
        })
    );
}

#[test]
fn list_items_are_ordered_by_index_not_by_wire_position() {
    let mut query = String::from("Action=TagUser&UserName=bob");
    for n in [10, 2, 1, 11, 3, 4, 5, 6, 7, 8, 9] {
        query.push_str(&format!(
            "&Tags.member.{n}.Key=k{n}&Tags.member.{n}.Value=v{n}"
        ));
    }
    let iam::Request::TagUser(request) = iam(&query).unwrap() else {
        panic!("not TagUser");
    };
    let keys: Vec<&str> = request.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11"
        ]
    );
}

#[test]
fn list_of_strings_and_empty_list() {
    let iam::Request::UntagUser(request) =
        iam("Action=UntagUser&UserName=bob&TagKeys.member.1=a&TagKeys.member.2=b").unwrap()
    else {
        panic!("not UntagUser");
    };
    assert_eq!(request.tag_keys, ["a", "b"]);

    // botocore sends an empty list as `Name=`.
    let iam::Request::CreateUser(request) = iam("Action=CreateUser&UserName=bob&Tags=").unwrap()
    else {
        panic!("not CreateUser");
    };
    assert_eq!(request.tags, Some(vec![]));

    // A required list sent empty is present (not null): an empty Vec.
    let iam::Request::UntagUser(request) = iam("Action=UntagUser&UserName=bob&TagKeys=").unwrap()
    else {
        panic!("not UntagUser");
    };
    assert!(request.tag_keys.is_empty());
    assert_eq!(
        validation(iam("Action=UntagUser&UserName=bob")),
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn maps_of_strings_and_of_structures() {
    let iam::Request::PutAccountProperties(request) = iam(
        "Action=PutAccountProperties&Properties.entry.1.key=color&Properties.entry.1.value=blue\
         &Properties.entry.2.key=size&Properties.entry.2.value=XL",
    )
    .unwrap() else {
        panic!("not PutAccountProperties");
    };
    let pairs: Vec<(&str, &str)> = request
        .properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(pairs, [("color", "blue"), ("size", "XL")]);

    let iam::Request::AcquireRole(request) = iam(
        "Action=AcquireRole&TemplateArn=arn:aws:iam::123456789012:role-template/t\
         &ReplacementValues.entry.1.key=bucket\
         &ReplacementValues.entry.1.value.Values.member.1=a\
         &ReplacementValues.entry.1.value.Values.member.2=b",
    )
    .unwrap() else {
        panic!("not AcquireRole");
    };
    let values = request.replacement_values.unwrap();
    assert_eq!(values["bucket"].values, ["a", "b"]);

    let message = validation(iam(
        "Action=PutAccountProperties&Properties.entry.1.key=9lives&Properties.entry.1.value=x",
    ));
    assert_eq!(
        message,
        "1 validation error detected: Value '9lives' at 'properties.1.key' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: ^[A-Za-z][A-Za-z0-9/_-]*$"
    );
}

#[test]
fn operations_without_input_are_unit_variants() {
    let request = iam("Action=GetAccountSummary&Version=2010-05-08").unwrap();
    assert_eq!(
        request,
        iam::Request::GetAccountSummary(iam::GetAccountSummaryRequest)
    );
    assert_eq!(request.operation(), iam::Operation::GetAccountSummary);
}

#[test]
fn required_member_missing() {
    assert_eq!(
        validation(iam("Action=CreateUser")),
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: \
         Member must not be null"
    );
}

#[test]
fn pattern_violation_is_worded_as_aws() {
    assert_eq!(
        validation(iam("Action=CreateUser&UserName=a+b")),
        "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
}

#[test]
fn length_violations() {
    let long = "a".repeat(65);
    assert_eq!(
        validation(iam(&format!("Action=CreateUser&UserName={long}"))),
        format!(
            "1 validation error detected: Value '{long}' at 'userName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        )
    );
    // An empty name breaks both the minimum length and the pattern: both are reported.
    assert_eq!(
        validation(iam("Action=CreateUser&UserName=")),
        "2 validation errors detected: Value '' at 'userName' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value '' at 'userName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
}

#[test]
fn length_counts_characters_not_bytes() {
    // 64 two-byte characters are 64 characters long: within UserName's maximum, but not
    // matching its ASCII pattern.
    let name = "é".repeat(64);
    let message = validation(iam(&format!("Action=CreateUser&UserName={name}")));
    assert!(
        message.starts_with("1 validation error detected:"),
        "{message}"
    );
    assert!(message.ends_with("pattern: [\\w+=,.@-]+"), "{message}");
}

#[test]
fn enum_violation() {
    assert_eq!(
        validation(iam(
            "Action=UpdateAccessKey&AccessKeyId=AKIAIOSFODNN7EXAMPLE&Status=Enabled"
        )),
        "1 validation error detected: Value at 'status' failed to satisfy constraint: \
         Member must satisfy enum value set"
    );
}

#[test]
fn integer_range_and_syntax() {
    assert_eq!(
        validation(iam("Action=ListUsers&MaxItems=0")),
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        validation(iam("Action=ListUsers&MaxItems=1001")),
        "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: \
         Member must have value less than or equal to 1000"
    );
    // A value that is not a number at all fails deserialization, before any constraint:
    // AWS's query deserializer answers MalformedInput.
    for bad in ["abc", "1.5", "99999999999", ""] {
        let err = iam(&format!("Action=ListUsers&MaxItems={bad}&Marker=")).unwrap_err();
        assert_eq!(err.code, ErrorCode::MalformedInput, "{bad}");
        assert_eq!(
            err.message,
            format!("Invalid integer value '{bad}' for parameter MaxItems")
        );
    }
    let iam::Request::ListUsers(request) = iam("Action=ListUsers&MaxItems=1000&Marker=m").unwrap()
    else {
        panic!("not ListUsers");
    };
    assert_eq!(request.max_items, Some(1000));
    assert_eq!(request.marker.as_deref(), Some("m"));
}

#[test]
fn booleans() {
    let iam::Request::UpdateAccountPasswordPolicy(request) = iam(
        "Action=UpdateAccountPasswordPolicy&RequireSymbols=true&RequireNumbers=False&MaxPasswordAge=90",
    )
    .unwrap() else {
        panic!("not UpdateAccountPasswordPolicy");
    };
    assert_eq!(request.require_symbols, Some(true));
    assert_eq!(request.require_numbers, Some(false));
    assert_eq!(request.max_password_age, Some(90));
    assert_eq!(request.hard_expiry, None);
    let err = iam("Action=UpdateAccountPasswordPolicy&HardExpiry=yes").unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedInput);
    assert_eq!(
        err.message,
        "Invalid boolean value 'yes' for parameter HardExpiry"
    );
}

#[test]
fn scalar_sent_as_a_list_is_malformed() {
    let err = iam("Action=GetUser&UserName.1=alice").unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedInput);
    assert_eq!(
        err.message,
        "Start of list found where not expected for parameter UserName"
    );
    // Malformed input wins over constraint violations found in the same request.
    let err = iam("Action=CreateUser&UserName.member.1=a&Path=bad").unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedInput);
}

#[test]
fn list_length_and_nested_member_paths() {
    let mut query = String::from("Action=CreateUser&UserName=bob");
    for n in 1..=51 {
        query.push_str(&format!(
            "&Tags.member.{n}.Key=k{n}&Tags.member.{n}.Value=v"
        ));
    }
    assert_eq!(
        validation(iam(&query)),
        "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must \
         have length less than or equal to 50"
    );
    assert_eq!(
        validation(iam(
            "Action=CreateUser&UserName=bob&Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.2.Value=c"
        )),
        "1 validation error detected: Value null at 'tags.2.member.key' failed to satisfy \
         constraint: Member must not be null"
    );
}

#[test]
fn list_minimum_length_quotes_lists_of_strings() {
    let arn = "Action=ListPoliciesGrantingServiceAccess&Arn=arn:aws:iam::123456789012:user/x";
    assert_eq!(
        validation(iam(&format!("{arn}&ServiceNamespaces="))),
        "1 validation error detected: Value '[]' at 'serviceNamespaces' failed to satisfy \
         constraint: Member must have length greater than or equal to 1"
    );
    let mut query = arn.to_owned();
    for n in 1..=201 {
        query.push_str(&format!("&ServiceNamespaces.member.{n}=s{n}"));
    }
    let message = validation(iam(&query));
    assert!(
        message.starts_with("1 validation error detected: Value '[s1, s2, s3, "),
        "{message}"
    );
    assert!(
        message.ends_with(
            ", s201]' at 'serviceNamespaces' failed to satisfy constraint: Member \
         must have length less than or equal to 200"
        ),
        "{message}"
    );
}

#[test]
fn several_violations_are_aggregated_in_member_order() {
    assert_eq!(
        validation(iam(
            "Action=CreateUser&PermissionsBoundary=arn&UserName=a+b&Tags.member.1.Key=k"
        )),
        "3 validation errors detected: Value 'a b' at 'userName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+; Value 'arn' at \
         'permissionsBoundary' failed to satisfy constraint: Member must have length greater \
         than or equal to 20; Value null at 'tags.1.member.value' failed to satisfy \
         constraint: Member must not be null"
    );
}

#[test]
fn a_path_outside_its_pattern_is_said_in_iams_own_words() {
    // Recorded from AWS (CreateRole, CreateUser; ListRoles' prefix): not a constraint
    // violation, and it is the answer even when other members are wrong too.
    assert_eq!(
        validation(iam("Action=CreateUser&Path=nopath/&UserName=a+b")),
        "The specified value for path is invalid. It must begin and end with / and contain \
         only alphanumeric characters and/or / characters."
    );
    assert_eq!(
        validation(iam("Action=ListRoles&PathPrefix=example_path")),
        "The specified value for pathPrefix is invalid. It must begin with the / character and \
         contain only alphanumeric characters and/or / characters."
    );
}

#[test]
fn sensitive_values_are_left_out_of_messages() {
    let message = validation(iam(
        "Action=ChangePassword&OldPassword=&NewPassword=hunter2",
    ));
    assert_eq!(
        message,
        "2 validation errors detected: Value at 'oldPassword' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value at 'oldPassword' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: \
         [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
    );
    assert!(!message.contains("hunter2"));
}

#[test]
fn sensitive_members_are_redacted_in_debug_output() {
    let iam::Request::ChangePassword(request) =
        iam("Action=ChangePassword&OldPassword=old-secret&NewPassword=new-secret").unwrap()
    else {
        panic!("not ChangePassword");
    };
    assert_eq!(request.old_password, "old-secret");
    let debug = format!("{request:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("***"), "{debug}");

    let credentials = sts::Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: "wJalrXUtnFEMI".into(),
        session_token: "FwoGZXIvYXdzEBY".into(),
        expiration: Default::default(),
    };
    let debug = format!("{credentials:?}");
    assert!(debug.contains("ASIAEXAMPLE"), "{debug}");
    assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
    assert!(
        !debug.contains("FwoGZXIvYXdzEBY"),
        "session tokens are secrets too: {debug}"
    );
}

#[test]
fn missing_unknown_and_misversioned_actions() {
    for query in ["UserName=bob", "Action=&UserName=bob"] {
        let err = iam(query).unwrap_err();
        assert_eq!(err.code, ErrorCode::MissingAction, "{query}");
    }
    let err = iam("Action=CreateUsers&Version=2010-05-08").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidAction);
    assert_eq!(
        err.message,
        "Could not find operation CreateUsers for version 2010-05-08"
    );
    let err = iam("Action=CreateUser&Version=2011-06-15&UserName=bob").unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidAction);
    assert_eq!(
        err.message,
        "Could not find operation CreateUser for version 2011-06-15"
    );
    // An STS action sent to IAM is unknown there, and the other way round.
    assert_eq!(
        iam("Action=GetCallerIdentity").unwrap_err().code,
        ErrorCode::InvalidAction
    );
    assert_eq!(
        sts("Action=ListUsers&Version=2011-06-15").unwrap_err().code,
        ErrorCode::InvalidAction
    );
    // Action names are case-sensitive.
    assert_eq!(
        iam("Action=createuser&UserName=bob").unwrap_err().code,
        ErrorCode::InvalidAction
    );
}

#[test]
fn sts_assume_role_with_policy_arns_tags_and_durations() {
    let sts::Request::AssumeRole(request) = sts(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/demo\
         &RoleSessionName=s1&DurationSeconds=3600\
         &PolicyArns.member.1.arn=arn:aws:iam::aws:policy/ReadOnlyAccess\
         &Tags.member.1.Key=project&Tags.member.1.Value=x\
         &TransitiveTagKeys.member.1=project",
    )
    .unwrap() else {
        panic!("not AssumeRole");
    };
    assert_eq!(request.role_arn, "arn:aws:iam::123456789012:role/demo");
    assert_eq!(request.role_session_name, "s1");
    assert_eq!(request.duration_seconds, Some(3600));
    assert_eq!(
        request.policy_arns.unwrap()[0].arn.as_deref(),
        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
    );
    assert_eq!(request.tags.unwrap()[0].key, "project");
    assert_eq!(
        request.transitive_tag_keys,
        Some(vec!["project".to_owned()])
    );

    let err = sts("Action=AssumeRole&RoleArn=arn:aws:iam::123456789012:role/demo&RoleSessionName=s1&DurationSeconds=60").unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationError);
    assert_eq!(
        err.message,
        "1 validation error detected: Value '60' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value greater than or equal to 900"
    );
    assert_eq!(
        sts("Action=GetCallerIdentity").unwrap(),
        sts::Request::GetCallerIdentity(sts::GetCallerIdentityRequest {})
    );
}

#[test]
fn operation_names_round_trip() {
    let mut names: Vec<&str> = iam::Operation::ALL.iter().map(|o| o.name()).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "names are unique");
    for &op in iam::Operation::ALL {
        assert_eq!(iam::Operation::from_name(op.name()), Some(op));
    }
    for &op in sts::Operation::ALL {
        assert_eq!(sts::Operation::from_name(op.name()), Some(op));
    }
    assert!(iam::Operation::ALL.contains(&iam::Operation::CreateUser));
    assert!(sts::Operation::ALL.contains(&sts::Operation::AssumeRole));
}

#[test]
fn every_operation_decodes_or_reports_its_missing_members() {
    // With only `Action`, each operation either decodes (no required members) or fails with
    // a ValidationError naming the null members; never anything else.
    for &op in iam::Operation::ALL {
        match iam(&format!("Action={}", op.name())) {
            Ok(request) => assert_eq!(request.operation(), op),
            Err(err) => {
                assert_eq!(err.code, ErrorCode::ValidationError, "{op:?}");
                assert!(
                    err.message.contains("Member must not be null"),
                    "{op:?}: {err}"
                );
            }
        }
    }
    for &op in sts::Operation::ALL {
        match sts(&format!("Action={}", op.name())) {
            Ok(request) => assert_eq!(request.operation(), op),
            Err(err) => assert_eq!(err.code, ErrorCode::ValidationError, "{op:?}"),
        }
    }
}
