//! A generator of random but meaningful evaluation cases in the corpus format
//! (`tests/cases/README.md`), for the differential test against the oracle.
//!
//! Cases are drawn from a small grammar of realistic statements: real actions with resources
//! of the right type (the oracle validates both), action and resource patterns with `*` and
//! `?`, NotAction / NotResource, `${aws:username}` in resources, a pool of condition operators
//! (with IfExists, negations and set qualifiers) over global keys whose values the request may
//! or may not carry, deny statements, boundaries, session policies, resource policies naming
//! users / roles / accounts, and SCP levels. The generator is deterministic for a seed.

use serde_json::{Map, Value, json};

pub const A: &str = "111122223333";
pub const B: &str = "444455556666";

/// SplitMix64: small, fast, good enough to pick grammar branches; no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// An action of the grammar and how to build a resource ARN of its type.
struct ActionSpec {
    action: &'static str,
    resources: &'static [&'static str],
}

const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        action: "sts:AssumeRole",
        resources: &["arn:aws:iam::111122223333:role/target"],
    },
    ActionSpec {
        action: "s3:GetObject",
        resources: &[
            "arn:aws:s3:::b/k",
            "arn:aws:s3:::b/home/alice/notes.txt",
            "arn:aws:s3:::b/home/bob/notes.txt",
            "arn:aws:s3:::logs/2024/app.gz",
            "arn:aws:s3:::data/a/b.txt",
        ],
    },
    ActionSpec {
        action: "s3:PutObject",
        resources: &[
            "arn:aws:s3:::b/k",
            "arn:aws:s3:::b/home/alice/x",
            "arn:aws:s3:::data/k",
        ],
    },
    ActionSpec {
        action: "s3:DeleteObject",
        resources: &["arn:aws:s3:::b/k", "arn:aws:s3:::logs/old"],
    },
    ActionSpec {
        action: "s3:ListBucket",
        resources: &["arn:aws:s3:::b", "arn:aws:s3:::logs", "arn:aws:s3:::data"],
    },
    ActionSpec {
        action: "iam:GetUser",
        resources: &[
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:user/bob",
            "arn:aws:iam::111122223333:user/ops/carol",
        ],
    },
    ActionSpec {
        action: "iam:CreateAccessKey",
        resources: &[
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:user/bob",
        ],
    },
    ActionSpec {
        action: "dynamodb:GetItem",
        resources: &[
            "arn:aws:dynamodb:us-east-1:111122223333:table/books",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/alice",
        ],
    },
    ActionSpec {
        action: "sqs:SendMessage",
        resources: &[
            "arn:aws:sqs:us-east-1:111122223333:alice-queue",
            "arn:aws:sqs:us-east-2:111122223333:orders",
        ],
    },
];

/// Action patterns: exact names, service wildcards, `?`, other case, other services.
const ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:get*",
    "S3:GETOBJECT",
    "s3:GetObject",
    "s3:PutObject",
    "s3:*Object",
    "s3:G?tObject",
    "s3:List*",
    "iam:*",
    "iam:Get*",
    "iam:*AccessKey*",
    "dynamodb:*",
    "dynamodb:GetItem",
    "sqs:*",
    "sqs:Send*",
    "ec2:*",
    "sts:AssumeRole",
    "sts:*",
];

/// Resource patterns, including variables and wildcards in several segments.
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b",
    "arn:aws:s3:::b*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::*/k",
    "arn:aws:s3:::b/home/${aws:username}/*",
    "arn:aws:s3:::logs/*",
    "arn:aws:s3:::data/?/*",
    "arn:aws:s3:::*",
    "arn:aws:iam::111122223333:user/*",
    "arn:aws:iam::111122223333:user/${aws:username}",
    "arn:aws:iam::*:user/alice",
    "arn:aws:iam::111122223333:user/ops/*",
    "arn:aws:dynamodb:*:111122223333:table/*",
    "arn:aws:dynamodb:us-east-1:111122223333:table/books",
    "arn:aws:dynamodb:*:*:table/${aws:username}",
    "arn:aws:sqs:us-east-1:111122223333:alice-*",
    "arn:aws:sqs:*:111122223333:*",
    "arn:aws:iam::111122223333:role/*",
    "arn:aws:iam::*:role/target",
];

