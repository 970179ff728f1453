//! Enforcement of the IAM API by the caller's own policies, with the real AWS CLI and each
//! identity's own keys: self-service, policy changes taking effect at once, the privilege
//! escalation paths AWS blocks, boundaries, explicit denies, ABAC; and the attached-policy,
//! inline-policy and boundary operations themselves.

use serde_json::Value;

use crate::support::{ACCOUNT, Creds, Server};

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    (dir, s)
}

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}/{name}")
}

fn aws_policy(name: &str) -> String {
    format!("arn:aws:iam::aws:policy/{name}")
}

/// Creates a user (as root) and an access key for it.
fn user_with_key(s: &Server, name: &str, extra: &[&str]) -> Creds {
    let root = Creds::root();
    let mut args = vec!["iam", "create-user", "--user-name", name];
    args.extend_from_slice(extra);
    s.ok(&root, &args);
    let k = s.ok(&root, &["iam", "create-access-key", "--user-name", name]);
    Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

fn put_user_policy(s: &Server, user: &str, name: &str, document: &Value) {
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            user,
            "--policy-name",
            name,
            "--policy-document",
            &document.to_string(),
        ],
    );
}

fn attach(s: &Server, user: &str, policy_arn: &str) {
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            user,
            "--policy-arn",
            policy_arn,
        ],
    );
}

fn statements(statements: Value) -> Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

/// AWS's AccessDenied text for an implicit deny by identity policies.
fn no_identity_allows(user: &str, action: &str, resource: &str) -> String {
    format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        arn("user", user)
    )
}

/// Asserts a call got past authorization to its handler, which answered with `handler_error`:
/// the client error (4xx) of the operation itself, e.g. `NoSuchEntity` for an entity the test
/// never made. Anything else fails: a denial, a success, a server error, a crash of the CLI.
fn not_denied(s: &Server, creds: &Creds, args: &[&str], handler_error: &str) {
    assert_ne!(
        handler_error, "AccessDenied",
        "the handler's error, not authorization's"
    );
    s.fails(creds, args, handler_error);
}

#[test]
fn enforcement_self_service_user_manages_only_itself() {
    let (_d, s) = start();
    let alice = user_with_key(&s, "alice", &[]);
    user_with_key(&s, "bob", &[]);
    put_user_policy(
        &s,
        "alice",
        "self",
        &statements(serde_json::json!([{
            "Effect": "Allow", "Action": "iam:*",
            "Resource": "arn:aws:iam::*:user/${aws:username}"
        }])),
    );
    // Everything on itself.
    let me = s.ok(&alice, &["iam", "get-user"]);
    assert_eq!(me["User"]["UserName"], "alice");
    s.ok(&alice, &["iam", "get-user", "--user-name", "alice"]);
    s.ok(&alice, &["iam", "list-access-keys"]);
    s.ok(
        &alice,
        &[
            "iam",
            "tag-user",
            "--user-name",
            "alice",
            "--tags",
            "Key=k,Value=v",
        ],
    );
    let policies = s.ok(
        &alice,
        &["iam", "list-user-policies", "--user-name", "alice"],
    );
    assert_eq!(policies["PolicyNames"], serde_json::json!(["self"]));
    // Nothing on anyone else, nor account-wide.
    let err = s.fails(
        &alice,
        &["iam", "get-user", "--user-name", "bob"],
        "AccessDenied",
    );
    assert!(
        err.contains(&no_identity_allows("alice", "iam:GetUser", "user bob")),
        "{err}"
    );
    s.fails(
        &alice,
        &["iam", "create-access-key", "--user-name", "bob"],
        "AccessDenied",
    );
    s.fails(
        &alice,
        &["iam", "delete-user", "--user-name", "bob"],
        "AccessDenied",
    );
    let err = s.fails(&alice, &["iam", "list-users"], "AccessDenied");
    assert!(
        err.contains(&no_identity_allows(
            "alice",
            "iam:ListUsers",
            &format!("arn:aws:iam::{ACCOUNT}:user/")
        )),
        "{err}"
    );
    s.fails(
        &alice,
        &["iam", "create-user", "--user-name", "carol"],
        "AccessDenied",
    );
}

