//! Every operation of the table, called by a user without policies, is refused with AWS's
//! AccessDenied naming the operation's action and the resource as IAM words it (issue 22,
//! item 7). The cases are `tests/data/denials.txt`, one line per case; an operation of the
//! table without a line fails the test, so a new entry brings its expected denial with it.
//!
//! The calls go through `front::pipeline::call_as` (authorize → dispatch → audit), the path
//! of every signed request after authentication, as a `Caller` built the way SigV4
//! authentication builds one for an IAM user's access key. A second test proves the same
//! path lets a call through once an identity policy allows exactly its action on exactly
//! its resource.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step must fail the test loudly"
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::query::Params;
use oxiam_protocol::{Service, accessanalyzer, iam, rest_json, sts};
use oxiam_server::auth::authn::{Caller, CallerKind};
use oxiam_server::auth::decide::RequestEnv;
use oxiam_server::front::pipeline::call_as;
use oxiam_server::model::access::Via;
use oxiam_server::model::error::ServerError;
use oxiam_server::ops::Mode;
use oxiam_server::ops::table::{AccessAnalyzer, Iam, Sts, dispatch};
use oxiam_server::ops::{Request, Response};
use oxiam_server::{App, Config};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

const ACCOUNT: &str = "123456789012";
const CASES: &str = include_str!("data/denials.txt");

const CERT: &str = include_str!("data/x509/leaf.pem");
const KEY: &str = include_str!("data/x509/leaf.key");
const CHAIN: &str = include_str!("data/x509/inter.pem");
const SSH_KEY: &str = include_str!("data/ssh/alice.pub");
const SAML_METADATA: &str = include_str!("data/saml/idp-metadata.xml");
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}"#;
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// What a case expects of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// AccessDenied naming this resource, with the identity-policy reason.
    Denied(String),
    /// AccessDenied from the handler (sts:AssumeRole), ending at the resource.
    DeniedByHandler(String),
    /// AccessDenied naming this resource and another action than the operation's: AWS
    /// authorizes AcquireRole by the actions it performs (`iam:GetRoleTemplateVersion`, …).
    DeniedAs(String, String),
    /// Every caller may make the call.
    Allowed,
    /// The call is not signed: there is no caller to deny.
    Unsigned,
}

#[derive(Debug)]
struct Case {
    line: usize,
    operation: String,
    params: String,
    expect: Expect,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (i, raw) in CASES.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() || raw.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = raw.split(" | ").map(str::trim).collect();
        let expect = match fields.as_slice() {
            [_, _, "allowed"] => Expect::Allowed,
            [_, _, "unsigned"] => Expect::Unsigned,
            [_, _, resource] => Expect::Denied((*resource).to_owned()),
            [_, _, resource, "handler"] => Expect::DeniedByHandler((*resource).to_owned()),
            [_, _, resource, action] if action.contains(':') => {
                Expect::DeniedAs((*resource).to_owned(), (*action).to_owned())
            }
            _ => panic!("denials.txt:{line}: expected `Operation | params | expected`: {raw}"),
        };
        out.push(Case {
            line,
            operation: fields[0].to_owned(),
            params: fields[1].to_owned(),
            expect,
        });
    }
    out
}

struct Fixture {
    app: Arc<App>,
    root: Caller,
    nobody: Caller,
    /// The `{name}` substitutions of the cases, percent-encoded.
    vars: BTreeMap<&'static str, String>,
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value, NON_ALPHANUMERIC).to_string()
}

impl Fixture {
    fn new() -> Fixture {
        let (app, _) = App::open(Config {
            default_account: Some(ACCOUNT.to_owned()),
            ..Config::default()
        })
        .unwrap();
        let root = Caller::root(ACCOUNT, "AKIAROOTFIXTURE00001");
        let mut f = Fixture {
            app,
            // Replaced by `populate` once the user exists.
            nobody: root.clone(),
            root,
            vars: BTreeMap::new(),
        };
        for (name, value) in [
            ("policy", POLICY),
            ("trust", TRUST_EC2),
            ("cert", CERT),
            ("key", KEY),
            ("chain", CHAIN),
            ("ssh", SSH_KEY.trim_end()),
            ("saml", SAML_METADATA),
        ] {
            f.vars.insert(name, encode(value));
        }
        f.populate();
        f
    }

