//! Console passwords, virtual MFA and the credential report with the real AWS CLI: the QR
//! code and the seed written to files by `create-virtual-mfa-device --outfile`, an MFA
//! session from `get-session-token --serial-number --token-code`, and the credential report
//! downloaded with `--query Content` and base64-decoded.

use base64::Engine as _;
use oxiam_server::model::totp;

use crate::support::{ACCOUNT, Creds, Server};

/// RFC 4648 base32 (no padding) back to bytes.
fn base32_decode(s: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in s.trim().trim_end_matches('=').bytes() {
        let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .iter()
            .position(|x| *x == c)
            .expect("base32 character") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn now_step() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp::step_of(now as i64)
}

#[test]
fn cli_passwords_mfa_and_credential_report() {
    let s = Server::start_dev();
    let root = Creds::root();
    let dir = tempfile::tempdir().unwrap();

    s.ok(&root, &["iam", "create-user", "--user-name", "hank"]);
    let key = s.ok(&root, &["iam", "create-access-key", "--user-name", "hank"]);
    let hank = Creds {
        key: key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    s.ok(
        &root,
        &[
            "iam", "put-user-policy", "--user-name", "hank", "--policy-name", "p",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}}"#,
        ],
    );

    // Passwords: the policy's message, then a profile that meets it.
    s.ok(
        &root,
        &[
            "iam",
            "update-account-password-policy",
            "--minimum-password-length",
            "10",
        ],
    );
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-login-profile",
            "--user-name",
            "hank",
            "--password",
            "Short-1",
        ],
        "PasswordPolicyViolation",
    );
    assert!(err.contains("Password does not conform to the account password policy."));
    let lp = s.ok(
        &root,
        &[
            "iam",
            "create-login-profile",
            "--user-name",
            "hank",
            "--password",
            "Long-Enough-1",
            "--password-reset-required",
        ],
    );
    assert_eq!(lp["LoginProfile"]["PasswordResetRequired"], true);

    // The CLI writes the QR code and the seed to files.
    let png = dir.path().join("qr.png");
    let out = s.ok(
        &root,
        &[
            "iam",
            "create-virtual-mfa-device",
            "--virtual-mfa-device-name",
            "hank-qr",
            "--outfile",
            png.to_str().unwrap(),
            "--bootstrap-method",
            "QRCodePNG",
        ],
    );
    let serial_qr = out["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(serial_qr, format!("arn:aws:iam::{ACCOUNT}:mfa/hank-qr"));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let seed_file = dir.path().join("seed.txt");
    let out = s.ok(
        &root,
        &[
            "iam",
            "create-virtual-mfa-device",
            "--virtual-mfa-device-name",
            "hank",
            "--outfile",
            seed_file.to_str().unwrap(),
            "--bootstrap-method",
            "Base32StringSeed",
        ],
    );
    let serial = out["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let seed = base32_decode(&std::fs::read_to_string(&seed_file).unwrap());
    assert_eq!(seed.len(), 40);

    let step = now_step();
    let (c1, c2) = (
        totp::code_at(&seed, step - 2),
        totp::code_at(&seed, step - 1),
    );
    s.ok(
        &root,
        &[
            "iam",
            "enable-mfa-device",
            "--user-name",
            "hank",
            "--serial-number",
            &serial,
            "--authentication-code1",
            &c1,
            "--authentication-code2",
            &c2,
        ],
    );
    let listed = s.ok(&root, &["iam", "list-mfa-devices", "--user-name", "hank"]);
    assert_eq!(listed["MFADevices"][0]["SerialNumber"], serial.as_str());

    // An MFA session: may call IAM, and its code is spent.
    let code = totp::code_at(&seed, step);
    let session = s.ok(
        &hank,
        &[
            "sts",
            "get-session-token",
            "--serial-number",
            &serial,
            "--token-code",
            &code,
        ],
    );
    let c = &session["Credentials"];
    let temp = Creds {
        key: c["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: c["SecretAccessKey"].as_str().unwrap().to_owned(),
    };
    let (status, _, err) =
        s.aws_with_token(&temp, c["SessionToken"].as_str(), &["iam", "list-users"]);
    assert_eq!(status, 0, "{err}");
    s.fails(
        &hank,
        &[
            "sts",
            "get-session-token",
            "--serial-number",
            &serial,
            "--token-code",
            &code,
        ],
        "AccessDenied",
    );

    // The credential report, downloaded and decoded.
    s.fails(&root, &["iam", "get-credential-report"], "ReportNotPresent");
    let started = s.ok(&root, &["iam", "generate-credential-report"]);
    assert_eq!(started["State"], "STARTED");
    // What `--query Content --output text | base64 -d` gives a shell user (the harness
    // asks for JSON, so the string comes quoted).
    let content = s.ok(
        &root,
        &["iam", "get-credential-report", "--query", "Content"],
    );
    let csv = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(content.as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.len(), 22);
    assert_eq!(&header[..3], &["user", "arn", "user_creation_time"]);
    let hank_row: Vec<&str> = lines
        .find(|l| l.starts_with("hank,"))
        .unwrap()
        .split(',')
        .collect();
    let col = |name: &str| hank_row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("password_enabled"), "true");
    assert_eq!(col("mfa_active"), "true");
    assert_eq!(col("access_key_1_active"), "true");
    assert_eq!(col("access_key_2_active"), "false");
    s.stop();
}
