//! AssumeRoleWithWebIdentity against a real OIDC issuer on loopback: a tiny HTTP server in
//! the test serving discovery and JWKS, with ES256 and RS256 keys made by ring (RSA by the
//! `openssl` command: ring does not generate RSA keys). Driven by the AWS CLI and boto3
//! (its web identity credential provider: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_SHA256, RsaKeyPair,
    RsaPublicKeyComponents,
};
use serde_json::{Value, json};

use crate::support::{ACCOUNT, Creds, Server, venv_bin};

const CLIENT_ID: &str = "oxiam-test-client";

enum Key {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

impl Key {
    fn ec() -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        Key::Ec(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap(),
        )
    }

    fn rsa() -> Key {
        let out = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-outform",
                "DER",
            ])
            .output()
            .expect("run openssl");
        assert!(out.status.success(), "openssl genpkey failed");
        // OpenSSL 3 writes the PKCS#1 RSAPrivateKey structure for DER output.
        Key::Rsa(RsaKeyPair::from_der(&out.stdout).unwrap())
    }

    fn alg(&self) -> &'static str {
        match self {
            Key::Ec(_) => "ES256",
            Key::Rsa(_) => "RS256",
        }
    }

    fn jwk(&self, kid: &str) -> Value {
        match self {
            Key::Ec(k) => {
                let p = k.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
                    "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..65])})
            }
            Key::Rsa(k) => {
                let c = RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                    "n": B64.encode(&c.n), "e": B64.encode(&c.e)})
            }
        }
    }

    /// A JWT of `claims` signed by this key, with `alg` and `kid` in its header.
    fn sign_as(&self, alg: &str, kid: &str, claims: &Value) -> String {
        let header = B64.encode(json!({"alg": alg, "kid": kid, "typ": "JWT"}).to_string());
        let input = format!("{header}.{}", B64.encode(claims.to_string()));
        let rng = SystemRandom::new();
        let sig = match self {
            Key::Ec(k) => k.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec(),
            Key::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
                    .unwrap();
                sig
            }
        };
        format!("{input}.{}", B64.encode(sig))
    }

    fn sign(&self, kid: &str, claims: &Value) -> String {
        self.sign_as(self.alg(), kid, claims)
    }
}

/// An OIDC issuer on 127.0.0.1: discovery at `/.well-known/openid-configuration`, keys at
/// `/jwks`. Keys can be added while it runs; JWKS fetches are counted.
struct Issuer {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    jwks_fetches: Arc<AtomicUsize>,
}

impl Issuer {
    fn start() -> Issuer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let keys: Arc<Mutex<Vec<Value>>> = Arc::default();
        let jwks_fetches: Arc<AtomicUsize> = Arc::default();
        let (served_keys, fetches, issuer) =
            (Arc::clone(&keys), Arc::clone(&jwks_fetches), url.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let path = text.split(' ').nth(1).unwrap_or("");
                let (status, body) = match path {
                    "/.well-known/openid-configuration" => (
                        "200 OK",
                        json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks"),
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]})
                        .to_string(),
                    ),
                    "/jwks" => {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        let keys = served_keys.lock().unwrap().clone();
                        ("200 OK", json!({ "keys": keys }).to_string())
                    }
                    _ => ("404 Not Found", String::new()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Issuer {
            url,
            keys,
            jwks_fetches,
        }
    }

    fn publish(&self, key: &Key, kid: &str) {
        self.keys.lock().unwrap().push(key.jwk(kid));
    }

    /// `127.0.0.1:PORT`: the provider's name in IAM, ARNs and condition keys.
    fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn claims(issuer: &Issuer, sub: &str) -> Value {
    let now = now();
    json!({"iss": issuer.url, "sub": sub, "aud": CLIENT_ID, "iat": now, "nbf": now - 10,
        "exp": now + 3600, "amr": ["pwd"]})
}

fn post(endpoint: &str, path: &str) {
    let status = std::process::Command::new("curl")
        .args(["-sf", "-X", "POST", &format!("{endpoint}{path}")])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run curl");
    assert!(status.success(), "POST {path}");
}

