//! Unit tests of `policies`.

use oxiam_protocol::Service;
use oxiam_store::crypto::Kek;

use super::*;
use crate::model::quotas::Quotas;
use crate::model::{Role, User};

const ACCOUNT: &str = "123456789012";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

struct Env {
    quotas: Quotas,
    tx: Tx,
}

impl Env {
    fn new() -> Env {
        Env {
            quotas: Quotas::default(),
            tx: crate::ops::iam::test_support::empty_tx(),
        }
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, oxiam_protocol::error::ApiError> {
        crate::ops::iam::test_support::as_root_with(ACCOUNT, &self.quotas, &mut self.tx, f)
    }

    fn create(&mut self, name: &str, path: Option<&str>) -> iam::Policy {
        let r = iam::CreatePolicyRequest {
            policy_name: name.into(),
            path: path.map(Into::into),
            policy_document: DOC.into(),
            description: Some("reads objects".into()),
            tags: Some(vec![iam::Tag {
                key: "team".into(),
                value: "blue".into(),
            }]),
        };
        self.run(|c, t| create_policy(c, t, &r))
            .unwrap()
            .policy
            .unwrap()
    }

    fn get(&mut self, arn: &str) -> Result<iam::Policy, oxiam_protocol::error::ApiError> {
        let r = iam::GetPolicyRequest {
            policy_arn: arn.into(),
        };
        self.run(|c, t| get_policy(c, t, &r))
            .map(|p| p.policy.unwrap())
    }

    fn new_version(
        &mut self,
        arn: &str,
        default: bool,
    ) -> Result<iam::PolicyVersion, oxiam_protocol::error::ApiError> {
        let r = iam::CreatePolicyVersionRequest {
            policy_arn: arn.into(),
            policy_document: DOC.replace("GetObject", "PutObject"),
            set_as_default: Some(default),
        };
        self.run(|c, t| create_policy_version(c, t, &r))
            .map(|v| v.policy_version.unwrap())
    }

    fn list(&mut self, r: iam::ListPoliciesRequest) -> iam::ListPoliciesResponse {
        self.run(|c, t| list_policies(c, t, &r)).unwrap()
    }

    fn put_user(&mut self, name: &str, attached: &[&str], boundary: Option<&str>) {
        self.tx
            .put(User {
                account: ACCOUNT.into(),
                id: format!("AIDA{name}"),
                name: name.into(),
                path: "/".into(),
                created: 0,
                tags: Vec::new(),
                permissions_boundary: boundary.map(Into::into),
                password_last_used: None,
                inline_policies: Default::default(),
                attached_policies: attached.iter().map(|s| (*s).to_owned()).collect(),
            })
            .unwrap();
    }

    fn put_role(&mut self, name: &str, path: &str, attached: &[&str], boundary: Option<&str>) {
        self.tx
            .put(Role {
                account: ACCOUNT.into(),
                id: format!("AROA{name}"),
                name: name.into(),
                path: path.into(),
                created: 0,
                assume_role_policy: "{}".into(),
                description: None,
                max_session_duration: 3600,
                permissions_boundary: boundary.map(Into::into),
                tags: Vec::new(),
                inline_policies: Default::default(),
                attached_policies: attached.iter().map(|s| (*s).to_owned()).collect(),
                last_used: None,
                source_role_template: None,
            })
            .unwrap();
    }
}

#[test]
fn create_and_get_have_aws_shapes() {
    let mut env = Env::new();
    let p = env.create("Readers", Some("/team/"));
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/team/Readers");
    assert_eq!(p.arn.as_deref(), Some(arn.as_str()));
    let id = p.policy_id.clone().unwrap();
    assert!(id.starts_with("ANPA") && id.len() == 21, "{id}");
    assert_eq!(p.default_version_id.as_deref(), Some("v1"));
    assert_eq!(p.attachment_count, Some(0));
    assert_eq!(p.permissions_boundary_usage_count, Some(0));
    assert_eq!(p.is_attachable, Some(true));
    assert_eq!(p.tags.as_ref().unwrap()[0].key, "team");
    let got = env.get(&arn).unwrap();
    assert_eq!(got.policy_id.as_deref(), Some(id.as_str()));
    assert_eq!(got.description.as_deref(), Some("reads objects"));
    assert_eq!(got.path.as_deref(), Some("/team/"));
    // The ARN must carry the real path; another account's ARN names nothing here.
    let e = env
        .get(&format!("arn:aws:iam::{ACCOUNT}:policy/Readers"))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("Policy arn:aws:iam::{ACCOUNT}:policy/Readers was not found.")
    );
    let other = "arn:aws:iam::999999999999:policy/team/Readers";
    assert_eq!(env.get(other).unwrap_err().code, ErrorCode::NoSuchEntity);
}