    /// The entities the cases address, made by the account root (see denials.txt).
    fn populate(&mut self) {
        self.root_call("CreateUser", "UserName=nobody");
        let key = match self.root_call("CreateAccessKey", "UserName=nobody") {
            Response::Iam(iam::Response::CreateAccessKey(r)) => r.access_key.access_key_id,
            other => panic!("{other:?}"),
        };
        // What SigV4 authentication makes of a request signed with nobody's access key.
        let user = self
            .app
            .snapshot()
            .user(ACCOUNT, "nobody")
            .cloned()
            .unwrap();
        self.nobody = Caller {
            account: ACCOUNT.to_owned(),
            arn: user.arn(),
            user_id: user.id.clone(),
            kind: CallerKind::User {
                name: user.name.clone(),
            },
            access_key_id: key,
            region: "us-east-1".to_owned(),
            session: None,
        };
        assert_eq!(self.nobody.arn, "arn:aws:iam::123456789012:user/nobody");

        self.root_call(
            "CreateUser",
            "UserName=alice&Path=/eng/&Tags.member.1.Key=team&Tags.member.1.Value=eng",
        );
        let alice_key = match self.root_call("CreateAccessKey", "UserName=alice") {
            Response::Iam(iam::Response::CreateAccessKey(r)) => r.access_key.access_key_id,
            other => panic!("{other:?}"),
        };
        self.vars.insert("alice_key", alice_key);
        self.root_call(
            "CreateLoginProfile",
            "UserName=alice&Password=Correct-Horse-Battery-9",
        );
        self.root_call(
            "PutUserPolicy",
            "UserName=alice&PolicyName=read&PolicyDocument={policy}",
        );
        let ssh = match self.root_call(
            "UploadSSHPublicKey",
            "UserName=alice&SSHPublicKeyBody={ssh}",
        ) {
            Response::Iam(iam::Response::UploadSSHPublicKey(r)) => {
                r.ssh_public_key.unwrap().ssh_public_key_id
            }
            other => panic!("{other:?}"),
        };
        self.vars.insert("alice_ssh", ssh);
        let cert = match self.root_call(
            "UploadSigningCertificate",
            "UserName=alice&CertificateBody={cert}",
        ) {
            Response::Iam(iam::Response::UploadSigningCertificate(r)) => {
                r.certificate.certificate_id
            }
            other => panic!("{other:?}"),
        };
        self.vars.insert("alice_cert", cert);
        let cred = match self.root_call(
            "CreateServiceSpecificCredential",
            "UserName=alice&ServiceName=codecommit.amazonaws.com",
        ) {
            Response::Iam(iam::Response::CreateServiceSpecificCredential(r)) => {
                r.service_specific_credential
                    .unwrap()
                    .service_specific_credential_id
            }
            other => panic!("{other:?}"),
        };
        self.vars.insert("alice_cred", cred);
        self.root_call("CreateVirtualMFADevice", "VirtualMFADeviceName=alice-phone");

        self.root_call("CreateGroup", "GroupName=devs&Path=/eng/");
        self.root_call("AddUserToGroup", "GroupName=devs&UserName=alice");
        self.root_call(
            "PutGroupPolicy",
            "GroupName=devs&PolicyName=read&PolicyDocument={policy}",
        );

        self.root_call(
            "CreateRole",
            "RoleName=app&Path=/eng/&AssumeRolePolicyDocument={trust}",
        );
        self.root_call(
            "PutRolePolicy",
            "RoleName=app&PolicyName=read&PolicyDocument={policy}",
        );
        self.root_call(
            "CreateServiceLinkedRole",
            "AWSServiceName=autoscaling.amazonaws.com",
        );

        self.root_call(
            "CreatePolicy",
            "PolicyName=boundary&Path=/eng/&PolicyDocument={policy}",
        );

        self.root_call(
            "CreateInstanceProfile",
            "InstanceProfileName=web&Path=/eng/",
        );
        self.root_call(
            "AddRoleToInstanceProfile",
            "InstanceProfileName=web&RoleName=app",
        );
        self.root_call(
            "UploadServerCertificate",
            "ServerCertificateName=web-cert&Path=/cloudfront/&CertificateBody={cert}\
             &PrivateKey={key}&CertificateChain={chain}",
        );
        self.root_call(
            "CreateOpenIDConnectProvider",
            "Url=https://token.oxiam.test&ClientIDList.member.1=sts.amazonaws.com\
             &ThumbprintList.member.1=6938fd4d98bab03faadb97b34396831e3780aea1",
        );
        self.root_call(
            "CreateSAMLProvider",
            "Name=corp&SAMLMetadataDocument={saml}",
        );
        self.root_call(
            "CreateAnalyzer",
            r#"/analyzer {"analyzerName":"watch","type":"ACCOUNT","tags":{"team":"sec"}}"#,
        );
    }

