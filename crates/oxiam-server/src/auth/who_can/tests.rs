use std::sync::Arc;

use oxiam_policy::ContextValue;
use oxiam_store::crypto::Kek;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::auth::authn::Caller;
use crate::auth::decide::{Outcome, RequestEnv, identity_decision};
use crate::auth::target::Target;
use crate::model::fixtures::{self, ACCOUNT};
use crate::model::{Group, Role, User};
use crate::state::Tx;

const BUCKET_KEY: &str = "arn:aws:s3:::bucket/key";

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn allow(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#)
}

fn deny(action: &str, resource: &str) -> String {
    allow(action, resource).replace("Allow", "Deny")
}

fn user(name: &str, policy: Option<String>) -> User {
    User {
        inline_policies: policy
            .map(|p| [("p".to_owned(), p)].into())
            .unwrap_or_default(),
        ..fixtures::user(name, &format!("AIDA{}", name.to_uppercase()))
    }
}

fn role(name: &str, trust: &str, policy: Option<String>) -> Role {
    Role {
        assume_role_policy: trust.to_owned(),
        inline_policies: policy
            .map(|p| [("p".to_owned(), p)].into())
            .unwrap_or_default(),
        ..fixtures::role(name, &format!("AROA{}", name.to_uppercase()))
    }
}

fn trust(principal: &str, action: &str, condition: &str) -> String {
    doc(&format!(
        r#"{{"Effect":"Allow","Principal":{principal},"Action":"{action}"{condition}}}"#
    ))
}

struct World {
    state: Arc<State>,
    kek: Arc<Kek>,
}

impl World {
    fn new() -> World {
        World {
            state: Arc::new(State::default()),
            kek: Arc::new(Kek::generate()),
        }
    }

    fn write(&mut self, f: impl FnOnce(&mut Tx)) {
        let mut tx = Tx::new(Arc::clone(&self.state), Arc::clone(&self.kek));
        f(&mut tx);
        let (_, state) = tx.finish().unwrap();
        self.state = Arc::new(state);
    }

    fn ask(&self, action: &str, resource: &str, context: &[(&str, &str)]) -> Vec<String> {
        self.ask_with(action, resource, context, None)
    }

    fn ask_with(
        &self,
        action: &str,
        resource: &str,
        context: &[(&str, &str)],
        resource_policy: Option<&str>,
    ) -> Vec<String> {
        let context: Vec<(String, ContextValue)> = context
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).into()))
            .collect();
        let rp = resource_policy.map(|d| Policy::parse(d, PolicyKind::Resource).unwrap());
        let q = Question {
            account: ACCOUNT,
            action,
            resource,
            context: &context,
            resource_policy: rp.as_ref(),
        };
        summary(&who_can(&self.state, &q))
    }
}

/// One line per path: `kind principal access [via …] statements {conditions}`; the
/// account's ID and ARN prefix shortened.
fn summary(a: &Answer) -> Vec<String> {
    let mut out = Vec::new();
    for f in &a.principals {
        for p in &f.paths {
            let via: Vec<String> = p
                .via
                .iter()
                .map(|h| match h {
                    Hop::Group(g) => format!("group {g}"),
                    Hop::AssumeRole(r) => format!("assume {r}"),
                })
                .collect();
            let st: Vec<String> = p
                .statements
                .iter()
                .map(|s| format!("{}#{}", s.policy, s.statement))
                .collect();
            let cond: Vec<String> = p
                .conditions
                .iter()
                .map(|c| format!("{:?} {} {}", c.effect, c.operator, c.key))
                .collect();
            let line = format!(
                "{} {} {}{} [{}] [{}] {{{}}}",
                f.kind.as_str(),
                f.principal,
                f.access.as_str(),
                if f.upper_bound { "*" } else { "" },
                via.join(", "),
                st.join(", "),
                cond.join(", ")
            );
            out.push(
                line.replace(&format!("arn:aws:iam::{ACCOUNT}:"), "")
                    .replace(ACCOUNT, "ACCT"),
            );
        }
    }
    out
}

const ROOT: &str = "root root allowed [] [] {}";