/// One condition of the pool: operator, key, policy values.
struct CondSpec {
    op: &'static str,
    key: &'static str,
    values: &'static [&'static str],
}

const CONDITIONS: &[CondSpec] = &[
    CondSpec {
        op: "StringEquals",
        key: "aws:PrincipalTag/team",
        values: &["blue"],
    },
    CondSpec {
        op: "StringEquals",
        key: "aws:PrincipalTag/team",
        values: &["red", "blue"],
    },
    CondSpec {
        op: "StringNotEquals",
        key: "aws:PrincipalTag/team",
        values: &["red"],
    },
    CondSpec {
        op: "StringNotEquals",
        key: "aws:PrincipalTag/team",
        values: &["red", "blue"],
    },
    CondSpec {
        op: "StringEqualsIgnoreCase",
        key: "aws:PrincipalTag/team",
        values: &["BLUE"],
    },
    CondSpec {
        op: "StringNotEqualsIgnoreCase",
        key: "aws:PrincipalTag/team",
        values: &["RED"],
    },
    CondSpec {
        op: "StringLike",
        key: "aws:PrincipalTag/team",
        values: &["b*"],
    },
    CondSpec {
        op: "StringLike",
        key: "aws:PrincipalTag/team",
        values: &["r?d"],
    },
    CondSpec {
        op: "StringNotLike",
        key: "aws:PrincipalTag/team",
        values: &["r*"],
    },
    CondSpec {
        op: "StringEqualsIfExists",
        key: "aws:PrincipalTag/team",
        values: &["blue"],
    },
    CondSpec {
        op: "StringNotEqualsIfExists",
        key: "aws:PrincipalTag/team",
        values: &["red"],
    },
    CondSpec {
        op: "StringEquals",
        key: "aws:RequestedRegion",
        values: &["us-east-1", "eu-west-1"],
    },
    CondSpec {
        op: "StringNotEquals",
        key: "aws:RequestedRegion",
        values: &["us-east-1"],
    },
    CondSpec {
        op: "StringNotEqualsIfExists",
        key: "aws:RequestedRegion",
        values: &["us-east-1", "eu-west-1"],
    },
    CondSpec {
        op: "StringEquals",
        key: "aws:username",
        values: &["alice"],
    },
    CondSpec {
        op: "StringLike",
        key: "aws:PrincipalArn",
        values: &["arn:aws:iam::111122223333:*"],
    },
    CondSpec {
        op: "StringEquals",
        key: "aws:PrincipalAccount",
        values: &["111122223333"],
    },
    CondSpec {
        op: "StringNotEquals",
        key: "aws:PrincipalAccount",
        values: &["111122223333"],
    },
    CondSpec {
        op: "IpAddress",
        key: "aws:SourceIp",
        values: &["203.0.113.0/24"],
    },
    CondSpec {
        op: "IpAddress",
        key: "aws:SourceIp",
        values: &["192.0.2.0/24", "203.0.113.0/24"],
    },
    CondSpec {
        op: "NotIpAddress",
        key: "aws:SourceIp",
        values: &["203.0.113.0/24"],
    },
    CondSpec {
        op: "IpAddressIfExists",
        key: "aws:SourceIp",
        values: &["10.0.0.0/8"],
    },
    CondSpec {
        op: "IpAddress",
        key: "aws:SourceIp",
        values: &["2001:db8::/32"],
    },
    CondSpec {
        op: "Bool",
        key: "aws:SecureTransport",
        values: &["true"],
    },
    CondSpec {
        op: "Bool",
        key: "aws:SecureTransport",
        values: &["false"],
    },
    CondSpec {
        op: "BoolIfExists",
        key: "aws:MultiFactorAuthPresent",
        values: &["false"],
    },
    CondSpec {
        op: "Bool",
        key: "aws:MultiFactorAuthPresent",
        values: &["true"],
    },
    CondSpec {
        op: "NumericLessThan",
        key: "aws:MultiFactorAuthAge",
        values: &["3600"],
    },
    CondSpec {
        op: "NumericGreaterThanEquals",
        key: "aws:MultiFactorAuthAge",
        values: &["600"],
    },
    CondSpec {
        op: "NumericNotEquals",
        key: "aws:MultiFactorAuthAge",
        values: &["0"],
    },
    CondSpec {
        op: "NumericLessThanIfExists",
        key: "aws:MultiFactorAuthAge",
        values: &["300"],
    },
    CondSpec {
        op: "DateGreaterThan",
        key: "aws:CurrentTime",
        values: &["2024-01-01T00:00:00Z"],
    },
    CondSpec {
        op: "DateLessThan",
        key: "aws:CurrentTime",
        values: &["2025-06-30T23:59:59Z"],
    },
    CondSpec {
        op: "DateNotEquals",
        key: "aws:CurrentTime",
        values: &["2024-05-01T12:00:00Z"],
    },
    CondSpec {
        op: "DateLessThanEquals",
        key: "aws:CurrentTime",
        values: &["2024-05-01T12:00:00Z"],
    },
    CondSpec {
        op: "ArnLike",
        key: "aws:SourceArn",
        values: &["arn:aws:sns:*:111122223333:*"],
    },
    CondSpec {
        op: "ArnEquals",
        key: "aws:SourceArn",
        values: &["arn:aws:sns:us-east-1:111122223333:topic"],
    },
    CondSpec {
        op: "ArnNotLike",
        key: "aws:SourceArn",
        values: &["arn:aws:sns:*:444455556666:*"],
    },
    CondSpec {
        op: "Null",
        key: "aws:SourceArn",
        values: &["true"],
    },
    CondSpec {
        op: "Null",
        key: "aws:PrincipalTag/team",
        values: &["false"],
    },
    CondSpec {
        op: "ForAllValues:StringEquals",
        key: "aws:TagKeys",
        values: &["env", "owner"],
    },
    CondSpec {
        op: "ForAllValues:StringLike",
        key: "aws:TagKeys",
        values: &["env*"],
    },
    CondSpec {
        op: "ForAnyValue:StringEquals",
        key: "aws:TagKeys",
        values: &["env", "cost"],
    },
    CondSpec {
        op: "ForAnyValue:StringLike",
        key: "aws:TagKeys",
        values: &["o*"],
    },
    CondSpec {
        op: "ForAllValues:StringNotEquals",
        key: "aws:TagKeys",
        values: &["secret"],
    },
    CondSpec {
        op: "ForAnyValue:StringNotEquals",
        key: "aws:TagKeys",
        values: &["env"],
    },
    CondSpec {
        op: "StringLike",
        key: "aws:PrincipalArn",
        values: &["arn:aws:iam::*:user/${aws:username}"],
    },
    CondSpec {
        op: "StringEquals",
        key: "sts:ExternalId",
        values: &["ext-1"],
    },
    CondSpec {
        op: "StringNotEquals",
        key: "aws:PrincipalTag/team",
        values: &["${aws:username}"],
    },
    CondSpec {
        op: "StringEquals",
        key: "aws:PrincipalTag/team",
        values: &["${aws:username}"],
    },
];

