//! GetAccountProperties, PutAccountProperties: account-wide settings of IAM features, keyed
//! `Namespace/PropertyName`. AWS defines one property, `RoleManager/Enabled`: whether role
//! manager may create the service roles AWS service consoles ask for from role templates
//! (`true`/`false`; accounts start with `false`).
//!
//! Role manager is a console feature that calls `AcquireRole` for the user; AWS's User Guide
//! says role templates work through the API without it, so `AcquireRole`
//! (`super::role_templates`) does not read the property and it changes nothing else; it is
//! kept and reported so that tools managing it see what they set. Keys and values AWS does not accept get AWS's `InvalidInput` messages, as
//! recorded from AWS (see [`check`]).

use oxiam_protocol::iam;

use super::Ctx;
use crate::auth::target::Target;
use crate::model::Setting;
use crate::model::error::{ServerError, invalid_input};
use crate::ops::Resolver;
use crate::state::{State, Tx};

/// Role manager's namespace and its one property.
const ROLE_MANAGER: &str = "RoleManager";
const ROLE_MANAGER_ENABLED: &str = "RoleManager/Enabled";

/// The namespaces AWS defines, in the order GetAccountProperties reads them.
const NAMESPACES: &[&str] = &[ROLE_MANAGER];

/// `Namespace/PropertyName` → `Namespace`; a key without `/` is all namespace.
fn namespace(key: &str) -> &str {
    key.split_once('/').map_or(key, |(namespace, _)| namespace)
}

/// The setting holding one account's property. Settings are deployment-wide records; the
/// account ID in the name makes this one per account.
fn setting_name(account: &str, key: &str) -> String {
    format!("account-property/{account}/{key}")
}

/// Whether role manager is enabled for the account (`false` until PutAccountProperties
/// enables it).
fn role_manager_enabled(state: &State, account: &str) -> bool {
    state
        .settings
        .get(&setting_name(account, ROLE_MANAGER_ENABLED))
        .is_some_and(|s| s.value == "true")
}

/// What GetAccountProperties reads: every namespace (`iam:AccountPropertyNamespaces`, the
/// namespaces read or modified).
pub fn get_account_properties_target(
    _r: &iam::GetAccountPropertiesRequest,
    x: &Resolver<'_>,
) -> Target {
    let namespaces: Vec<String> = NAMESPACES.iter().map(|n| (*n).to_owned()).collect();
    x.any().with("iam:AccountPropertyNamespaces", namespaces)
}

/// What PutAccountProperties modifies: the namespaces of the keys it sends, as sent (the
/// request is authorized before its keys are checked).
pub fn put_account_properties_target(
    r: &iam::PutAccountPropertiesRequest,
    x: &Resolver<'_>,
) -> Target {
    let mut namespaces: Vec<String> = r
        .properties
        .keys()
        .map(|k| namespace(k).to_owned())
        .collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    x.any().with("iam:AccountPropertyNamespaces", namespaces)
}

/// GetAccountProperties: every property AWS defines, with the account's value or its
/// default.
pub fn get_account_properties(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::GetAccountPropertiesRequest,
) -> Result<iam::GetAccountPropertiesResponse, ServerError> {
    let enabled = role_manager_enabled(tx.state(), &ctx.caller.account);
    Ok(iam::GetAccountPropertiesResponse {
        properties: Some([(ROLE_MANAGER_ENABLED.to_owned(), enabled.to_string())].into()),
    })
}

/// PutAccountProperties. The protocol decoder has checked each key against the model
/// (`^[A-Za-z][A-Za-z0-9/_-]*$`, 1–50 characters) and each value's length (1–1024).
pub fn put_account_properties(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::PutAccountPropertiesRequest,
) -> Result<iam::PutAccountPropertiesResponse, ServerError> {
    let enabled = check(&r.properties)?;
    tx.put(Setting {
        name: setting_name(&ctx.caller.account, ROLE_MANAGER_ENABLED),
        value: enabled.to_owned(),
    })?;
    Ok(iam::PutAccountPropertiesResponse {})
}

/// `Namespace/PropertyName`: exactly one `/`, neither first nor last.
fn namespace_of(key: &str) -> Result<&str, ServerError> {
    match key.split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => Ok(ns),
        _ => Err(invalid_input(format!(
            "Property key must be in format Namespace/PropertyName: {key}"
        ))),
    }
}