#[test]
fn enforcement_policy_changes_apply_on_the_next_request() {
    let (_d, s) = start();
    let bob = user_with_key(&s, "bob", &[]);
    let list = ["iam", "list-users"];
    s.fails(&bob, &list, "AccessDenied");
    attach(&s, "bob", &aws_policy("IAMReadOnlyAccess"));
    s.ok(&bob, &list);
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "detach-user-policy",
            "--user-name",
            "bob",
            "--policy-arn",
            &aws_policy("IAMReadOnlyAccess"),
        ],
    );
    s.fails(&bob, &list, "AccessDenied");
    put_user_policy(
        &s,
        "bob",
        "list",
        &statements(
            serde_json::json!({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}),
        ),
    );
    s.ok(&bob, &list);
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "delete-user-policy",
            "--user-name",
            "bob",
            "--policy-name",
            "list",
        ],
    );
    s.fails(&bob, &list, "AccessDenied");
}

#[test]
fn enforcement_attaching_admin_to_oneself_needs_attach_permission() {
    let (_d, s) = start();
    let carol = user_with_key(&s, "carol", &[]);
    attach(&s, "carol", &aws_policy("IAMReadOnlyAccess"));
    let admin = aws_policy("AdministratorAccess");
    let err = s.fails(
        &carol,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "carol",
            "--policy-arn",
            &admin,
        ],
        "AccessDenied",
    );
    assert!(
        err.contains(&no_identity_allows(
            "carol",
            "iam:AttachUserPolicy",
            "user carol"
        )),
        "{err}"
    );
    // Nor through an inline policy.
    s.fails(
        &carol,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "carol",
            "--policy-name",
            "all",
            "--policy-document",
            &statements(serde_json::json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))
                .to_string(),
        ],
        "AccessDenied",
    );
    // Allowed to attach only ReadOnlyAccess (iam:PolicyARN): that works, admin does not.
    put_user_policy(
        &s,
        "carol",
        "attach-readonly",
        &statements(serde_json::json!({
            "Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*",
            "Condition": {"ArnEquals": {"iam:PolicyARN": aws_policy("ReadOnlyAccess")}}
        })),
    );
    s.ok(
        &carol,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "carol",
            "--policy-arn",
            &aws_policy("ReadOnlyAccess"),
        ],
    );
    s.fails(
        &carol,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "carol",
            "--policy-arn",
            &admin,
        ],
        "AccessDenied",
    );
    s.fails(
        &carol,
        &["iam", "create-user", "--user-name", "x"],
        "AccessDenied",
    );
}

#[test]
fn enforcement_policy_versions_only_on_policies_one_may_edit() {
    let (_d, s) = start();
    let dan = user_with_key(&s, "dan", &[]);
    put_user_policy(
        &s,
        "dan",
        "edit-mine",
        &statements(serde_json::json!({
            "Effect": "Allow",
            "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
            "Resource": format!("arn:aws:iam::{ACCOUNT}:policy/team-*")
        })),
    );
    let doc = statements(serde_json::json!({"Effect": "Allow", "Action": "*", "Resource": "*"}))
        .to_string();
    let other = arn("policy", "Admins");
    let err = s.fails(
        &dan,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            &other,
            "--policy-document",
            &doc,
            "--set-as-default",
        ],
        "AccessDenied",
    );
    assert!(
        err.contains(&no_identity_allows(
            "dan",
            "iam:CreatePolicyVersion",
            &format!("policy {other}")
        )),
        "{err}"
    );
    // An AWS managed policy is not one's to edit either.
    s.fails(
        &dan,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            &aws_policy("ReadOnlyAccess"),
            "--policy-document",
            &doc,
        ],
        "AccessDenied",
    );
    // The team's own policies pass authorization (team-dev was never made: the handler says so).
    not_denied(
        &s,
        &dan,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            &arn("policy", "team-dev"),
            "--policy-document",
            &doc,
        ],
        "NoSuchEntity",
    );
}

