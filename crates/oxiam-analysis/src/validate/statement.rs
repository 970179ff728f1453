//! Checks that read several elements of a statement, or several statements: trust actions
//! against federated principals, actions a service condition key does not apply to,
//! `iam:PassRole` and `iam:CreateServiceLinkedRole` allowed on broad resources, and
//! statements that repeat another.

use oxiam_policy::wildcard_match;

use super::actions;
use super::grammar::{Effect, Element, Entry, Statement};
use super::json::{Node, Value};
use super::{Ctx, IssueCode, Location, PolicyType};

pub(crate) fn check(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    mismatched_action_for_principal(ctx, s);
    unsupported_action_for_condition_key(ctx, s);
    unsupported_tag_condition_key(ctx, s);
    resource_type_fit(ctx, s);
    if s.effect == Some(Effect::Allow) {
        missing_paired_condition_keys(ctx, s);
    }
    if ctx.policy_type == PolicyType::IdentityPolicy && s.effect == Some(Effect::Allow) {
        broad_grant(ctx, s, &PASS_ROLE);
        broad_grant(ctx, s, &CREATE_SLR);
    }
}

/// `sts:AssumeRole` names no federated principal: those assume roles with
/// `sts:AssumeRoleWithSAML` or `sts:AssumeRoleWithWebIdentity`.
fn mismatched_action_for_principal(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let Some(principal) = &s.principal else {
        return;
    };
    let Value::Object(members) = &principal.member.value.value else {
        return;
    };
    let federated: Vec<Entry<'_, '_>> = members
        .iter()
        .filter(|m| m.key == "Federated")
        .flat_map(|m| {
            Element {
                member: m,
                path: principal.path.value("Federated"),
            }
            .entries()
        })
        .collect();
    if federated.is_empty() {
        return;
    }
    let Some(action) = &s.action else {
        return;
    };
    for entry in action.entries() {
        if !entry.text.eq_ignore_ascii_case("sts:AssumeRole") {
            continue;
        }
        let names: Vec<&str> = federated.iter().map(|f| f.text).collect();
        let mut locations = vec![ctx.node_location(&entry.path, entry.node)];
        locations.extend(federated.iter().map(|f| ctx.node_location(&f.path, f.node)));
        ctx.report(
            IssueCode::MismatchedActionForPrincipal,
            format!(
                "The {} action is invalid with the following principal(s): {}. Use a SAML provider principal with the sts:AssumeRoleWithSAML action or use an OIDC provider principal with the sts:AssumeRoleWithWebIdentity action. Ensure the provider is Federated if you use either of the two options.",
                entry.text,
                names.join(", ")
            ),
            locations,
        );
    }
}

/// Service condition keys the statement's (exactly named) actions do not take: for those
/// actions the condition is not evaluated.
fn unsupported_action_for_condition_key(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let Some(condition) = &s.condition else {
        return;
    };
    let Value::Object(blocks) = &condition.member.value.value else {
        return;
    };
    let exact = actions::exact(ctx, s);
    if exact.is_empty() {
        return;
    }
    for block in blocks {
        let Value::Object(keys) = &block.value.value else {
            continue;
        };
        for key in keys {
            let name = key.key.as_ref();
            if name
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
            {
                continue;
            }
            let Some(listed) = ctx.catalogue.condition_key(name) else {
                continue;
            };
            let unsupported: Vec<&Entry<'_, '_>> = exact
                .iter()
                .filter(|(_, service, action)| {
                    let own = action
                        .all_condition_keys()
                        .any(|k| k.eq_ignore_ascii_case(&listed.name));
                    let by_resource = action.resource_types.iter().any(|r| {
                        service.resource_type(&r.name).is_some_and(|t| {
                            t.condition_keys
                                .iter()
                                .any(|k| k.eq_ignore_ascii_case(&listed.name))
                        })
                    });
                    !own && !by_resource
                })
                .map(|(entry, _, _)| entry)
                .collect();
            if unsupported.is_empty() {
                continue;
            }
            let names: Vec<&str> = unsupported.iter().map(|e| e.text).collect();
            let mut locations: Vec<Location> = unsupported
                .iter()
                .map(|e| ctx.node_location(&e.path, e.node))
                .collect();
            let key_path = condition.path.value(&block.key).value(name);
            locations.push(ctx.node_location(&key_path, &key.value));
            ctx.report(
                IssueCode::UnsupportedActionForConditionKey,
                format!(
                    "The following actions: {} are not supported by the condition key {name}. The condition will not be evaluated for these actions. We recommend that you move these actions to a different statement without this condition key.",
                    names.join(", ")
                ),
                locations,
            );
        }
    }
}

