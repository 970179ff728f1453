//! Arbitrary policies against arbitrary requests: `evaluate` is total (no `Result`), so it must
//! never panic, whatever the policy text that parsed and whatever the request strings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxiam_policy::{
    Context, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType, Request,
    evaluate,
};

const KINDS: [PrincipalType; 8] = [
    PrincipalType::Account,
    PrincipalType::User,
    PrincipalType::AssumedRole,
    PrincipalType::FederatedUser,
    PrincipalType::Service,
    PrincipalType::Anonymous,
    PrincipalType::WebIdentity,
    PrincipalType::Saml,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Fields separated by NUL: policy, action, resource, principal ARN, then key=value pairs.
    let mut parts = text.split('\0');
    let doc = parts.next().unwrap_or("");
    let action = parts.next().unwrap_or("s3:GetObject");
    let resource = parts.next().unwrap_or("arn:aws:s3:::b/k");
    let arn = parts
        .next()
        .unwrap_or("arn:aws:iam::111122223333:user/alice");
    let kind = KINDS[data.len() % KINDS.len()];
    let principal = Principal {
        arn,
        account: arn.split(':').nth(4).unwrap_or(""),
        kind,
        role_arn: (kind == PrincipalType::AssumedRole).then_some(arn),
        user_id: arn,
    };
    let mut context = Context::for_principal(&principal, &[("team", arn)]);
    for pair in parts {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if v.contains(',') {
            context.insert(
                k,
                oxiam_policy::ContextValue::Multi(v.split(',').map(str::to_owned).collect()),
            );
        } else {
            context.insert(k, v);
        }
    }
    let request = Request {
        principal,
        action,
        resource,
        resource_account: Some("111122223333"),
        context: &context,
    };
    for policy_kind in [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Trust,
    ] {
        let Ok(policy) = Policy::parse(doc, policy_kind) else {
            continue;
        };
        let named = [NamedPolicy {
            name: "p",
            policy: &policy,
        }];
        let levels: [&[NamedPolicy<'_>]; 2] = [&named, &named];
        let sets = [
            PolicySet {
                identity: &named,
                ..PolicySet::default()
            },
            PolicySet {
                resource: Some(named[0]),
                ..PolicySet::default()
            },
            PolicySet {
                identity: &named,
                permissions_boundary: Some(named[0]),
                session: &named,
                scope_down: &named,
                resource: Some(named[0]),
                scps: &levels,
                rcps: &levels,
            },
        ];
        for set in &sets {
            let _ = evaluate(&request, set);
        }
    }
});
