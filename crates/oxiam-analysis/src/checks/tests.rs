//! The three checks on AWS's documented examples (API reference, CLI examples) and on the
//! pass/fail pairs a reviewer meets.

use super::*;

fn aws() -> &'static Catalogue {
    Catalogue::aws()
}

fn policy(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn new_access(new: &str, existing: &str) -> CheckResponse {
    check_no_new_access(new, existing, PolicyType::IdentityPolicy, aws()).unwrap()
}

fn new_resource_access(new: &str, existing: &str) -> CheckResponse {
    check_no_new_access(new, existing, PolicyType::ResourcePolicy, aws()).unwrap()
}

fn pass(r: &CheckResponse) -> bool {
    r.result == CheckResult::Pass && r.reasons.is_empty()
}

// ---------------------------------------------------------------------------------------
// CheckNoNewAccess.

#[test]
fn no_new_access_cli_example_fails_on_statement_0() {
    // AWS CLI example `check-no-new-access`: s3:GetObjectAcl added.
    let existing = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}"#;
    let new = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectAcl","s3:ListBucket"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}"#;
    let r = new_access(new, existing);
    assert_eq!(r.result, CheckResult::Fail);
    assert_eq!(
        r.message,
        "The modified permissions grant new access compared to your existing policy."
    );
    assert_eq!(
        r.reasons,
        [ReasonSummary {
            description: "New access in the statement with index: 0.".to_owned(),
            statement_index: Some(0),
            statement_id: None,
        }]
    );
    // The reverse removes an action: nothing new.
    let r = new_access(existing, new);
    assert!(pass(&r), "{r:?}");
    assert_eq!(r.message, messages::NO_NEW_ACCESS);
}

#[test]
fn no_new_access_names_the_statement_by_sid() {
    let existing = policy(&[
        r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    ]);
    let new = policy(&[
        r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        r#"{"Sid":"S3ReadWrite","Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
    ]);
    let r = new_access(&new, &existing);
    assert_eq!(
        r.reasons,
        [ReasonSummary {
            description: "New access in the statement with sid: S3ReadWrite.".to_owned(),
            statement_index: Some(1),
            statement_id: Some("S3ReadWrite".to_owned()),
        }]
    );
}

