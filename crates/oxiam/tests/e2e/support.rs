//! Test support shared by the end-to-end tests: starts the real `oxiam` binary on a free
//! port and runs the real AWS CLI (from target/venv, made by scripts/python-env.sh) at it.
#![expect(dead_code, reason = "each test binary uses a different subset")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const ROOT_KEY: &str = "AKIAOXIAMTESTROOT001";
pub const ROOT_SECRET: &str = "oxiamTestRootSecretKey0000000000000000000";
pub const ACCOUNT: &str = "123456789012";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Makes sure target/venv exists (the test command makes it; this covers a bare
/// `cargo test`). `flock` keeps parallel test processes from installing twice.
pub fn venv_bin(tool: &str) -> PathBuf {
    let root = workspace_root();
    let venv = root.join("target/venv");
    let status = Command::new("flock")
        .arg(root.join("target/.venv.lock"))
        .arg(root.join("scripts/python-env.sh"))
        .status()
        .expect("run scripts/python-env.sh (needs python3 and flock)");
    assert!(
        status.success(),
        "scripts/python-env.sh failed: run it to see why"
    );
    venv.join("bin").join(tool)
}

#[derive(Clone, Debug)]
pub struct Creds {
    pub key: String,
    pub secret: String,
}

impl Creds {
    pub fn root() -> Creds {
        Creds {
            key: ROOT_KEY.into(),
            secret: ROOT_SECRET.into(),
        }
    }
}

/// A running oxiam server, killed when dropped.
pub struct Server {
    child: Child,
    pub endpoint: String,
    pub stdout_head: Vec<String>,
    pub data_dir: Option<PathBuf>,
}

impl Server {
    /// A server on a fresh data directory with known root credentials.
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(
            &["--data-dir", data_dir.to_str().unwrap()],
            true,
            Some(data_dir),
        )
    }

    pub fn start_dev() -> Server {
        Server::start_with(&["--dev"], true, None)
    }

    pub fn start_with(args: &[&str], known_root: bool, data_dir: Option<&Path>) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_oxiam"));
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(args);
        if known_root {
            cmd.env("OXIAM_ACCOUNT_ID", ACCOUNT)
                .env("OXIAM_ROOT_ACCESS_KEY_ID", ROOT_KEY)
                .env("OXIAM_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET);
        }
        cmd.env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().expect("spawn oxiam");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut head = Vec::new();
        let endpoint = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("oxiam did not start");
            head.push(line.clone());
            if let Some(ep) = line.strip_prefix("oxiam listening on ") {
                break ep.to_owned();
            }
        };
        // Collect the rest of the start-up banner (first-start credentials) briefly.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
            head.push(line);
        }
        Server {
            child,
            endpoint,
            stdout_head: head,
            data_dir: data_dir.map(Path::to_path_buf),
        }
    }

    /// Runs `aws <args> --output json` as `creds`; returns (exit code, stdout, stderr).
    pub fn aws(&self, creds: &Creds, args: &[&str]) -> (i32, String, String) {
        self.aws_with_token(creds, None, args)
    }

    /// `aws` with temporary credentials: `creds` and their session token.
    pub fn aws_with_token(
        &self,
        creds: &Creds,
        session_token: Option<&str>,
        args: &[&str],
    ) -> (i32, String, String) {
        let mut cmd = Command::new(venv_bin("aws"));
        cmd.args(args)
            .args(["--output", "json", "--endpoint-url", &self.endpoint])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("AWS_ACCESS_KEY_ID", &creds.key)
            .env("AWS_SECRET_ACCESS_KEY", &creds.secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_MAX_ATTEMPTS", "1");
        if let Some(token) = session_token {
            cmd.env("AWS_SESSION_TOKEN", token);
        }
        let out = cmd.output().expect("run aws");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Runs an AWS CLI command that must succeed and returns its JSON output.
    pub fn ok(&self, creds: &Creds, args: &[&str]) -> serde_json::Value {
        let (code, out, err) = self.aws(creds, args);
        assert_eq!(code, 0, "aws {args:?} failed: {err}");
        if out.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("aws {args:?}: bad JSON {e}: {out}"))
        }
    }

    /// Runs an AWS CLI command that must fail with `code`; returns the error text.
    pub fn fails(&self, creds: &Creds, args: &[&str], code: &str) -> String {
        let (status, out, err) = self.aws(creds, args);
        assert_ne!(status, 0, "aws {args:?} unexpectedly succeeded: {out}");
        assert!(
            err.contains(&format!("({code})")),
            "aws {args:?}: expected error {code}, got: {err}"
        );
        err
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir`, however deep (the data directory has subdirectories, e.g. the
/// authorization API's audit log), for the "no secret in clear at rest" checks.
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