    /// `{name}` → its value, percent-encoded.
    fn substitute(&self, params: &str) -> String {
        let mut out = params.to_owned();
        for (name, value) in &self.vars {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        assert!(!out.contains('{'), "an unknown `{{name}}` in {params}");
        out
    }

    /// The typed request of `operation` with `params` (AWS Query, without Action; for
    /// Access Analyzer, `PATH[?QUERY] [JSON body]` with the operation's method).
    fn request(&self, operation: &str, params: &str) -> Result<Request, String> {
        if let Some(op) = accessanalyzer::Operation::ALL
            .iter()
            .find(|op| op.name() == operation)
        {
            // No `{name}` substitution: the JSON body has braces of its own.
            let (target, body) = params.split_once(' ').unwrap_or((params, ""));
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let http = rest_json::HttpRequest {
                method: op.http().0,
                path,
                query,
                body: body.as_bytes(),
            };
            return accessanalyzer::Request::decode(&http)
                .map(Request::AccessAnalyzer)
                .map_err(|e| format!("{:?}: {}", e.code, e.message));
        }
        let (service, version) = if iam::Operation::from_name(operation).is_some() {
            (Service::Iam, Service::Iam.version())
        } else {
            (Service::Sts, Service::Sts.version())
        };
        let mut query = format!("Action={operation}&Version={version}");
        let params = self.substitute(params);
        if !params.is_empty() {
            query.push('&');
            query.push_str(&params);
        }
        let parsed = Params::parse(query.as_bytes()).map_err(|e| e.message)?;
        match service {
            Service::Iam => iam::Request::decode(&parsed).map(Request::Iam),
            Service::Sts => sts::Request::decode(&parsed).map(Request::Sts),
        }
        .map_err(|e| format!("{:?}: {}", e.code, e.message))
    }

    /// A call by the account root that must succeed.
    fn root_call(&self, operation: &str, params: &str) -> Response {
        let request = self.request(operation, params).unwrap();
        dispatch(&self.app, &self.root, &RequestEnv::now(), &request)
            .unwrap_or_else(|e| panic!("{operation} as root: {e:?}"))
    }

    /// A call by `nobody` through the pipeline's steps after authentication.
    fn call(&self, request: &Request) -> Result<Response, ServerError> {
        call_as(
            &self.app,
            &self.nobody,
            request,
            &RequestEnv::now(),
            Via::Api,
        )
    }
}

fn service_of(request: &Request) -> Service {
    match request {
        Request::Iam(_) | Request::AccessAnalyzer(_) => Service::Iam,
        Request::Sts(_) => Service::Sts,
    }
}

/// Checks one case; `Err` says how it went wrong.
fn check(f: &Fixture, case: &Case, action: &str, mode: Mode) -> Result<(), String> {
    let action = match &case.expect {
        Expect::DeniedAs(_, other) => other.as_str(),
        _ => action,
    };
    let request = f
        .request(&case.operation, &case.params)
        .map_err(|e| format!("the parameters do not decode: {e}"))?;
    let (resource, reason) = match &case.expect {
        Expect::Unsigned => {
            return if mode == Mode::Unsigned {
                Ok(())
            } else {
                Err(format!("marked unsigned, but the table says {mode:?}"))
            };
        }
        _ if mode == Mode::Unsigned => {
            return Err("the table says Unsigned: mark the case `unsigned`".to_owned());
        }
        Expect::Allowed => {
            return f
                .call(&request)
                .map(drop)
                .map_err(|e| format!("must succeed for any caller, got {e:?}"));
        }
        Expect::Denied(resource) | Expect::DeniedAs(resource, _) => (
            resource,
            format!(" because no identity-based policy allows the {action} action"),
        ),
        Expect::DeniedByHandler(resource) => (resource, String::new()),
    };
    let expected = format!(
        "User: {} is not authorized to perform: {action} on resource: {resource}{reason}",
        f.nobody.arn
    );
    match f.call(&request) {
        Ok(r) => Err(format!("succeeded ({r:?}), expected: {expected}")),
        Err(e) => {
            let api = e.to_api(service_of(&request));
            if api.code != ErrorCode::AccessDenied || api.code.http_status() != 403 {
                return Err(format!(
                    "{:?} {}, expected AccessDenied",
                    api.code, api.message
                ));
            }
            if api.message != expected {
                return Err(format!("\n     got: {}\n    want: {expected}", api.message));
            }
            Ok(())
        }
    }
}

#[test]
fn every_operation_denies_a_user_without_policies_in_aws_words() {
    let f = Fixture::new();
    let cases = cases();
    let mut failures = String::new();
    let mut counts = BTreeMap::<&str, usize>::new();
    let table = Iam::OPERATIONS
        .iter()
        .map(|(op, mode)| (op.name(), "iam", *mode))
        .chain(
            Sts::OPERATIONS
                .iter()
                .map(|(op, mode)| (op.name(), "sts", *mode)),
        )
        .chain(
            AccessAnalyzer::OPERATIONS
                .iter()
                .map(|(op, mode)| (op.name(), "access-analyzer", *mode)),
        );
    let mut names = Vec::new();
    for (name, prefix, mode) in table {
        names.push(name);
        let mine: Vec<&Case> = cases.iter().filter(|c| c.operation == name).collect();
        if mine.is_empty() {
            let _ = writeln!(
                failures,
                "{name}: no case; add its line to tests/data/denials.txt \
                 (`{name} | params | resource as AWS's AccessDenied names it`)"
            );
            continue;
        }
        let kind = match mine[0].expect {
            Expect::Allowed => "allowed",
            Expect::Unsigned => "unsigned",
            Expect::Denied(_) | Expect::DeniedByHandler(_) | Expect::DeniedAs(..) => "denied",
        };
        *counts.entry(kind).or_default() += 1;
        for case in mine {
            if let Err(e) = check(&f, case, &format!("{prefix}:{name}"), mode) {
                let _ = writeln!(failures, "denials.txt:{} {name}: {e}", case.line);
            }
        }
    }
    for case in &cases {
        if !names.contains(&case.operation.as_str()) {
            let _ = writeln!(
                failures,
                "denials.txt:{}: {} is not an operation of the table",
                case.line, case.operation
            );
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
    // The operations AWS lets any caller make, and the one without a caller.
    assert_eq!(counts.get("allowed"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("unsigned"), Some(&1), "{counts:?}");
    eprintln!("operations covered: {counts:?}");
}

/// `{"Version": …, "Statement": [{"Effect": "Allow", "Action": ACTION, "Resource": RESOURCE}]}`
fn allow_exactly(action: &str, resource: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    })
    .to_string()
}

#[test]
fn an_identity_policy_for_exactly_the_action_and_resource_lets_the_call_through() {
    let f = Fixture::new();
    // (operation, parameters, the ARN AWS authorizes it on, a call of the same action on
    // another resource, which the policy must leave denied)
    let cases = [
        (
            "CreateUser",
            "UserName=carol&Path=/eng/",
            "arn:aws:iam::123456789012:user/eng/carol",
            "UserName=dave",
        ),
        (
            "GetUser",
            "UserName=alice",
            "arn:aws:iam::123456789012:user/eng/alice",
            "UserName=nobody",
        ),
        (
            "ListUsers",
            "PathPrefix=/eng/",
            "arn:aws:iam::123456789012:user/eng/",
            "",
        ),
        (
            "AttachUserPolicy",
            "UserName=alice&PolicyArn=arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:user/eng/alice",
            "UserName=nobody&PolicyArn=arn:aws:iam::aws:policy/AdministratorAccess",
        ),
        (
            "CreateRole",
            "RoleName=worker&Path=/eng/&AssumeRolePolicyDocument={trust}",
            "arn:aws:iam::123456789012:role/eng/worker",
            "RoleName=admin&AssumeRolePolicyDocument={trust}",
        ),
    ];
    let code = |r: Result<Response, ServerError>| r.err().map(|e| e.to_api(Service::Iam).code);
    for (operation, params, resource, elsewhere) in cases {
        let request = f.request(operation, params).unwrap();
        let other = f.request(operation, elsewhere).unwrap();
        let action = format!("iam:{operation}");
        assert_eq!(
            code(f.call(&request)),
            Some(ErrorCode::AccessDenied),
            "{operation} before the policy"
        );

        let policy = encode(&allow_exactly(&action, resource));
        f.root_call(
            "PutUserPolicy",
            &format!("UserName=nobody&PolicyName=allow-{operation}&PolicyDocument={policy}"),
        );
        let allowed = f.call(&request);
        assert_ne!(
            code(allowed),
            Some(ErrorCode::AccessDenied),
            "{operation} with {action} allowed on {resource}"
        );
        assert_eq!(
            code(f.call(&other)),
            Some(ErrorCode::AccessDenied),
            "{operation} {elsewhere}: the policy allows {action} on {resource} only"
        );
        // The next operation starts from nobody without policies again.
        f.root_call(
            "DeleteUserPolicy",
            &format!("UserName=nobody&PolicyName=allow-{operation}"),
        );
    }
}

/// `{"Version": …, "Statement": [{"Effect": "Allow", "Action": [ACTIONS], "Resource": RESOURCES}]}`
fn allow(actions: &[&str], resources: &[&str]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
    })
    .to_string()
}