/// The value of `RoleManager/Enabled` a PutAccountProperties request sets, or AWS's
/// InvalidInput. AWS documents the rules (one `/` in each key, neither first nor last; one
/// namespace a request; each value of its property's type); the messages are those AWS
/// answers, as recorded from AWS. Other properties of the `RoleManager` namespace are
/// accepted and ignored beside `Enabled`, as AWS does. Two cases AWS's recordings do not
/// show are oxiam's choice: a key with two `/` gets the format message (the documented
/// rule), and an empty map (`Properties=`; SDKs send an empty map as no member at all, the
/// decoder's ValidationError) gets its own message.
fn check(properties: &std::collections::BTreeMap<String, String>) -> Result<&str, ServerError> {
    let mut namespaces = properties.keys().map(|key| namespace_of(key));
    // A request that sets nothing: AWS's rules name no namespace for it (oxiam's message).
    let Some(first) = namespaces.next().transpose()? else {
        return Err(invalid_input(
            "Properties must contain at least one property.",
        ));
    };
    for ns in namespaces {
        if ns? != first {
            return Err(invalid_input(
                "All properties must belong to the same namespace",
            ));
        }
    }
    if first != ROLE_MANAGER {
        return Err(invalid_input(format!("Unsupported namespace: {first}")));
    }
    match properties.get(ROLE_MANAGER_ENABLED).map(String::as_str) {
        Some(value @ ("true" | "false")) => Ok(value),
        Some(_) => Err(invalid_input("Enabled must be 'true' or 'false'")),
        None => Err(invalid_input(
            "RoleManager namespace requires Enabled property",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use oxiam_protocol::error::{ApiError, ErrorCode};
    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::auth::authn::Caller;

    const ACCOUNT: &str = "123456789012";
    const OTHER: &str = "210987654321";

    use crate::ops::iam::test_support::as_root as run;

    fn put(
        tx: &mut Tx,
        account: &str,
        properties: &[(&str, &str)],
    ) -> Result<iam::PutAccountPropertiesResponse, ApiError> {
        let r = iam::PutAccountPropertiesRequest {
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        run(account, tx, |c, t| put_account_properties(c, t, &r))
    }

    fn get(tx: &mut Tx, account: &str) -> BTreeMap<String, String> {
        run(account, tx, |c, t| {
            get_account_properties(c, t, &Default::default())
        })
        .unwrap()
        .properties
        .unwrap()
    }

    fn enabled(value: &str) -> BTreeMap<String, String> {
        [(ROLE_MANAGER_ENABLED.to_owned(), value.to_owned())].into()
    }

    fn tx() -> Tx {
        Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()))
    }

    #[test]
    fn role_manager_starts_disabled_and_is_set_per_account() {
        let mut tx = tx();
        assert_eq!(get(&mut tx, ACCOUNT), enabled("false"));
        put(&mut tx, ACCOUNT, &[("RoleManager/Enabled", "true")]).unwrap();
        assert_eq!(get(&mut tx, ACCOUNT), enabled("true"));
        assert_eq!(get(&mut tx, OTHER), enabled("false"));
        // Setting it again, or to what it is, is fine.
        put(&mut tx, ACCOUNT, &[("RoleManager/Enabled", "true")]).unwrap();
        put(&mut tx, ACCOUNT, &[("RoleManager/Enabled", "false")]).unwrap();
        assert_eq!(get(&mut tx, ACCOUNT), enabled("false"));
    }

    #[test]
    fn other_properties_of_the_namespace_are_ignored_beside_enabled() {
        let mut tx = tx();
        put(
            &mut tx,
            ACCOUNT,
            &[("RoleManager/Enabled", "true"), ("RoleManager/Other", "x")],
        )
        .unwrap();
        assert_eq!(get(&mut tx, ACCOUNT), enabled("true"));
    }

    #[test]
    fn bad_keys_and_values_get_aws_invalid_input() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("RoleManager", "false")],
                "Property key must be in format Namespace/PropertyName: RoleManager",
            ),
            (
                &[("RoleManager/Enabled/Other", "false")],
                "Property key must be in format Namespace/PropertyName: RoleManager/Enabled/Other",
            ),
            (
                &[("RoleManager/", "false")],
                "Property key must be in format Namespace/PropertyName: RoleManager/",
            ),
            (
                &[("Probe/Enabled", "false")],
                "Unsupported namespace: Probe",
            ),
            (
                &[("RoleManager/Enabled", "false"), ("Probe/Enabled", "false")],
                "All properties must belong to the same namespace",
            ),
            (
                &[("RoleManager/Other", "false")],
                "RoleManager namespace requires Enabled property",
            ),
            (
                &[("RoleManager/Enabled", "FALSE")],
                "Enabled must be 'true' or 'false'",
            ),
            (
                &[("RoleManager/Enabled", "false ")],
                "Enabled must be 'true' or 'false'",
            ),
            (
                &[("RoleManager/Enabled", "0")],
                "Enabled must be 'true' or 'false'",
            ),
            (&[], "Properties must contain at least one property."),
        ];
        let mut tx = tx();
        put(&mut tx, ACCOUNT, &[("RoleManager/Enabled", "true")]).unwrap();
        for (properties, message) in cases {
            let e = put(&mut tx, ACCOUNT, properties).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{properties:?}");
            assert_eq!(e.code.http_status(), 400);
            assert_eq!(e.message, *message, "{properties:?}");
            // Nothing changed.
            assert_eq!(get(&mut tx, ACCOUNT), enabled("true"));
        }
    }

    #[test]
    fn requests_name_the_namespaces_they_read_or_modify() {
        let state = State::default();
        let caller = Caller::root(ACCOUNT, "AKIAROOT");
        let resolver = |action: &str| Resolver {
            state: &state,
            caller: &caller,
            action: action.to_owned(),
        };
        let namespaces = |names: &[&str]| {
            vec![(
                "iam:AccountPropertyNamespaces".to_owned(),
                oxiam_policy::ContextValue::Multi(names.iter().map(|n| (*n).to_owned()).collect()),
            )]
        };
        let get = get_account_properties_target(
            &Default::default(),
            &resolver("iam:GetAccountProperties"),
        );
        assert_eq!(
            (get.resource.as_str(), get.keys),
            ("*", namespaces(&["RoleManager"]))
        );
        let r = iam::PutAccountPropertiesRequest {
            properties: [
                ("RoleManager/Enabled", "true"),
                ("Other/X", "1"),
                ("RoleManager/Y", "2"),
                ("RoleManager", "3"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        };
        let put = put_account_properties_target(&r, &resolver("iam:PutAccountProperties"));
        assert_eq!(
            (put.resource.as_str(), put.keys),
            ("*", namespaces(&["Other", "RoleManager"]))
        );
    }

    #[test]
    fn keys_name_their_namespace() {
        assert_eq!(namespace("RoleManager/Enabled"), "RoleManager");
        assert_eq!(namespace("RoleManager"), "RoleManager");
        assert_eq!(namespace("A/b/c"), "A");
    }
}
