//! Tests of `evaluate`, beside it so that the module itself stays short.

use super::*;
use crate::PolicyKind as K;

const ACCT: &str = "111122223333";
const OTHER: &str = "444455556666";

fn pol(kind: K, statements: &str) -> Policy {
    let doc = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    Policy::parse(&doc, kind).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

fn allow(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#)
}

fn user() -> Principal<'static> {
    Principal {
        arn: "arn:aws:iam::111122223333:user/alice",
        account: ACCT,
        kind: PrincipalType::User,
        role_arn: None,
        user_id: "AIDAEXAMPLEUSERID1",
    }
}

fn session() -> Principal<'static> {
    Principal {
        arn: "arn:aws:sts::111122223333:assumed-role/App/s1",
        account: ACCT,
        kind: PrincipalType::AssumedRole,
        role_arn: Some("arn:aws:iam::111122223333:role/App"),
        user_id: "AROAEXAMPLEROLEID1:s1",
    }
}

struct Case<'a> {
    principal: Principal<'a>,
    action: &'a str,
    resource: &'a str,
    resource_account: Option<&'a str>,
    context: Context,
}

impl<'a> Case<'a> {
    fn new(principal: Principal<'a>, action: &'a str, resource: &'a str) -> Self {
        Self {
            principal,
            action,
            resource,
            resource_account: None,
            context: Context::for_principal(&principal, &[]),
        }
    }

    fn eval<'p>(&self, set: &PolicySet<'p>) -> Decision<'p> {
        let req = Request {
            principal: self.principal,
            action: self.action,
            resource: self.resource,
            resource_account: self.resource_account,
            context: &self.context,
        };
        evaluate(&req, set)
    }
}

fn named<'a>(name: &'a str, p: &'a Policy) -> NamedPolicy<'a> {
    NamedPolicy { name, policy: p }
}

fn denied_by(d: &Decision<'_>) -> Option<PolicyType> {
    d.denied_by.map(|d| d.policy_type)
}