/// Context keys the request may carry, with candidate values (one drawn per case).
const CONTEXT_POOL: &[(&str, &[&str])] = &[
    ("aws:PrincipalTag/team", &["blue", "red", "Blue", "green"]),
    (
        "aws:RequestedRegion",
        &["us-east-1", "eu-west-1", "ap-south-1"],
    ),
    (
        "aws:SourceIp",
        &[
            "203.0.113.7",
            "192.0.2.200",
            "10.1.2.3",
            "198.51.100.1",
            "2001:db8::5",
        ],
    ),
    ("aws:SecureTransport", &["true", "false"]),
    ("aws:MultiFactorAuthPresent", &["true", "false"]),
    (
        "aws:MultiFactorAuthAge",
        &["100", "600", "3600", "7200", "0"],
    ),
    (
        "aws:CurrentTime",
        &[
            "2023-12-31T23:59:59Z",
            "2024-05-01T12:00:00Z",
            "2025-01-15T08:00:00Z",
            "2026-01-01T00:00:00Z",
        ],
    ),
    (
        "aws:SourceArn",
        &[
            "arn:aws:sns:us-east-1:111122223333:topic",
            "arn:aws:sns:eu-west-1:444455556666:t",
        ],
    ),
];

/// Keys only some requests carry (`sts:ExternalId` is an `AssumeRole` parameter).
const OPTIONAL_KEYS: &[(&str, &[&str])] = &[("sts:ExternalId", &["ext-1", "ext-2"])];