/// An OIDC provider for `issuer` and a role `web` trusting it for subject `alice`, allowed
/// `iam:ListUsers` and nothing else.
fn set_up(s: &Server, issuer: &Issuer) -> String {
    let root = Creds::root();
    let provider = s.ok(
        &root,
        &[
            "iam",
            "create-open-id-connect-provider",
            "--url",
            &format!("https://{}", issuer.host()),
            "--client-id-list",
            CLIENT_ID,
        ],
    )["OpenIDConnectProviderArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        provider,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{}", issuer.host())
    );
    let host = issuer.host();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        "Condition": {"StringEquals": {format!("{host}:sub"): "alice", format!("{host}:aud"): CLIENT_ID},
                      "ForAnyValue:StringEquals": {format!("{host}:amr"): "pwd"}}}]});
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "web",
            "--assume-role-policy-document",
            &trust.to_string(),
        ],
    );
    let allow = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Action": "iam:ListUsers", "Resource": "*"}});
    s.ok(
        &root,
        &[
            "iam",
            "put-role-policy",
            "--role-name",
            "web",
            "--policy-name",
            "list",
            "--policy-document",
            &allow.to_string(),
        ],
    );
    format!("arn:aws:iam::{ACCOUNT}:role/web")
}

fn assume(s: &Server, role: &str, token: &str) -> (i32, String, String) {
    // The call is unsigned: the CLI sends no signature for it whatever credentials it has.
    s.aws(
        &Creds {
            key: "AKIAUNUSED0000000000".into(),
            secret: "unused".into(),
        },
        &[
            "sts",
            "assume-role-with-web-identity",
            "--role-arn",
            role,
            "--role-session-name",
            "web-session",
            "--web-identity-token",
            token,
        ],
    )
}

fn assume_ok(s: &Server, role: &str, token: &str) -> Value {
    let (code, out, err) = assume(s, role, token);
    assert_eq!(code, 0, "assume-role-with-web-identity failed: {err}");
    serde_json::from_str(&out).unwrap()
}

fn assume_fails(s: &Server, role: &str, token: &str, code: &str) -> String {
    let (status, out, err) = assume(s, role, token);
    assert_ne!(status, 0, "unexpectedly succeeded: {out}");
    assert!(err.contains(&format!("({code})")), "expected {code}: {err}");
    err
}

#[test]
fn web_identity_with_the_cli_es256_and_rs256() {
    let issuer = Issuer::start();
    let (ec, rsa) = (Key::ec(), Key::rsa());
    issuer.publish(&ec, "ec-1");
    issuer.publish(&rsa, "rsa-1");
    let s = Server::start_dev();
    let role = set_up(&s, &issuer);

    let answer = assume_ok(&s, &role, &ec.sign("ec-1", &claims(&issuer, "alice")));
    assert_eq!(
        answer["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/web-session")
    );
    assert_eq!(answer["SubjectFromWebIdentityToken"], "alice");
    assert_eq!(answer["Audience"], CLIENT_ID);
    assert_eq!(answer["Provider"], issuer.url);
    let c = &answer["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    let creds = Creds {
        key: c["AccessKeyId"].as_str().unwrap().into(),
        secret: c["SecretAccessKey"].as_str().unwrap().into(),
    };
    let token = c["SessionToken"].as_str().unwrap();

    // The credentials are the role's: who they are, what they may and may not do.
    let (code, out, err) = s.aws_with_token(&creds, Some(token), &["sts", "get-caller-identity"]);
    assert_eq!(code, 0, "{err}");
    let me: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        me["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/web-session")
    );
    assert!(me["UserId"].as_str().unwrap().starts_with("AROA"));
    let (code, _, err) = s.aws_with_token(&creds, Some(token), &["iam", "list-users"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = s.aws_with_token(
        &creds,
        Some(token),
        &["iam", "create-user", "--user-name", "nope"],
    );
    assert_ne!(code, 0);
    assert!(err.contains("(AccessDenied)"), "{err}");

    // RS256 works the same.
    let answer = assume_ok(&s, &role, &rsa.sign("rsa-1", &claims(&issuer, "alice")));
    assert_eq!(answer["SubjectFromWebIdentityToken"], "alice");
    // Both keys came from one JWKS fetch (cached).
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);

    // Session tags from the token's AWS tags claim (the trust policy allows TagSession).
    let mut tagged = claims(&issuer, "alice");
    tagged["https://aws.amazon.com/tags"] =
        json!({"principal_tags": {"team": ["red"]}, "transitive_tag_keys": ["team"]});
    let answer = assume_ok(&s, &role, &ec.sign("ec-1", &tagged));
    assert!(answer["PackedPolicySize"].as_i64().unwrap() > 0);
    s.stop();
}

