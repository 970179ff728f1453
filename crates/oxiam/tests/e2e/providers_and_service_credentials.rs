//! Identity providers, SSH public keys and service-specific credentials through the real AWS
//! CLI, and the service-specific password kept out of the data directory.

use crate::support::{ACCOUNT, Creds, Server};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn providers_keys_and_service_credentials_through_the_cli() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    let arn = s.ok(
        &root,
        &[
            "iam",
            "create-open-id-connect-provider",
            "--url",
            "https://token.example.com",
            "--client-id-list",
            "app",
            "--thumbprint-list",
            "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
        ],
    )["OpenIDConnectProviderArn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com")
    );
    let got = s.ok(
        &root,
        &[
            "iam",
            "get-open-id-connect-provider",
            "--open-id-connect-provider-arn",
            &arn,
        ],
    );
    assert_eq!(got["Url"], "token.example.com");
    s.ok(&root, &["iam", "create-user", "--user-name", "git"]);
    let ssh =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm/RAlphM3+hUG6wWfcO5bIUIaqMLa2ywxcOK1wMWbh alice";
    let key = s.ok(
        &root,
        &[
            "iam",
            "upload-ssh-public-key",
            "--user-name",
            "git",
            "--ssh-public-key-body",
            ssh,
        ],
    );
    let id = key["SSHPublicKey"]["SSHPublicKeyId"].as_str().unwrap();
    let pem = s.ok(
        &root,
        &[
            "iam",
            "get-ssh-public-key",
            "--user-name",
            "git",
            "--ssh-public-key-id",
            id,
            "--encoding",
            "PEM",
        ],
    );
    assert!(
        pem["SSHPublicKey"]["SSHPublicKeyBody"]
            .as_str()
            .unwrap()
            .contains("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=")
    );
    let c = s.ok(
        &root,
        &[
            "iam",
            "create-service-specific-credential",
            "--user-name",
            "git",
            "--service-name",
            "codecommit.amazonaws.com",
        ],
    );
    assert_eq!(
        c["ServiceSpecificCredential"]["ServiceUserName"],
        format!("git-at-{ACCOUNT}")
    );
    // The password is not in the database file.
    let password = c["ServiceSpecificCredential"]["ServicePassword"]
        .as_str()
        .unwrap()
        .to_owned();
    s.stop();
    for path in crate::support::files_under(dir.path()) {
        let bytes = std::fs::read(path).unwrap();
        assert!(
            !bytes
                .windows(password.len())
                .any(|w| w == password.as_bytes()),
            "password found in the data directory"
        );
    }
}
