//! AWS CLI: account aliases, GetAccountSummary, GetAccountAuthorizationDetails, and who may
//! call them. (Details of groups, roles and policies are covered by the company scenario.)

use crate::support::{ACCOUNT, Creds, Server};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn aliases(s: &Server, who: &Creds) -> Vec<String> {
    let out = s.ok(who, &["iam", "list-account-aliases"]);
    serde_json::from_value(out["AccountAliases"].clone()).unwrap()
}

/// A user with an access key and no policies.
fn user_with_key(s: &Server, name: &str) -> Creds {
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", name]);
    let k = s.ok(&root, &["iam", "create-access-key", "--user-name", name]);
    Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

#[test]
fn account_alias_is_one_per_account_and_unique_across_accounts() {
    // Dev mode: a 12-digit key is the root of that (second) account.
    let s = Server::start_dev();
    let root = Creds::root();
    let other = Creds {
        key: "210987654321".into(),
        secret: "x".repeat(40),
    };
    assert!(aliases(&s, &root).is_empty());
    s.ok(
        &root,
        &[
            "iam",
            "create-account-alias",
            "--account-alias",
            "example-corp",
        ],
    );
    assert_eq!(aliases(&s, &root), ["example-corp"]);
    // A second alias replaces the first, as in AWS.
    s.ok(
        &root,
        &[
            "iam",
            "create-account-alias",
            "--account-alias",
            "example-two",
        ],
    );
    assert_eq!(aliases(&s, &root), ["example-two"]);

    // Taken: by another account, or by this one.
    for who in [&other, &root] {
        let err = s.fails(
            who,
            &[
                "iam",
                "create-account-alias",
                "--account-alias",
                "example-two",
            ],
            "EntityAlreadyExists",
        );
        assert!(
            err.contains("The account alias example-two already exists."),
            "{err}"
        );
    }
    assert!(aliases(&s, &other).is_empty());

    // AWS's pattern and length (the CLI itself rejects fewer than 3 characters).
    for bad in [
        "Upper-case",
        "two--dashes",
        "-leading",
        "trailing-",
        &"a".repeat(64),
    ] {
        // `=` keeps the CLI from reading a leading dash as an option.
        let arg = format!("--account-alias={bad}");
        let err = s.fails(
            &root,
            &["iam", "create-account-alias", &arg],
            "ValidationError",
        );
        assert!(err.contains("accountAlias"), "{bad}: {err}");
    }

    // Only the account's own alias can be deleted.
    let err = s.fails(
        &other,
        &[
            "iam",
            "delete-account-alias",
            "--account-alias",
            "example-two",
        ],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The account alias example-two cannot be found."),
        "{err}"
    );
    s.ok(
        &root,
        &[
            "iam",
            "delete-account-alias",
            "--account-alias",
            "example-two",
        ],
    );
    assert!(aliases(&s, &root).is_empty());
    s.ok(
        &other,
        &[
            "iam",
            "create-account-alias",
            "--account-alias",
            "example-two",
        ],
    );
    assert_eq!(aliases(&s, &other), ["example-two"]);
}

#[test]
fn account_summary_counts_and_quotas() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    for name in ["u1", "u2", "u3"] {
        s.ok(&root, &["iam", "create-user", "--user-name", name]);
    }
    let out = s.ok(&root, &["iam", "get-account-summary"]);
    let map = out["SummaryMap"].as_object().unwrap();
    for key in [
        "Users",
        "UsersQuota",
        "Groups",
        "GroupsQuota",
        "Roles",
        "RolesQuota",
        "Policies",
        "PoliciesQuota",
        "PolicyVersionsInUse",
        "PolicyVersionsInUseQuota",
        "InstanceProfiles",
        "InstanceProfilesQuota",
        "ServerCertificates",
        "ServerCertificatesQuota",
        "Providers",
        "MFADevices",
        "MFADevicesInUse",
        "AccountMFAEnabled",
        "AccountAccessKeysPresent",
        "AccountPasswordPresent",
        "AccountSigningCertificatesPresent",
        "AccessKeysPerUserQuota",
        "SigningCertificatesPerUserQuota",
        "GroupsPerUserQuota",
        "AttachedPoliciesPerUserQuota",
        "AttachedPoliciesPerGroupQuota",
        "AttachedPoliciesPerRoleQuota",
        "UserPolicySizeQuota",
        "GroupPolicySizeQuota",
        "RolePolicySizeQuota",
        "PolicySizeQuota",
        "AssumeRolePolicySizeQuota",
        "VersionsPerPolicyQuota",
        "GlobalEndpointTokenVersion",
        // oxiam's own key (report-only enforcement), which the client parses like the others.
        "ReportOnlyEnforcement",
    ] {
        assert!(map.contains_key(key), "{key} missing: {map:?}");
    }
    assert_eq!(map.len(), 35, "{map:?}");
    assert_eq!(map["ReportOnlyEnforcement"], 0);
    assert_eq!(map["Users"], 3);
    assert_eq!(map["Groups"], 0);
    assert_eq!(map["UsersQuota"], 5000);
    assert_eq!(map["AccessKeysPerUserQuota"], 2);
    assert_eq!(map["UserPolicySizeQuota"], 2048);
    assert_eq!(map["RolePolicySizeQuota"], 10240);
    assert_eq!(map["PolicySizeQuota"], 6144);
    assert_eq!(map["VersionsPerPolicyQuota"], 5);
    assert_eq!(map["AccountAccessKeysPresent"], 1, "the root has a key");
    s.ok(&root, &["iam", "delete-user", "--user-name", "u3"]);
    let out = s.ok(&root, &["iam", "get-account-summary"]);
    assert_eq!(out["SummaryMap"]["Users"], 2);
}

