//! Least-privilege policies from what a principal did: the content of IAM Access Analyzer's
//! policy generation (`StartPolicyGeneration` / `GetGeneratedPolicy`).
//!
//! AWS reads CloudTrail and knows most services only at service level; oxiam records every
//! action it authorized, so the generated policy is always action level: it allows exactly
//! the actions used, each once, under its catalogue spelling (`s3:GetObject`).
//!
//! - [`generate`]: the policies, as JSON documents, from the actions used.
//! - Resources: `*` by default. With [`Options::resource_placeholders`] (AWS's
//!   `includeResourcePlaceholders`), each action whose catalogue entry names resource types
//!   gets their ARN formats with placeholders to fill in (`arn:aws:s3:::${BucketName}`):
//!   `${Partition}` becomes `aws` and `${Account}` the principal's account; the others
//!   (`${Region}`, `${BucketName}`, …) are left for the reader, as AWS leaves them.
//! - Size: statements are packed into as many documents as needed to keep each within the
//!   managed-policy quota ([`MAX_POLICY_CHARS`] characters without white space), so every
//!   generated policy can be created as it is.

use std::collections::BTreeMap;

use oxiam_catalogue::Catalogue;
use serde_json::{Value, json};

/// The managed-policy size quota (`CreatePolicy`): 6,144 characters, white space not
/// counted. The documents are written without white space, so their length is the count.
pub const MAX_POLICY_CHARS: usize = 6_144;

/// How to generate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The principal's account, for `${Account}` in resource placeholders.
    pub account: String,
    /// `includeResourcePlaceholders`: ARN formats instead of `*` where actions name
    /// resource types.
    pub resource_placeholders: bool,
}

/// The policies allowing `actions` (`service:Action`, any case, repeats allowed), as JSON
/// documents; none when `actions` is empty. Actions the catalogue does not know (a custom
/// service's) keep their recorded spelling and get `*`.
pub fn generate<'a>(
    actions: impl IntoIterator<Item = &'a str>,
    catalogue: &Catalogue,
    options: &Options,
) -> Vec<String> {
    // Resources (sorted) → actions (sorted, by lower-cased name so repeats in any case
    // collapse to the first spelling seen).
    let mut statements: BTreeMap<Vec<String>, BTreeMap<String, String>> = BTreeMap::new();
    for action in actions {
        let (name, resources) = match catalogue.action(action) {
            Some((service, found)) => {
                let name = format!("{}:{}", service.prefix, found.name);
                let mut resources: Vec<String> = if options.resource_placeholders {
                    found
                        .resource_types
                        .iter()
                        .filter_map(|r| service.resource_type(&r.name))
                        .map(|r| placeholders(&r.arn_format, &options.account))
                        .collect()
                } else {
                    Vec::new()
                };
                resources.sort();
                resources.dedup();
                (name, resources)
            }
            None => (action.to_owned(), Vec::new()),
        };
        let resources = if resources.is_empty() {
            vec!["*".to_owned()]
        } else {
            resources
        };
        statements
            .entry(resources)
            .or_default()
            .entry(name.to_ascii_lowercase())
            .or_insert(name);
    }
    let statements = statements.into_iter().flat_map(|(resources, actions)| {
        let actions: Vec<String> = actions.into_values().collect();
        split_statement(&resources, actions)
    });
    pack(statements)
}

/// `${Partition}` → `aws`, `${Account}` → the account; other placeholders stay.
fn placeholders(arn_format: &str, account: &str) -> String {
    let arn = arn_format.replace("${Partition}", "aws");
    if account.is_empty() {
        arn
    } else {
        arn.replace("${Account}", account)
    }
}

/// One statement's JSON.
fn statement(resources: &[String], actions: &[String]) -> Value {
    let one_or_many = |v: &[String]| match v {
        [one] => json!(one),
        many => json!(many),
    };
    json!({
        "Effect": "Allow",
        "Action": one_or_many(actions),
        "Resource": one_or_many(resources),
    })
}

/// The statement of these actions on these resources, split into several when one would
/// not fit in a policy (a principal that used hundreds of actions on `*`).
fn split_statement(resources: &[String], actions: Vec<String>) -> Vec<Value> {
    let whole = statement(resources, &actions);
    if document(std::slice::from_ref(&whole)).len() <= MAX_POLICY_CHARS || actions.len() < 2 {
        return vec![whole];
    }
    let (a, b) = actions.split_at(actions.len() / 2);
    let mut out = split_statement(resources, a.to_vec());
    out.extend(split_statement(resources, b.to_vec()));
    out
}

/// A policy document of these statements, without white space.
fn document(statements: &[Value]) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The statements packed, in order, into as few documents within the quota as a greedy
/// pass gives.
fn pack(statements: impl Iterator<Item = Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    for s in statements {
        current.push(s);
        if current.len() > 1 && document(&current).len() > MAX_POLICY_CHARS {
            let last = current.pop();
            out.push(document(&current));
            current = last.into_iter().collect();
        }
    }
    if !current.is_empty() {
        out.push(document(&current));
    }
    out
}