const TAG_KEY_SETS: &[&[&str]] = &[
    &[],
    &["env"],
    &["env", "owner"],
    &["owner", "secret"],
    &["cost"],
    &["env", "cost", "x"],
];

/// Who makes the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Alice,
    Carol,
    RoleSession,
}

fn principal_json(who: Who) -> Value {
    match who {
        Who::Alice => {
            json!({"arn": "arn:aws:iam::111122223333:user/alice", "type": "User", "user_id": "AIDAALICEEXAMPLE00001"})
        }
        Who::Carol => {
            json!({"arn": "arn:aws:iam::444455556666:user/carol", "type": "User", "user_id": "AIDACAROLEXAMPLE00001"})
        }
        Who::RoleSession => {
            json!({"arn": "arn:aws:sts::111122223333:assumed-role/dev/s1", "type": "AssumedRole",
                                   "user_id": "AROADEVROLEEXAMPLE001:s1", "role_arn": "arn:aws:iam::111122223333:role/dev"})
        }
    }
}

/// The principal-implied keys, spelled out in the context so the oracle sees them too.
fn principal_context(who: Who, ctx: &mut Map<String, Value>) {
    let (arn, account, kind, user_id, name) = match who {
        Who::Alice => (
            "arn:aws:iam::111122223333:user/alice",
            A,
            "User",
            "AIDAALICEEXAMPLE00001",
            Some("alice"),
        ),
        Who::Carol => (
            "arn:aws:iam::444455556666:user/carol",
            B,
            "User",
            "AIDACAROLEXAMPLE00001",
            Some("carol"),
        ),
        Who::RoleSession => (
            "arn:aws:iam::111122223333:role/dev",
            A,
            "AssumedRole",
            "AROADEVROLEEXAMPLE001:s1",
            None,
        ),
    };
    ctx.insert("aws:PrincipalArn".into(), json!(arn));
    ctx.insert("aws:PrincipalAccount".into(), json!(account));
    ctx.insert("aws:PrincipalType".into(), json!(kind));
    ctx.insert("aws:userid".into(), json!(user_id));
    if let Some(n) = name {
        ctx.insert("aws:username".into(), json!(n));
    }
}

fn one_or_many(rng: &mut Rng, pool: &[&str], max: usize) -> Value {
    let n = 1 + rng.below(max);
    let mut v: Vec<&str> = Vec::new();
    for _ in 0..n {
        let p = *rng.pick(pool);
        if !v.contains(&p) {
            v.push(p);
        }
    }
    if v.len() == 1 && rng.chance(60) {
        json!(v[0])
    } else {
        json!(v)
    }
}

fn condition(rng: &mut Rng) -> Value {
    let mut block = Map::new();
    for _ in 0..1 + rng.below(2) {
        let c = rng.pick(CONDITIONS);
        let values: Value = if c.values.len() == 1 && rng.chance(50) {
            json!(c.values[0])
        } else {
            json!(c.values)
        };
        let entry = block.entry(c.op.to_owned()).or_insert_with(|| json!({}));
        if let Value::Object(m) = entry {
            m.insert(c.key.to_owned(), values);
        }
    }
    Value::Object(block)
}

/// What the statements are biased toward, so that a fair share of them apply.
struct Target {
    action: &'static str,
    resource: &'static str,
}

/// With probability `percent`, replaces the first element of `v` (a string or list) by `with`.
fn aim(rng: &mut Rng, v: Value, with: &str, percent: u64) -> Value {
    if !rng.chance(percent) {
        return v;
    }
    match v {
        Value::Array(mut items) => {
            items[0] = json!(with);
            Value::Array(items)
        }
        _ => json!(with),
    }
}