#[test]
fn no_new_access_reviewer_pairs() {
    let get = |resource: &str, extra: &str| {
        format!(r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{resource}"{extra}}}"#)
    };
    let narrow = policy(&[&get("arn:aws:s3:::b/a/*", "")]);
    let wide = policy(&[&get("arn:aws:s3:::b/*", "")]);
    // Widened resource: FAIL; narrowed: PASS.
    assert_eq!(new_access(&wide, &narrow).result, CheckResult::Fail);
    assert!(pass(&new_access(&narrow, &wide)));
    // Wildcards decided as languages: `?*` is `*?`.
    let q = policy(&[&get("arn:aws:s3:::b/?*", "")]);
    let s = policy(&[&get("arn:aws:s3:::b/*?", "")]);
    assert!(pass(&new_access(&q, &s)) && pass(&new_access(&s, &q)));
    // A new action.
    let two = policy(&[
        r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}"#,
    ]);
    assert_eq!(new_access(&two, &wide).result, CheckResult::Fail);
    assert!(pass(&new_access(&wide, &two)));
    // NotAction: leaving out less is new access; leaving out more is not.
    let not_iam = policy(&[r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#]);
    let not_iam_write =
        policy(&[r#"{"Effect":"Allow","NotAction":["iam:Create*","iam:Delete*"],"Resource":"*"}"#]);
    assert_eq!(
        new_access(&not_iam_write, &not_iam).result,
        CheckResult::Fail
    );
    assert!(pass(&new_access(&not_iam, &not_iam_write)));
    assert!(pass(&new_access(&not_iam, &not_iam)));
    // NotResource.
    let not_secret = policy(&[
        r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/secret/*"}"#,
    ]);
    let everything = policy(&[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#]);
    assert_eq!(
        new_access(&everything, &not_secret).result,
        CheckResult::Fail
    );
    assert!(pass(&new_access(&not_secret, &everything)));
    // `b/*` takes in `b/secret/*`, which the NotResource leaves out.
    assert_eq!(new_access(&wide, &not_secret).result, CheckResult::Fail);
    // A condition added narrows (PASS); removed widens (FAIL); a stronger one narrows.
    let mfa = policy(&[&get(
        "arn:aws:s3:::b/*",
        r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
    )]);
    assert!(pass(&new_access(&mfa, &wide)));
    assert_eq!(new_access(&wide, &mfa).result, CheckResult::Fail);
    let ip = |cidrs: &str| {
        policy(&[&get(
            "arn:aws:s3:::b/*",
            &format!(r#","Condition":{{"IpAddress":{{"aws:SourceIp":{cidrs}}}}}"#),
        )])
    };
    let one = ip(r#"["203.0.113.0/24"]"#);
    let two_ranges = ip(r#"["203.0.113.0/24","198.51.100.0/24"]"#);
    assert!(pass(&new_access(&one, &two_ranges)));
    assert_eq!(new_access(&two_ranges, &one).result, CheckResult::Fail);
    let users = |v: &str| {
        policy(&[&get(
            "arn:aws:s3:::b/*",
            &format!(r#","Condition":{{"StringLike":{{"aws:username":{v}}}}}"#),
        )])
    };
    assert!(pass(&new_access(
        &users(r#""dev-a""#),
        &users(r#""dev-*""#)
    )));
    assert_eq!(
        new_access(&users(r#""*""#), &users(r#""dev-*""#)).result,
        CheckResult::Fail
    );
}

#[test]
fn no_new_access_with_denies() {
    let all = r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#;
    let deny = r#"{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}"#;
    let with_deny = policy(&[all, deny]);
    let without = policy(&[all]);
    // Removing a deny grants what it denied.
    assert_eq!(new_access(&without, &with_deny).result, CheckResult::Fail);
    // Adding one, or keeping the same one, grants nothing new.
    assert!(pass(&new_access(&with_deny, &without)));
    assert!(pass(&new_access(&with_deny, &with_deny)));
    // A weaker deny (a condition added to it) denies less: new access.
    let weak = policy(&[
        all,
        r#"{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}"#,
    ]);
    assert_eq!(new_access(&weak, &with_deny).result, CheckResult::Fail);
    assert!(pass(&new_access(&with_deny, &weak)));
}

#[test]
fn no_new_access_of_resource_policies_counts_principals() {
    let stmt = |principal: &str| {
        format!(
            r#"{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
        )
    };
    let alice = policy(&[&stmt(r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#)]);
    let account = policy(&[&stmt(r#"{"AWS":"111122223333"}"#)]);
    let both = policy(&[&stmt(
        r#"{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::444455556666:root"]}"#,
    )]);
    let anyone = policy(&[&stmt(r#""*""#)]);
    assert!(pass(&new_resource_access(&alice, &account)));
    assert_eq!(
        new_resource_access(&account, &alice).result,
        CheckResult::Fail
    );
    assert_eq!(new_resource_access(&both, &alice).result, CheckResult::Fail);
    assert!(pass(&new_resource_access(&alice, &both)));
    assert_eq!(
        new_resource_access(&anyone, &account).result,
        CheckResult::Fail
    );
    assert!(pass(&new_resource_access(&both, &anyone)));
    // A trust policy (no Resource) is a resource policy.
    let trust = |p: &str| {
        policy(&[&format!(
            r#"{{"Effect":"Allow","Principal":{p},"Action":"sts:AssumeRole"}}"#
        )])
    };
    let t1 = trust(r#"{"AWS":"arn:aws:iam::111122223333:role/a"}"#);
    let t2 = trust(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#);
    assert!(pass(&new_resource_access(&t1, &t2)));
    assert_eq!(new_resource_access(&t2, &t1).result, CheckResult::Fail);
}

#[test]
fn no_new_access_reference_policy_may_use_principal_wildcards() {
    let stmt = |principal: &str| {
        format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}"#
        )
    };
    let reference = policy(&[&stmt("arn:aws:iam::111122223333:role/deploy-*")]);
    let ok = policy(&[&stmt("arn:aws:iam::111122223333:role/deploy-prod")]);
    let other = policy(&[&stmt("arn:aws:iam::111122223333:role/admin")]);
    assert!(pass(&new_resource_access(&ok, &reference)));
    assert_eq!(
        new_resource_access(&other, &reference).result,
        CheckResult::Fail
    );
    // Only the reference policy may: in the new policy the engine refuses it.
    assert!(check_no_new_access(&reference, &ok, PolicyType::ResourcePolicy, aws()).is_err());
}

#[test]
fn no_new_access_errors_name_the_document() {
    let good = policy(&[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#]);
    let err = check_no_new_access("{", &good, PolicyType::IdentityPolicy, aws()).unwrap_err();
    assert!(
        matches!(
            err,
            CheckError::InvalidPolicyDocument {
                field: "newPolicyDocument",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "InvalidParameterException");
    let err = check_no_new_access(&good, "[]", PolicyType::IdentityPolicy, aws()).unwrap_err();
    assert!(matches!(
        err,
        CheckError::InvalidPolicyDocument {
            field: "existingPolicyDocument",
            ..
        }
    ));
    // An identity policy may not name a principal.
    let with_principal =
        policy(&[r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#]);
    assert!(
        check_no_new_access(&with_principal, &good, PolicyType::IdentityPolicy, aws()).is_err()
    );
    assert_eq!(
        PolicyType::from_wire("MANAGED").unwrap_err().code(),
        "ValidationException"
    );
}

// ---------------------------------------------------------------------------------------
// CheckAccessNotGranted.

fn not_granted(policy: &str, actions: &[&str], resources: &[&str], t: PolicyType) -> CheckResponse {
    let access = [Access {
        actions: actions.iter().map(|s| (*s).to_owned()).collect(),
        resources: resources.iter().map(|s| (*s).to_owned()).collect(),
    }];
    check_access_not_granted(policy, &access, t, aws()).unwrap()
}

#[test]
fn access_not_granted_api_reference_examples() {
    // "Passing check. Restrictive identity policy." (a resource policy, as AWS sends it.)
    let p = r#"{"Version":"2012-10-17","Id":"123","Statement":[{"Sid":"AllowJohnDoe","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/JohnDoe"},"Action":"s3:GetObject","Resource":"*"}]}"#;
    let r = not_granted(p, &["s3:PutObject"], &[], PolicyType::ResourcePolicy);
    assert!(pass(&r));
    assert_eq!(
        r.message,
        "The policy document does not grant access to perform the listed actions or resources."
    );
    // "Passing check. Restrictive S3 Bucket resource policy."
    let p = r#"{"Version":"2012-10-17","Id":"123","Statement":[{"Sid":"AllowJohnDoe","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/JohnDoe"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::non-sensitive-bucket/*"}]}"#;
    let r = not_granted(
        p,
        &[],
        &["arn:aws:s3:::sensitive-bucket/*"],
        PolicyType::ResourcePolicy,
    );
    assert!(pass(&r));
    // "Failing check. Permissive S3 Bucket resource policy."
    let p = r#"{"Version":"2012-10-17","Id":"123","Statement":[{"Sid":"AllowJohnDoe","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/JohnDoe"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::my-bucket/*"}]}"#;
    let r = not_granted(
        p,
        &[],
        &["arn:aws:s3:::my-bucket/*"],
        PolicyType::ResourcePolicy,
    );
    assert_eq!(r.result, CheckResult::Fail);
    assert_eq!(
        r.message,
        "The policy document grants access to perform one or more of the listed actions or resources."
    );
    assert_eq!(
        r.reasons,
        [ReasonSummary {
            description:
                "One or more of the listed actions or resources in the statement with sid: AllowJohnDoe."
                    .to_owned(),
            statement_index: Some(0),
            statement_id: Some("AllowJohnDoe".to_owned()),
        }]
    );
}

#[test]
fn access_not_granted_cli_example_and_pairs() {
    // AWS CLI example: s3:DeleteBucket and s3:GetBucketLocation are not granted.
    let p = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}"#;
    let id = PolicyType::IdentityPolicy;
    assert!(pass(&not_granted(
        p,
        &["s3:DeleteBucket", "s3:GetBucketLocation"],
        &[],
        id
    )));
    let r = not_granted(p, &["s3:ListBucket"], &[], id);
    assert_eq!(
        r.reasons[0].description,
        "One or more of the listed actions or resources in the statement with index: 0."
    );
    // Patterns in the list, and actions and resources together.
    assert_eq!(
        not_granted(p, &["s3:Get*"], &[], id).result,
        CheckResult::Fail
    );
    assert!(pass(&not_granted(
        p,
        &["s3:GetObject"],
        &["arn:aws:s3:::other/*"],
        id
    )));
    assert_eq!(
        not_granted(
            p,
            &["s3:GetObject"],
            &["arn:aws:s3:::amzn-s3-demo-bucket/k*"],
            id
        )
        .result,
        CheckResult::Fail
    );
    // A deny removes what it covers.
    let admin = policy(&[
        r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
        r#"{"Effect":"Deny","Action":["iam:PutUserPolicy","iam:PutGroupPolicy"],"Resource":"*"}"#,
    ]);
    assert!(pass(&not_granted(&admin, &["iam:PutUserPolicy"], &[], id)));
    assert_eq!(
        not_granted(&admin, &["iam:PutRolePolicy"], &[], id).result,
        CheckResult::Fail
    );
    // NotAction and NotResource.
    let not_iam = policy(&[r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#]);
    assert!(pass(&not_granted(
        &not_iam,
        &["iam:CreateAccessKey"],
        &[],
        id
    )));
    assert_eq!(
        not_granted(&not_iam, &["s3:GetObject"], &[], id).result,
        CheckResult::Fail
    );
    let not_secret =
        policy(&[r#"{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}"#]);
    assert!(pass(&not_granted(
        &not_secret,
        &[],
        &["arn:aws:s3:::secret/x*"],
        id
    )));
    assert_eq!(
        not_granted(&not_secret, &[], &["arn:aws:s3:::other/x"], id).result,
        CheckResult::Fail
    );
}

#[test]
fn access_not_granted_input_rules() {
    let p = policy(&[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#]);
    let check = |access: &[Access]| {
        check_access_not_granted(&p, access, PolicyType::IdentityPolicy, aws()).unwrap_err()
    };
    let one = |actions: Vec<String>, resources: Vec<String>| Access { actions, resources };
    assert_eq!(
        check(&[one(vec![], vec![])]).code(),
        "InvalidParameterException"
    );
    assert_eq!(check(&[]).code(), "InvalidParameterException");
    let e = one(vec!["s3:GetObject".into()], vec![]);
    assert_eq!(check(&[e.clone(), e.clone()]).code(), "ValidationException");
    let many = (0..101).map(|i| format!("s3:A{i}")).collect();
    assert_eq!(check(&[one(many, vec![])]).code(), "ValidationException");
    let long = format!("arn:aws:s3:::{}", "x".repeat(2048));
    assert_eq!(
        check(&[one(vec![], vec![long])]).code(),
        "ValidationException"
    );
    // Wildcards only in the resource ID.
    let bad = one(vec![], vec!["arn:aws:s3:*::b".into()]);
    assert_eq!(check(&[bad]).code(), "InvalidParameterException");
    assert_eq!(
        check(&[one(vec![], vec!["*".into()])]).code(),
        "InvalidParameterException"
    );
    assert_eq!(
        check(&[one(vec!["GetObject".into()], vec![])]).code(),
        "InvalidParameterException"
    );
}

// ---------------------------------------------------------------------------------------
// CheckNoPublicAccess.

fn public(policy: &str, t: ResourceType) -> CheckResponse {
    check_no_public_access(policy, t, aws()).unwrap()
}

#[test]
fn no_public_access_api_reference_examples() {
    // "Passing check. S3 Bucket policy without public access."
    let p = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/JohnDoe"},"Action":["s3:GetObject"]}]}"#;
    let r = public(p, ResourceType::S3Bucket);
    assert!(pass(&r));
    assert_eq!(
        r.message,
        "The resource policy does not grant public access for the given resource type."
    );
    // "Failing check. S3 Bucket policy with public access."
    let p = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":"*","Action":["s3:GetObject"]}]}"#;
    let r = public(p, ResourceType::S3Bucket);
    assert_eq!(
        (r.result, r.message),
        (
            CheckResult::Fail,
            "The resource policy grants public access for the given resource type."
        )
    );
    assert_eq!(
        r.reasons,
        [ReasonSummary {
            description: "Public access granted in the following statement with sid: Bob."
                .to_owned(),
            statement_index: Some(0),
            statement_id: Some("Bob".to_owned()),
        }]
    );
}

#[test]
fn no_public_access_conditions_that_limit_callers() {
    let with = |cond: &str| {
        policy(&[&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{cond}}}"#
        )])
    };
    let s3 = ResourceType::S3Bucket;
    assert!(pass(&public(
        &with(r#"{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#),
        s3
    )));
    assert!(pass(&public(
        &with(r#"{"StringEquals":{"aws:SourceVpce":"vpce-1"}}"#),
        s3
    )));
    assert!(pass(&public(
        &with(r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#),
        s3
    )));
    assert!(pass(&public(
        &with(r#"{"StringEquals":{"aws:PrincipalAccount":["111122223333"]}}"#),
        s3
    )));
    assert!(pass(&public(
        &with(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#),
        s3
    )));
    assert!(pass(&public(
        &with(r#"{"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}}"#),
        s3
    )));
    // Conditions that do not limit who calls, or limit too little.
    for c in [
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#,
        r#"{"StringLike":{"aws:PrincipalOrgID":"o-*"}}"#,
        r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}"#,
        r#"{"StringLike":{"aws:userid":"*:alice"}}"#,
        r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1"}}"#,
        r#"{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
        r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-abc"}}"#,
    ] {
        assert_eq!(public(&with(c), s3).result, CheckResult::Fail, "{c}");
    }
    // Another service's actions do not reach a bucket.
    let sqs = policy(&[r#"{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"}"#]);
    assert!(pass(&public(&sqs, s3)));
    assert_eq!(
        public(&sqs, ResourceType::SqsQueue).result,
        CheckResult::Fail
    );
    // NotPrincipal allows everyone else.
    let not = policy(&[
        r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"*"}"#,
    ]);
    assert_eq!(public(&not, s3).result, CheckResult::Fail);
}

#[test]
fn no_public_access_with_denies() {
    let allow = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;
    let s3 = ResourceType::S3Bucket;
    let vpce = policy(&[
        allow,
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}"#,
    ]);
    assert!(pass(&public(&vpce, s3)));
    let all = policy(&[
        allow,
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}"#,
    ]);
    assert!(pass(&public(&all, s3)));
    // A deny for some callers, or on other resources, leaves the grant public.
    for d in [
        r#"{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}"#,
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}"#,
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    ] {
        assert_eq!(
            public(&policy(&[allow, d]), s3).result,
            CheckResult::Fail,
            "{d}"
        );
    }
}

#[test]
fn no_public_access_of_trust_policies() {
    let t = ResourceType::IamAssumeRolePolicyDocument;
    let google = |cond: &str| {
        policy(&[&format!(
            r#"{{"Effect":"Allow","Principal":{{"Federated":"accounts.google.com"}},"Action":"sts:AssumeRoleWithWebIdentity"{cond}}}"#
        )])
    };
    assert_eq!(public(&google(""), t).result, CheckResult::Fail);
    assert!(pass(&public(
        &google(r#","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}"#),
        t
    )));
    let role = policy(&[
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#,
    ]);
    assert!(pass(&public(&role, t)));
    let anyone =
        policy(&[r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}"#]);
    assert_eq!(public(&anyone, t).result, CheckResult::Fail);
}

#[test]
fn resource_types_round_trip() {
    assert_eq!(ResourceType::ALL.len(), 26);
    for t in ResourceType::ALL {
        assert_eq!(ResourceType::from_wire(t.as_str()).unwrap(), *t);
        for p in t.service_prefixes() {
            assert!(aws().service(p).is_some(), "{p}");
        }
    }
    assert_eq!(
        ResourceType::from_wire("AWS::EC2::Instance")
            .unwrap_err()
            .code(),
        "ValidationException"
    );
}
