//! The company scenario of issue 4, with the AWS CLI and each identity's own keys: owners in
//! an admin group with AdministratorAccess, a billing-only manager (job-function/Billing), a
//! developer with read/write to one bucket through a customer managed policy, auditors in a
//! read-only group with ReadOnlyAccess, and a role for a service (EC2) with a read-only
//! policy and a trust policy for that service. Every identity is checked for what it may do
//! and for what it may not.
//!
//! oxiam serves IAM and STS, not S3 or Billing: what the bucket, billing and role policies
//! grant outside IAM is proved by evaluating the documents oxiam serves back
//! (`get-policy-version`, `get-role`) with the same policy engine the server enforces with.

use oxiam_policy::{
    Context, Effect, NamedPolicy, ParseOptions, Policy, PolicyKind, PolicySet, Principal,
    PrincipalType, Request,
};
use serde_json::{Value, json};

use crate::support::{ACCOUNT, Creds, Server};

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
const BILLING: &str = "arn:aws:iam::aws:policy/job-function/Billing";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

/// Read/write to one bucket: list it, read, write and delete its objects.
const DEV_BUCKET_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ListTheBucket", "Effect": "Allow",
     "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
     "Resource": "arn:aws:s3:::acme-dev-bucket"},
    {"Sid": "ReadWriteObjects", "Effect": "Allow",
     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::acme-dev-bucket/*"}
  ]
}"#;

/// The developer may look after its own access keys, and nobody else's.
const OWN_KEYS_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow",
     "Action": ["iam:GetUser", "iam:ListAccessKeys", "iam:CreateAccessKey"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}
  ]
}"#;

/// Only EC2 may assume the service role.
const EC2_TRUST_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
     "Action": "sts:AssumeRole"}
  ]
}"#;

fn arn(kind: &str, path_name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{path_name}")
}

/// Who a policy is evaluated for, outside oxiam's IAM API.
enum Who<'a> {
    User { name: &'a str, id: &'a str },
    Service(&'a str),
}

/// The decision of `document` (JSON) for `who` doing `action` on `resource`: as an identity
/// policy, or as the resource's (trust) policy for `PolicyKind::Trust`.
fn decide(document: &str, kind: PolicyKind, who: &Who<'_>, action: &str, resource: &str) -> Effect {
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    let policy = Policy::parse_with(document, kind, &options)
        .unwrap_or_else(|e| panic!("{document}: {}", e.message()));
    let user_arn;
    let principal = match who {
        Who::User { name, id } => {
            user_arn = arn("user", name);
            Principal {
                arn: &user_arn,
                account: ACCOUNT,
                kind: PrincipalType::User,
                role_arn: None,
                user_id: id,
            }
        }
        Who::Service(service) => Principal::service(service),
    };
    let context = Context::for_principal(&principal, &[]);
    let request = Request {
        principal,
        action,
        resource,
        resource_account: Some(ACCOUNT),
        context: &context,
    };
    let named = [NamedPolicy {
        name: "scenario",
        policy: &policy,
    }];
    let set = if kind == PolicyKind::Trust {
        PolicySet {
            resource: Some(NamedPolicy {
                name: "trust",
                policy: &policy,
            }),
            ..PolicySet::default()
        }
    } else {
        PolicySet {
            identity: &named,
            ..PolicySet::default()
        }
    };
    oxiam_policy::evaluate(&request, &set).effect
}

/// A new user with an access key, as the root makes them.
fn user(s: &Server, name: &str) -> (Creds, String) {
    let root = Creds::root();
    let u = s.ok(&root, &["iam", "create-user", "--user-name", name]);
    let k = s.ok(&root, &["iam", "create-access-key", "--user-name", name]);
    let creds = Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    (creds, u["User"]["UserId"].as_str().unwrap().to_owned())
}

/// The call must be denied to `who` with AWS's message naming `action`.
fn denied(s: &Server, who: &Creds, args: &[&str], action: &str) {
    let err = s.fails(who, args, "AccessDenied");
    assert!(
        err.contains(&format!("is not authorized to perform: {action}")),
        "{args:?}: {err}"
    );
}

fn names(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

/// The default version's document of a managed policy, as oxiam serves it (the CLI
/// URL-decodes and parses it), back to JSON text.
fn served_document(s: &Server, policy_arn: &str) -> String {
    let root = Creds::root();
    let p = s.ok(&root, &["iam", "get-policy", "--policy-arn", policy_arn]);
    let version = p["Policy"]["DefaultVersionId"].as_str().unwrap().to_owned();
    let v = s.ok(
        &root,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            policy_arn,
            "--version-id",
            &version,
        ],
    );
    assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
    v["PolicyVersion"]["Document"].to_string()
}

#[test]
fn scenario_company() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let root = Creds::root();

    // --- The organisation, set up by the account root. ---
    s.ok(&root, &["iam", "create-group", "--group-name", "admins"]);
    s.ok(
        &root,
        &[
            "iam",
            "attach-group-policy",
            "--group-name",
            "admins",
            "--policy-arn",
            ADMIN,
        ],
    );
    let (ann, _) = user(&s, "owner-ann");
    let (_ben, _) = user(&s, "owner-ben");
    for owner in ["owner-ann", "owner-ben"] {
        s.ok(
            &root,
            &[
                "iam",
                "add-user-to-group",
                "--group-name",
                "admins",
                "--user-name",
                owner,
            ],
        );
    }

    let (mia, _) = user(&s, "manager-mia");
    s.ok(
        &root,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "manager-mia",
            "--policy-arn",
            BILLING,
        ],
    );

    let created = s.ok(
        &root,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "DevBucketReadWrite",
            "--path",
            "/acme/",
            "--description",
            "Read and write acme-dev-bucket",
            "--policy-document",
            DEV_BUCKET_POLICY,
        ],
    );
    let dev_policy = arn("policy", "acme/DevBucketReadWrite");
    assert_eq!(created["Policy"]["Arn"], dev_policy);
    assert_eq!(created["Policy"]["DefaultVersionId"], "v1");
    assert_eq!(created["Policy"]["AttachmentCount"], 0);
    assert!(
        created["Policy"]["PolicyId"]
            .as_str()
            .unwrap()
            .starts_with("ANPA")
    );
    let (dan, dan_id) = user(&s, "dev-dan");
    s.ok(
        &root,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "dev-dan",
            "--policy-arn",
            &dev_policy,
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "dev-dan",
            "--policy-name",
            "OwnAccessKeys",
            "--policy-document",
            OWN_KEYS_POLICY,
        ],
    );

    s.ok(&root, &["iam", "create-group", "--group-name", "readers"]);
    s.ok(
        &root,
        &[
            "iam",
            "attach-group-policy",
            "--group-name",
            "readers",
            "--policy-arn",
            READ_ONLY,
        ],
    );
    let (ava, _) = user(&s, "auditor-ava");
    s.ok(
        &root,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "readers",
            "--user-name",
            "auditor-ava",
        ],
    );

    let role = s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "app-reader",
            "--path",
            "/service/",
            "--description",
            "EC2 instances of the app read S3",
            "--assume-role-policy-document",
            EC2_TRUST_POLICY,
        ],
    );
    let role_arn = arn("role", "service/app-reader");
    assert_eq!(role["Role"]["Arn"], role_arn);
    assert!(role["Role"]["RoleId"].as_str().unwrap().starts_with("AROA"));
    s.ok(
        &root,
        &[
            "iam",
            "attach-role-policy",
            "--role-name",
            "app-reader",
            "--policy-arn",
            S3_READ_ONLY,
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "app-reader",
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "add-role-to-instance-profile",
            "--instance-profile-name",
            "app-reader",
            "--role-name",
            "app-reader",
        ],
    );

    // --- Owners: everything. ---
    let me = s.ok(&ann, &["sts", "get-caller-identity"]);
    assert_eq!(me["Arn"], arn("user", "owner-ann"));
    s.ok(&ann, &["iam", "create-user", "--user-name", "temp-tom"]);
    let users = s.ok(&ann, &["iam", "list-users"]);
    assert!(names(&users["Users"], "UserName").contains(&"temp-tom".to_owned()));
    s.ok(&ann, &["iam", "delete-user", "--user-name", "temp-tom"]);
    s.ok(&ann, &["iam", "get-role", "--role-name", "app-reader"]);
    s.ok(&ann, &["iam", "get-account-summary"]);
    s.ok(
        &ann,
        &[
            "iam",
            "create-account-alias",
            "--account-alias",
            "acme-corp",
        ],
    );
    let aliases = s.ok(&ann, &["iam", "list-account-aliases"]);
    assert_eq!(aliases["AccountAliases"], json!(["acme-corp"]));

    // --- The billing manager: billing, and nothing in IAM. ---
    let me = s.ok(&mia, &["sts", "get-caller-identity"]);
    assert_eq!(me["Arn"], arn("user", "manager-mia"));
    denied(&s, &mia, &["iam", "list-users"], "iam:ListUsers");
    denied(
        &s,
        &mia,
        &["iam", "create-user", "--user-name", "mias-friend"],
        "iam:CreateUser",
    );
    denied(&s, &mia, &["iam", "get-user"], "iam:GetUser");
    denied(
        &s,
        &mia,
        &["iam", "get-account-summary"],
        "iam:GetAccountSummary",
    );
    denied(
        &s,
        &mia,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "manager-mia",
            "--policy-arn",
            ADMIN,
        ],
        "iam:AttachUserPolicy",
    );
    let billing = served_document(&s, BILLING);
    let mia_who = Who::User {
        name: "manager-mia",
        id: "AIDAMIA",
    };
    for (action, expected) in [
        ("aws-portal:ViewBilling", Effect::Allow),
        ("aws-portal:ModifyPaymentMethods", Effect::Allow),
        ("budgets:ViewBudget", Effect::Allow),
        ("ce:GetCostAndUsage", Effect::Allow),
        ("iam:ListUsers", Effect::ImplicitDeny),
        ("s3:GetObject", Effect::ImplicitDeny),
        ("ec2:RunInstances", Effect::ImplicitDeny),
    ] {
        assert_eq!(
            decide(&billing, PolicyKind::Identity, &mia_who, action, "*"),
            expected,
            "Billing: {action}"
        );
    }

    // --- The developer: one bucket, and its own keys. ---
    let me = s.ok(&dan, &["iam", "get-user"]);
    assert_eq!(me["User"]["UserName"], "dev-dan");
    let keys = s.ok(&dan, &["iam", "list-access-keys"]);
    assert_eq!(keys["AccessKeyMetadata"].as_array().unwrap().len(), 1);
    s.ok(&dan, &["iam", "create-access-key"]);
    denied(
        &s,
        &dan,
        &["iam", "list-access-keys", "--user-name", "owner-ann"],
        "iam:ListAccessKeys",
    );
    denied(
        &s,
        &dan,
        &["iam", "create-access-key", "--user-name", "owner-ann"],
        "iam:CreateAccessKey",
    );
    denied(&s, &dan, &["iam", "list-users"], "iam:ListUsers");
    denied(
        &s,
        &dan,
        &["iam", "create-user", "--user-name", "dans-helper"],
        "iam:CreateUser",
    );
    // Privilege escalation stays blocked: no admin for oneself, no edits of one's policies.
    denied(
        &s,
        &dan,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "dev-dan",
            "--policy-arn",
            ADMIN,
        ],
        "iam:AttachUserPolicy",
    );
    denied(
        &s,
        &dan,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "dev-dan",
            "--policy-name",
            "More",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        ],
        "iam:PutUserPolicy",
    );
    denied(
        &s,
        &dan,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            &dev_policy,
            "--set-as-default",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
        ],
        "iam:CreatePolicyVersion",
    );
    let dev_doc = served_document(&s, &dev_policy);
    let dan_who = Who::User {
        name: "dev-dan",
        id: &dan_id,
    };
    for (action, resource, expected) in [
        (
            "s3:ListBucket",
            "arn:aws:s3:::acme-dev-bucket",
            Effect::Allow,
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::acme-dev-bucket/src/main.rs",
            Effect::Allow,
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::acme-dev-bucket/build/app.tar",
            Effect::Allow,
        ),
        (
            "s3:DeleteObject",
            "arn:aws:s3:::acme-dev-bucket/old.log",
            Effect::Allow,
        ),
        (
            "s3:GetObject",
            "arn:aws:s3:::acme-prod-bucket/secrets.env",
            Effect::ImplicitDeny,
        ),
        (
            "s3:PutObject",
            "arn:aws:s3:::acme-dev-bucket-2/x",
            Effect::ImplicitDeny,
        ),
        (
            "s3:ListBucket",
            "arn:aws:s3:::acme-prod-bucket",
            Effect::ImplicitDeny,
        ),
        (
            "s3:DeleteBucket",
            "arn:aws:s3:::acme-dev-bucket",
            Effect::ImplicitDeny,
        ),
        (
            "s3:PutBucketPolicy",
            "arn:aws:s3:::acme-dev-bucket",
            Effect::ImplicitDeny,
        ),
    ] {
        assert_eq!(
            decide(&dev_doc, PolicyKind::Identity, &dan_who, action, resource),
            expected,
            "DevBucketReadWrite: {action} on {resource}"
        );
    }

    // --- Auditors: read everything in IAM, change nothing. ---
    let users = s.ok(&ava, &["iam", "list-users"]);
    let mut all = names(&users["Users"], "UserName");
    all.sort();
    assert_eq!(
        all,
        [
            "auditor-ava",
            "dev-dan",
            "manager-mia",
            "owner-ann",
            "owner-ben"
        ]
    );
    let roles = s.ok(&ava, &["iam", "list-roles"]);
    assert_eq!(names(&roles["Roles"], "RoleName"), ["app-reader"]);
    s.ok(&ava, &["iam", "get-role", "--role-name", "app-reader"]);
    let groups = s.ok(&ava, &["iam", "list-groups"]);
    assert_eq!(names(&groups["Groups"], "GroupName"), ["admins", "readers"]);
    let admins = s.ok(&ava, &["iam", "get-group", "--group-name", "admins"]);
    assert_eq!(
        names(&admins["Users"], "UserName"),
        ["owner-ann", "owner-ben"]
    );
    let local = s.ok(&ava, &["iam", "list-policies", "--scope", "Local"]);
    assert_eq!(
        names(&local["Policies"], "PolicyName"),
        ["DevBucketReadWrite"]
    );
    s.ok(&ava, &["iam", "get-account-summary"]);
    s.ok(&ava, &["iam", "get-account-authorization-details"]);
    // Policies, customer and AWS managed, are readable too.
    for policy in [dev_policy.as_str(), ADMIN, BILLING] {
        let got = s.ok(&ava, &["iam", "get-policy", "--policy-arn", policy]);
        assert_eq!(got["Policy"]["Arn"], policy);
    }
    denied(
        &s,
        &ava,
        &["iam", "create-user", "--user-name", "avas-friend"],
        "iam:CreateUser",
    );
    denied(
        &s,
        &ava,
        &["iam", "delete-role", "--role-name", "app-reader"],
        "iam:DeleteRole",
    );
    denied(
        &s,
        &ava,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "admins",
            "--user-name",
            "auditor-ava",
        ],
        "iam:AddUserToGroup",
    );
    denied(
        &s,
        &ava,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "auditor-ava",
            "--policy-arn",
            ADMIN,
        ],
        "iam:AttachUserPolicy",
    );
    denied(
        &s,
        &ava,
        &["iam", "create-access-key", "--user-name", "owner-ann"],
        "iam:CreateAccessKey",
    );
    denied(
        &s,
        &ava,
        &["iam", "create-account-alias", "--account-alias", "ava-corp"],
        "iam:CreateAccountAlias",
    );

    // --- The service role: EC2 may assume it, and it reads S3 only. ---
    let got = s.ok(&root, &["iam", "get-role", "--role-name", "app-reader"]);
    let trust = &got["Role"]["AssumeRolePolicyDocument"];
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
    let trust = trust.to_string();
    for (who, expected) in [
        (Who::Service("ec2.amazonaws.com"), Effect::Allow),
        (Who::Service("lambda.amazonaws.com"), Effect::ImplicitDeny),
        (dan_who, Effect::ImplicitDeny),
    ] {
        assert_eq!(
            decide(&trust, PolicyKind::Trust, &who, "sts:AssumeRole", &role_arn),
            expected
        );
    }
    let attached = s.ok(
        &root,
        &[
            "iam",
            "list-attached-role-policies",
            "--role-name",
            "app-reader",
        ],
    );
    assert_eq!(
        names(&attached["AttachedPolicies"], "PolicyArn"),
        [S3_READ_ONLY]
    );
    let profiles = s.ok(
        &root,
        &[
            "iam",
            "list-instance-profiles-for-role",
            "--role-name",
            "app-reader",
        ],
    );
    assert_eq!(
        names(&profiles["InstanceProfiles"], "InstanceProfileName"),
        ["app-reader"]
    );
    let s3_read = served_document(&s, S3_READ_ONLY);
    let app = Who::User {
        name: "app-reader",
        id: "AROAAPP",
    };
    for (action, expected) in [
        ("s3:GetObject", Effect::Allow),
        ("s3:ListBucket", Effect::Allow),
        ("s3:PutObject", Effect::ImplicitDeny),
        ("s3:DeleteObject", Effect::ImplicitDeny),
        ("iam:ListUsers", Effect::ImplicitDeny),
    ] {
        assert_eq!(
            decide(
                &s3_read,
                PolicyKind::Identity,
                &app,
                action,
                "arn:aws:s3:::acme-dev-bucket/x"
            ),
            expected,
            "AmazonS3ReadOnlyAccess: {action}"
        );
    }

    // --- The account as a whole. ---
    let summary = s.ok(&root, &["iam", "get-account-summary"]);
    let map = &summary["SummaryMap"];
    for (key, n) in [
        ("Users", 5),
        ("Groups", 2),
        ("Roles", 1),
        ("Policies", 1),
        ("InstanceProfiles", 1),
        // admins, readers, manager-mia, dev-dan, app-reader: one attachment each.
        ("PolicyVersionsInUse", 5),
    ] {
        assert_eq!(map[key], n, "{key}: {map}");
    }
    let details = s.ok(&ava, &["iam", "get-account-authorization-details"]);
    let users = &details["UserDetailList"];
    assert_eq!(users.as_array().unwrap().len(), 5);
    let by_name = |name: &str| {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["UserName"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("auditor-ava")["GroupList"], json!(["readers"]));
    assert_eq!(by_name("owner-ben")["GroupList"], json!(["admins"]));
    let dan_detail = by_name("dev-dan");
    assert_eq!(
        dan_detail["UserPolicyList"][0]["PolicyName"],
        "OwnAccessKeys"
    );
    assert_eq!(
        dan_detail["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"],
        "arn:aws:iam::*:user/${aws:username}"
    );
    assert_eq!(
        names(&dan_detail["AttachedManagedPolicies"], "PolicyArn"),
        [dev_policy.as_str()]
    );
    assert_eq!(
        names(&details["GroupDetailList"], "GroupName"),
        ["admins", "readers"]
    );
    let role_detail = &details["RoleDetailList"][0];
    assert_eq!(role_detail["RoleName"], "app-reader");
    assert_eq!(
        role_detail["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
    assert_eq!(
        role_detail["InstanceProfileList"][0]["Roles"][0]["RoleName"],
        "app-reader"
    );
    // The customer managed policy, then the AWS managed policies in use, and no others.
    let policies = &details["Policies"];
    assert_eq!(
        names(policies, "Arn"),
        [dev_policy.as_str(), ADMIN, S3_READ_ONLY, BILLING, READ_ONLY]
    );
    assert_eq!(policies[0]["AttachmentCount"], 1);
    assert_eq!(
        policies[0]["PolicyVersionList"][0]["Document"]["Statement"][1]["Sid"],
        "ReadWriteObjects"
    );
    assert_eq!(policies[1]["AttachmentCount"], 1);

    // --- A policy change is enforced on the next request. ---
    s.ok(
        &ann,
        &[
            "iam",
            "detach-group-policy",
            "--group-name",
            "readers",
            "--policy-arn",
            READ_ONLY,
        ],
    );
    denied(&s, &ava, &["iam", "list-users"], "iam:ListUsers");
    s.ok(
        &ann,
        &[
            "iam",
            "attach-group-policy",
            "--group-name",
            "readers",
            "--policy-arn",
            READ_ONLY,
        ],
    );
    s.ok(&ava, &["iam", "list-users"]);
    // Leaving the admin group takes an owner's rights away at once.
    s.ok(
        &root,
        &[
            "iam",
            "remove-user-from-group",
            "--group-name",
            "admins",
            "--user-name",
            "owner-ann",
        ],
    );
    denied(
        &s,
        &ann,
        &["iam", "create-user", "--user-name", "temp-tom"],
        "iam:CreateUser",
    );
}

/// The scenario's own documents decide as intended (checked without a server).
#[test]
fn scenario_documents_decide_as_intended() {
    let dan = Who::User {
        name: "dev-dan",
        id: "AIDADAN",
    };
    let bucket = |action, resource| {
        decide(
            DEV_BUCKET_POLICY,
            PolicyKind::Identity,
            &dan,
            action,
            resource,
        )
    };
    assert_eq!(
        bucket("s3:PutObject", "arn:aws:s3:::acme-dev-bucket/a"),
        Effect::Allow
    );
    assert_eq!(
        bucket("s3:ListBucket", "arn:aws:s3:::acme-dev-bucket"),
        Effect::Allow
    );
    assert_eq!(
        bucket("s3:PutObject", "arn:aws:s3:::other/a"),
        Effect::ImplicitDeny
    );
    assert_eq!(
        bucket("s3:DeleteBucket", "arn:aws:s3:::acme-dev-bucket"),
        Effect::ImplicitDeny
    );
    let keys = |resource: &str| {
        decide(
            OWN_KEYS_POLICY,
            PolicyKind::Identity,
            &dan,
            "iam:CreateAccessKey",
            resource,
        )
    };
    assert_eq!(keys(&arn("user", "dev-dan")), Effect::Allow);
    assert_eq!(keys(&arn("user", "owner-ann")), Effect::ImplicitDeny);
    let role = arn("role", "service/app-reader");
    let trust = |who| {
        decide(
            EC2_TRUST_POLICY,
            PolicyKind::Trust,
            &who,
            "sts:AssumeRole",
            &role,
        )
    };
    assert_eq!(trust(Who::Service("ec2.amazonaws.com")), Effect::Allow);
    assert_eq!(
        trust(Who::Service("lambda.amazonaws.com")),
        Effect::ImplicitDeny
    );
    assert_eq!(trust(dan), Effect::ImplicitDeny);
}