#[test]
fn web_identity_denials() {
    let issuer = Issuer::start();
    let ec = Key::ec();
    issuer.publish(&ec, "ec-1");
    let s = Server::start_dev();
    let role = set_up(&s, &issuer);
    let good = claims(&issuer, "alice");

    // Audience not among the provider's client IDs.
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("someone-else");
    let err = assume_fails(
        &s,
        &role,
        &ec.sign("ec-1", &wrong_aud),
        "InvalidIdentityToken",
    );
    assert!(err.contains("Incorrect token audience"), "{err}");
    // Expired (beyond the clock skew).
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    assume_fails(
        &s,
        &role,
        &ec.sign("ec-1", &expired),
        "ExpiredTokenException",
    );
    // Signed by another key under the published kid.
    let forged = Key::ec().sign("ec-1", &good);
    assume_fails(&s, &role, &forged, "InvalidIdentityToken");
    // alg none (no signature) and HS256 (signed with the public key as an HMAC secret).
    let header = B64.encode(r#"{"alg":"none","kid":"ec-1"}"#);
    let none = format!("{header}.{}.", B64.encode(good.to_string()));
    assume_fails(&s, &role, &none, "InvalidIdentityToken");
    let hs = ec.sign_as("HS256", "ec-1", &good);
    let err = assume_fails(&s, &role, &hs, "InvalidIdentityToken");
    assert!(err.contains("HS256"), "{err}");
    // A kid the issuer never published.
    assume_fails(
        &s,
        &role,
        &ec.sign("unknown", &good),
        "InvalidIdentityToken",
    );
    // The trust policy's condition on sub is not met.
    let bob = ec.sign("ec-1", &claims(&issuer, "bob"));
    let err = assume_fails(&s, &role, &bob, "AccessDenied");
    assert!(
        err.contains("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        "{err}"
    );
    // An issuer with no IAM OIDC provider in the role's account.
    let mut stranger = good.clone();
    stranger["iss"] = json!(format!("{}/other", issuer.url));
    let err = assume_fails(
        &s,
        &role,
        &ec.sign("ec-1", &stranger),
        "InvalidIdentityToken",
    );
    assert!(err.contains("No OpenIDConnect provider found"), "{err}");
    // A role that does not exist is denied like an untrusting one.
    assume_fails(
        &s,
        &format!("arn:aws:iam::{ACCOUNT}:role/missing"),
        &ec.sign("ec-1", &good),
        "AccessDenied",
    );
    // Tags need sts:TagSession in the trust policy: the same provider, a role without it.
    let root = Creds::root();
    let host = issuer.host();
    let trust = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{host}")},
        "Action": "sts:AssumeRoleWithWebIdentity"}});
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "untagged",
            "--assume-role-policy-document",
            &trust.to_string(),
        ],
    );
    let untagged = format!("arn:aws:iam::{ACCOUNT}:role/untagged");
    assume_ok(&s, &untagged, &ec.sign("ec-1", &good));
    let mut tagged = good.clone();
    tagged["https://aws.amazon.com/tags"] = json!({"principal_tags": {"team": ["red"]}});
    let err = assume_fails(&s, &untagged, &ec.sign("ec-1", &tagged), "AccessDenied");
    assert!(err.contains("sts:TagSession"), "{err}");
    s.stop();
}

