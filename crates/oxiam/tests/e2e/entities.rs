//! AWS CLI against a real server: groups, roles (incl. service-linked), instance profiles.

use serde_json::Value;

use crate::support::{ACCOUNT, Creds, Server};

const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    (dir, s)
}

fn names(v: &Value, list: &str, field: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn entities_groups_membership_rename_and_delete_conflicts() {
    let (_dir, s) = start();
    let root = Creds::root();
    let g = s.ok(
        &root,
        &[
            "iam",
            "create-group",
            "--group-name",
            "Admins",
            "--path",
            "/corp/",
        ],
    );
    let group_id = g["Group"]["GroupId"].as_str().unwrap().to_owned();
    assert!(
        group_id.starts_with("AGPA") && group_id.len() == 21,
        "{group_id}"
    );
    assert_eq!(
        g["Group"]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:group/corp/Admins")
    );
    assert!(g["Group"]["CreateDate"].is_string());
    let err = s.fails(
        &root,
        &["iam", "create-group", "--group-name", "admins"],
        "EntityAlreadyExists",
    );
    assert!(
        err.contains("Group with name admins already exists."),
        "{err}"
    );
    s.ok(&root, &["iam", "create-group", "--group-name", "devs"]);

    let listed = s.ok(&root, &["iam", "list-groups"]);
    assert_eq!(names(&listed, "Groups", "GroupName"), ["Admins", "devs"]);
    let corp = s.ok(&root, &["iam", "list-groups", "--path-prefix", "/corp/"]);
    assert_eq!(names(&corp, "Groups", "GroupName"), ["Admins"]);

    for u in ["carol", "alice", "bob"] {
        s.ok(&root, &["iam", "create-user", "--user-name", u]);
        s.ok(
            &root,
            &[
                "iam",
                "add-user-to-group",
                "--group-name",
                "Admins",
                "--user-name",
                u,
            ],
        );
    }
    // Adding a member again changes nothing.
    s.ok(
        &root,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "admins",
            "--user-name",
            "alice",
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "devs",
            "--user-name",
            "alice",
        ],
    );
    let got = s.ok(&root, &["iam", "get-group", "--group-name", "Admins"]);
    assert_eq!(names(&got, "Users", "UserName"), ["alice", "bob", "carol"]);
    assert_eq!(got["Group"]["GroupId"], group_id);
    // Members page through Marker/MaxItems (the CLI follows the markers itself).
    let page = s.ok(
        &root,
        &[
            "iam",
            "get-group",
            "--group-name",
            "Admins",
            "--max-items",
            "2",
        ],
    );
    assert_eq!(names(&page, "Users", "UserName"), ["alice", "bob"]);
    let token = page["NextToken"].as_str().unwrap().to_owned();
    let rest = s.ok(
        &root,
        &[
            "iam",
            "get-group",
            "--group-name",
            "Admins",
            "--max-items",
            "2",
            "--starting-token",
            &token,
        ],
    );
    assert_eq!(names(&rest, "Users", "UserName"), ["carol"]);

    let of_alice = s.ok(
        &root,
        &["iam", "list-groups-for-user", "--user-name", "alice"],
    );
    assert_eq!(names(&of_alice, "Groups", "GroupName"), ["Admins", "devs"]);

    // Neither a group with members nor a member can be deleted.
    let err = s.fails(
        &root,
        &["iam", "delete-group", "--group-name", "devs"],
        "DeleteConflict",
    );
    assert!(
        err.contains("Cannot delete entity, must remove users from group first."),
        "{err}"
    );
    let err = s.fails(
        &root,
        &["iam", "delete-user", "--user-name", "bob"],
        "DeleteConflict",
    );
    assert!(
        err.contains("Cannot delete entity, must remove users from group first."),
        "{err}"
    );

    // Renaming a user or a group keeps memberships (members are IDs).
    s.ok(
        &root,
        &[
            "iam",
            "update-user",
            "--user-name",
            "alice",
            "--new-user-name",
            "alicia",
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "update-group",
            "--group-name",
            "Admins",
            "--new-group-name",
            "Owners",
            "--new-path",
            "/",
        ],
    );
    s.fails(
        &root,
        &["iam", "get-group", "--group-name", "Admins"],
        "NoSuchEntity",
    );
    let owners = s.ok(&root, &["iam", "get-group", "--group-name", "Owners"]);
    assert_eq!(
        names(&owners, "Users", "UserName"),
        ["alicia", "bob", "carol"]
    );
    assert_eq!(owners["Group"]["GroupId"], group_id);
    assert_eq!(
        owners["Group"]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:group/Owners")
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "update-group",
            "--group-name",
            "Owners",
            "--new-group-name",
            "DEVS",
        ],
        "EntityAlreadyExists",
    );
    assert!(
        err.contains("Group with name DEVS already exists."),
        "{err}"
    );

    s.ok(
        &root,
        &[
            "iam",
            "remove-user-from-group",
            "--group-name",
            "Owners",
            "--user-name",
            "bob",
        ],
    );
    s.ok(&root, &["iam", "delete-user", "--user-name", "bob"]);
    s.fails(
        &root,
        &[
            "iam",
            "remove-user-from-group",
            "--group-name",
            "Owners",
            "--user-name",
            "bob",
        ],
        "NoSuchEntity",
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "nope",
            "--user-name",
            "carol",
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The group with name nope cannot be found."),
        "{err}"
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "Owners",
            "--user-name",
            "nobody",
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The user with name nobody cannot be found."),
        "{err}"
    );
    for (g, u) in [
        ("Owners", "alicia"),
        ("Owners", "carol"),
        ("devs", "alicia"),
    ] {
        s.ok(
            &root,
            &[
                "iam",
                "remove-user-from-group",
                "--group-name",
                g,
                "--user-name",
                u,
            ],
        );
    }
    s.ok(&root, &["iam", "delete-group", "--group-name", "Owners"]);
    s.ok(&root, &["iam", "delete-group", "--group-name", "devs"]);
    let none = s.ok(&root, &["iam", "list-groups"]);
    assert!(none["Groups"].as_array().unwrap().is_empty());
    s.ok(&root, &["iam", "delete-user", "--user-name", "alicia"]);
}