#[cfg(test)]
mod tests {
    use oxiam_policy::{
        Context, Effect, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType,
        Request, evaluate,
    };

    use super::*;

    fn allows(policies: &[String], action: &str, resource: &str) -> bool {
        let compiled: Vec<Policy> = policies
            .iter()
            .map(|p| Policy::parse(p, PolicyKind::Identity).unwrap())
            .collect();
        let named: Vec<NamedPolicy<'_>> = compiled
            .iter()
            .map(|policy| NamedPolicy {
                name: "generated",
                policy,
            })
            .collect();
        let principal = Principal {
            arn: "arn:aws:iam::123456789012:user/alice",
            account: "123456789012",
            kind: PrincipalType::User,
            role_arn: None,
            user_id: "AIDAEXAMPLE",
        };
        let context = Context::for_principal(&principal, &[]);
        let request = Request {
            principal,
            action,
            resource,
            resource_account: None,
            context: &context,
        };
        let set = PolicySet {
            identity: &named,
            ..PolicySet::default()
        };
        evaluate(&request, &set).effect == Effect::Allow
    }

    fn options(placeholders: bool) -> Options {
        Options {
            account: "123456789012".into(),
            resource_placeholders: placeholders,
        }
    }

    #[test]
    fn allows_what_was_done_and_nothing_else() {
        let catalogue = Catalogue::aws();
        let used = [
            "s3:getobject",
            "S3:GetObject",
            "iam:ListUsers",
            "myapp:Launch",
        ];
        let policies = generate(used, catalogue, &options(false));
        assert_eq!(
            policies,
            [
                r#"{"Statement":[{"Action":["iam:ListUsers","myapp:Launch","s3:GetObject"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#
            ]
        );
        for action in ["s3:GetObject", "iam:ListUsers", "myapp:Launch"] {
            assert!(allows(&policies, action, "arn:aws:s3:::b/k"), "{action}");
        }
        for action in [
            "s3:PutObject",
            "iam:CreateUser",
            "myapp:Land",
            "s3:GetObjectAcl",
        ] {
            assert!(!allows(&policies, action, "*"), "{action}");
        }
    }

    #[test]
    fn placeholders_come_from_the_catalogue_with_partition_and_account_filled_in() {
        let catalogue = Catalogue::aws();
        let policies = generate(
            ["s3:GetObject", "iam:GetRole", "iam:ListRoles"],
            catalogue,
            &options(true),
        );
        let doc: Value = serde_json::from_str(policies.first().unwrap()).unwrap();
        let statements = doc["Statement"].as_array().unwrap();
        let by_action = |a: &str| {
            statements
                .iter()
                .find(|s| s["Action"] == json!(a))
                .unwrap()
                .clone()
        };
        assert_eq!(by_action("iam:ListRoles")["Resource"], json!("*"));
        assert_eq!(
            by_action("iam:GetRole")["Resource"],
            json!("arn:aws:iam::123456789012:role/${RoleNameWithPath}")
        );
        // Every resource type the action names: objects, and objects through access points.
        assert_eq!(
            by_action("s3:GetObject")["Resource"],
            json!([
                "arn:aws:s3:${Region}:123456789012:accesspoint/${AccessPointName}/object/${ObjectName}",
                "arn:aws:s3:::${BucketName}/${ObjectName}"
            ])
        );
        // Filled in, the placeholders allow the action on that resource and no other.
        let filled: Vec<String> = policies
            .iter()
            .map(|p| {
                p.replace("${BucketName}", "reports")
                    .replace("${ObjectName}", "q3.csv")
                    .replace("${RoleNameWithPath}", "app")
            })
            .collect();
        assert!(allows(
            &filled,
            "s3:GetObject",
            "arn:aws:s3:::reports/q3.csv"
        ));
        assert!(!allows(
            &filled,
            "s3:GetObject",
            "arn:aws:s3:::other/q3.csv"
        ));
        assert!(allows(
            &filled,
            "iam:GetRole",
            "arn:aws:iam::123456789012:role/app"
        ));
        assert!(!allows(
            &filled,
            "iam:GetRole",
            "arn:aws:iam::210987654321:role/app"
        ));
    }

    #[test]
    fn many_actions_are_split_across_documents_within_the_quota() {
        let catalogue = Catalogue::aws();
        let used: Vec<String> = catalogue
            .services()
            .take(40)
            .flat_map(|s| {
                s.actions
                    .iter()
                    .map(move |a| format!("{}:{}", s.prefix, a.name))
            })
            .collect();
        let policies = generate(used.iter().map(String::as_str), catalogue, &options(false));
        assert!(policies.len() > 1, "{} documents", policies.len());
        for p in &policies {
            assert!(p.len() <= MAX_POLICY_CHARS, "{}", p.len());
            Policy::parse(p, PolicyKind::Identity).unwrap();
        }
        for action in &used {
            assert!(allows(&policies, action, "*"), "{action}");
        }
    }

    #[test]
    fn nothing_used_generates_nothing() {
        assert!(generate([], Catalogue::aws(), &options(true)).is_empty());
    }
}