impl Fixture {
    /// Gives `nobody` exactly this inline policy (replacing the one before).
    fn allow_nobody(&self, policy: &str) {
        let policy = encode(policy);
        self.root_call(
            "PutUserPolicy",
            &format!("UserName=nobody&PolicyName=only&PolicyDocument={policy}"),
        );
    }

    /// `nobody`'s call of `operation`: `Ok` when it went through, else AccessDenied's message.
    fn denial(&self, operation: &str, params: &str) -> Result<(), String> {
        match self.call(&self.request(operation, params).unwrap()) {
            Ok(_) => Ok(()),
            Err(e) => {
                let api = e.to_api(Service::Iam);
                assert_eq!(
                    api.code,
                    ErrorCode::AccessDenied,
                    "{operation}: {}",
                    api.message
                );
                Err(api.message)
            }
        }
    }
}

#[test]
fn creating_with_tags_needs_the_tagging_action_on_the_new_resource() {
    let f = Fixture::new();
    let nobody = "arn:aws:iam::123456789012:user/nobody";
    let tagged = "Tags.member.1.Key=team&Tags.member.1.Value=eng";
    f.allow_nobody(&allow(&["iam:CreateUser"], &["*"]));
    assert_eq!(
        f.denial("CreateUser", &format!("UserName=carol&Path=/eng/&{tagged}")),
        Err(format!(
            "User: {nobody} is not authorized to perform: iam:TagUser on resource: \
             arn:aws:iam::123456789012:user/eng/carol because no identity-based policy \
             allows the iam:TagUser action"
        ))
    );
    assert_eq!(f.denial("CreateUser", "UserName=carol&Path=/eng/"), Ok(()));
    f.allow_nobody(&allow(&["iam:CreateUser", "iam:TagUser"], &["*"]));
    assert_eq!(
        f.denial("CreateUser", &format!("UserName=dave&{tagged}")),
        Ok(())
    );

    // The tagging action sees the request's tags: a condition on them applies to it.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:TagRole", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/team": "eng"},
                           "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
        ],
    });
    f.allow_nobody(&policy.to_string());
    let role = "AssumeRolePolicyDocument={trust}";
    assert_eq!(
        f.denial("CreateRole", &format!("RoleName=r1&{role}&{tagged}")),
        Ok(())
    );
    let denied = f
        .denial(
            "CreateRole",
            &format!("RoleName=r2&{role}&Tags.member.1.Key=team&Tags.member.1.Value=ops"),
        )
        .unwrap_err();
    assert!(
        denied.contains("iam:TagRole on resource: arn:aws:iam::123456789012:role/r2"),
        "{denied}"
    );

    // CreatePolicy names the policy being created by its name, for TagPolicy too.
    f.allow_nobody(&allow(&["iam:CreatePolicy"], &["*"]));
    let denied = f
        .denial(
            "CreatePolicy",
            &format!("PolicyName=p1&PolicyDocument={{policy}}&{tagged}"),
        )
        .unwrap_err();
    assert!(
        denied.contains("iam:TagPolicy on resource: policy p1 "),
        "{denied}"
    );
}