#[test]
fn entities_roles_lifecycle_trust_policy_boundary_and_tags() {
    let (_dir, s) = start();
    let root = Creds::root();
    let created = s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "app",
            "--path",
            "/svc/",
            "--assume-role-policy-document",
            TRUST_EC2,
            "--description",
            "the app",
            "--max-session-duration",
            "7200",
            "--tags",
            "Key=team,Value=blue",
        ],
    );
    let role = &created["Role"];
    let id = role["RoleId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("AROA") && id.len() == 21, "{id}");
    assert_eq!(role["Arn"], format!("arn:aws:iam::{ACCOUNT}:role/svc/app"));
    assert_eq!(role["Description"], "the app");
    // As AWS answers CreateRole: no MaxSessionDuration (GetRole has it, below).
    assert!(role.get("MaxSessionDuration").is_none(), "{role}");
    assert_eq!(role["Tags"][0]["Key"], "team");
    // The CLI decodes the URL-encoded document into JSON.
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );

    let err = s.fails(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "APP",
            "--assume-role-policy-document",
            TRUST_EC2,
        ],
        "EntityAlreadyExists",
    );
    assert!(err.contains("Role with name APP already exists."), "{err}");
    // A trust policy must name a principal and no resource.
    s.fails(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "bad",
            "--assume-role-policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
        ],
        "MalformedPolicyDocument",
    );
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Principal":{{"Service":"ec2.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}"#,
        "x".repeat(2100)
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "big",
            "--assume-role-policy-document",
            &big,
        ],
        "LimitExceeded",
    );
    assert!(
        err.contains("Cannot exceed quota for ACLSizePerRole: 2048"),
        "{err}"
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "long",
            "--assume-role-policy-document",
            TRUST_EC2,
            "--max-session-duration",
            "43201",
        ],
        "ValidationError",
    );
    assert!(
        err.contains("Member must have value less than or equal to 43200"),
        "{err}"
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "bounded",
            "--assume-role-policy-document",
            TRUST_EC2,
            "--permissions-boundary",
            &format!("arn:aws:iam::{ACCOUNT}:policy/missing"),
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains(&format!(
            "Scope ARN: arn:aws:iam::{ACCOUNT}:policy/missing does not exist or is not attachable."
        )),
        "{err}"
    );
    s.fails(
        &root,
        &["iam", "get-role", "--role-name", "bounded"],
        "NoSuchEntity",
    );

    let got = s.ok(&root, &["iam", "get-role", "--role-name", "APP"]);
    assert_eq!(got["Role"]["RoleId"], id);
    assert_eq!(got["Role"]["MaxSessionDuration"], 7200);
    assert!(got["Role"]["RoleLastUsed"].is_object(), "{got}");
    let err = s.fails(
        &root,
        &["iam", "get-role", "--role-name", "ghost"],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The role with name ghost cannot be found."),
        "{err}"
    );

    s.ok(
        &root,
        &[
            "iam",
            "update-role",
            "--role-name",
            "app",
            "--description",
            "new",
            "--max-session-duration",
            "43200",
        ],
    );
    let d = s.ok(
        &root,
        &[
            "iam",
            "update-role-description",
            "--role-name",
            "app",
            "--description",
            "newer",
        ],
    );
    assert_eq!(d["Role"]["Description"], "newer");
    assert_eq!(d["Role"]["MaxSessionDuration"], 43200);
    s.ok(
        &root,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            "app",
            "--policy-document",
            TRUST_LAMBDA,
        ],
    );
    s.fails(
        &root,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            "app",
            "--policy-document",
            "{not json",
        ],
        "MalformedPolicyDocument",
    );
    let got = s.ok(&root, &["iam", "get-role", "--role-name", "app"]);
    assert_eq!(
        got["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );

    // Permissions boundary: an AWS managed policy is fine; it shows in GetRole only.
    s.ok(
        &root,
        &[
            "iam",
            "put-role-permissions-boundary",
            "--role-name",
            "app",
            "--permissions-boundary",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        ],
    );
    let got = s.ok(&root, &["iam", "get-role", "--role-name", "app"]);
    assert_eq!(
        got["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    );
    s.fails(
        &root,
        &[
            "iam",
            "put-role-permissions-boundary",
            "--role-name",
            "app",
            "--permissions-boundary",
            "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere",
        ],
        "NoSuchEntity",
    );
    s.ok(
        &root,
        &[
            "iam",
            "delete-role-permissions-boundary",
            "--role-name",
            "app",
        ],
    );
    let got = s.ok(&root, &["iam", "get-role", "--role-name", "app"]);
    assert!(got["Role"].get("PermissionsBoundary").is_none(), "{got}");

    // Tags.
    s.ok(
        &root,
        &[
            "iam",
            "tag-role",
            "--role-name",
            "app",
            "--tags",
            "Key=Team,Value=red",
            "Key=cost,Value=1",
        ],
    );
    let tags = s.ok(&root, &["iam", "list-role-tags", "--role-name", "app"]);
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 2, "{tags}");
    s.ok(
        &root,
        &[
            "iam",
            "untag-role",
            "--role-name",
            "app",
            "--tag-keys",
            "COST",
        ],
    );
    let tags = s.ok(&root, &["iam", "list-role-tags", "--role-name", "app"]);
    assert_eq!(tags["Tags"][0]["Key"], "Team");
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 1);

    // ListRoles: path prefix; no tags, boundary or last use in lists.
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "other",
            "--assume-role-policy-document",
            TRUST_EC2,
        ],
    );
    let all = s.ok(&root, &["iam", "list-roles"]);
    assert_eq!(names(&all, "Roles", "RoleName"), ["app", "other"]);
    assert!(all["Roles"][0].get("Tags").is_none());
    assert!(all["Roles"][0].get("RoleLastUsed").is_none());
    let svc = s.ok(&root, &["iam", "list-roles", "--path-prefix", "/svc/"]);
    assert_eq!(names(&svc, "Roles", "RoleName"), ["app"]);

    s.ok(&root, &["iam", "delete-role", "--role-name", "app"]);
    s.fails(
        &root,
        &["iam", "delete-role", "--role-name", "app"],
        "NoSuchEntity",
    );
}