#[test]
fn create_rejects_duplicates_bad_documents_and_quota() {
    let mut env = Env::new();
    env.create("Readers", None);
    let mut r = iam::CreatePolicyRequest {
        policy_name: "READERS".into(),
        policy_document: DOC.into(),
        path: Some("/other/".into()),
        ..Default::default()
    };
    let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::EntityAlreadyExists);
    assert_eq!(
        e.message,
        "A policy called READERS already exists. Duplicate names are not allowed."
    );
    r.policy_name = "NoVersion".into();
    r.policy_document =
        r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#.into();
    let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedPolicyDocument);
    assert_eq!(
        e.message,
        "Policy document must be version 2012-10-17 or greater."
    );
    r.policy_document = "{".into();
    let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedPolicyDocument);
    let actions: Vec<String> = (0..400).map(|i| format!("\"s3:Action{i:05}\"")).collect();
    r.policy_document = DOC.replace("\"s3:GetObject\"", &format!("[{}]", actions.join(",")));
    let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.message, "Cannot exceed quota for PolicySize: 6144");
    // White space does not count towards the size.
    r.policy_document = DOC.replace(',', &format!(",{}", " ".repeat(7000)));
    env.run(|c, t| create_policy(c, t, &r)).unwrap();
    env.quotas.customer_managed_policies_per_account = 2;
    r.policy_name = "Third".into();
    r.policy_document = DOC.into();
    let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(e.message, "Cannot exceed quota for PoliciesPerAccount: 2");
}

#[test]
fn versions_follow_aws_rules() {
    let mut env = Env::new();
    let arn = env.create("P", None).arn.unwrap();
    let v2 = env.new_version(&arn, false).unwrap();
    assert_eq!(v2.version_id.as_deref(), Some("v2"));
    assert_eq!(v2.is_default_version, Some(false));
    assert!(v2.document.is_none());
    let v3 = env.new_version(&arn, true).unwrap();
    assert_eq!(v3.is_default_version, Some(true));
    assert_eq!(
        env.get(&arn).unwrap().default_version_id.as_deref(),
        Some("v3")
    );
    env.new_version(&arn, false).unwrap();
    env.new_version(&arn, false).unwrap();
    let e = env.new_version(&arn, false).unwrap_err();
    assert_eq!(e.code, ErrorCode::LimitExceeded);
    assert_eq!(
        e.message,
        "A managed policy can have up to 5 versions. Before you create a new version, you \
         must delete an existing version."
    );

    let list = |env: &mut Env, marker: Option<String>| {
        let r = iam::ListPolicyVersionsRequest {
            policy_arn: arn.clone(),
            marker,
            max_items: Some(3),
        };
        env.run(|c, t| list_policy_versions(c, t, &r)).unwrap()
    };
    let p1 = list(&mut env, None);
    let ids: Vec<_> = p1
        .versions
        .unwrap()
        .iter()
        .map(|v| v.version_id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["v5", "v4", "v3"], "newest first");
    let p2 = list(&mut env, p1.marker);
    assert_eq!(p2.versions.unwrap().len(), 2);
    assert_eq!(p2.is_truncated, Some(false));

    let get = |env: &mut Env, v: &str| {
        let r = iam::GetPolicyVersionRequest {
            policy_arn: arn.clone(),
            version_id: v.into(),
        };
        env.run(|c, t| get_policy_version(c, t, &r))
    };
    let v1 = get(&mut env, "v1").unwrap().policy_version.unwrap();
    assert_eq!(v1.document.as_deref(), Some(encode_document(DOC).as_str()));
    assert_eq!(v1.is_default_version, Some(false));
    let e = get(&mut env, "v9").unwrap_err();
    assert_eq!(
        e.message,
        format!("Policy {arn} version v9 does not exist or is not attachable.")
    );

    let delete = |env: &mut Env, v: &str| {
        let r = iam::DeletePolicyVersionRequest {
            policy_arn: arn.clone(),
            version_id: v.into(),
        };
        env.run(|c, t| delete_policy_version(c, t, &r))
    };
    let e = delete(&mut env, "v3").unwrap_err();
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert_eq!(e.message, "Cannot delete the default version of a policy.");
    assert_eq!(
        delete(&mut env, "v9").unwrap_err().code,
        ErrorCode::NoSuchEntity
    );

    let set = |env: &mut Env, v: &str| {
        let r = iam::SetDefaultPolicyVersionRequest {
            policy_arn: arn.clone(),
            version_id: v.into(),
        };
        env.run(|c, t| set_default_policy_version(c, t, &r))
    };
    set(&mut env, "v1").unwrap();
    assert_eq!(
        set(&mut env, "v7").unwrap_err().code,
        ErrorCode::NoSuchEntity
    );

    let delete_policy_req = iam::DeletePolicyRequest {
        policy_arn: arn.clone(),
    };
    let e = env
        .run(|c, t| delete_policy(c, t, &delete_policy_req))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::DeleteConflict);
    assert!(
        e.message
            .starts_with("This policy has more than one version.")
    );
    for v in ["v2", "v3", "v4", "v5"] {
        delete(&mut env, v).unwrap();
    }
    // Version IDs are never reused.
    assert_eq!(
        env.new_version(&arn, false).unwrap().version_id.as_deref(),
        Some("v6")
    );
    delete(&mut env, "v6").unwrap();
    env.run(|c, t| delete_policy(c, t, &delete_policy_req))
        .unwrap();
    assert_eq!(env.get(&arn).unwrap_err().code, ErrorCode::NoSuchEntity);
}

