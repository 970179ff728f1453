//! AWS CLI against a real server: managed policies, their versions and tags, the AWS managed
//! catalogue (read-only), and denial of policy calls to a caller without permissions.

use serde_json::Value;

use crate::support::{ACCOUNT, Creds, Server};

const DOC: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}"#;
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    (dir, s)
}

fn version_ids(v: &Value) -> Vec<String> {
    v["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn policies_lifecycle_versions_and_tags() {
    let (_dir, s) = start();
    let root = Creds::root();
    let created = s.ok(
        &root,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "Readers",
            "--path",
            "/team/",
            "--description",
            "reads reports",
            "--policy-document",
            DOC,
            "--tags",
            "Key=team,Value=blue",
        ],
    );
    let p = &created["Policy"];
    let arn = format!("arn:aws:iam::{ACCOUNT}:policy/team/Readers");
    assert_eq!(p["Arn"], arn.as_str());
    assert_eq!(p["PolicyName"], "Readers");
    assert_eq!(p["Path"], "/team/");
    assert_eq!(p["DefaultVersionId"], "v1");
    assert_eq!(p["AttachmentCount"], 0);
    assert_eq!(p["PermissionsBoundaryUsageCount"], 0);
    assert_eq!(p["IsAttachable"], true);
    assert_eq!(p["Tags"][0]["Key"], "team");
    let id = p["PolicyId"].as_str().unwrap();
    assert!(id.starts_with("ANPA") && id.len() == 21, "{id}");
    assert!(p["CreateDate"].is_string());

    let err = s.fails(
        &root,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "READERS",
            "--policy-document",
            DOC,
        ],
        "EntityAlreadyExists",
    );
    assert!(
        err.contains("A policy called READERS already exists. Duplicate names are not allowed."),
        "{err}"
    );
    let no_version =
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#;
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "Old",
            "--policy-document",
            no_version,
        ],
        "MalformedPolicyDocument",
    );
    assert!(
        err.contains("Policy document must be version 2012-10-17 or greater."),
        "{err}"
    );

    let got = s.ok(&root, &["iam", "get-policy", "--policy-arn", &arn]);
    assert_eq!(got["Policy"]["PolicyId"], id);
    assert_eq!(got["Policy"]["Description"], "reads reports");

    // Versions: at most 5; SetAsDefault; newest listed first, page by page.
    for default in [false, true, false, false] {
        let mut args = vec![
            "iam",
            "create-policy-version",
            "--policy-arn",
            &arn,
            "--policy-document",
            DOC,
        ];
        if default {
            args.push("--set-as-default");
        }
        s.ok(&root, &args);
    }
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            &arn,
            "--policy-document",
            DOC,
        ],
        "LimitExceeded",
    );
    assert!(
        err.contains(
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version."
        ),
        "{err}"
    );
    let versions = s.ok(
        &root,
        &[
            "iam",
            "list-policy-versions",
            "--policy-arn",
            &arn,
            "--page-size",
            "2",
        ],
    );
    assert_eq!(version_ids(&versions), ["v5", "v4", "v3", "v2", "v1"]);
    assert_eq!(versions["Versions"][2]["IsDefaultVersion"], true);
    let got = s.ok(&root, &["iam", "get-policy", "--policy-arn", &arn]);
    assert_eq!(got["Policy"]["DefaultVersionId"], "v3");
    // The CLI decodes the URL-encoded document back to JSON.
    let v1 = s.ok(
        &root,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            &arn,
            "--version-id",
            "v1",
        ],
    );
    assert_eq!(v1["PolicyVersion"]["Document"]["Version"], "2012-10-17");
    assert_eq!(v1["PolicyVersion"]["IsDefaultVersion"], false);
    let err = s.fails(
        &root,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            &arn,
            "--version-id",
            "v9",
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains(&format!(
            "Policy {arn} version v9 does not exist or is not attachable."
        )),
        "{err}"
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "delete-policy-version",
            "--policy-arn",
            &arn,
            "--version-id",
            "v3",
        ],
        "DeleteConflict",
    );
    assert!(
        err.contains("Cannot delete the default version of a policy."),
        "{err}"
    );
    let err = s.fails(
        &root,
        &["iam", "delete-policy", "--policy-arn", &arn],
        "DeleteConflict",
    );
    assert!(
        err.contains("This policy has more than one version."),
        "{err}"
    );
    s.ok(
        &root,
        &[
            "iam",
            "set-default-policy-version",
            "--policy-arn",
            &arn,
            "--version-id",
            "v1",
        ],
    );

    // Tags.
    s.ok(
        &root,
        &[
            "iam",
            "tag-policy",
            "--policy-arn",
            &arn,
            "--tags",
            "Key=env,Value=prod",
            "Key=TEAM,Value=red",
        ],
    );
    let tags = s.ok(&root, &["iam", "list-policy-tags", "--policy-arn", &arn]);
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 2, "{tags}");
    assert_eq!(tags["Tags"][0]["Key"], "TEAM");
    assert_eq!(tags["Tags"][0]["Value"], "red");
    s.ok(
        &root,
        &[
            "iam",
            "untag-policy",
            "--policy-arn",
            &arn,
            "--tag-keys",
            "team",
        ],
    );
    let tags = s.ok(&root, &["iam", "list-policy-tags", "--policy-arn", &arn]);
    assert_eq!(tags["Tags"][0]["Key"], "env");
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 1);

    // Nobody uses it: no entities.
    let entities = s.ok(
        &root,
        &["iam", "list-entities-for-policy", "--policy-arn", &arn],
    );
    assert_eq!(entities["PolicyUsers"], serde_json::json!([]));
    assert_eq!(entities["PolicyRoles"], serde_json::json!([]));
    assert_eq!(entities["PolicyGroups"], serde_json::json!([]));

    // Delete every other version, then the policy.
    for v in ["v2", "v3", "v4", "v5"] {
        s.ok(
            &root,
            &[
                "iam",
                "delete-policy-version",
                "--policy-arn",
                &arn,
                "--version-id",
                v,
            ],
        );
    }
    s.ok(&root, &["iam", "delete-policy", "--policy-arn", &arn]);
    let err = s.fails(
        &root,
        &["iam", "get-policy", "--policy-arn", &arn],
        "NoSuchEntity",
    );
    assert!(
        err.contains(&format!("Policy {arn} was not found.")),
        "{err}"
    );
}