#[test]
fn web_identity_keys_rotate_and_tokens_expire_on_the_dev_clock() {
    let issuer = Issuer::start();
    let old = Key::ec();
    issuer.publish(&old, "old");
    let s = Server::start_dev();
    let role = set_up(&s, &issuer);
    assume_ok(&s, &role, &old.sign("old", &claims(&issuer, "alice")));
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);

    // The issuer rotates in a new key. Right after a fetch, an unknown kid does not make
    // oxiam fetch again (rate limit)…
    let new = Key::ec();
    issuer.publish(&new, "new");
    let token = new.sign("new", &claims(&issuer, "alice"));
    assume_fails(&s, &role, &token, "InvalidIdentityToken");
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 1);
    // …a minute later it does, and the new key verifies.
    post(&s.endpoint, "/_oxiam/clock?advance=61");
    assume_ok(&s, &role, &token);
    assert_eq!(issuer.jwks_fetches.load(Ordering::SeqCst), 2);

    // A token valid for ten more minutes expires when the clock passes its exp (+ skew).
    let mut short = claims(&issuer, "alice");
    short["exp"] = json!(now() + 600);
    let short = new.sign("new", &short);
    assume_ok(&s, &role, &short);
    post(&s.endpoint, "/_oxiam/clock?advance=1000");
    assume_fails(&s, &role, &short, "ExpiredTokenException");
    s.stop();
}

/// boto3's own web identity credential provider: a profile-less session reading
/// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as on EKS or in GitHub Actions.
#[test]
fn web_identity_with_the_boto3_credential_provider() {
    let issuer = Issuer::start();
    let key = Key::ec();
    issuer.publish(&key, "k");
    let s = Server::start_dev();
    let role = set_up(&s, &issuer);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, key.sign("k", &claims(&issuer, "alice"))).unwrap();
    let script = r#"
import boto3, json, os
session = boto3.session.Session(region_name="us-east-1")
sts = session.client("sts", endpoint_url=os.environ["OXIAM"])
iam = session.client("iam", endpoint_url=os.environ["OXIAM"])
me = sts.get_caller_identity()
users = iam.list_users()["Users"]
try:
    iam.create_user(UserName="nope")
    denied = None
except iam.exceptions.ClientError as e:
    denied = e.response["Error"]["Code"]
print(json.dumps({"arn": me["Arn"], "denied": denied}))
"#;
    let out = std::process::Command::new(venv_bin("python"))
        .args(["-c", script])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("OXIAM", &s.endpoint)
        .env("AWS_ENDPOINT_URL_STS", &s.endpoint)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_ROLE_ARN", &role)
        .env("AWS_ROLE_SESSION_NAME", "boto3-web")
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "boto3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result["arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/boto3-web")
    );
    assert_eq!(result["denied"], "AccessDenied");
    s.stop();
}

fn get(url: &str) -> Option<Value> {
    let out = std::process::Command::new("curl")
        .args(["-sf", url])
        .output()
        .expect("run curl");
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).unwrap())
}

