//! The custom policy checks against the engine: random small policies over a small world
//! of actions, resources, principals and condition keys, and brute force over concrete
//! requests evaluated by `oxiam-policy`. Whatever the engine allows that a check's rule
//! forbids, the check must FAIL on; and it must PASS on a good share of the cases where
//! nothing is allowed (a checker that always fails is sound and useless).
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers fail the test on unexpected input"
)]

use oxiam_analysis::checks::{
    Access, CheckResult, PolicyType, ResourceType, check_access_not_granted, check_no_new_access,
    check_no_public_access,
};
use oxiam_catalogue::Catalogue;
use oxiam_policy::{
    Context, ContextValue, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType,
    Request, evaluate, wildcard_match,
};

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    fn some<'a>(&mut self, from: &[&'a str]) -> Vec<&'a str> {
        (0..1 + self.below(2)).map(|_| self.pick(from)).collect()
    }
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "iam:PassRole",
    "myapp:GetFile",
    "myapp:PutFile",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:Get*",
    "s3:*",
    "s3:?utObject",
    "s3:*Object",
    "iam:PassRole",
    "iam:*",
    "myapp:GetFile",
    "myapp:*",
    "*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/a/x",
    "arn:aws:s3:::b/c",
    "arn:aws:s3:::bb/a",
    "arn:aws:s3:::b/a/y/x",
    "arn:aws:s3:::c",
    "arn:aws:iam::111122223333:role/r",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/a/*",
    "arn:aws:s3:::b/a/x",
    "arn:aws:s3:::b?/*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b/*/x",
    "arn:aws:s3:::*/a*",
    "arn:aws:s3:::*a*",
    "arn:aws:iam::111122223333:role/r",
    "arn:aws:iam::*:role/*",
    "arn:aws:*:::b*",
];
/// Condition entries (operator, key, values), merged per statement.
const CONDITIONS: &[(&str, &str, &str)] = &[
    ("StringEquals", "k:s", r#""a""#),
    ("StringEquals", "k:s", r#"["a","b"]"#),
    ("StringLike", "k:s", r#""a*""#),
    ("StringNotEquals", "k:s", r#""a""#),
    ("StringEqualsIfExists", "k:s", r#""a""#),
    ("NumericLessThan", "k:n", r#""10""#),
    ("NumericLessThanEquals", "k:n", r#""5""#),
    ("NumericGreaterThan", "k:n", r#""3""#),
    ("Bool", "k:b", r#""true""#),
    ("Null", "k:s", r#""true""#),
    ("ForAnyValue:StringEquals", "k:m", r#"["a","b"]"#),
    ("ForAllValues:StringEquals", "k:m", r#"["a"]"#),
    ("IpAddress", "aws:SourceIp", r#""10.0.0.0/8""#),
    ("StringEquals", "aws:SourceVpce", r#""vpce-1""#),
    ("StringNotEquals", "aws:SourceVpce", r#""vpce-1""#),
    ("StringEquals", "aws:PrincipalOrgID", r#""o-1""#),
    (
        "ArnLike",
        "aws:PrincipalArn",
        r#""arn:aws:iam::111122223333:*""#,
    ),
    (
        "StringLike",
        "aws:PrincipalArn",
        r#""arn:aws:iam::*:user/*""#,
    ),
    (
        "ArnNotLike",
        "aws:PrincipalArn",
        r#""arn:aws:iam::111122223333:*""#,
    ),
];
const PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"*"}"#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/r"}"#,
    r#"{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::444455556666:user/bob"]}"#,
];

fn list(items: &[&str]) -> String {
    serde_json::to_string(items).unwrap()
}

fn condition(rng: &mut Rng) -> Option<String> {
    if rng.below(3) != 0 {
        return None;
    }
    let mut by_op: Vec<(&str, Vec<String>)> = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let (op, key, values) = CONDITIONS[rng.below(CONDITIONS.len())];
        let entry = format!(r#""{key}":{values}"#);
        match by_op.iter_mut().find(|(o, _)| *o == op) {
            Some((_, entries))
                if !entries
                    .iter()
                    .any(|e| e.starts_with(&format!(r#""{key}""#))) =>
            {
                entries.push(entry);
            }
            Some(_) => {}
            None => by_op.push((op, vec![entry])),
        }
    }
    let ops: Vec<String> = by_op
        .iter()
        .map(|(op, entries)| format!(r#""{op}":{{{}}}"#, entries.join(",")))
        .collect();
    Some(format!("{{{}}}", ops.join(",")))
}

/// One random statement; `principals` for resource policies.
fn statement(rng: &mut Rng, principals: bool) -> String {
    let effect = if rng.below(4) == 0 { "Deny" } else { "Allow" };
    let action = if rng.below(6) == 0 {
        "NotAction"
    } else {
        "Action"
    };
    let resource = if rng.below(7) == 0 {
        "NotResource"
    } else {
        "Resource"
    };
    let mut parts = vec![
        format!(r#""Effect":"{effect}""#),
        format!(r#""{action}":{}"#, list(&rng.some(ACTION_PATTERNS))),
        format!(r#""{resource}":{}"#, list(&rng.some(RESOURCE_PATTERNS))),
    ];
    if principals {
        let p = rng.pick(PRINCIPALS);
        let element = if rng.below(10) == 0 && p != r#""*""# {
            "NotPrincipal"
        } else {
            "Principal"
        };
        parts.push(format!(r#""{element}":{p}"#));
    }
    if let Some(c) = condition(rng) {
        parts.push(format!(r#""Condition":{c}"#));
    }
    if rng.below(3) == 0 {
        // 64 random bits: no two statements of a policy share a Sid.
        parts.push(format!(r#""Sid":"S{:016x}""#, rng.next()));
    }
    format!("{{{}}}", parts.join(","))
}

fn document(statements: &[String]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn random_statements(rng: &mut Rng, principals: bool) -> Vec<String> {
    (0..1 + rng.below(3))
        .map(|_| statement(rng, principals))
        .collect()
}

/// A copy of `statements` narrowed at random: an allow loses an action or gains a
/// condition, or a deny is added; or left as it is.
fn narrowed(rng: &mut Rng, statements: &[String], principals: bool) -> Vec<String> {
    let mut out = statements.to_vec();
    match rng.below(4) {
        0 => {}
        1 => {
            let mut deny = statement(rng, principals);
            deny = deny.replacen(r#""Effect":"Allow""#, r#""Effect":"Deny""#, 1);
            out.push(deny);
        }
        _ => {
            let i = rng.below(out.len());
            let mut v: serde_json::Value = serde_json::from_str(&out[i]).unwrap();
            if v["Effect"] == "Allow" {
                if let Some(serde_json::Value::Array(a)) = v.get_mut("Action")
                    && a.len() > 1
                {
                    a.pop();
                } else if v.get("Condition").is_none() {
                    v["Condition"] =
                        serde_json::json!({"StringEquals": {"k:s": "a"}, "Bool": {"k:b": "true"}});
                }
            }
            out[i] = v.to_string();
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The world's requests.

struct Caller {
    arn: &'static str,
    account: &'static str,
    kind: PrincipalType,
    role_arn: Option<&'static str>,
    user_id: &'static str,
}

const ALICE: Caller = Caller {
    arn: "arn:aws:iam::111122223333:user/alice",
    account: "111122223333",
    kind: PrincipalType::User,
    role_arn: None,
    user_id: "AIDAALICE00000000001",
};
const BOB: Caller = Caller {
    arn: "arn:aws:iam::444455556666:user/bob",
    account: "444455556666",
    kind: PrincipalType::User,
    role_arn: None,
    user_id: "AIDABOB0000000000001",
};
const SESSION: Caller = Caller {
    arn: "arn:aws:sts::111122223333:assumed-role/r/s",
    account: "111122223333",
    kind: PrincipalType::AssumedRole,
    role_arn: Some("arn:aws:iam::111122223333:role/r"),
    user_id: "AROAROLE000000000001:s",
};
/// A stranger: an account no policy names.
const MALLORY: Caller = Caller {
    arn: "arn:aws:iam::999988887777:user/mallory",
    account: "999988887777",
    kind: PrincipalType::User,
    role_arn: None,
    user_id: "AIDAMALLORY000000001",
};
const ANONYMOUS: Caller = Caller {
    arn: "",
    account: "",
    kind: PrincipalType::Anonymous,
    role_arn: None,
    user_id: "anonymous",
};

impl Caller {
    fn principal(&self) -> Principal<'static> {
        Principal {
            arn: self.arn,
            account: self.account,
            kind: self.kind,
            role_arn: self.role_arn,
            user_id: self.user_id,
        }
    }
}

/// Values of the condition keys (None: missing).
type Keys = [(&'static str, Option<ContextValue>); 7];

fn random_keys(rng: &mut Rng) -> Keys {
    let one = |rng: &mut Rng, from: &[&str]| -> Option<ContextValue> {
        let v = rng.pick(from);
        (!v.is_empty()).then(|| ContextValue::from(v))
    };
    let multi = match rng.below(4) {
        0 => None,
        1 => Some(ContextValue::from(["a"])),
        2 => Some(ContextValue::from(["a", "c"])),
        _ => Some(ContextValue::Multi(vec![])),
    };
    [
        ("k:s", one(rng, &["", "a", "b", "ab", "c"])),
        ("k:n", one(rng, &["", "2", "5", "7", "12"])),
        ("k:b", one(rng, &["", "true", "false"])),
        ("k:m", multi),
        ("aws:SourceIp", one(rng, &["", "10.1.2.3", "192.0.2.1"])),
        ("aws:SourceVpce", one(rng, &["", "vpce-1", "vpce-2"])),
        ("aws:PrincipalOrgID", one(rng, &["", "o-1"])),
    ]
}

fn context(caller: &Caller, keys: &Keys) -> Context {
    let mut c = Context::for_principal(&caller.principal(), &[]);
    for (k, v) in keys {
        if let Some(v) = v {
            c.insert(k, v.clone());
        }
    }
    c
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// The engine's answer. An identity policy is the caller's only policy; a resource policy
/// is read for a resource in an account of its own, the caller's identity side allowing
/// everything, so the resource policy alone decides (anonymous callers have no identity
/// side).
fn allows(p: &Policy, caller: &Caller, action: &str, resource: &str, keys: &Keys) -> bool {
    let allow_all = Policy::parse(ALLOW_ALL, PolicyKind::Identity).unwrap();
    let ctx = context(caller, keys);
    let request = Request {
        principal: caller.principal(),
        action,
        resource,
        resource_account: Some("123456789012"),
        context: &ctx,
    };
    let identity = [NamedPolicy {
        name: "identity",
        policy: &allow_all,
    }];
    let set = match p.kind() {
        PolicyKind::Identity => {
            let own = [NamedPolicy {
                name: "p",
                policy: p,
            }];
            let request = Request {
                resource_account: None,
                ..request
            };
            return evaluate(
                &request,
                &PolicySet {
                    identity: &own,
                    ..PolicySet::default()
                },
            )
            .is_allowed();
        }
        _ => PolicySet {
            identity: if caller.kind == PrincipalType::Anonymous {
                &[]
            } else {
                &identity
            },
            resource: Some(NamedPolicy {
                name: "p",
                policy: p,
            }),
            ..PolicySet::default()
        },
    };
    evaluate(&request, &set).is_allowed()
}

fn parse(text: &str, kind: PolicyKind) -> Policy {
    Policy::parse(text, kind)
        .map_err(|e| format!("{}: {text}", e.message()))
        .unwrap()
}

const CALLERS: &[&Caller] = &[&ALICE, &BOB, &SESSION, &MALLORY, &ANONYMOUS];

/// Contexts tried per policy pair.
const CONTEXTS: usize = 12;

/// (policy pairs, pairs where the engine found new access, identical or narrowed pairs
/// that passed, identical or narrowed pairs).
fn no_new_access_round(
    policy_type: PolicyType,
    seed: u64,
    pairs: usize,
) -> (usize, usize, usize, usize) {
    let catalogue = Catalogue::aws();
    let (kind, principals, callers): (PolicyKind, bool, &[&Caller]) = match policy_type {
        PolicyType::IdentityPolicy => (PolicyKind::Identity, false, &[&ALICE]),
        PolicyType::ResourcePolicy => (PolicyKind::Resource, true, CALLERS),
    };
    let mut rng = Rng(seed);
    let (mut with_new, mut narrow_pass, mut narrow) = (0, 0, 0);
    for n in 0..pairs {
        let existing_statements = random_statements(&mut rng, principals);
        let existing = document(&existing_statements);
        // Every other pair is the existing policy narrowed (or kept), so PASS is due.
        let is_narrowed = n % 2 == 0;
        let new = if is_narrowed {
            document(&narrowed(&mut rng, &existing_statements, principals))
        } else {
            document(&random_statements(&mut rng, principals))
        };
        let (pe, pn) = (parse(&existing, kind), parse(&new, kind));
        let answer = check_no_new_access(&new, &existing, policy_type, catalogue).unwrap();
        let keys: Vec<Keys> = (0..CONTEXTS).map(|_| random_keys(&mut rng)).collect();
        let mut found = None;
        'search: for caller in callers {
            for action in ACTIONS {
                for resource in RESOURCES {
                    for k in &keys {
                        if allows(&pn, caller, action, resource, k)
                            && !allows(&pe, caller, action, resource, k)
                        {
                            found = Some((caller.arn, *action, *resource));
                            break 'search;
                        }
                    }
                }
            }
        }
        if let Some(request) = found {
            with_new += 1;
            assert!(
                answer.result == CheckResult::Fail && !answer.reasons.is_empty(),
                "new access {request:?} but {answer:?}\nexisting: {existing}\nnew: {new}"
            );
        }
        if is_narrowed {
            narrow += 1;
            if answer.result == CheckResult::Pass {
                narrow_pass += 1;
            }
        }
    }
    (pairs, with_new, narrow_pass, narrow)
}

#[test]
fn no_new_access_never_passes_new_identity_access() {
    let (pairs, with_new, pass, narrow) =
        no_new_access_round(PolicyType::IdentityPolicy, 0x9e37_79b9_7f4a_7c15, 160);
    eprintln!(
        "identity: {pairs} pairs, {with_new} with new access, {pass}/{narrow} narrowed passed"
    );
    assert!(with_new > 30, "{with_new}");
    // Identical and narrowed policies: most must pass.
    assert!(pass * 10 >= narrow * 6, "{pass}/{narrow}");
}

#[test]
fn no_new_access_never_passes_new_resource_access() {
    let (pairs, with_new, pass, narrow) =
        no_new_access_round(PolicyType::ResourcePolicy, 0x2545_f491_4f6c_dd1d, 120);
    eprintln!(
        "resource: {pairs} pairs, {with_new} with new access, {pass}/{narrow} narrowed passed"
    );
    assert!(with_new > 20, "{with_new}");
    assert!(pass * 10 >= narrow * 6, "{pass}/{narrow}");
}

#[test]
fn access_not_granted_never_passes_granted_access() {
    let catalogue = Catalogue::aws();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let listed_resources = [
        "arn:aws:s3:::b/a/x",
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::c",
        "arn:aws:s3:::b?/a",
        "arn:aws:iam::111122223333:role/*",
    ];
    let (mut granted, mut passes, mut clean) = (0, 0, 0);
    for n in 0..200 {
        let identity = n % 2 == 0;
        let (kind, policy_type) = if identity {
            (PolicyKind::Identity, PolicyType::IdentityPolicy)
        } else {
            (PolicyKind::Resource, PolicyType::ResourcePolicy)
        };
        let text = document(&random_statements(&mut rng, !identity));
        let p = parse(&text, kind);
        let access = match rng.below(3) {
            0 => Access {
                actions: rng.some(ACTIONS).iter().map(|s| (*s).to_owned()).collect(),
                resources: vec![],
            },
            1 => Access {
                actions: vec![],
                resources: rng
                    .some(&listed_resources)
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            },
            _ => Access {
                actions: vec![rng.pick(ACTION_PATTERNS).to_owned()],
                resources: vec![rng.pick(&listed_resources).to_owned()],
            },
        };
        let answer =
            check_access_not_granted(&text, std::slice::from_ref(&access), policy_type, catalogue)
                .unwrap();
        let callers: &[&Caller] = if identity { &[&ALICE] } else { CALLERS };
        let keys: Vec<Keys> = (0..CONTEXTS).map(|_| random_keys(&mut rng)).collect();
        let listed = |a: &str, r: &str| {
            (access.actions.is_empty() || access.actions.iter().any(|p| wildcard_match(p, a, true)))
                && (access.resources.is_empty()
                    || access.resources.iter().any(|p| wildcard_match(p, r, false)))
        };
        let hit = callers.iter().any(|c| {
            ACTIONS.iter().any(|a| {
                RESOURCES
                    .iter()
                    .any(|r| listed(a, r) && keys.iter().any(|k| allows(&p, c, a, r, k)))
            })
        });
        if hit {
            granted += 1;
            assert_eq!(
                answer.result,
                CheckResult::Fail,
                "{access:?} granted but {answer:?}\n{text}"
            );
        } else {
            clean += 1;
            if answer.result == CheckResult::Pass {
                passes += 1;
            }
        }
    }
    eprintln!("access: {granted} granted, {passes}/{clean} clean passed");
    assert!(granted > 40, "{granted}");
    assert!(passes * 10 >= clean * 3, "{passes}/{clean}");
}

#[test]
fn no_public_access_never_passes_public_access() {
    let catalogue = Catalogue::aws();
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let (mut public, mut passes, mut private) = (0, 0, 0);
    for _ in 0..200 {
        let text = document(&random_statements(&mut rng, true));
        let p = parse(&text, PolicyKind::Resource);
        let answer = check_no_public_access(&text, ResourceType::S3Bucket, catalogue).unwrap();
        // The public: anonymous callers and strangers, without the keys that would tie
        // them to a network or an organization.
        let keys: Vec<Keys> = (0..CONTEXTS)
            .map(|_| {
                let mut k = random_keys(&mut rng);
                for (name, v) in &mut k {
                    if name.starts_with("aws:") {
                        *v = None;
                    }
                }
                k
            })
            .collect();
        let hit = [&ANONYMOUS, &MALLORY].iter().any(|c| {
            ACTIONS.iter().filter(|a| a.starts_with("s3:")).any(|a| {
                RESOURCES
                    .iter()
                    .any(|r| keys.iter().any(|k| allows(&p, c, a, r, k)))
            })
        });
        if hit {
            public += 1;
            assert_eq!(
                answer.result,
                CheckResult::Fail,
                "public access but {answer:?}\n{text}"
            );
        } else {
            private += 1;
            if answer.result == CheckResult::Pass {
                passes += 1;
            }
        }
    }
    eprintln!("public: {public} public, {passes}/{private} private passed");
    assert!(public > 30, "{public}");
    assert!(passes * 10 >= private * 5, "{passes}/{private}");
}