#[test]
fn renaming_needs_the_permission_on_the_new_name_too() {
    let f = Fixture::new();
    let nobody = "arn:aws:iam::123456789012:user/nobody";
    let alice = "arn:aws:iam::123456789012:user/eng/alice";
    f.allow_nobody(&allow(&["iam:UpdateUser"], &[alice]));
    assert_eq!(
        f.denial("UpdateUser", "UserName=alice&NewUserName=alicia"),
        Err(format!(
            "User: {nobody} is not authorized to perform: iam:UpdateUser on resource: \
             arn:aws:iam::123456789012:user/eng/alicia because no identity-based policy \
             allows the iam:UpdateUser action"
        ))
    );
    // A move keeps the name and changes the path.
    let denied = f
        .denial("UpdateUser", "UserName=alice&NewPath=/ops/")
        .unwrap_err();
    assert!(
        denied.contains("on resource: arn:aws:iam::123456789012:user/ops/alice "),
        "{denied}"
    );
    // Without NewUserName or NewPath, only the user itself.
    assert_eq!(f.denial("UpdateUser", "UserName=alice"), Ok(()));

    f.allow_nobody(&allow(
        &["iam:UpdateUser"],
        &[alice, "arn:aws:iam::123456789012:user/ops/alicia"],
    ));
    assert_eq!(
        f.denial(
            "UpdateUser",
            "UserName=alice&NewUserName=alicia&NewPath=/ops/"
        ),
        Ok(())
    );

    let devs = "arn:aws:iam::123456789012:group/eng/devs";
    f.allow_nobody(&allow(&["iam:UpdateGroup"], &[devs]));
    let denied = f
        .denial("UpdateGroup", "GroupName=devs&NewGroupName=builders")
        .unwrap_err();
    assert!(
        denied
            .contains("iam:UpdateGroup on resource: arn:aws:iam::123456789012:group/eng/builders "),
        "{denied}"
    );
    f.allow_nobody(&allow(
        &["iam:UpdateGroup"],
        &[devs, "arn:aws:iam::123456789012:group/eng/builders"],
    ));
    assert_eq!(
        f.denial("UpdateGroup", "GroupName=devs&NewGroupName=builders"),
        Ok(())
    );
}