/// Outbound federation: oxiam issues ES384 JWTs for the caller, publishes discovery and
/// JWKS under the account's issuer URL, and the token verifies with the published key.
#[test]
fn outbound_web_identity_tokens() {
    let s = Server::start_dev();
    let root = Creds::root();
    // (The CLI v1 fetches parameter values that are http(s) URLs: audiences here are URNs.)
    let audience = "urn:example:api";
    let token_args = |aud: &str, seconds: &str, alg: &str| -> Vec<String> {
        [
            "sts",
            "get-web-identity-token",
            "--audience",
            aud,
            "--duration-seconds",
            seconds,
            "--signing-algorithm",
            alg,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let args = token_args(audience, "300", "ES384");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // Off until enabled.
    s.fails(
        &root,
        &args,
        "OutboundWebIdentityFederationDisabledException",
    );
    s.fails(
        &root,
        &["iam", "get-outbound-web-identity-federation-info"],
        "FeatureDisabled",
    );
    s.fails(
        &root,
        &["iam", "disable-outbound-web-identity-federation"],
        "FeatureDisabled",
    );
    let issuer =
        s.ok(&root, &["iam", "enable-outbound-web-identity-federation"])["IssuerIdentifier"]
            .as_str()
            .unwrap()
            .to_owned();
    assert!(
        issuer.starts_with(&format!("{}/oidc/", s.endpoint)),
        "{issuer}"
    );
    s.fails(
        &root,
        &["iam", "enable-outbound-web-identity-federation"],
        "FeatureEnabled",
    );
    let info = s.ok(&root, &["iam", "get-outbound-web-identity-federation-info"]);
    assert_eq!(info["IssuerIdentifier"], issuer.as_str());
    assert_eq!(info["JwtVendingEnabled"], true);

    // A tagged user allowed tokens for one audience, five minutes at most.
    s.ok(
        &root,
        &[
            "iam",
            "create-user",
            "--user-name",
            "builder",
            "--tags",
            "Key=team,Value=blue",
        ],
    );
    let policy = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Action": "sts:GetWebIdentityToken", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": audience},
                      "NumericLessThanEquals": {"sts:DurationSeconds": 300}}}});
    s.ok(
        &root,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "builder",
            "--policy-name",
            "tokens",
            "--policy-document",
            &policy.to_string(),
        ],
    );
    let k = s.ok(
        &root,
        &["iam", "create-access-key", "--user-name", "builder"],
    );
    let builder = Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().into(),
        secret: k["AccessKey"]["SecretAccessKey"].as_str().unwrap().into(),
    };
    let mut tagged: Vec<&str> = args.clone();
    tagged.extend(["--tags", "Key=job,Value=42"]);
    let answer = s.ok(&builder, &tagged);
    let token = answer["WebIdentityToken"].as_str().unwrap();
    assert!(answer["Expiration"].is_string());

    // Verify it as an external service would: discovery → JWKS → signature → claims.
    let discovery = get(&format!("{issuer}/.well-known/openid-configuration")).unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    let jwks = get(discovery["jwks_uri"].as_str().unwrap()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES384");
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the token's key is published");
    assert_eq!(jwk["crv"], "P-384");
    let point = [
        vec![4u8],
        B64.decode(jwk["x"].as_str().unwrap()).unwrap(),
        B64.decode(jwk["y"].as_str().unwrap()).unwrap(),
    ]
    .concat();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_FIXED, point)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &B64.decode(parts[2]).unwrap(),
        )
        .expect("the signature verifies with the published key");
    let claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], audience);
    assert_eq!(
        claims["sub"],
        format!("arn:aws:iam::{ACCOUNT}:user/builder")
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let aws = &claims["https://sts.amazonaws.com/"];
    assert_eq!(aws["aws_account"], ACCOUNT);
    assert_eq!(aws["principal_tags"]["team"], "blue");
    assert_eq!(aws["request_tags"]["job"], "42");

    // The policy's audience and duration limits hold; RS256 is not offered.
    let other = token_args("urn:example:elsewhere", "300", "ES384");
    s.fails(
        &builder,
        &other.iter().map(String::as_str).collect::<Vec<_>>(),
        "AccessDenied",
    );
    let long = token_args(audience, "600", "ES384");
    s.fails(
        &builder,
        &long.iter().map(String::as_str).collect::<Vec<_>>(),
        "AccessDenied",
    );
    let rs = token_args(audience, "300", "RS256");
    s.fails(
        &root,
        &rs.iter().map(String::as_str).collect::<Vec<_>>(),
        "ValidationError",
    );

    // As in AWS, oxiam's own tokens do not federate back in through
    // AssumeRoleWithWebIdentity, even with a provider and role trusting the issuer.
    let provider_url = issuer.replacen("http://", "https://", 1);
    s.ok(
        &root,
        &[
            "iam",
            "create-open-id-connect-provider",
            "--url",
            &provider_url,
            "--client-id-list",
            audience,
        ],
    );
    let host = provider_url.trim_start_matches("https://");
    let trust = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{host}")},
        "Action": "sts:AssumeRoleWithWebIdentity"}});
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "loop",
            "--assume-role-policy-document",
            &trust.to_string(),
        ],
    );
    let err = assume_fails(
        &s,
        &format!("arn:aws:iam::{ACCOUNT}:role/loop"),
        token,
        "InvalidIdentityToken",
    );
    assert!(err.contains("ES384"), "{err}");

    // Disabled again: no tokens, no published issuer.
    s.ok(&root, &["iam", "disable-outbound-web-identity-federation"]);
    s.fails(
        &builder,
        &args,
        "OutboundWebIdentityFederationDisabledException",
    );
    assert!(get(&format!("{issuer}/.well-known/jwks.json")).is_none());
    s.stop();
}