#[test]
fn usage_counts_entities_and_blocks_delete() {
    let mut env = Env::new();
    let arn = env.create("P", None).arn.unwrap();
    let bound = env.create("Bound", None).arn.unwrap();
    env.put_user("alice", &[&arn, ADMIN], None);
    env.put_user("bob", &[], Some(&bound));
    env.put_role("svc", "/service/", &[&arn], Some(&arn));
    let p = env.get(&arn).unwrap();
    assert_eq!(p.attachment_count, Some(2));
    assert_eq!(p.permissions_boundary_usage_count, Some(1));
    let admin = env.get(ADMIN).unwrap();
    assert_eq!(admin.attachment_count, Some(1));

    for target in [&arn, &bound] {
        let r = iam::DeletePolicyRequest {
            policy_arn: target.clone(),
        };
        let e = env.run(|c, t| delete_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::DeleteConflict);
        assert_eq!(e.message, "Cannot delete a policy attached to entities.");
    }

    let entities = |env: &mut Env, r: iam::ListEntitiesForPolicyRequest| {
        let out = env.run(|c, t| list_entities_for_policy(c, t, &r)).unwrap();
        let mut names: Vec<String> = Vec::new();
        names.extend(
            out.policy_users
                .unwrap()
                .into_iter()
                .map(|u| u.user_name.unwrap()),
        );
        names.extend(
            out.policy_roles
                .unwrap()
                .into_iter()
                .map(|r| r.role_name.unwrap()),
        );
        names.extend(
            out.policy_groups
                .unwrap()
                .into_iter()
                .map(|g| g.group_name.unwrap()),
        );
        (names, out.marker)
    };
    let all = iam::ListEntitiesForPolicyRequest {
        policy_arn: arn.clone(),
        ..Default::default()
    };
    assert_eq!(entities(&mut env, all.clone()).0, ["alice", "svc"]);
    let roles = iam::ListEntitiesForPolicyRequest {
        entity_filter: Some("Role".into()),
        ..all.clone()
    };
    assert_eq!(entities(&mut env, roles).0, ["svc"]);
    let bounded = iam::ListEntitiesForPolicyRequest {
        policy_usage_filter: Some("PermissionsBoundary".into()),
        ..all.clone()
    };
    assert_eq!(entities(&mut env, bounded).0, ["svc"]);
    let under = iam::ListEntitiesForPolicyRequest {
        path_prefix: Some("/service/".into()),
        ..all.clone()
    };
    assert_eq!(entities(&mut env, under).0, ["svc"]);
    let page1 = iam::ListEntitiesForPolicyRequest {
        max_items: Some(1),
        ..all.clone()
    };
    let (names, marker) = entities(&mut env, page1);
    assert_eq!(names, ["alice"]);
    let page2 = iam::ListEntitiesForPolicyRequest {
        marker,
        ..all.clone()
    };
    assert_eq!(entities(&mut env, page2).0, ["svc"]);
    let admin_users = iam::ListEntitiesForPolicyRequest {
        policy_arn: ADMIN.into(),
        ..Default::default()
    };
    assert_eq!(entities(&mut env, admin_users).0, ["alice"]);
    let missing = iam::ListEntitiesForPolicyRequest {
        policy_arn: format!("arn:aws:iam::{ACCOUNT}:policy/Nope"),
        ..Default::default()
    };
    let e = env
        .run(|c, t| list_entities_for_policy(c, t, &missing))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
}