#[test]
fn entities_service_linked_roles() {
    let (_dir, s) = start();
    let root = Creds::root();
    let created = s.ok(
        &root,
        &[
            "iam",
            "create-service-linked-role",
            "--aws-service-name",
            "elasticbeanstalk.amazonaws.com",
            "--description",
            "for beanstalk",
        ],
    );
    let role = &created["Role"];
    assert_eq!(role["RoleName"], "AWSServiceRoleForElasticBeanstalk");
    assert_eq!(
        role["Path"],
        "/aws-service-role/elasticbeanstalk.amazonaws.com/"
    );
    assert_eq!(
        role["Arn"],
        format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk"
        )
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"][0],
        "elasticbeanstalk.amazonaws.com"
    );
    assert_eq!(role["Description"], "for beanstalk");

    let err = s.fails(
        &root,
        &[
            "iam",
            "create-service-linked-role",
            "--aws-service-name",
            "elasticbeanstalk.amazonaws.com",
        ],
        "InvalidInput",
    );
    assert!(
        err.contains("Service role name AWSServiceRoleForElasticBeanstalk has been taken in this account, please try a different suffix."),
        "{err}"
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-service-linked-role",
            "--aws-service-name",
            "elasticbeanstalk.amazonaws.com",
            "--custom-suffix",
            "two",
        ],
        "InvalidInput",
    );
    assert!(
        err.contains("Custom suffix is not allowed for elasticbeanstalk.amazonaws.com"),
        "{err}"
    );
    let suffixed = s.ok(
        &root,
        &[
            "iam",
            "create-service-linked-role",
            "--aws-service-name",
            "autoscaling.amazonaws.com",
            "--custom-suffix",
            "fleet",
        ],
    );
    assert_eq!(
        suffixed["Role"]["RoleName"],
        "AWSServiceRoleForAutoScaling_fleet"
    );

    // Only the service-linked operations may change or delete one.
    let name = "AWSServiceRoleForElasticBeanstalk";
    let err = s.fails(
        &root,
        &["iam", "delete-role", "--role-name", name],
        "UnmodifiableEntity",
    );
    assert!(
        err.contains(&format!(
            "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
        )),
        "{err}"
    );
    s.fails(
        &root,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            name,
            "--policy-document",
            TRUST_EC2,
        ],
        "UnmodifiableEntity",
    );
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "plain",
            "--assume-role-policy-document",
            TRUST_EC2,
        ],
    );
    s.fails(
        &root,
        &["iam", "delete-service-linked-role", "--role-name", "plain"],
        "InvalidInput",
    );

    let task = s.ok(
        &root,
        &["iam", "delete-service-linked-role", "--role-name", name],
    );
    let task_id = task["DeletionTaskId"].as_str().unwrap().to_owned();
    assert!(
        task_id.starts_with(&format!(
            "task/aws-service-role/elasticbeanstalk.amazonaws.com/{name}/"
        )),
        "{task_id}"
    );
    let status = s.ok(
        &root,
        &[
            "iam",
            "get-service-linked-role-deletion-status",
            "--deletion-task-id",
            &task_id,
        ],
    );
    assert_eq!(status["Status"], "SUCCEEDED");
    s.fails(
        &root,
        &["iam", "get-role", "--role-name", name],
        "NoSuchEntity",
    );
    s.fails(
        &root,
        &[
            "iam",
            "get-service-linked-role-deletion-status",
            "--deletion-task-id",
            "task/aws-service-role/x.amazonaws.com/AWSServiceRoleForX/00000000-0000-4000-0000-000000000000",
        ],
        "NoSuchEntity",
    );
}

