//! Handler tests: the catalogue read back, a role made from a template, and each refusal.

use std::collections::BTreeMap;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::*;
use crate::auth::authn::Caller;
use crate::ops::iam::test_support::{as_root, empty_tx};

const ACCOUNT: &str = "123456789012";
const POWER: &str = "arn:aws:iam::aws:role-template/iam.amazonaws.com/PowerUserRoleTemplate:1";
/// Replacement values: each parameter's name and values.
type Values<'a> = &'a [(&'a str, &'a [&'a str])];

const EXAMPLE: &str = "arn:aws:iam::aws:role-template/awsserviceprincipal/Example:1";

fn acquire_request(arn: &str, values: &[(&str, &[&str])]) -> iam::AcquireRoleRequest {
    let map: BTreeMap<String, iam::ReplacementValueEntry> = values
        .iter()
        .map(|(k, v)| {
            (
                (*k).to_owned(),
                iam::ReplacementValueEntry {
                    values: v.iter().map(|s| (*s).to_owned()).collect(),
                },
            )
        })
        .collect();
    iam::AcquireRoleRequest {
        template_arn: arn.to_owned(),
        template_minor_version: None,
        replacement_values: (!map.is_empty()).then_some(map),
    }
}

fn power(name: &str) -> iam::AcquireRoleRequest {
    acquire_request(
        POWER,
        &[
            ("RoleName", &[name]),
            ("AWSServiceName", &["lambda.amazonaws.com"]),
        ],
    )
}

#[test]
fn get_role_template_version_returns_the_default_or_named_minor_version() {
    let mut tx = empty_tx();
    let get = |tx: &mut Tx, minor| {
        as_root(ACCOUNT, tx, |ctx, tx| {
            get_role_template_version(
                ctx,
                tx,
                &iam::GetRoleTemplateVersionRequest {
                    template_arn: EXAMPLE.into(),
                    minor_version: minor,
                },
            )
        })
    };
    let v = get(&mut tx, None).unwrap().role_template_version;
    assert_eq!(v.template_name.as_deref(), Some("Example"));
    assert_eq!(v.minor_version, Some(1));
    assert_eq!(v.default_minor_version, Some(1));
    assert_eq!(
        v.role_name_pattern.as_deref(),
        Some("Example-@{Department}")
    );
    assert_eq!(get(&mut tx, Some(1)).unwrap().role_template_version, v);
    let e = get(&mut tx, Some(2)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("Minor version 2 of the role template with ARN {EXAMPLE} cannot be found.")
    );
    assert_eq!(
        get(&mut tx, Some(-1)).unwrap_err().code,
        ErrorCode::InvalidInput
    );
}

#[test]
fn unknown_and_malformed_template_arns() {
    let mut tx = empty_tx();
    let get = |tx: &mut Tx, arn: &str| {
        as_root(ACCOUNT, tx, |ctx, tx| {
            get_role_template_version(
                ctx,
                tx,
                &iam::GetRoleTemplateVersionRequest {
                    template_arn: arn.into(),
                    minor_version: None,
                },
            )
        })
        .unwrap_err()
    };
    let missing = "arn:aws:iam::aws:role-template/iam.amazonaws.com/Nope:1";
    let e = get(&mut tx, missing);
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("The role template with ARN {missing} cannot be found.")
    );
    let own = "arn:aws:iam::123456789012:role-template/x/Example:1";
    assert_eq!(get(&mut tx, own).code, ErrorCode::NoSuchEntity);
    let e = get(&mut tx, "arn:aws:iam::aws:policy/PowerUserAccess");
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn acquire_role_creates_a_real_role_from_the_template() {
    let mut tx = empty_tx();
    let role = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("fn-exec"))
    })
    .unwrap()
    .role;
    assert_eq!(role.role_name, "fn-exec");
    assert_eq!(role.arn, "arn:aws:iam::123456789012:role/fn-exec");
    assert!(role.role_id.starts_with("AROA"));
    let source = role.source_role_template.unwrap();
    assert_eq!(source.template_arn, POWER);
    assert_eq!(source.template_minor_version, 0);
    let stored = tx.state().role(ACCOUNT, "fn-exec").unwrap();
    assert_eq!(
        stored.attached_policies,
        ["arn:aws:iam::aws:policy/PowerUserAccess"]
    );
    let trust: serde_json::Value = serde_json::from_str(&stored.assume_role_policy).unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    // GetRole shows where it came from.
    let got = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        roles::get_role(
            ctx,
            tx,
            &iam::GetRoleRequest {
                role_name: "fn-exec".into(),
            },
        )
    })
    .unwrap()
    .role;
    assert_eq!(got.source_role_template.unwrap().template_arn, POWER);
}