/// `aws:ResourceTag/…` in a statement whose actions include services that do not take it:
/// for their actions the key is absent, so a `Deny` does not deny them and an `Allow` does
/// not allow them.
fn unsupported_tag_condition_key(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    const TAG_KEY: &str = "aws:ResourceTag/${TagKey}";
    let Some(effect) = s.effect else {
        return;
    };
    let Some(condition) = &s.condition else {
        return;
    };
    let Value::Object(blocks) = &condition.member.value.value else {
        return;
    };
    let Some((block, key)) = blocks.iter().find_map(|b| match &b.value.value {
        Value::Object(keys) => keys
            .iter()
            .find(|k| {
                k.key
                    .get(..16)
                    .is_some_and(|p| p.eq_ignore_ascii_case("aws:ResourceTag/"))
                    && k.key.len() > 16
            })
            .map(|k| (b, k)),
        _ => None,
    }) else {
        return;
    };
    let key_at = ctx.node_location(
        &condition.path.value(&block.key).value(&key.key),
        &key.value,
    );
    let Some((actions, not_action)) = s.actions() else {
        return;
    };
    if not_action {
        let at = ctx.node_location(&actions.path, &actions.member.value);
        let (code, details) = match effect {
            Effect::Deny => (
                IssueCode::DenyNotActionWithUnsupportedTagConditionKeyForService,
                "Using the effect Deny with NotAction and the tag condition key can be overly permissive because some service actions are not denied by this statement. This is because the condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction.",
            ),
            Effect::Allow => (
                IssueCode::AllowNotActionWithUnsupportedTagConditionKeyForService,
                "Using the effect Allow with NotAction and the tag condition key allows only service actions that support the condition key. The condition key doesn't apply to some service actions. We recommend that you use Action instead of NotAction.",
            ),
        };
        ctx.report(code, details.into(), vec![at, key_at]);
        return;
    }
    let mut prefixes: Vec<String> = Vec::new();
    let mut locations = Vec::new();
    for entry in actions.entries() {
        let Some((prefix, _)) = entry.text.split_once(':') else {
            continue;
        };
        let Some(service) = ctx.catalogue.service(prefix) else {
            continue;
        };
        let supported = service.actions.iter().any(|a| {
            a.all_condition_keys()
                .any(|k| k.eq_ignore_ascii_case(TAG_KEY))
        }) || service.resource_types.iter().any(|r| {
            r.condition_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(TAG_KEY))
        });
        if supported {
            continue;
        }
        if !prefixes.iter().any(|p| p == &service.prefix) {
            prefixes.push(service.prefix.clone());
        }
        locations.push(ctx.node_location(&entry.path, entry.node));
    }
    if prefixes.is_empty() {
        return;
    }
    locations.push(key_at);
    let list = prefixes.join(", ");
    let (code, details) = match effect {
        Effect::Deny => (
            IssueCode::DenyWithUnsupportedTagConditionKeyForService,
            format!(
                "Using the effect Deny with the tag condition key and actions for services with the following prefixes can be overly permissive: {list}. Actions for the listed services are not denied by this statement. We recommend that you move these actions to a different statement without this condition key."
            ),
        ),
        Effect::Allow => (
            IssueCode::AllowWithUnsupportedTagConditionKeyForService,
            format!(
                "Using the effect Allow with the tag condition key and actions for services with the following prefixes does not affect the policy: {list}. Actions for the listed service are not allowed by this statement. We recommend that you move these actions to a different statement without this condition key."
            ),
        ),
    };
    ctx.report(code, details, locations);
}