#[test]
fn entities_instance_profiles_hold_one_role() {
    let (_dir, s) = start();
    let root = Creds::root();
    let p = s.ok(
        &root,
        &[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "web",
            "--path",
            "/ec2/",
            "--tags",
            "Key=env,Value=prod",
        ],
    );
    let profile = &p["InstanceProfile"];
    let id = profile["InstanceProfileId"].as_str().unwrap();
    assert!(id.starts_with("AIPA") && id.len() == 21, "{id}");
    assert_eq!(
        profile["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/ec2/web")
    );
    assert!(profile["Roles"].as_array().unwrap().is_empty());
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "WEB",
        ],
        "EntityAlreadyExists",
    );
    assert!(
        err.contains("Instance Profile WEB already exists."),
        "{err}"
    );

    for r in ["web-role", "spare"] {
        s.ok(
            &root,
            &[
                "iam",
                "create-role",
                "--role-name",
                r,
                "--assume-role-policy-document",
                TRUST_EC2,
            ],
        );
    }
    s.ok(
        &root,
        &[
            "iam",
            "add-role-to-instance-profile",
            "--instance-profile-name",
            "web",
            "--role-name",
            "web-role",
        ],
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "add-role-to-instance-profile",
            "--instance-profile-name",
            "web",
            "--role-name",
            "spare",
        ],
        "LimitExceeded",
    );
    assert!(
        err.contains("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"),
        "{err}"
    );
    let got = s.ok(
        &root,
        &[
            "iam",
            "get-instance-profile",
            "--instance-profile-name",
            "web",
        ],
    );
    let roles = got["InstanceProfile"]["Roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["RoleName"], "web-role");
    assert!(roles[0]["RoleId"].as_str().unwrap().starts_with("AROA"));
    assert_eq!(
        roles[0]["AssumeRolePolicyDocument"]["Statement"][0]["Action"],
        "sts:AssumeRole"
    );
    assert_eq!(got["InstanceProfile"]["Tags"][0]["Key"], "env");

    let for_role = s.ok(
        &root,
        &[
            "iam",
            "list-instance-profiles-for-role",
            "--role-name",
            "web-role",
        ],
    );
    assert_eq!(
        names(&for_role, "InstanceProfiles", "InstanceProfileName"),
        ["web"]
    );
    s.ok(
        &root,
        &[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "batch",
        ],
    );
    let all = s.ok(&root, &["iam", "list-instance-profiles"]);
    assert_eq!(
        names(&all, "InstanceProfiles", "InstanceProfileName"),
        ["batch", "web"]
    );
    let ec2 = s.ok(
        &root,
        &["iam", "list-instance-profiles", "--path-prefix", "/ec2/"],
    );
    assert_eq!(
        names(&ec2, "InstanceProfiles", "InstanceProfileName"),
        ["web"]
    );

    // Neither the role nor the profile can go while they are joined.
    let err = s.fails(
        &root,
        &["iam", "delete-role", "--role-name", "web-role"],
        "DeleteConflict",
    );
    assert!(
        err.contains("Cannot delete entity, must remove roles from instance profile first."),
        "{err}"
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "delete-instance-profile",
            "--instance-profile-name",
            "web",
        ],
        "DeleteConflict",
    );
    assert!(
        err.contains("Cannot delete entity, must remove roles from instance profile first."),
        "{err}"
    );

    // Tags.
    s.ok(
        &root,
        &[
            "iam",
            "tag-instance-profile",
            "--instance-profile-name",
            "web",
            "--tags",
            "Key=owner,Value=ops",
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "untag-instance-profile",
            "--instance-profile-name",
            "web",
            "--tag-keys",
            "env",
        ],
    );
    let tags = s.ok(
        &root,
        &[
            "iam",
            "list-instance-profile-tags",
            "--instance-profile-name",
            "web",
        ],
    );
    assert_eq!(tags["Tags"][0]["Key"], "owner");
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 1);

    s.fails(
        &root,
        &[
            "iam",
            "remove-role-from-instance-profile",
            "--instance-profile-name",
            "web",
            "--role-name",
            "spare",
        ],
        "NoSuchEntity",
    );
    s.ok(
        &root,
        &[
            "iam",
            "remove-role-from-instance-profile",
            "--instance-profile-name",
            "web",
            "--role-name",
            "web-role",
        ],
    );
    s.ok(&root, &["iam", "delete-role", "--role-name", "web-role"]);
    s.ok(
        &root,
        &[
            "iam",
            "delete-instance-profile",
            "--instance-profile-name",
            "web",
        ],
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "get-instance-profile",
            "--instance-profile-name",
            "web",
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains("Instance Profile web cannot be found."),
        "{err}"
    );
}