/// AssumeRoleWithSAML is refused with a clear NotImplemented rather than half-verified.
#[test]
fn assume_role_with_saml_is_refused_clearly() {
    let s = Server::start_dev();
    let (code, out, err) = s.aws(
        &Creds::root(),
        &[
            "sts",
            "assume-role-with-saml",
            "--role-arn",
            &format!("arn:aws:iam::{ACCOUNT}:role/any"),
            "--principal-arn",
            &format!("arn:aws:iam::{ACCOUNT}:saml-provider/idp"),
            "--saml-assertion",
            &B64.encode("<samlp:Response/>"),
        ],
    );
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("(NotImplemented)"), "{err}");
    assert!(err.contains("XML signature"), "{err}");
    s.stop();
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `server` (an `openssl s_server`) accepts connections on `port`: at most 30 s,
/// and not past its exit (a port taken meanwhile, a bad certificate).
fn wait_until_listening(server: &mut std::process::Child, port: u16) {
    const LIMIT: Duration = Duration::from_secs(30);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = server.try_wait().unwrap() {
            panic!("openssl s_server exited ({status}) before listening on port {port}");
        }
        if started.elapsed() > LIMIT {
            let _ = server.kill();
            let _ = server.wait();
            panic!("openssl s_server did not listen on port {port} within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An HTTPS issuer (`openssl s_server -WWW` serving discovery and JWKS files) with a
/// certificate from a private CA: trusted with `--oidc-ca-file`, refused without.
#[test]
fn web_identity_over_https_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "1"]);
    ca.extend(["-subj", "/CN=oxiam-test-ca"]);
    openssl(d, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(d, &csr);
    std::fs::write(
        d.join("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "srv.pem",
            "-days",
            "1",
            "-extfile",
            "ext",
        ],
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}");
    let key = Key::ec();
    let www = d.join("www");
    std::fs::create_dir_all(www.join(".well-known")).unwrap();
    std::fs::write(
        www.join(".well-known/openid-configuration"),
        json!({"issuer": url, "jwks_uri": format!("{url}/jwks")}).to_string(),
    )
    .unwrap();
    std::fs::write(
        www.join("jwks"),
        json!({"keys": [key.jwk("tls-1")]}).to_string(),
    )
    .unwrap();
    let mut server = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-WWW", "-accept", &port.to_string()])
        .args(["-cert", "../srv.pem", "-key", "../srv.key"])
        .current_dir(&www)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run openssl s_server");
    wait_until_listening(&mut server, port);

    let now = now();
    let token = key.sign(
        "tls-1",
        &json!({"iss": url, "sub": "alice", "aud": CLIENT_ID, "iat": now, "exp": now + 600}),
    );
    let trusted = Server::start_with(
        &[
            "--dev",
            "--oidc-ca-file",
            d.join("ca.pem").to_str().unwrap(),
        ],
        true,
        None,
    );
    let untrusted = Server::start_dev();
    for s in [&trusted, &untrusted] {
        let root = Creds::root();
        s.ok(
            &root,
            &[
                "iam",
                "create-open-id-connect-provider",
                "--url",
                &url,
                "--client-id-list",
                CLIENT_ID,
            ],
        );
        let trust = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/127.0.0.1:{port}")},
            "Action": "sts:AssumeRoleWithWebIdentity"}});
        s.ok(
            &root,
            &[
                "iam",
                "create-role",
                "--role-name",
                "tls",
                "--assume-role-policy-document",
                &trust.to_string(),
            ],
        );
    }
    let role = format!("arn:aws:iam::{ACCOUNT}:role/tls");
    let answer = assume_ok(&trusted, &role, &token);
    assert_eq!(answer["SubjectFromWebIdentityToken"], "alice");
    // Without the private CA the certificate does not verify: the issuer is unreachable.
    assume_fails(&untrusted, &role, &token, "IDPCommunicationError");
    let _ = server.kill();
    let _ = server.wait();
}