#[test]
fn identity_allow_and_default_deny() {
    let p = pol(K::Identity, &allow("s3:Get*", "arn:aws:s3:::b/*"));
    let ids = [named("read", &p)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let d = Case::new(user(), "S3:GetObject", "arn:aws:s3:::b/k").eval(&set);
    assert_eq!(d.effect, Effect::Allow);
    let r = d.reasons.iter().next().unwrap();
    assert_eq!(
        (r.policy, r.statement, r.policy_type),
        ("read", 0, PolicyType::Identity)
    );
    let d = Case::new(user(), "s3:PutObject", "arn:aws:s3:::b/k").eval(&set);
    assert_eq!(d.effect, Effect::ImplicitDeny);
    assert_eq!(denied_by(&d), Some(PolicyType::Identity));
    assert!(d.reasons.is_empty());
    let d = Case::new(user(), "s3:GetObject", "arn:aws:s3:::B/k").eval(&set);
    assert_eq!(
        d.effect,
        Effect::ImplicitDeny,
        "resources are case-sensitive"
    );
    let empty = Case::new(user(), "s3:GetObject", "arn:aws:s3:::b/k").eval(&PolicySet::default());
    assert_eq!(empty.effect, Effect::ImplicitDeny);
}

#[test]
fn explicit_deny_wins_and_is_named() {
    let a = pol(K::Identity, &allow("*", "*"));
    let d = pol(
        K::Identity,
        r#"{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}"#,
    );
    let ids = [named("admin", &a), named("guard", &d)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let dec = Case::new(user(), "s3:DeleteObject", "arn:aws:s3:::b/k").eval(&set);
    assert_eq!(dec.effect, Effect::ExplicitDeny);
    let r = dec.reasons.iter().next().unwrap();
    assert_eq!((r.policy, r.sid), ("guard", Some("NoDelete")));
    assert_eq!(
        Case::new(user(), "s3:GetObject", "x").eval(&set).effect,
        Effect::Allow
    );
}

#[test]
fn not_action_and_not_resource() {
    let p = pol(
        K::Identity,
        r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"},
               {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::pub","arn:aws:s3:::pub/*"]}"#,
    );
    let ids = [named("p", &p)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let eval = |a, r| Case::new(user(), a, r).eval(&set).effect;
    assert_eq!(eval("ec2:RunInstances", "*"), Effect::Allow);
    assert_eq!(eval("iam:CreateUser", "*"), Effect::ImplicitDeny);
    assert_eq!(eval("s3:GetObject", "arn:aws:s3:::pub/x"), Effect::Allow);
    assert_eq!(
        eval("s3:GetObject", "arn:aws:s3:::private/x"),
        Effect::ExplicitDeny
    );
    // A lone Deny with NotResource never allows anything.
    let lone = pol(
        K::Identity,
        r#"{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::x"}"#,
    );
    let ids = [named("lone", &lone)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    assert_eq!(
        Case::new(user(), "s3:GetObject", "arn:aws:s3:::x")
            .eval(&set)
            .effect,
        Effect::ImplicitDeny
    );
}

#[test]
fn boundary_and_session_policies_intersect() {
    let all = pol(K::Identity, &allow("*", "*"));
    let s3 = pol(K::PermissionsBoundary, &allow("s3:*", "*"));
    let get = pol(K::Session, &allow("s3:GetObject", "*"));
    let ids = [named("all", &all)];
    let sessions = [named("sp", &get)];
    let set = PolicySet {
        identity: &ids,
        permissions_boundary: Some(named("b", &s3)),
        ..PolicySet::default()
    };
    let d = Case::new(user(), "ec2:RunInstances", "*").eval(&set);
    assert_eq!(
        (d.effect, denied_by(&d)),
        (Effect::ImplicitDeny, Some(PolicyType::PermissionsBoundary))
    );
    let d = Case::new(user(), "s3:PutObject", "*").eval(&set);
    assert_eq!(d.effect, Effect::Allow);
    assert_eq!(d.reasons.len(), 2);
    let with_session = PolicySet {
        session: &sessions,
        ..set
    };
    let d = Case::new(session(), "s3:PutObject", "*").eval(&with_session);
    assert_eq!(
        (d.effect, denied_by(&d)),
        (Effect::ImplicitDeny, Some(PolicyType::Session))
    );
    assert_eq!(
        Case::new(session(), "s3:GetObject", "*")
            .eval(&with_session)
            .effect,
        Effect::Allow
    );
    // The boundary alone grants nothing.
    let only_boundary = PolicySet {
        permissions_boundary: Some(named("b", &s3)),
        ..PolicySet::default()
    };
    let d = Case::new(user(), "s3:GetObject", "*").eval(&only_boundary);
    assert_eq!(denied_by(&d), Some(PolicyType::Identity));
}

#[test]
fn scp_levels_must_all_allow() {
    let full = pol(K::Scp, &allow("*", "*"));
    let no_ec2 = pol(K::Scp, &allow("s3:*", "*"));
    let deny_iam = pol(
        K::Scp,
        r#"{"Effect":"Deny","Action":"iam:*","Resource":"*"}"#,
    );
    let all = pol(K::Identity, &allow("*", "*"));
    let ids = [named("all", &all)];
    let root = [named("FullAWSAccess", &full)];
    let ou = [named("S3Only", &no_ec2), named("NoIam", &deny_iam)];
    let levels: [&[NamedPolicy<'_>]; 2] = [&root, &ou];
    let set = PolicySet {
        identity: &ids,
        scps: &levels,
        ..PolicySet::default()
    };
    let d = Case::new(user(), "ec2:RunInstances", "*").eval(&set);
    assert_eq!(d.effect, Effect::ImplicitDeny);
    assert_eq!(
        d.denied_by,
        Some(DeniedBy {
            policy_type: PolicyType::Scp,
            level: Some(1)
        })
    );
    assert_eq!(
        Case::new(user(), "s3:GetObject", "*").eval(&set).effect,
        Effect::Allow
    );
    let d = Case::new(user(), "iam:CreateUser", "*").eval(&set);
    assert_eq!(d.effect, Effect::ExplicitDeny);
    assert_eq!(
        d.denied_by,
        Some(DeniedBy {
            policy_type: PolicyType::Scp,
            level: Some(1)
        })
    );
    // SCPs grant nothing by themselves.
    let no_identity = PolicySet {
        scps: &levels,
        ..PolicySet::default()
    };
    assert_eq!(
        Case::new(user(), "s3:GetObject", "*")
            .eval(&no_identity)
            .effect,
        Effect::ImplicitDeny
    );
}

#[test]
fn scope_down_layers_each_cap_everything() {
    let all = pol(K::Identity, &allow("*", "*"));
    let s3 = pol(K::Session, &allow("s3:*", "*"));
    let get = pol(K::Session, &allow("s3:Get*", "*"));
    let no_secret = pol(
        K::Session,
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret"}"#,
    );
    let ids = [named("all", &all)];
    let layers = [named("scope-down 1", &s3), named("scope-down 2", &get)];
    let set = PolicySet {
        identity: &ids,
        scope_down: &layers,
        ..PolicySet::default()
    };
    let eval = |set: &PolicySet<'_>, a, r| {
        let d = Case::new(session(), a, r).eval(set);
        (d.effect, denied_by(&d))
    };
    assert_eq!(eval(&set, "s3:GetObject", "*"), (Effect::Allow, None));
    // Allowed by the first layer, not the second: an intersection, not a union.
    assert_eq!(
        eval(&set, "s3:PutObject", "*"),
        (Effect::ImplicitDeny, Some(PolicyType::Session))
    );
    assert_eq!(
        eval(&set, "ec2:RunInstances", "*"),
        (Effect::ImplicitDeny, Some(PolicyType::Session))
    );
    // A resource policy naming the session exactly does not get around them.
    let bucket = pol(
        K::Resource,
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/App/s1"},"Action":"s3:PutObject","Resource":"*"}"#,
    );
    let with_resource = PolicySet {
        resource: Some(named("bucket", &bucket)),
        ..set
    };
    assert_eq!(
        eval(&with_resource, "s3:PutObject", "*"),
        (Effect::ImplicitDeny, Some(PolicyType::Session))
    );
    let unscoped = PolicySet {
        scope_down: &[],
        ..with_resource
    };
    assert_eq!(eval(&unscoped, "s3:PutObject", "*"), (Effect::Allow, None));
    // A deny in any layer wins and is named.
    let layers = [named("scope-down 1", &no_secret)];
    let set = PolicySet {
        identity: &ids,
        scope_down: &layers,
        ..PolicySet::default()
    };
    let d = Case::new(session(), "s3:GetObject", "arn:aws:s3:::b/secret").eval(&set);
    assert_eq!(d.effect, Effect::ExplicitDeny);
    assert_eq!(d.reasons.iter().next().unwrap().policy, "scope-down 1");
    assert_eq!(
        eval(&set, "s3:GetObject", "arn:aws:s3:::b/open"),
        (Effect::Allow, None)
    );
    // They grant nothing by themselves.
    let alone = PolicySet {
        scope_down: &layers,
        ..PolicySet::default()
    };
    assert_eq!(
        eval(&alone, "s3:GetObject", "*"),
        (Effect::ImplicitDeny, Some(PolicyType::Identity))
    );
}

#[test]
fn rcp_gate() {
    let rcp = pol(
        K::Rcp,
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
    );
    let all = pol(K::Identity, &allow("*", "*"));
    let ids = [named("all", &all)];
    let level = [named("RCPFullS3", &rcp)];
    let levels: [&[NamedPolicy<'_>]; 1] = [&level];
    let set = PolicySet {
        identity: &ids,
        rcps: &levels,
        ..PolicySet::default()
    };
    assert_eq!(
        Case::new(user(), "s3:GetObject", "*").eval(&set).effect,
        Effect::Allow
    );
    let d = Case::new(user(), "sqs:SendMessage", "*").eval(&set);
    assert_eq!(denied_by(&d), Some(PolicyType::Rcp));
}

fn bucket_policy(principal: &str) -> Policy {
    pol(
        K::Resource,
        &format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
        ),
    )
}

#[test]
fn same_account_resource_policy_rules() {
    let boundary = pol(K::PermissionsBoundary, &allow("ec2:*", "*"));
    let get = |bp: &Policy, p: Principal<'_>, with_boundary: bool| {
        let set = PolicySet {
            resource: Some(named("bucket", bp)),
            permissions_boundary: with_boundary.then(|| named("b", &boundary)),
            ..PolicySet::default()
        };
        let d = Case::new(p, "s3:GetObject", "arn:aws:s3:::b/k").eval(&set);
        (d.effect, denied_by(&d))
    };
    // Naming the IAM user grants without identity policy, boundary notwithstanding.
    let by_user = bucket_policy("arn:aws:iam::111122223333:user/alice");
    assert_eq!(get(&by_user, user(), true).0, Effect::Allow);
    // Naming the role session: the same.
    let by_session = bucket_policy("arn:aws:sts::111122223333:assumed-role/App/s1");
    assert_eq!(get(&by_session, session(), true).0, Effect::Allow);
    // Naming the role: sessions need the boundary to allow too.
    let by_role = bucket_policy("arn:aws:iam::111122223333:role/App");
    assert_eq!(get(&by_role, session(), false).0, Effect::Allow);
    assert_eq!(
        get(&by_role, session(), true),
        (Effect::ImplicitDeny, Some(PolicyType::PermissionsBoundary))
    );
    // Naming the account delegates to identity policies.
    let by_account = bucket_policy(ACCT);
    assert_eq!(
        get(&by_account, user(), false),
        (Effect::ImplicitDeny, Some(PolicyType::Identity))
    );
    // Naming someone else grants nothing.
    let other = bucket_policy("arn:aws:iam::111122223333:user/bob");
    assert_eq!(get(&other, user(), false).0, Effect::ImplicitDeny);
}

#[test]
fn cross_account_needs_both_sides() {
    let bp = bucket_policy(ACCT);
    let id = pol(K::Identity, &allow("s3:GetObject", "*"));
    let ids = [named("id", &id)];
    let eval = |identity: &[NamedPolicy<'_>], resource: Option<NamedPolicy<'_>>| {
        let mut c = Case::new(user(), "s3:GetObject", "arn:aws:s3:::b/k");
        c.resource_account = Some(OTHER);
        let d = c.eval(&PolicySet {
            identity,
            resource,
            ..PolicySet::default()
        });
        (d.effect, denied_by(&d))
    };
    assert_eq!(
        eval(&ids, None),
        (Effect::ImplicitDeny, Some(PolicyType::Resource))
    );
    assert_eq!(
        eval(&[], Some(named("bp", &bp))),
        (Effect::ImplicitDeny, Some(PolicyType::Identity))
    );
    assert_eq!(eval(&ids, Some(named("bp", &bp))).0, Effect::Allow);
    // Even naming the user exactly needs the identity side across accounts.
    let exact = bucket_policy("arn:aws:iam::111122223333:user/alice");
    assert_eq!(eval(&[], Some(named("bp", &exact))).0, Effect::ImplicitDeny);
}

#[test]
fn trust_policies_must_allow() {
    let trust = pol(
        K::Trust,
        r#"{"Effect":"Allow","Principal":{"AWS":"111122223333","Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
    );
    let id = pol(K::Identity, &allow("sts:AssumeRole", "*"));
    let ids = [named("id", &id)];
    let role = "arn:aws:iam::111122223333:role/Target";
    let with = |identity: &[NamedPolicy<'_>], trust: &Policy, p: Principal<'_>| {
        let set = PolicySet {
            identity,
            resource: Some(named("trust", trust)),
            ..PolicySet::default()
        };
        Case::new(p, "sts:AssumeRole", role).eval(&set).effect
    };
    // Trust names the account: the identity side must allow.
    assert_eq!(with(&[], &trust, user()), Effect::ImplicitDeny);
    assert_eq!(with(&ids, &trust, user()), Effect::Allow);
    let ec2 = Principal::service("ec2.amazonaws.com");
    assert_eq!(with(&[], &trust, ec2), Effect::Allow);
    // An identity allow alone is not enough when the trust policy does not name the caller.
    let other = pol(
        K::Trust,
        r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}"#,
    );
    assert_eq!(with(&ids, &other, user()), Effect::ImplicitDeny);
}

#[test]
fn root_user() {
    let root = Principal::root("arn:aws:iam::111122223333:root", ACCT);
    let c = Case::new(root, "iam:CreateUser", "arn:aws:iam::111122223333:user/x");
    assert_eq!(c.eval(&PolicySet::default()).effect, Effect::Allow);
    let mut c = Case::new(root, "s3:GetObject", "arn:aws:s3:::b/k");
    c.resource_account = Some(OTHER);
    assert_eq!(c.eval(&PolicySet::default()).effect, Effect::ImplicitDeny);
    let bp = bucket_policy(ACCT);
    let set = PolicySet {
        resource: Some(named("bp", &bp)),
        ..PolicySet::default()
    };
    assert_eq!(c.eval(&set).effect, Effect::Allow);
}

#[test]
fn anonymous_and_not_principal() {
    let public = pol(
        K::Resource,
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    );
    let anon = Principal {
        arn: "",
        account: "",
        kind: PrincipalType::Anonymous,
        role_arn: None,
        user_id: "anonymous",
    };
    let set = PolicySet {
        resource: Some(named("bp", &public)),
        ..PolicySet::default()
    };
    assert_eq!(
        Case::new(anon, "s3:GetObject", "arn:aws:s3:::b/k")
            .eval(&set)
            .effect,
        Effect::Allow
    );
    assert_eq!(
        Case::new(anon, "s3:PutObject", "arn:aws:s3:::b/k")
            .eval(&set)
            .effect,
        Effect::ImplicitDeny
    );
    let np = pol(
        K::Resource,
        r#"{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"s3:*","Resource":"*"},
               {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}"#,
    );
    let set = PolicySet {
        resource: Some(named("bp", &np)),
        ..PolicySet::default()
    };
    assert_eq!(
        Case::new(user(), "s3:GetObject", "x").eval(&set).effect,
        Effect::Allow
    );
    assert_eq!(
        Case::new(session(), "s3:GetObject", "x").eval(&set).effect,
        Effect::ExplicitDeny
    );
}

#[test]
fn variables_and_conditions_in_evaluation() {
    let p = pol(
        K::Identity,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*",
                "Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
    );
    let ids = [named("home", &p)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let mut c = Case::new(user(), "s3:GetObject", "arn:aws:s3:::home/alice/x");
    assert_eq!(c.eval(&set).effect, Effect::ImplicitDeny);
    c.context.insert("aws:SecureTransport", true);
    c.context.insert("aws:SourceIp", "10.1.2.3");
    assert_eq!(c.eval(&set).effect, Effect::Allow);
    c.resource = "arn:aws:s3:::home/bob/x";
    assert_eq!(c.eval(&set).effect, Effect::ImplicitDeny);
    // A role session has no aws:username: the variable cannot resolve, nothing matches.
    let mut s = Case::new(session(), "s3:GetObject", "arn:aws:s3:::home/s1/x");
    s.context.insert("aws:SecureTransport", true);
    s.context.insert("aws:SourceIp", "10.1.2.3");
    assert_eq!(s.eval(&set).effect, Effect::ImplicitDeny);
}

#[test]
fn federated_user_needs_a_session_policy() {
    let fed = Principal {
        arn: "arn:aws:sts::111122223333:federated-user/fred",
        account: ACCT,
        kind: PrincipalType::FederatedUser,
        role_arn: None,
        user_id: "111122223333:fred",
    };
    let all = pol(K::Identity, &allow("s3:*", "*"));
    let sp = pol(K::Session, &allow("s3:GetObject", "*"));
    let ids = [named("user", &all)];
    let sessions = [named("sp", &sp)];
    let without = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let d = Case::new(fed, "s3:GetObject", "x").eval(&without);
    assert_eq!(
        (d.effect, denied_by(&d)),
        (Effect::ImplicitDeny, Some(PolicyType::Session))
    );
    let with = PolicySet {
        session: &sessions,
        ..without
    };
    assert_eq!(
        Case::new(fed, "s3:GetObject", "x").eval(&with).effect,
        Effect::Allow
    );
    // Role sessions without session policies keep the role's permissions.
    let role = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    assert_eq!(
        Case::new(session(), "s3:GetObject", "x").eval(&role).effect,
        Effect::Allow
    );
}

#[test]
fn variables_with_no_value_match_nothing_per_entry() {
    // A role session has no aws:username: that entry matches no resource.
    let p = pol(
        K::Identity,
        r#"{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::home/${aws:username}/*","arn:aws:s3:::pub/*"]},
               {"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}"#,
    );
    let ids = [named("p", &p)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let d = Case::new(session(), "s3:GetObject", "arn:aws:s3:::pub/x").eval(&set);
    assert_eq!(
        (d.effect, d.reasons.iter().next().unwrap().statement),
        (Effect::Allow, 0)
    );
    // Through NotResource the resource is outside the no-value entry: the statement applies.
    let d = Case::new(session(), "s3:GetObject", "arn:aws:s3:::home/s1/x").eval(&set);
    assert_eq!(
        (d.effect, d.reasons.iter().next().unwrap().statement),
        (Effect::Allow, 1)
    );
    // Inverted operators match a no-value variable (AWS's documented Team example).
    let deny = pol(
        K::Identity,
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}}"#,
    );
    let ids = [named("d", &deny)];
    let set = PolicySet {
        identity: &ids,
        ..PolicySet::default()
    };
    let mut c = Case::new(user(), "s3:GetObject", "arn:aws:s3:::b/k");
    c.context.insert("s3:ExistingObjectTag/Team", "red");
    assert_eq!(c.eval(&set).effect, Effect::ExplicitDeny);
    c.context.insert("aws:PrincipalTag/Team", "red");
    assert_eq!(c.eval(&set).effect, Effect::Allow);
}

#[test]
fn trust_policies_for_web_identity_and_external_id() {
    let oidc = pol(
        K::Trust,
        r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
                "Action":"sts:AssumeRoleWithWebIdentity",
                "Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
                             "StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/app:*"}}}"#,
    );
    let gh = Principal {
        arn: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
        account: "",
        kind: PrincipalType::WebIdentity,
        role_arn: None,
        user_id: "",
    };
    let set = PolicySet {
        resource: Some(named("trust", &oidc)),
        ..PolicySet::default()
    };
    let role = "arn:aws:iam::111122223333:role/deploy";
    let mut c = Case::new(gh, "sts:AssumeRoleWithWebIdentity", role);
    c.context.insert(
        "token.actions.githubusercontent.com:aud",
        "sts.amazonaws.com",
    );
    c.context.insert(
        "token.actions.githubusercontent.com:sub",
        "repo:org/app:ref:refs/heads/main",
    );
    assert_eq!(c.eval(&set).effect, Effect::Allow);
    c.context.insert(
        "token.actions.githubusercontent.com:sub",
        "repo:evil/app:ref:refs/heads/main",
    );
    assert_eq!(c.eval(&set).effect, Effect::ImplicitDeny);
    // The same trust policy does not allow plain AssumeRole.
    let c = Case::new(gh, "sts:AssumeRole", role);
    assert_eq!(c.eval(&set).effect, Effect::ImplicitDeny);

    // Cross-account AssumeRole with sts:ExternalId: trust and identity must both allow.
    let trust = pol(
        K::Trust,
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"sts:ExternalId":"Unique-42"}}}"#,
    );
    let id = pol(
        K::Identity,
        &allow("sts:AssumeRole", "arn:aws:iam::444455556666:role/*"),
    );
    let ids = [named("id", &id)];
    let set = PolicySet {
        identity: &ids,
        resource: Some(named("trust", &trust)),
        ..PolicySet::default()
    };
    let mut c = Case::new(
        user(),
        "sts:AssumeRole",
        "arn:aws:iam::444455556666:role/Vendor",
    );
    c.resource_account = Some(OTHER);
    assert_eq!(c.eval(&set).effect, Effect::ImplicitDeny);
    c.context.insert("sts:ExternalId", "Unique-42");
    assert_eq!(c.eval(&set).effect, Effect::Allow);
}