fn names(r: &iam::ListPoliciesResponse) -> Vec<String> {
    r.policies
        .as_ref()
        .unwrap()
        .iter()
        .map(|p| p.policy_name.clone().unwrap())
        .collect()
}

#[test]
fn list_policies_scopes_filters_and_pages() {
    let mut env = Env::new();
    env.create("Zeta", None);
    env.create("alpha", Some("/team/"));
    let bound = env.create("Bound", None).arn.unwrap();
    env.put_user("alice", &[ADMIN], Some(&bound));

    let local = env.list(iam::ListPoliciesRequest {
        scope: Some("Local".into()),
        ..Default::default()
    });
    assert_eq!(names(&local), ["alpha", "Bound", "Zeta"]);
    assert!(local.policies.as_ref().unwrap()[0].description.is_none());
    assert!(local.policies.as_ref().unwrap()[0].tags.is_none());

    let team = env.list(iam::ListPoliciesRequest {
        scope: Some("Local".into()),
        path_prefix: Some("/team/".into()),
        ..Default::default()
    });
    assert_eq!(names(&team), ["alpha"]);

    let attached = env.list(iam::ListPoliciesRequest {
        only_attached: Some(true),
        ..Default::default()
    });
    assert_eq!(names(&attached), ["AdministratorAccess"]);
    let as_boundary = env.list(iam::ListPoliciesRequest {
        only_attached: Some(true),
        policy_usage_filter: Some("PermissionsBoundary".into()),
        ..Default::default()
    });
    assert_eq!(names(&as_boundary), ["Bound"]);
    let aws_attached = env.list(iam::ListPoliciesRequest {
        scope: Some("AWS".into()),
        only_attached: Some(true),
        ..Default::default()
    });
    assert_eq!(names(&aws_attached), ["AdministratorAccess"]);
    assert_eq!(aws_attached.policies.unwrap()[0].attachment_count, Some(1));

    // Scope AWS lists the whole catalogue, page by page.
    let mut marker = None;
    let mut seen = 0;
    loop {
        let page = env.list(iam::ListPoliciesRequest {
            scope: Some("AWS".into()),
            marker: marker.take(),
            max_items: Some(500),
            ..Default::default()
        });
        seen += page.policies.as_ref().unwrap().len();
        match page.marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    assert_eq!(seen, aws_managed::catalogue().policies.len());
    let job = env.list(iam::ListPoliciesRequest {
        scope: Some("AWS".into()),
        path_prefix: Some("/job-function/".into()),
        ..Default::default()
    });
    assert!(names(&job).contains(&"Billing".to_owned()));
    let all = env.list(iam::ListPoliciesRequest {
        max_items: Some(5000),
        ..Default::default()
    });
    assert_eq!(
        all.policies.unwrap().len(),
        aws_managed::catalogue().policies.len() + 3
    );
}

#[test]
fn aws_managed_policies_are_read_only() {
    let mut env = Env::new();
    let admin = env.get(ADMIN).unwrap();
    assert_eq!(admin.path.as_deref(), Some("/"));
    let id = admin.policy_id.unwrap();
    assert!(id.starts_with("ANPA") && id.len() == 21);
    assert_eq!(env.get(ADMIN).unwrap().policy_id.unwrap(), id, "stable");
    let default = admin.default_version_id.unwrap();
    let r = iam::GetPolicyVersionRequest {
        policy_arn: ADMIN.into(),
        version_id: default.clone(),
    };
    let v = env.run(|c, t| get_policy_version(c, t, &r)).unwrap();
    let doc = v.policy_version.unwrap().document.unwrap();
    assert!(doc.contains("%22Effect%22"), "{doc}");
    let versions = iam::ListPolicyVersionsRequest {
        policy_arn: ADMIN.into(),
        ..Default::default()
    };
    let listed = env
        .run(|c, t| list_policy_versions(c, t, &versions))
        .unwrap();
    assert_eq!(listed.versions.unwrap()[0].version_id, Some(default));

    let e = env.new_version(ADMIN, true).unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
    assert!(e.message.contains("iam:CreatePolicyVersion on resource: policy arn:aws:iam::aws:policy/AdministratorAccess"), "{}", e.message);
    let r = iam::DeletePolicyRequest {
        policy_arn: ADMIN.into(),
    };
    assert_eq!(
        env.run(|c, t| delete_policy(c, t, &r)).unwrap_err().code,
        ErrorCode::AccessDenied
    );
    let r = iam::TagPolicyRequest {
        policy_arn: ADMIN.into(),
        tags: vec![iam::Tag {
            key: "k".into(),
            value: "v".into(),
        }],
    };
    let e = env.run(|c, t| tag_policy(c, t, &r)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let missing = "arn:aws:iam::aws:policy/NoSuchPolicy";
    assert_eq!(env.get(missing).unwrap_err().code, ErrorCode::NoSuchEntity);
}

#[test]
fn policy_arns_are_validated() {
    for ok in [
        ADMIN,
        "arn:aws:iam::aws:policy/job-function/Billing",
        "arn:aws:iam::123456789012:policy/a/b/My_Policy+=,.@-",
    ] {
        assert!(is_policy_arn(ok), "{ok}");
    }
    for bad in [
        "arn:aws:iam::aws:policy/arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:s3:::bucket/policy/x",
        "arn:aws:iam::12345:policy/P",
        "arn:aws:iam::123456789012:policy/",
        "not an arn at all, really",
    ] {
        assert!(!is_policy_arn(bad), "{bad}");
    }
    let mut env = Env::new();
    let e = env.get("arn:aws:iam::123456789012:user/alice").unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert_eq!(
        e.message,
        "ARN arn:aws:iam::123456789012:user/alice is not valid."
    );
    let state = env.tx.state();
    assert!(check_attachable(state, ACCOUNT, ADMIN).is_ok());
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/Nope");
    let e = check_attachable(state, ACCOUNT, &missing)
        .unwrap_err()
        .to_api(Service::Iam);
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    assert_eq!(
        e.message,
        format!("Policy {missing} does not exist or is not attachable.")
    );
    let e = check_attachable(state, ACCOUNT, "arn:aws:iam::aws:policy/x:y")
        .unwrap_err()
        .to_api(Service::Iam);
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn policies_survive_a_restart() {
    let mut env = Env::new();
    let arn = env.create("Kept", Some("/k/")).arn.unwrap();
    env.new_version(&arn, true).unwrap();
    let kek = Kek::generate();
    let mut records: Vec<oxiam_store::Record> = Vec::new();
    let (changes, _) = std::mem::replace(
        &mut env.tx,
        Tx::new(Arc::new(State::default()), Arc::new(Kek::generate())),
    )
    .finish()
    .unwrap();
    for c in changes {
        match c {
            oxiam_store::Change::Put(r) => {
                records.retain(|o| o.key != r.key);
                records.push(r);
            }
            oxiam_store::Change::Delete { .. } => unreachable!(),
        }
    }
    let state = State::from_records(&records, 1, &kek).unwrap();
    let p = state.policy_by_arn(&arn).unwrap();
    assert_eq!(p.default_version, "v2");
    assert_eq!(p.versions.len(), 2);
    assert_eq!(p.next_version, 3);
    assert_eq!(p.tags[0].key, "team");
}

#[test]
fn tags_merge_remove_and_page() {
    let mut env = Env::new();
    let arn = env.create("P", None).arn.unwrap();
    let tag = iam::TagPolicyRequest {
        policy_arn: arn.clone(),
        tags: vec![
            iam::Tag {
                key: "TEAM".into(),
                value: "red".into(),
            },
            iam::Tag {
                key: "env".into(),
                value: "prod".into(),
            },
        ],
    };
    env.run(|c, t| tag_policy(c, t, &tag)).unwrap();
    let list = iam::ListPolicyTagsRequest {
        policy_arn: arn.clone(),
        max_items: Some(1),
        ..Default::default()
    };
    let p1 = env.run(|c, t| list_policy_tags(c, t, &list)).unwrap();
    assert_eq!(p1.tags.len(), 1);
    assert_eq!(p1.tags[0].key, "TEAM");
    assert_eq!(p1.tags[0].value, "red");
    assert_eq!(p1.is_truncated, Some(true));
    let untag = iam::UntagPolicyRequest {
        policy_arn: arn.clone(),
        tag_keys: vec!["team".into()],
    };
    env.run(|c, t| untag_policy(c, t, &untag)).unwrap();
    let all = iam::ListPolicyTagsRequest {
        policy_arn: arn,
        ..Default::default()
    };
    let tags = env.run(|c, t| list_policy_tags(c, t, &all)).unwrap().tags;
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].key, "env");
}