#[test]
fn enforcement_boundary_caps_administrator_access_and_cannot_be_removed_by_its_user() {
    let (_d, s) = start();
    let erin = user_with_key(&s, "erin", &[]);
    attach(&s, "erin", &aws_policy("AdministratorAccess"));
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "put-user-permissions-boundary",
            "--user-name",
            "erin",
            "--permissions-boundary",
            &aws_policy("IAMReadOnlyAccess"),
        ],
    );
    let me = s.ok(&erin, &["iam", "get-user"]);
    assert_eq!(
        me["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        aws_policy("IAMReadOnlyAccess")
    );
    s.ok(&erin, &["iam", "list-users"]);
    let err = s.fails(
        &erin,
        &["iam", "create-user", "--user-name", "x"],
        "AccessDenied",
    );
    assert!(
        err.contains(&format!(
            "User: {} is not authorized to perform: iam:CreateUser on resource: {} because no permissions boundary allows the iam:CreateUser action",
            arn("user", "erin"),
            arn("user", "x")
        )),
        "{err}"
    );
    // Removing or replacing its own boundary is outside the boundary too.
    s.fails(
        &erin,
        &[
            "iam",
            "delete-user-permissions-boundary",
            "--user-name",
            "erin",
        ],
        "AccessDenied",
    );
    s.fails(
        &erin,
        &[
            "iam",
            "put-user-permissions-boundary",
            "--user-name",
            "erin",
            "--permissions-boundary",
            &aws_policy("AdministratorAccess"),
        ],
        "AccessDenied",
    );
    s.fails(
        &erin,
        &[
            "iam",
            "detach-user-policy",
            "--user-name",
            "erin",
            "--policy-arn",
            &aws_policy("AdministratorAccess"),
        ],
        "AccessDenied",
    );
    // Once the root removes it, AdministratorAccess applies in full.
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "delete-user-permissions-boundary",
            "--user-name",
            "erin",
        ],
    );
    s.ok(&erin, &["iam", "create-user", "--user-name", "x"]);
}

#[test]
fn enforcement_delegated_admin_must_set_the_boundary_and_may_not_remove_it() {
    // AWS's documented delegation pattern: a manager may create users only with a given
    // boundary (iam:PermissionsBoundary) and may never delete a boundary.
    let (_d, s) = start();
    let boundary = aws_policy("ReadOnlyAccess");
    let mgr = user_with_key(&s, "manager", &[]);
    put_user_policy(
        &s,
        "manager",
        "delegate",
        &statements(serde_json::json!([
            {"Effect": "Allow",
             "Action": ["iam:CreateUser", "iam:PutUserPermissionsBoundary", "iam:AttachUserPolicy"],
             "Resource": "*",
             "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}}},
            {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:DeleteUserPermissionsBoundary", "Resource": "*"}
        ])),
    );
    s.fails(
        &mgr,
        &["iam", "create-user", "--user-name", "free"],
        "AccessDenied",
    );
    s.fails(
        &mgr,
        &[
            "iam",
            "create-user",
            "--user-name",
            "free",
            "--permissions-boundary",
            &aws_policy("AdministratorAccess"),
        ],
        "AccessDenied",
    );
    // The boundary a user gets counts for attaching policies to it: only bounded users.
    user_with_key(&s, "unbounded", &[]);
    s.fails(
        &mgr,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "unbounded",
            "--policy-arn",
            &aws_policy("AdministratorAccess"),
        ],
        "AccessDenied",
    );
    s.ok(
        &mgr,
        &[
            "iam",
            "put-user-permissions-boundary",
            "--user-name",
            "unbounded",
            "--permissions-boundary",
            &boundary,
        ],
    );
    s.ok(
        &mgr,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "unbounded",
            "--policy-arn",
            &aws_policy("AdministratorAccess"),
        ],
    );
    let err = s.fails(
        &mgr,
        &[
            "iam",
            "delete-user-permissions-boundary",
            "--user-name",
            "unbounded",
        ],
        "AccessDenied",
    );
    assert!(
        err.contains("with an explicit deny in an identity-based policy"),
        "{err}"
    );
}