#[test]
fn the_role_name_defaults_as_the_template_says() {
    // AWS's CloudTrail example: AWSServiceName alone makes `PowerUserRole` at `/`.
    let mut tx = empty_tx();
    let role = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(
            ctx,
            tx,
            &acquire_request(POWER, &[("AWSServiceName", &["iam.amazonaws.com"])]),
        )
    })
    .unwrap()
    .role;
    assert_eq!(role.role_name, "PowerUserRole");
    assert_eq!(role.path, "/");
    // The trust policy of AWS's example, exactly.
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"iam.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert_eq!(
        role.assume_role_policy_document,
        Some(crate::ops::iam::encode_document(trust))
    );
}

#[test]
fn a_role_changed_since_is_no_longer_the_templates() {
    let mut tx = empty_tx();
    as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("app"))
    })
    .unwrap();
    as_root(ACCOUNT, &mut tx, |ctx, tx| {
        attached::detach_role_policy(
            ctx,
            tx,
            &iam::DetachRolePolicyRequest {
                role_name: "app".into(),
                policy_arn: "arn:aws:iam::aws:policy/PowerUserAccess".into(),
            },
        )
    })
    .unwrap();
    let e = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("app"))
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NameConflict);
    // Other values for the same name make another trust policy: not this role either.
    let mut tx = empty_tx();
    as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("app"))
    })
    .unwrap();
    let other = acquire_request(
        POWER,
        &[
            ("RoleName", &["app"]),
            ("AWSServiceName", &["ec2.amazonaws.com"]),
        ],
    );
    let e = as_root(ACCOUNT, &mut tx, |ctx, tx| acquire_role(ctx, tx, &other)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NameConflict);
}

#[test]
fn acquiring_again_returns_the_role_and_a_foreign_role_conflicts() {
    let mut tx = empty_tx();
    let first = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("app"))
    })
    .unwrap()
    .role;
    let again = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("app"))
    })
    .unwrap()
    .role;
    assert_eq!(again.role_id, first.role_id);
    // A role of the name CreateRole made is not the template's.
    as_root(ACCOUNT, &mut tx, |ctx, tx| {
        roles::create_role(
            ctx,
            tx,
            &iam::CreateRoleRequest {
                role_name: "mine".into(),
                assume_role_policy_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.into(),
                ..Default::default()
            },
        )
    })
    .unwrap();
    let e = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("mine"))
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NameConflict);
    assert_eq!(
        e.message,
        "The role name mine conflicts with an existing role in the account."
    );
}

#[test]
fn bad_values_are_refused_before_anything_is_written() {
    let mut tx = empty_tx();
    let cases: &[(Values<'_>, &str)] = &[
        (
            &[("RoleName", &["x"])],
            "Missing value for required parameter AWSServiceName.",
        ),
        (
            &[
                ("RoleName", &["x"]),
                ("AWSServiceName", &["lambda.amazonaws.com"]),
                ("Unused", &["y"]),
            ],
            "Parameter Unused is not defined in the role template version.",
        ),
        (
            &[
                ("RoleName", &["x", "y"]),
                ("AWSServiceName", &["lambda.amazonaws.com"]),
            ],
            "Parameter RoleName takes exactly one value.",
        ),
    ];
    for (values, message) in cases {
        let e = as_root(ACCOUNT, &mut tx, |ctx, tx| {
            acquire_role(ctx, tx, &acquire_request(POWER, values))
        })
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput, "{message}");
        assert_eq!(e.message, *message);
    }
    // A value that makes a role name CreateRole refuses gets CreateRole's validation.
    let e = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("bad name!"))
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError, "{}", e.message);
    assert!(e.message.contains("roleName"), "{}", e.message);
    // A value that is no service principal makes a trust policy IAM refuses.
    let e = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(
            ctx,
            tx,
            &acquire_request(POWER, &[("RoleName", &["r"]), ("AWSServiceName", &[""])]),
        )
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedPolicyDocument, "{}", e.message);
    assert!(tx.state().role(ACCOUNT, "r").is_none());
    // An unknown minor version.
    let mut r = power("x");
    r.template_minor_version = Some(3);
    let e = as_root(ACCOUNT, &mut tx, |ctx, tx| acquire_role(ctx, tx, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

#[test]
fn the_role_manager_setting_does_not_gate_the_api() {
    // Role manager (`RoleManager/Enabled`) is a console setting: AWS's User Guide says
    // role templates work without it. Accounts start with it disabled.
    let mut tx = empty_tx();
    let role = as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(
            ctx,
            tx,
            &acquire_request(EXAMPLE, &[("Department", &["finance"])]),
        )
    })
    .unwrap()
    .role;
    assert_eq!(role.role_name, "Example-finance");
}