#[test]
fn a_user_via_a_group_and_one_that_cannot() {
    let mut w = World::new();
    w.write(|tx| {
        tx.put(user("alice", None)).unwrap();
        tx.put(user("bob", None)).unwrap();
        tx.put(Group {
            members: vec!["AIDAALICE".into()],
            inline_policies: [(
                "read".to_owned(),
                doc(&allow("s3:GetObject", "arn:aws:s3:::bucket/*")),
            )]
            .into(),
            ..fixtures::group("devs")
        })
        .unwrap();
    });
    assert_eq!(
        w.ask("s3:GetObject", BUCKET_KEY, &[]),
        [ROOT, "user user/alice allowed [group devs] [read#0] {}"]
    );
    // Not for another bucket, nor another action.
    assert_eq!(w.ask("s3:GetObject", "arn:aws:s3:::other/key", &[]), [ROOT]);
    assert_eq!(w.ask("s3:PutObject", BUCKET_KEY, &[]), [ROOT]);
}

#[test]
fn a_boundary_and_an_explicit_deny_remove_users() {
    let mut w = World::new();
    w.write(|tx| {
        tx.put(fixtures::managed("IamOnly", &doc(&allow("iam:*", "*"))))
            .unwrap();
        tx.put(User {
            permissions_boundary: Some(format!("arn:aws:iam::{ACCOUNT}:policy/IamOnly")),
            ..user("capped", Some(doc(&allow("*", "*"))))
        })
        .unwrap();
        tx.put(user(
            "denied",
            Some(doc(&format!(
                "{},{}",
                allow("s3:*", "*"),
                deny("s3:GetObject", "arn:aws:s3:::bucket/*")
            ))),
        ))
        .unwrap();
    });
    assert_eq!(w.ask("s3:GetObject", BUCKET_KEY, &[]), [ROOT]);
    // The same users for what the boundary and the deny leave.
    assert_eq!(
        w.ask("iam:GetUser", "*", &[]),
        [
            ROOT,
            "user user/capped allowed [] [p#0, policy/IamOnly#0] {}"
        ]
    );
    assert_eq!(
        w.ask("s3:GetObject", "arn:aws:s3:::other/k", &[]),
        [ROOT, "user user/denied allowed [] [p#0] {}"]
    );
}