#[test]
fn enforcement_tags_cannot_defeat_abac() {
    let (_d, s) = start();
    let frank = user_with_key(&s, "frank", &["--tags", "Key=team,Value=red"]);
    user_with_key(&s, "rosa", &["--tags", "Key=team,Value=red"]);
    user_with_key(&s, "bob", &["--tags", "Key=team,Value=blue"]);
    put_user_policy(
        &s,
        "frank",
        "abac",
        &statements(serde_json::json!([
            {"Effect": "Allow", "Action": ["iam:GetUser", "iam:TagUser", "iam:UntagUser"],
             "Resource": "*",
             "Condition": {
                "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
                "ForAllValues:StringNotEquals": {"aws:TagKeys": ["team"]}}},
            {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*",
             "Condition": {
                "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]}}},
            // Creating with tags needs iam:TagUser too, with the same request tags (AWS's
            // "Create new users only with specific tags" example grants both); only on users
            // without a team yet, so it cannot move anyone between teams.
            {"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*",
             "Condition": {
                "StringEquals": {"aws:RequestTag/team": "${aws:PrincipalTag/team}"},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]},
                "Null": {"aws:ResourceTag/team": "true"}}}
        ])),
    );
    s.ok(&frank, &["iam", "get-user", "--user-name", "rosa"]);
    s.fails(
        &frank,
        &["iam", "get-user", "--user-name", "bob"],
        "AccessDenied",
    );
    // Re-tagging bob into frank's team: bob's current tag decides, so no.
    s.fails(
        &frank,
        &[
            "iam",
            "tag-user",
            "--user-name",
            "bob",
            "--tags",
            "Key=team,Value=red",
        ],
        "AccessDenied",
    );
    // Moving a teammate out (or removing the team tag) touches the `team` key: no.
    s.fails(
        &frank,
        &[
            "iam",
            "tag-user",
            "--user-name",
            "rosa",
            "--tags",
            "Key=team,Value=blue",
        ],
        "AccessDenied",
    );
    s.fails(
        &frank,
        &[
            "iam",
            "untag-user",
            "--user-name",
            "rosa",
            "--tag-keys",
            "team",
        ],
        "AccessDenied",
    );
    // Other tags on teammates are fine.
    s.ok(
        &frank,
        &[
            "iam",
            "tag-user",
            "--user-name",
            "rosa",
            "--tags",
            "Key=project,Value=x",
        ],
    );
    // New users only in frank's own team.
    s.fails(
        &frank,
        &[
            "iam",
            "create-user",
            "--user-name",
            "u1",
            "--tags",
            "Key=team,Value=blue",
        ],
        "AccessDenied",
    );
    s.fails(
        &frank,
        &["iam", "create-user", "--user-name", "u1"],
        "AccessDenied",
    );
    s.fails(
        &frank,
        &[
            "iam",
            "create-user",
            "--user-name",
            "u1",
            "--tags",
            "Key=team,Value=red",
            "Key=admin,Value=yes",
        ],
        "AccessDenied",
    );
    s.ok(
        &frank,
        &[
            "iam",
            "create-user",
            "--user-name",
            "u1",
            "--tags",
            "Key=team,Value=red",
        ],
    );
    // The tag change on bob by the root is seen at once.
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "tag-user",
            "--user-name",
            "bob",
            "--tags",
            "Key=team,Value=red",
        ],
    );
    s.ok(&frank, &["iam", "get-user", "--user-name", "bob"]);
}

#[test]
fn enforcement_explicit_deny_beats_allow() {
    let (_d, s) = start();
    let gus = user_with_key(&s, "gus", &[]);
    user_with_key(&s, "vip", &[]);
    attach(&s, "gus", &aws_policy("AdministratorAccess"));
    put_user_policy(
        &s,
        "gus",
        "protect-vip",
        &statements(serde_json::json!({
            "Effect": "Deny", "Action": "iam:*", "Resource": arn("user", "vip")
        })),
    );
    s.ok(&gus, &["iam", "create-user", "--user-name", "other"]);
    let err = s.fails(
        &gus,
        &["iam", "delete-user", "--user-name", "vip"],
        "AccessDenied",
    );
    assert!(
        err.contains(&format!(
            "User: {} is not authorized to perform: iam:DeleteUser on resource: user vip with an explicit deny in an identity-based policy",
            arn("user", "gus"),
        )),
        "{err}"
    );
}