#[test]
fn entities_are_denied_to_a_user_without_policies() {
    let (_dir, s) = start();
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "eve"]);
    let key = s.ok(&root, &["iam", "create-access-key", "--user-name", "eve"]);
    let eve = Creds {
        key: key["AccessKey"]["AccessKeyId"].as_str().unwrap().into(),
        secret: key["AccessKey"]["SecretAccessKey"].as_str().unwrap().into(),
    };
    s.ok(&root, &["iam", "create-group", "--group-name", "admins"]);
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "admin",
            "--assume-role-policy-document",
            TRUST_EC2,
        ],
    );
    let err = s.fails(
        &eve,
        &["iam", "create-group", "--group-name", "mine"],
        "AccessDenied",
    );
    assert!(
        err.contains(&format!(
            "User: arn:aws:iam::{ACCOUNT}:user/eve is not authorized to perform: iam:CreateGroup"
        )),
        "{err}"
    );
    // Joining a group, assuming control of a role, or changing who may assume it: all denied.
    s.fails(
        &eve,
        &[
            "iam",
            "add-user-to-group",
            "--group-name",
            "admins",
            "--user-name",
            "eve",
        ],
        "AccessDenied",
    );
    s.fails(
        &eve,
        &[
            "iam",
            "update-assume-role-policy",
            "--role-name",
            "admin",
            "--policy-document",
            TRUST_LAMBDA,
        ],
        "AccessDenied",
    );
    s.fails(
        &eve,
        &[
            "iam",
            "create-instance-profile",
            "--instance-profile-name",
            "p",
        ],
        "AccessDenied",
    );
    s.fails(
        &eve,
        &[
            "iam",
            "create-service-linked-role",
            "--aws-service-name",
            "autoscaling.amazonaws.com",
        ],
        "AccessDenied",
    );
    // Nothing changed.
    let g = s.ok(&root, &["iam", "get-group", "--group-name", "admins"]);
    assert!(g["Users"].as_array().unwrap().is_empty());
    assert!(
        s.ok(&root, &["iam", "list-instance-profiles"])["InstanceProfiles"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