/// Keys that are safe only with a companion: `aws:VpcSourceIp` says which address, not
/// which network, so it goes with `aws:SourceVpc` (AWS's example of the check).
const PAIRED_KEYS: [(&str, &[&str]); 1] = [("aws:VpcSourceIp", &["aws:SourceVpc"])];

fn missing_paired_condition_keys(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let Some(condition) = &s.condition else {
        return;
    };
    let Value::Object(blocks) = &condition.member.value.value else {
        return;
    };
    let keys: Vec<(&str, &str, &Node<'_>)> = blocks
        .iter()
        .filter_map(|b| match &b.value.value {
            Value::Object(keys) => Some(
                keys.iter()
                    .map(move |k| (b.key.as_ref(), k.key.as_ref(), &k.value)),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    for (key, companions) in PAIRED_KEYS {
        let Some((block, name, value)) = keys.iter().find(|(_, k, _)| k.eq_ignore_ascii_case(key))
        else {
            continue;
        };
        let missing: Vec<&str> = companions
            .iter()
            .filter(|c| !keys.iter().any(|(_, k, _)| k.eq_ignore_ascii_case(c)))
            .copied()
            .collect();
        if missing.is_empty() {
            continue;
        }
        let at = ctx.node_location(&condition.path.value(block).value(name), value);
        ctx.report(
            IssueCode::MissingPairedConditionKeys,
            format!(
                "Using the condition key {name} can be overly permissive without also using the following condition keys: {}. Condition keys like this one are more secure when paired with a related key. We recommend that you add the related condition keys to the same condition block.",
                missing.join(", ")
            ),
            vec![at],
        );
    }
}

/// The actions a trust policy (`AWS::IAM::AssumeRolePolicyDocument`) takes.
const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// Actions and resource ARNs of services other than the one of the resource a
/// `RESOURCE_POLICY` is for (`validatePolicyResourceType`): a bucket policy grants only
/// `s3:` actions on `s3` ARNs, a trust policy only the trust actions.
fn resource_type_fit(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    use super::ValidatePolicyResourceType as T;
    let Some(kind) = ctx.resource_type else {
        return;
    };
    let service = match kind {
        T::S3Bucket | T::S3AccessPoint | T::S3MultiRegionAccessPoint => "s3",
        T::S3ObjectLambdaAccessPoint => "s3-object-lambda",
        T::DynamoDbTable => "dynamodb",
        T::IamAssumeRolePolicyDocument => "sts",
    };
    if let Some(action) = &s.action {
        for entry in action.entries() {
            let fits = match kind {
                T::IamAssumeRolePolicyDocument => TRUST_ACTIONS
                    .iter()
                    .any(|a| wildcard_match(entry.text, a, true)),
                _ => {
                    entry.text == "*"
                        || entry.text.split_once(':').is_some_and(|(prefix, _)| {
                            prefix.contains(['*', '?']) || prefix.eq_ignore_ascii_case(service)
                        })
                }
            };
            if !fits {
                let at = ctx.node_location(&entry.path, entry.node);
                ctx.report(
                    IssueCode::UnsupportedActionInPolicy,
                    format!(
                        "The action {} is not supported for the resource-based policy attached to the resource type {}.",
                        entry.text,
                        kind.as_str()
                    ),
                    vec![at],
                );
            }
        }
    }
    if kind == T::IamAssumeRolePolicyDocument {
        return;
    }
    if let Some((resources, _)) = s.resources() {
        for entry in resources.entries() {
            let arn_service = entry.text.split(':').nth(2);
            let fits = entry.text == "*"
                || !entry.text.starts_with("arn:")
                || arn_service.is_none_or(|a| a.contains(['*', '?']) || a == service);
            if !fits {
                let at = ctx.node_location(&entry.path, entry.node);
                ctx.report(
                    IssueCode::UnsupportedResourceArnInPolicy,
                    format!(
                        "The resource ARN {} is not supported for the resource-based policy attached to the resource type {}.",
                        entry.text,
                        kind.as_str()
                    ),
                    vec![at],
                );
            }
        }
    }
}

/// An action that is dangerous to allow on every resource, and its findings.
struct BroadGrant {
    action: &'static str,
    /// The condition key that narrows the grant enough to say nothing.
    narrowing_key: &'static str,
    star_in_resource: (IssueCode, &'static str),
    star_in_action_and_resource: (IssueCode, &'static str),
    star_in_resource_and_not_action: (IssueCode, &'static str),
    not_resource: (IssueCode, &'static str),
    star_in_action_and_not_resource: (IssueCode, &'static str),
    not_action_and_not_resource: (IssueCode, &'static str),
}

const PASS_ROLE: BroadGrant = BroadGrant {
    action: "iam:PassRole",
    narrowing_key: "iam:PassedToService",
    star_in_resource: (
        IssueCode::PassRoleWithStarInResource,
        "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
    ),
    star_in_action_and_resource: (
        IssueCode::PassRoleWithStarInActionAndResource,
        "Using wildcards (*) in the action and the resource can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
    ),
    star_in_resource_and_not_action: (
        IssueCode::PassRoleWithStarInResourceAndNotAction,
        "Using a resource with wildcards (*) and NotAction can be overly permissive because it allows iam:PassRole permissions on all resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
    ),
    not_resource: (
        IssueCode::PassRoleWithNotResource,
        "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
    ),
    star_in_action_and_not_resource: (
        IssueCode::PassRoleWithStarInActionAndNotResource,
        "Using an action with a wildcard (*) and NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
    ),
    not_action_and_not_resource: (
        IssueCode::PassRoleWithNotActionAndNotResource,
        "Using NotAction with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources.. We recommend that you specify resource ARNs instead.",
    ),
};

const CREATE_SLR: BroadGrant = BroadGrant {
    action: "iam:CreateServiceLinkedRole",
    narrowing_key: "iam:AWSServiceName",
    star_in_resource: (
        IssueCode::CreateSlrWithStarInResource,
        "Using the iam:CreateServiceLinkedRole action with wildcards (*) in the resource can allow creation of unintended service-linked roles. We recommend that you specify resource ARNs instead.",
    ),
    star_in_action_and_resource: (
        IssueCode::CreateSlrWithStarInActionAndResource,
        "Using wildcards (*) in the action and the resource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead.",
    ),
    star_in_resource_and_not_action: (
        IssueCode::CreateSlrWithStarInResourceAndNotAction,
        "Using a resource with wildcards (*) and NotAction can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on all resources. We recommend that you specify resource ARNs instead.",
    ),
    not_resource: (
        IssueCode::CreateSlrWithNotResource,
        "Using the iam:CreateServiceLinkedRole action with NotResource can allow creation of unintended service-linked roles for multiple resources. We recommend that you specify resource ARNs instead.",
    ),
    star_in_action_and_not_resource: (
        IssueCode::CreateSlrWithStarInActionAndNotResource,
        "Using an action with a wildcard(*) and NotResource can allow creation of unintended service-linked roles because it can allow iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
    ),
    not_action_and_not_resource: (
        IssueCode::CreateSlrWithNotActionAndNotResource,
        "Using NotAction with NotResource can allow creation of unintended service-linked roles because it allows iam:CreateServiceLinkedRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
    ),
};

/// How a statement grants `grant.action`: named exactly, through a wildcard, or through
/// `NotAction`; then on which resources.
fn broad_grant(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>, grant: &BroadGrant) {
    if has_condition_key(s, grant.narrowing_key) {
        return;
    }
    enum How {
        Exact(Location),
        Wildcard(Location),
        NotAction(Location),
    }
    let how = match s.actions() {
        Some((e, false)) => {
            let entries = e.entries();
            let exact = entries
                .iter()
                .find(|x| x.text.eq_ignore_ascii_case(grant.action));
            let wild = entries.iter().find(|x| {
                x.text.contains(['*', '?']) && wildcard_match(x.text, grant.action, true)
            });
            match (exact, wild) {
                (Some(x), _) => How::Exact(ctx.node_location(&x.path, x.node)),
                (None, Some(x)) => How::Wildcard(ctx.node_location(&x.path, x.node)),
                (None, None) => return,
            }
        }
        Some((e, true)) => {
            if e.entries()
                .iter()
                .any(|x| wildcard_match(x.text, grant.action, true))
            {
                return;
            }
            How::NotAction(ctx.node_location(&e.path, &e.member.value))
        }
        None => return,
    };
    let (resource, not_resource) = match s.resources() {
        Some((e, false)) => match e.entries().into_iter().find(|x| broad(x.text)) {
            Some(x) => (ctx.node_location(&x.path, x.node), false),
            None => return,
        },
        Some((e, true)) => (ctx.node_location(&e.path, &e.member.value), true),
        None => return,
    };
    let ((code, details), action_at) = match (how, not_resource) {
        (How::Exact(at), false) => (grant.star_in_resource, at),
        (How::Wildcard(at), false) => (grant.star_in_action_and_resource, at),
        (How::NotAction(at), false) => (grant.star_in_resource_and_not_action, at),
        (How::Exact(at), true) => (grant.not_resource, at),
        (How::Wildcard(at), true) => (grant.star_in_action_and_not_resource, at),
        (How::NotAction(at), true) => (grant.not_action_and_not_resource, at),
    };
    ctx.report(code, details.into(), vec![action_at, resource]);
}

/// A `Resource` entry that names every role: `*`, or an IAM ARN whose resource part is a
/// wildcard over any role name (`role/*`, `*`). ARNs that keep a name prefix
/// (`role/Service*`) follow the convention of service roles and are not broad.
fn broad(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let fields: Vec<&str> = resource.splitn(6, ':').collect();
    let [_, _, service, _, _, part] = fields.as_slice() else {
        return false;
    };
    wildcard_match(service, "iam", true)
        && part.contains('*')
        && wildcard_match(part, "role/oxiam-any-role-name", false)
}

fn has_condition_key(s: &Statement<'_, '_>, wanted: &str) -> bool {
    let Some(condition) = &s.condition else {
        return false;
    };
    let Value::Object(blocks) = &condition.member.value.value else {
        return false;
    };
    blocks.iter().any(|b| match &b.value.value {
        Value::Object(keys) => keys.iter().any(|k| k.key.eq_ignore_ascii_case(wanted)),
        _ => false,
    })
}

/// Statements equal to an earlier one but for their `Sid` grant nothing more.
pub(crate) fn check_across(ctx: &mut Ctx<'_>, statements: &[Statement<'_, '_>]) {
    let forms: Vec<String> = statements.iter().map(|s| canonical(s.node, true)).collect();
    for (i, s) in statements.iter().enumerate() {
        let Some(form) = forms.get(i) else { continue };
        if forms.iter().take(i).any(|earlier| earlier == form) {
            let at = ctx.node_location(&s.path, s.node);
            ctx.report(
                IssueCode::RedundantStatement,
                "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement.".into(),
                vec![at],
            );
        }
    }
}

/// A node as compact JSON, members in document order; `skip_sid` leaves out a top-level
/// `Sid`.
fn canonical(node: &Node<'_>, skip_sid: bool) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => (*n).to_owned(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|n| canonical(n, false)).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(members) => {
            let parts: Vec<String> = members
                .iter()
                .filter(|m| !(skip_sid && m.key == "Sid"))
                .map(|m| format!("{:?}:{}", m.key, canonical(&m.value, false)))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
    }
}