#[test]
fn not_action_and_not_resource() {
    let mut w = World::new();
    w.write(|tx| {
        tx.put(user(
            "na",
            Some(doc(r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#)),
        ))
        .unwrap();
        tx.put(user(
            "nr",
            Some(doc(
                r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/secret/*"}"#,
            )),
        ))
        .unwrap();
    });
    assert_eq!(
        w.ask("s3:GetObject", BUCKET_KEY, &[]),
        [
            ROOT,
            "user user/na allowed [] [p#0] {}",
            "user user/nr allowed [] [p#0] {}"
        ]
    );
    assert_eq!(
        w.ask("s3:GetObject", "arn:aws:s3:::bucket/secret/x", &[]),
        [ROOT, "user user/na allowed [] [p#0] {}"]
    );
    assert_eq!(w.ask("iam:CreateUser", "*", &[]), [ROOT]);
}

#[test]
fn a_conditional_allow_is_listed_with_its_conditions_and_context_decides() {
    let mut w = World::new();
    w.write(|tx| {
        tx.put(user(
            "office",
            Some(doc(
                r#"{"Sid":"FromOffice","Effect":"Allow","Action":"s3:GetObject","Resource":"*",
                    "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
            )),
        ))
        .unwrap();
        // An allow with an open deny: conditional on the deny's condition not holding.
        tx.put(user(
            "tls",
            Some(doc(&format!(
                r#"{},{{"Effect":"Deny","Action":"s3:*","Resource":"*",
                    "Condition":{{"Bool":{{"aws:SecureTransport":"false"}}}}}}"#,
                allow("s3:GetObject", "*")
            ))),
        ))
        .unwrap();
    });
    assert_eq!(
        w.ask("s3:GetObject", BUCKET_KEY, &[]),
        [
            ROOT,
            "user user/office conditional [] [p#0] {Allow IpAddress aws:sourceip}",
            "user user/tls conditional [] [p#0] {Deny Bool aws:securetransport}"
        ]
    );
    assert_eq!(
        w.ask(
            "s3:GetObject",
            BUCKET_KEY,
            &[
                ("aws:SourceIp", "10.1.2.3"),
                ("aws:SecureTransport", "true")
            ]
        ),
        [
            ROOT,
            "user user/office allowed [] [p#0] {}",
            "user user/tls allowed [] [p#0] {}"
        ]
    );
    assert_eq!(
        w.ask(
            "s3:GetObject",
            BUCKET_KEY,
            &[
                ("aws:SourceIp", "192.168.0.1"),
                ("aws:SecureTransport", "false")
            ]
        ),
        [ROOT]
    );
}

#[test]
fn a_role_assumable_by_a_user_and_chained_by_a_role() {
    let mut w = World::new();
    let reader = format!("arn:aws:iam::{ACCOUNT}:role/reader");
    w.write(|tx| {
        tx.put(role(
            "reader",
            &trust(&format!(r#"{{"AWS":"{ACCOUNT}"}}"#), "sts:AssumeRole", ""),
            Some(doc(&allow("s3:GetObject", "*"))),
        ))
        .unwrap();
        // `hop` may assume `reader`; `erin` may assume `hop` only.
        tx.put(role(
            "hop",
            &trust(
                &format!(r#"{{"AWS":"arn:aws:iam::{ACCOUNT}:user/erin"}}"#),
                "sts:AssumeRole",
                "",
            ),
            Some(doc(&allow("sts:AssumeRole", &reader))),
        ))
        .unwrap();
        tx.put(user("erin", None)).unwrap();
        tx.put(user("frank", Some(doc(&allow("sts:AssumeRole", &reader)))))
            .unwrap();
        tx.put(user("gina", Some(doc(&allow("sts:AssumeRole", "*")))))
            .unwrap();
    });
    assert_eq!(
        w.ask("s3:GetObject", BUCKET_KEY, &[]),
        [
            ROOT,
            // erin: named by hop's trust policy (needs no identity policy), then hop → reader.
            "user user/erin allowed [assume role/hop, assume role/reader] \
             [trust policy of role/hop#0, trust policy of role/reader#0, p#0, p#0] {}",
            "user user/frank allowed [assume role/reader] [trust policy of role/reader#0, p#0, p#0] {}",
            // gina may assume any role, but hop trusts erin only.
            "user user/gina allowed [assume role/reader] [trust policy of role/reader#0, p#0, p#0] {}",
            "role role/hop allowed* [assume role/reader] [trust policy of role/reader#0, p#0, p#0] {}",
            "role role/reader allowed* [] [p#0] {}",
        ]
    );
}

#[test]
fn a_role_trusted_by_another_account() {
    let mut w = World::new();
    w.write(|tx| {
        tx.put(role(
            "partner",
            &trust(
                r#"{"AWS":["arn:aws:iam::999988887777:root","arn:aws:iam::555566667777:role/ci"]}"#,
                "sts:AssumeRole",
                "",
            ),
            Some(doc(&allow("s3:GetObject", "*"))),
        ))
        .unwrap();
    });
    assert_eq!(
        w.ask("s3:GetObject", BUCKET_KEY, &[]),
        [
            ROOT,
            "role role/partner allowed* [] [p#0] {}",
            "account 999988887777 allowed* [assume role/partner] [trust policy of role/partner#0, p#0] {}",
            "foreign-principal arn:aws:iam::555566667777:role/ci allowed* [assume role/partner] \
             [trust policy of role/partner#0, p#0] {}",
        ]
    );
}

#[test]
fn an_oidc_federated_role_is_conditional_on_aud_and_sub() {
    let mut w = World::new();
    let provider =
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com");
    w.write(|tx| {
        tx.put(role(
            "deploy",
            &trust(
                &format!(r#"{{"Federated":"{provider}"}}"#),
                "sts:AssumeRoleWithWebIdentity",
                r#","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
                    "StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/app:*"}}"#,
            ),
            Some(doc(&allow("s3:GetObject", "*"))),
        ))
        .unwrap();
    });
    assert_eq!(
        w.ask("s3:GetObject", BUCKET_KEY, &[]),
        [
            ROOT,
            "role role/deploy allowed* [] [p#0] {}",
            "web-identity oidc-provider/token.actions.githubusercontent.com conditional* \
             [assume role/deploy] [trust policy of role/deploy#0, p#0] \
             {Allow StringEquals token.actions.githubusercontent.com:aud, \
             Allow StringLike token.actions.githubusercontent.com:sub}",
        ]
    );
    let aud = (
        "token.actions.githubusercontent.com:aud",
        "sts.amazonaws.com",
    );
    assert_eq!(
        w.ask(
            "s3:GetObject",
            BUCKET_KEY,
            &[
                aud,
                (
                    "token.actions.githubusercontent.com:sub",
                    "repo:org/app:ref:refs/heads/main"
                )
            ]
        )[2],
        "web-identity oidc-provider/token.actions.githubusercontent.com allowed* \
         [assume role/deploy] [trust policy of role/deploy#0, p#0] {}"
    );
    assert_eq!(
        w.ask(
            "s3:GetObject",
            BUCKET_KEY,
            &[
                aud,
                (
                    "token.actions.githubusercontent.com:sub",
                    "repo:evil/app:ref"
                )
            ]
        ),
        [ROOT, "role role/deploy allowed* [] [p#0] {}"]
    );
}

#[test]
fn a_resource_policy_grants_alone_in_the_account_and_names_outsiders() {
    let mut w = World::new();
    w.write(|tx| {
        tx.put(user("hana", None)).unwrap();
        tx.put(user("ivan", Some(doc(&allow("s3:*", "*")))))
            .unwrap();
    });
    let policy = doc(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::{ACCOUNT}:user/hana","111111111111"]}},
            "Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}},
           {{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/ivan"}},
            "Action":"s3:*","Resource":"*"}}"#
    ));
    assert_eq!(
        w.ask_with("s3:GetObject", BUCKET_KEY, &[], Some(&policy)),
        [
            ROOT,
            "user user/hana allowed [] [resource policy#0] {}",
            "account 111111111111 allowed* [] [resource policy#0] {}",
        ]
    );
}

/// Random users, groups and boundaries without conditions: who-can lists a user directly
/// exactly when enforcement (`identity_decision`) allows the same request.
#[test]
fn randomized_users_match_enforcement() {
    let actions = [
        "s3:GetObject",
        "s3:PutObject",
        "iam:GetUser",
        "ec2:RunInstances",
    ];
    let patterns = [
        "s3:*",
        "s3:Get*",
        "*",
        "iam:GetUser",
        "ec2:*",
        "s3:PutObject",
    ];
    let resources = [
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:s3:::bucket/key",
        "arn:aws:s3:::other/*",
    ];
    let asked = [BUCKET_KEY, "arn:aws:s3:::other/x", "*"];
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..20 {
        let mut w = World::new();
        let stmt = |rng: &mut StdRng| {
            let a = patterns[rng.random_range(0..patterns.len())];
            let r = resources[rng.random_range(0..resources.len())];
            let (not_a, not_r) = (rng.random_bool(0.2), rng.random_bool(0.2));
            format!(
                r#"{{"Effect":"{}","{}":"{a}","{}":"{r}"}}"#,
                if rng.random_bool(0.25) {
                    "Deny"
                } else {
                    "Allow"
                },
                if not_a { "NotAction" } else { "Action" },
                if not_r { "NotResource" } else { "Resource" },
            )
        };
        let policy = |rng: &mut StdRng| {
            let n = rng.random_range(1..4);
            doc(&(0..n).map(|_| stmt(rng)).collect::<Vec<_>>().join(","))
        };
        let mut users = Vec::new();
        let groups: Vec<Group> = (0..3)
            .map(|g| Group {
                inline_policies: [("g".to_owned(), policy(&mut rng))].into(),
                ..fixtures::group(&format!("g{g}"))
            })
            .collect();
        let mut members: Vec<Vec<String>> = vec![Vec::new(); 3];
        let boundary = policy(&mut rng);
        for u in 0..8 {
            let mut user = user(
                &format!("u{u}"),
                rng.random_bool(0.8).then(|| policy(&mut rng)),
            );
            if rng.random_bool(0.3) {
                user.permissions_boundary = Some(format!("arn:aws:iam::{ACCOUNT}:policy/B"));
            }
            for (g, m) in members.iter_mut().enumerate() {
                let _ = g;
                if rng.random_bool(0.4) {
                    m.push(user.id.clone());
                }
            }
            users.push(user);
        }
        w.write(|tx| {
            tx.put(fixtures::managed("B", &boundary)).unwrap();
            for u in &users {
                tx.put(u.clone()).unwrap();
            }
            for (g, m) in groups.iter().zip(&members) {
                tx.put(Group {
                    members: m.clone(),
                    ..g.clone()
                })
                .unwrap();
            }
        });
        for action in actions {
            for resource in asked {
                let q = Question {
                    account: ACCOUNT,
                    action,
                    resource,
                    context: &[],
                    resource_policy: None,
                };
                let answer = who_can(&w.state, &q);
                for u in &users {
                    let listed = answer.principals.iter().find(|f| f.principal == u.arn());
                    let decided = identity_decision(
                        &Caller::user(u, "AKIATEST"),
                        &Target::new(action, resource),
                        &RequestEnv::now(),
                        &w.state,
                    );
                    assert_eq!(
                        listed.is_some(),
                        decided == Outcome::Allow,
                        "round {round}: {} {action} {resource}: {listed:?}",
                        u.name
                    );
                    // Without conditions nothing is conditional.
                    assert!(listed.is_none_or(|f| f.access == Access::Allowed));
                }
            }
        }
    }
}