#[test]
fn enforcement_passing_a_role_needs_iam_pass_role() {
    let (_d, s) = start();
    let hal = user_with_key(&s, "hal", &[]);
    put_user_policy(
        &s,
        "hal",
        "profiles",
        &statements(serde_json::json!({
            "Effect": "Allow", "Action": "iam:AddRoleToInstanceProfile", "Resource": "*"
        })),
    );
    let add = [
        "iam",
        "add-role-to-instance-profile",
        "--instance-profile-name",
        "web",
        "--role-name",
        "admin-role",
    ];
    let err = s.fails(&hal, &add, "AccessDenied");
    assert!(
        err.contains(&no_identity_allows(
            "hal",
            "iam:PassRole",
            &arn("role", "admin-role")
        )),
        "{err}"
    );
    put_user_policy(
        &s,
        "hal",
        "pass",
        &statements(serde_json::json!({
            "Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("role", "web-*"),
            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
        })),
    );
    s.fails(&hal, &add, "AccessDenied");
    // A web-* role passes (the instance profile was never made: the handler says so).
    not_denied(
        &s,
        &hal,
        &[
            "iam",
            "add-role-to-instance-profile",
            "--instance-profile-name",
            "web",
            "--role-name",
            "web-role",
        ],
        "NoSuchEntity",
    );
}

#[test]
fn enforcement_source_ip_and_secure_transport_are_known() {
    let (_d, s) = start();
    let ida = user_with_key(&s, "ida", &[]);
    put_user_policy(
        &s,
        "ida",
        "net",
        &statements(serde_json::json!([
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
                           "StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            {"Effect": "Deny", "Action": "iam:ListAccessKeys", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": "*"}
        ])),
    );
    s.ok(&ida, &["iam", "get-user"]);
    s.fails(&ida, &["iam", "list-users"], "AccessDenied");
    s.fails(&ida, &["iam", "list-access-keys"], "AccessDenied");
}

#[test]
fn enforcement_policy_operations_with_the_cli() {
    // Shapes and errors in detail: tests/python/test_enforcement.py. Here: the CLI's view.
    let (_d, s) = start();
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "kim"]);
    attach(&s, "kim", &aws_policy("job-function/Billing"));
    let attached = s.ok(
        &root,
        &["iam", "list-attached-user-policies", "--user-name", "kim"],
    );
    assert_eq!(
        attached["AttachedPolicies"],
        serde_json::json!([{"PolicyName": "Billing", "PolicyArn": aws_policy("job-function/Billing")}])
    );
    let doc = statements(serde_json::json!({
        "Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::bucket/a b+c%/*"
    }));
    put_user_policy(&s, "kim", "p1", &doc);
    let got = s.ok(
        &root,
        &[
            "iam",
            "get-user-policy",
            "--user-name",
            "kim",
            "--policy-name",
            "p1",
        ],
    );
    // The CLI decodes the URL-encoded document back to the very JSON sent.
    assert_eq!(got["PolicyDocument"], doc);
    let names = s.ok(&root, &["iam", "list-user-policies", "--user-name", "kim"]);
    assert_eq!(names["PolicyNames"], serde_json::json!(["p1"]));
    let err = s.fails(
        &root,
        &[
            "iam",
            "get-user-policy",
            "--user-name",
            "kim",
            "--policy-name",
            "p2",
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The user policy with name p2 cannot be found."),
        "{err}"
    );
}

#[test]
fn enforcement_group_policies_apply_to_members_and_stop_on_removal() {
    let (_d, s) = start();
    let root = Creds::root();
    let pat = user_with_key(&s, "pat", &[]);
    s.ok(&root, &["iam", "create-group", "--group-name", "readers"]);
    s.ok(
        &root,
        &[
            "iam",
            "attach-group-policy",
            "--group-name",
            "readers",
            "--policy-arn",
            &aws_policy("IAMReadOnlyAccess"),
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "put-group-policy",
            "--group-name",
            "readers",
            "--policy-name",
            "no-keys",
            "--policy-document",
            &statements(serde_json::json!({
                "Effect": "Deny", "Action": "iam:ListAccessKeys", "Resource": "*"
            }))
            .to_string(),
        ],
    );
    s.fails(&pat, &["iam", "list-users"], "AccessDenied");
    s.ok(
        &root,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "readers",
            "--user-name",
            "pat",
        ],
    );
    s.ok(&pat, &["iam", "list-users"]);
    s.fails(&pat, &["iam", "list-access-keys"], "AccessDenied");
    s.ok(
        &root,
        &[
            "iam",
            "remove-user-from-group",
            "--group-name",
            "readers",
            "--user-name",
            "pat",
        ],
    );
    s.fails(&pat, &["iam", "list-users"], "AccessDenied");
}