#[test]
fn policies_list_scopes_and_the_read_only_aws_catalogue() {
    let (_dir, s) = start();
    let root = Creds::root();
    for (name, path) in [("zeta", "/"), ("Alpha", "/a/"), ("mid", "/a/b/")] {
        s.ok(
            &root,
            &[
                "iam",
                "create-policy",
                "--policy-name",
                name,
                "--path",
                path,
                "--policy-document",
                DOC,
            ],
        );
    }
    let names = |v: &Value| -> Vec<String> {
        v["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyName"].as_str().unwrap().to_owned())
            .collect()
    };
    let local = s.ok(
        &root,
        &[
            "iam",
            "list-policies",
            "--scope",
            "Local",
            "--page-size",
            "1",
        ],
    );
    assert_eq!(names(&local), ["Alpha", "mid", "zeta"]);
    let under_a = s.ok(
        &root,
        &[
            "iam",
            "list-policies",
            "--scope",
            "Local",
            "--path-prefix",
            "/a/",
        ],
    );
    assert_eq!(names(&under_a), ["Alpha", "mid"]);
    let first = s.ok(
        &root,
        &[
            "iam",
            "list-policies",
            "--scope",
            "Local",
            "--max-items",
            "2",
        ],
    );
    assert_eq!(names(&first), ["Alpha", "mid"]);
    let token = first["NextToken"].as_str().unwrap();
    let rest = s.ok(
        &root,
        &[
            "iam",
            "list-policies",
            "--scope",
            "Local",
            "--starting-token",
            token,
        ],
    );
    assert_eq!(names(&rest), ["zeta"]);
    let attached = s.ok(
        &root,
        &["iam", "list-policies", "--only-attached", "--scope", "All"],
    );
    assert_eq!(names(&attached), Vec::<String>::new());

    // The AWS catalogue: real paths, documents at the default version.
    let job = s.ok(
        &root,
        &[
            "iam",
            "list-policies",
            "--scope",
            "AWS",
            "--path-prefix",
            "/job-function/",
        ],
    );
    assert!(names(&job).contains(&"Billing".to_owned()), "{job}");
    let admin = s.ok(&root, &["iam", "get-policy", "--policy-arn", ADMIN]);
    assert_eq!(admin["Policy"]["PolicyName"], "AdministratorAccess");
    assert_eq!(admin["Policy"]["IsAttachable"], true);
    let default = admin["Policy"]["DefaultVersionId"].as_str().unwrap();
    let v = s.ok(
        &root,
        &[
            "iam",
            "get-policy-version",
            "--policy-arn",
            ADMIN,
            "--version-id",
            default,
        ],
    );
    assert_eq!(
        v["PolicyVersion"]["Document"]["Statement"][0]["Action"],
        "*"
    );
    let versions = s.ok(
        &root,
        &["iam", "list-policy-versions", "--policy-arn", ADMIN],
    );
    assert_eq!(version_ids(&versions), [default]);

    // Read-only: writes are refused, even to the account root.
    let err = s.fails(
        &root,
        &["iam", "delete-policy", "--policy-arn", ADMIN],
        "AccessDenied",
    );
    assert!(err.contains("iam:DeletePolicy"), "{err}");
    s.fails(
        &root,
        &[
            "iam",
            "create-policy-version",
            "--policy-arn",
            ADMIN,
            "--policy-document",
            DOC,
        ],
        "AccessDenied",
    );
    s.fails(
        &root,
        &[
            "iam",
            "set-default-policy-version",
            "--policy-arn",
            ADMIN,
            "--version-id",
            "v1",
        ],
        "AccessDenied",
    );
    s.fails(
        &root,
        &[
            "iam",
            "tag-policy",
            "--policy-arn",
            ADMIN,
            "--tags",
            "Key=k,Value=v",
        ],
        "InvalidInput",
    );
    s.fails(
        &root,
        &[
            "iam",
            "get-policy",
            "--policy-arn",
            "arn:aws:iam::aws:policy/NoSuchPolicy",
        ],
        "NoSuchEntity",
    );
}

#[test]
fn policies_are_denied_to_a_user_without_permissions() {
    let (_dir, s) = start();
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "bob"]);
    let key = s.ok(&root, &["iam", "create-access-key", "--user-name", "bob"]);
    let bob = Creds {
        key: key["AccessKey"]["AccessKeyId"].as_str().unwrap().into(),
        secret: key["AccessKey"]["SecretAccessKey"].as_str().unwrap().into(),
    };
    let err = s.fails(
        &bob,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "Escalate",
            "--policy-document",
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
        ],
        "AccessDenied",
    );
    assert!(
        err.contains(&format!(
            "User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:CreatePolicy"
        )),
        "{err}"
    );
    s.fails(
        &bob,
        &["iam", "get-policy", "--policy-arn", ADMIN],
        "AccessDenied",
    );
    s.fails(&bob, &["iam", "list-policies"], "AccessDenied");
    // The denied call left nothing behind.
    let local = s.ok(&root, &["iam", "list-policies", "--scope", "Local"]);
    assert_eq!(local["Policies"], serde_json::json!([]));
}