#[test]
fn account_authorization_details_filter_and_pages() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    for (name, path) in [("ann", "/eng/"), ("bob", "/"), ("cat", "/ops/")] {
        s.ok(
            &root,
            &[
                "iam",
                "create-user",
                "--user-name",
                name,
                "--path",
                path,
                "--tags",
                "Key=team,Value=blue",
            ],
        );
    }
    // The CLI follows Marker/IsTruncated page by page.
    let all = s.ok(
        &root,
        &[
            "iam",
            "get-account-authorization-details",
            "--filter",
            "User",
            "--page-size",
            "2",
        ],
    );
    let users = all["UserDetailList"].as_array().unwrap();
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann", "bob", "cat"]);
    let ann = &users[0];
    assert_eq!(ann["Path"], "/eng/");
    assert_eq!(ann["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/eng/ann"));
    assert!(ann["UserId"].as_str().unwrap().starts_with("AIDA"));
    assert!(ann["CreateDate"].is_string());
    assert_eq!(ann["Tags"][0]["Key"], "team");
    assert_eq!(ann["GroupList"], serde_json::json!([]));
    assert_eq!(ann["UserPolicyList"], serde_json::json!([]));
    assert_eq!(ann["AttachedManagedPolicies"], serde_json::json!([]));

    let first = s.ok(
        &root,
        &[
            "iam",
            "get-account-authorization-details",
            "--max-items",
            "2",
        ],
    );
    assert_eq!(first["UserDetailList"].as_array().unwrap().len(), 2);
    let token = first["NextToken"]
        .as_str()
        .expect("NextToken when truncated");
    let rest = s.ok(
        &root,
        &[
            "iam",
            "get-account-authorization-details",
            "--starting-token",
            token,
        ],
    );
    assert_eq!(rest["UserDetailList"][0]["UserName"], "cat");

    // A filter of other kinds leaves the users out; no AWS managed policy is in use yet.
    let none = s.ok(
        &root,
        &[
            "iam",
            "get-account-authorization-details",
            "--filter",
            "Role",
            "AWSManagedPolicy",
        ],
    );
    assert_eq!(none["UserDetailList"], serde_json::json!([]));
    assert_eq!(none["Policies"], serde_json::json!([]));
    s.fails(
        &root,
        &[
            "iam",
            "get-account-authorization-details",
            "--filter",
            "Users",
        ],
        "ValidationError",
    );
}

#[test]
fn account_operations_are_denied_to_a_user_without_policies() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let nobody = user_with_key(&s, "nobody");
    for (action, args) in [
        ("iam:GetAccountSummary", vec!["iam", "get-account-summary"]),
        (
            "iam:GetAccountAuthorizationDetails",
            vec!["iam", "get-account-authorization-details"],
        ),
        (
            "iam:ListAccountAliases",
            vec!["iam", "list-account-aliases"],
        ),
        (
            "iam:CreateAccountAlias",
            vec!["iam", "create-account-alias", "--account-alias", "mine"],
        ),
        (
            "iam:DeleteAccountAlias",
            vec!["iam", "delete-account-alias", "--account-alias", "mine"],
        ),
    ] {
        let err = s.fails(&nobody, &args, "AccessDenied");
        assert!(
            err.contains(&format!(
                "User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: {action} on resource: * because no identity-based policy allows the {action} action"
            )),
            "{err}"
        );
    }
    assert!(
        aliases(&s, &Creds::root()).is_empty(),
        "nothing was created"
    );
}