fn statement(
    rng: &mut Rng,
    effect: &str,
    sid: &str,
    principal: Option<Value>,
    target: &Target,
) -> Value {
    let mut s = Map::new();
    s.insert("Sid".into(), json!(sid));
    s.insert("Effect".into(), json!(effect));
    if let Some(p) = principal {
        s.insert("Principal".into(), p);
    }
    let service_star = format!("{}:*", target.action.split(':').next().unwrap_or("*"));
    let action = if rng.chance(50) {
        target.action
    } else {
        service_star.as_str()
    };
    let actions = one_or_many(rng, ACTION_PATTERNS, 3);
    let actions = aim(rng, actions, action, 45);
    let key = if rng.chance(12) {
        "NotAction"
    } else {
        "Action"
    };
    s.insert(key.into(), actions);
    let resource = if rng.chance(60) { target.resource } else { "*" };
    let resources = one_or_many(rng, RESOURCE_PATTERNS, 2);
    let resources = aim(rng, resources, resource, 40);
    let key = if rng.chance(10) {
        "NotResource"
    } else {
        "Resource"
    };
    s.insert(key.into(), resources);
    if rng.chance(40) {
        s.insert("Condition".into(), condition(rng));
    }
    Value::Object(s)
}

fn document(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn policy(
    rng: &mut Rng,
    name: &str,
    min: usize,
    deny_percent: u64,
    principals: Option<&[Value]>,
    target: &Target,
) -> Value {
    let n = min + rng.below(3);
    let stmts = (0..n)
        .map(|i| {
            let effect = if rng.chance(deny_percent) {
                "Deny"
            } else {
                "Allow"
            };
            let p = principals.map(|ps| rng.pick(ps).clone());
            statement(rng, effect, &format!("S{i}"), p, target)
        })
        .collect();
    json!({"name": name, "document": document(stmts)})
}

/// The statements of a role trust policy: a principal, `sts:AssumeRole`, no `Resource`.
fn trust_policy(rng: &mut Rng, principals: &[Value]) -> Value {
    let n = 1 + rng.below(3);
    let stmts = (0..n)
        .map(|i| {
            let mut s = Map::new();
            s.insert("Sid".into(), json!(format!("T{i}")));
            let effect = if rng.chance(15) { "Deny" } else { "Allow" };
            s.insert("Effect".into(), json!(effect));
            s.insert("Principal".into(), rng.pick(principals).clone());
            let action = *rng.pick(&[
                "sts:AssumeRole",
                "sts:AssumeRole",
                "sts:*",
                "sts:TagSession",
            ]);
            s.insert("Action".into(), json!(action));
            if rng.chance(40) {
                s.insert("Condition".into(), condition(rng));
            }
            Value::Object(s)
        })
        .collect();
    json!({"name": "trust", "kind": "trust", "document": document(stmts)})
}

/// A resource control policy level: the AWS-managed `RCPFullAWSAccess` plus, sometimes, a
/// customer RCP of `Deny` statements (customer RCPs may only deny, and never `Action: *`).
fn rcp_level(rng: &mut Rng, level: usize, target: &Target) -> Value {
    let full = json!({"name": "RCPFullAWSAccess", "document": document(vec![
        json!({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    ])});
    if rng.chance(40) {
        return json!([full]);
    }
    let stmts = (0..1 + rng.below(2))
        .map(|i| {
            let service = target.action.split(':').next().unwrap_or("s3");
            let action = *rng.pick(&["s3:*", "s3:GetObject", "sqs:*", "sts:*", "sts:AssumeRole"]);
            let action = if rng.chance(50) && ["s3", "sqs", "sts"].contains(&service) {
                target.action
            } else {
                action
            };
            let resource = if rng.chance(60) { target.resource } else { "*" };
            let mut s = Map::new();
            s.insert("Sid".into(), json!(format!("R{i}")));
            s.insert("Effect".into(), json!("Deny"));
            s.insert("Principal".into(), json!("*"));
            s.insert("Action".into(), json!(action));
            s.insert("Resource".into(), json!(resource));
            if rng.chance(70) {
                s.insert("Condition".into(), condition(rng));
            }
            Value::Object(s)
        })
        .collect();
    json!([full, {"name": format!("rcp{level}"), "document": document(stmts)}])
}

/// One random case for `seed`'s `index`-th draw.
pub fn case(rng: &mut Rng) -> Value {
    let who = match rng.below(10) {
        0..=5 => Who::Alice,
        6..=7 => Who::Carol,
        _ => Who::RoleSession,
    };
    let spec = rng.pick(ACTIONS);
    let resource = *rng.pick(spec.resources);
    let t = Target {
        action: spec.action,
        resource,
    };
    let mut policies = Map::new();

    let n_identity = if rng.chance(10) { 0 } else { 1 + rng.below(3) };
    let identity: Vec<Value> = (0..n_identity)
        .map(|i| policy(rng, &format!("id{i}"), 1, 20, None, &t))
        .collect();
    policies.insert("identity".into(), json!(identity));
    if rng.chance(25) {
        policies.insert(
            "permissions_boundary".into(),
            policy(rng, "boundary", 1, 10, None, &t),
        );
    }
    if who == Who::RoleSession && rng.chance(35) {
        policies.insert(
            "session".into(),
            json!([policy(rng, "session", 1, 10, None, &t)]),
        );
    }
    if rng.chance(35) {
        let principals = [
            json!("*"),
            json!({"AWS": "*"}),
            json!({"AWS": "arn:aws:iam::111122223333:user/alice"}),
            json!({"AWS": "arn:aws:iam::111122223333:user/bob"}),
            json!({"AWS": "111122223333"}),
            json!({"AWS": "arn:aws:iam::444455556666:root"}),
            json!({"AWS": "arn:aws:iam::444455556666:user/carol"}),
            json!({"AWS": "arn:aws:iam::111122223333:role/dev"}),
            json!({"AWS": ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::444455556666:root"]}),
        ];
        let resource_policy = if spec.action == "sts:AssumeRole" {
            trust_policy(rng, &principals)
        } else {
            policy(rng, "resource", 1, 15, Some(&principals), &t)
        };
        policies.insert("resource".into(), resource_policy);
    }
    if rng.chance(20) {
        let full = json!({"name": "FullAWSAccess", "document": document(vec![json!({"Effect": "Allow", "Action": "*", "Resource": "*"})])});
        let levels: Vec<Value> = (0..1 + rng.below(2))
            .map(|i| {
                if rng.chance(60) {
                    json!([full.clone()])
                } else {
                    json!([policy(rng, &format!("scp{i}"), 1, 20, None, &t)])
                }
            })
            .collect();
        policies.insert("scps".into(), json!(levels));
    }

    if rng.chance(15) {
        let levels: Vec<Value> = (0..1 + rng.below(2))
            .map(|i| rcp_level(rng, i, &t))
            .collect();
        policies.insert("rcps".into(), json!(levels));
    }

    // S3 ARNs name no account: sometimes the bucket belongs to the other account, so Alice's
    // requests are cross-account too.
    let resource_account = if who == Who::Alice && spec.action.starts_with("s3:") && rng.chance(20)
    {
        B
    } else {
        A
    };

    let mut ctx = Map::new();
    principal_context(who, &mut ctx);
    for (key, values) in OPTIONAL_KEYS {
        if rng.chance(40) {
            ctx.insert((*key).to_owned(), json!(rng.pick(values)));
        }
    }
    for (key, values) in CONTEXT_POOL {
        if rng.chance(55) {
            ctx.insert((*key).to_owned(), json!(rng.pick(values)));
        }
    }
    if rng.chance(50) {
        ctx.insert("aws:TagKeys".into(), json!(rng.pick(TAG_KEY_SETS)));
    }

    json!({
        "description": "generated",
        "source": "tests/support/generate.rs",
        "policies": Value::Object(policies),
        "request": {
            "principal": principal_json(who),
            "action": spec.action,
            "resource": resource,
            "resource_account": resource_account,
            "context": Value::Object(ctx),
        },
        "expect": {"decision": "Allow"},
    })
}