#[test]
fn acquire_role_needs_each_action_it_performs_with_the_template_key() {
    let f = Fixture::new();
    let nobody = "arn:aws:iam::123456789012:user/nobody";
    let template = "arn:aws:iam::aws:role-template/iam.amazonaws.com/PowerUserRoleTemplate:1";
    let acquire = format!(
        "TemplateArn={template}&ReplacementValues.entry.1.key=AWSServiceName\
         &ReplacementValues.entry.1.value.Values.member.1=lambda.amazonaws.com\
         &ReplacementValues.entry.2.key=RoleName&ReplacementValues.entry.2.value.Values.member.1=fn"
    );
    let denied = |action: &str, resource: &str| {
        Err(format!(
            "User: {nobody} is not authorized to perform: {action} on resource: {resource} \
             because no identity-based policy allows the {action} action"
        ))
    };
    let role = "arn:aws:iam::123456789012:role/fn";
    f.allow_nobody(&allow(&["iam:GetRoleTemplateVersion"], &[template]));
    assert_eq!(
        f.denial("AcquireRole", &acquire),
        denied("iam:CreateRole", role)
    );
    f.allow_nobody(&allow(
        &["iam:GetRoleTemplateVersion", "iam:CreateRole"],
        &["*"],
    ));
    assert_eq!(
        f.denial("AcquireRole", &acquire),
        denied("iam:AttachRolePolicy", role)
    );
    // Allowed only through a template: `iam:RoleTemplateARN` is set on each action.
    let through_template = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["iam:GetRoleTemplateVersion", "iam:CreateRole", "iam:AttachRolePolicy", "iam:GetRole"],
            "Resource": "*",
            "Condition": {"StringEquals": {"iam:RoleTemplateARN": template}},
        }],
    });
    f.allow_nobody(&through_template.to_string());
    assert_eq!(f.denial("AcquireRole", &acquire), Ok(()));
    // Acquiring it again reads the role: iam:GetRole, not iam:CreateRole.
    assert_eq!(f.denial("AcquireRole", &acquire), Ok(()));
    // The same policy does not let CreateRole itself through: the key is absent there.
    assert_eq!(
        f.denial(
            "CreateRole",
            "RoleName=plain&AssumeRolePolicyDocument={trust}"
        ),
        denied("iam:CreateRole", "arn:aws:iam::123456789012:role/plain")
    );
}