fn target_of(tx: &Tx, r: &iam::AcquireRoleRequest) -> Target {
    let caller = Caller::root(ACCOUNT, "AKIAROOT");
    let x = Resolver {
        state: tx.state(),
        caller: &caller,
        action: "iam:AcquireRole".into(),
    };
    acquire_role_target(r, &x)
}

#[test]
fn authorized_on_the_template_and_on_each_underlying_action() {
    let mut tx = empty_tx();
    let t = target_of(&tx, &power("app"));
    assert_eq!(t.action, "iam:GetRoleTemplateVersion");
    assert_eq!(t.resource, POWER);
    let deps: Vec<(&str, &str)> = t
        .dependent
        .iter()
        .map(|d| (d.action.as_str(), d.resource.as_str()))
        .collect();
    assert_eq!(
        deps,
        [
            ("iam:CreateRole", "arn:aws:iam::123456789012:role/app"),
            ("iam:AttachRolePolicy", "arn:aws:iam::123456789012:role/app"),
        ]
    );
    for d in std::iter::once(&t).chain(&t.dependent) {
        assert!(
            d.keys.iter().any(|(k, _)| k == "iam:RoleTemplateARN"),
            "{d:?}"
        );
    }
    assert!(
        t.dependent[1]
            .keys
            .iter()
            .any(|(k, _)| k == "iam:PolicyARN")
    );
    // Once the role exists, acquiring it again needs iam:GetRole.
    as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("app"))
    })
    .unwrap();
    let t = target_of(&tx, &power("app"));
    let deps: Vec<&str> = t.dependent.iter().map(|d| d.action.as_str()).collect();
    assert_eq!(deps, ["iam:GetRole"]);
    assert_eq!(t.dependent[0].shown_resource(), "role app");
    // A request that does not resolve is authorized on the template alone.
    let t = target_of(&tx, &acquire_request(POWER, &[]));
    assert_eq!(t.action, "iam:GetRoleTemplateVersion");
    assert!(t.dependent.is_empty());
}

#[test]
fn a_disabled_template_is_role_template_disabled() {
    let e =
        template_error(TemplateError::Disabled(POWER.into())).to_api(oxiam_protocol::Service::Iam);
    assert_eq!(e.code, ErrorCode::RoleTemplateDisabled);
    assert_eq!(e.code.http_status(), 400);
    assert_eq!(
        e.message,
        format!("The role template with ARN {POWER} is disabled.")
    );
}

#[test]
fn the_source_template_is_stored_with_the_role() {
    let mut tx = empty_tx();
    as_root(ACCOUNT, &mut tx, |ctx, tx| {
        acquire_role(ctx, tx, &power("kept"))
    })
    .unwrap();
    let role = tx.state().role(ACCOUNT, "kept").unwrap().as_ref().clone();
    let stored = serde_json::to_value(&role).unwrap();
    let back: Role = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(back, role);
    // A role stored before roles had a source template reads back without one.
    let mut old = stored;
    old.as_object_mut().unwrap().remove("source_role_template");
    let back: Role = serde_json::from_value(old).unwrap();
    assert_eq!(back.source_role_template, None);
}
