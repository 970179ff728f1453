//! Several `oxiam serve` processes sharing one PostgreSQL schema (issue 8), driven by the
//! real AWS CLI: writes through one node are enforced on the others, racing writes on
//! different nodes keep IAM's invariants, a restarted node catches up, an STS token from one
//! node works on another, and a node that loses PostgreSQL keeps authenticating and
//! authorizing from its snapshot, fails writes with ServiceFailure and recovers by itself.
//!
//! PostgreSQL is `OXIAM_TEST_POSTGRES_URL` (default: 127.0.0.1:5432, database `test`, trust
//! auth, as on the project's machines and CI); each test uses a fresh schema, dropped at the
//! end. Unreachable PostgreSQL fails these tests rather than skipping them.
//!
//! Changes reach other nodes asynchronously, so checks on another node poll until they
//! hold, with a generous deadline ([`DEADLINE`]) that only catches a change that never
//! arrives; how fast changes arrive is measured by scripts/bench/multinode.sh instead.

use std::io::Read as _;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{ACCOUNT, Creds, Server};

/// One key-encryption key for every node of a deployment.
const KEK: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// How long a change may take to show on another node before the test gives up.
const DEADLINE: Duration = Duration::from_secs(15);

fn pg_url() -> String {
    std::env::var("OXIAM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh schema, dropped when the test ends.
struct Schema {
    name: String,
}

impl Schema {
    fn new() -> Schema {
        let schema = Schema {
            name: format!("e2e_{:016x}", rand_u64()),
        };
        // Fail (not skip) right here when PostgreSQL is unreachable.
        postgres::Client::connect(&pg_url(), postgres::NoTls)
            .unwrap_or_else(|e| panic!("PostgreSQL at {} is required: {e}", pg_url()));
        schema
    }

    /// The store URL of a node; `application_name` tags its connections for
    /// pg_terminate_backend.
    fn store_url(&self, base: &str) -> String {
        format!("{base}?schema={}&application_name={}", self.name, self.name)
    }

    fn node(&self) -> Server {
        self.node_at(&pg_url())
    }

    fn node_at(&self, base: &str) -> Server {
        let url = self.store_url(base);
        Server::start_with(&["--store", &url, "--kek", KEK], true, None)
    }

    /// Terminates every PostgreSQL connection of this schema's nodes; returns how many.
    fn terminate_backends(&self) -> usize {
        let mut raw = postgres::Client::connect(&pg_url(), postgres::NoTls).unwrap();
        raw.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&self.name],
        )
        .unwrap()
        .len()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&pg_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn rand_u64() -> u64 {
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .unwrap();
    u64::from_le_bytes(bytes)
}

/// Polls `check` until it returns true; panics with `what` after [`DEADLINE`].
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < DEADLINE {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not seen within {DEADLINE:?}");
}

/// Whether `aws args` as `creds` on `node` succeeds (Ok) or fails with some error (Err(code)).
fn outcome(node: &Server, creds: &Creds, args: &[&str]) -> Result<(), String> {
    let (status, _, err) = node.aws(creds, args);
    if status == 0 {
        return Ok(());
    }
    let code = err
        .split_once("An error occurred (")
        .and_then(|(_, rest)| rest.split_once(')'))
        .map_or_else(|| err.clone(), |(code, _)| code.to_owned());
    Err(code)
}

fn user_key(node: &Server, user: &str) -> Creds {
    let k = node.ok(
        &Creds::root(),
        &["iam", "create-access-key", "--user-name", user],
    );
    Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

const LIST_USERS: &[&str] = &["iam", "list-users"];

#[test]
fn writes_through_one_node_are_enforced_on_the_others() {
    let schema = Schema::new();
    let a = schema.node();
    let (b, c) = (schema.node(), schema.node());
    let root = Creds::root();
    let policy = a.ok(
        &root,
        &[
            "iam",
            "create-policy",
            "--policy-name",
            "list-users",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        ],
    );
    let policy_arn = policy["Policy"]["Arn"].as_str().unwrap().to_owned();
    a.ok(&root, &["iam", "create-user", "--user-name", "bob"]);
    a.ok(
        &root,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "bob",
            "--policy-arn",
            &policy_arn,
        ],
    );
    let bob = user_key(&a, "bob");

    for node in [&b, &c] {
        eventually("bob's new key and policy on another node", || {
            outcome(node, &bob, LIST_USERS).is_ok()
        });
    }

    a.ok(
        &root,
        &[
            "iam",
            "detach-user-policy",
            "--user-name",
            "bob",
            "--policy-arn",
            &policy_arn,
        ],
    );
    for node in [&b, &c] {
        eventually("the detached policy on another node", || {
            outcome(node, &bob, LIST_USERS) == Err("AccessDenied".into())
        });
    }

    a.ok(
        &root,
        &[
            "iam",
            "attach-user-policy",
            "--user-name",
            "bob",
            "--policy-arn",
            &policy_arn,
        ],
    );
    eventually("the re-attached policy on B", || {
        outcome(&b, &bob, LIST_USERS).is_ok()
    });
    a.ok(
        &root,
        &[
            "iam",
            "update-access-key",
            "--user-name",
            "bob",
            "--access-key-id",
            &bob.key,
            "--status",
            "Inactive",
        ],
    );
    for node in [&b, &c] {
        eventually("the deactivated key on another node", || {
            outcome(node, &bob, LIST_USERS) == Err("InvalidClientTokenId".into())
        });
    }

    // Deleting the user (after its key and attachment, as IAM requires) on A.
    a.ok(
        &root,
        &[
            "iam",
            "delete-access-key",
            "--user-name",
            "bob",
            "--access-key-id",
            &bob.key,
        ],
    );
    a.ok(
        &root,
        &[
            "iam",
            "detach-user-policy",
            "--user-name",
            "bob",
            "--policy-arn",
            &policy_arn,
        ],
    );
    a.ok(&root, &["iam", "delete-user", "--user-name", "bob"]);
    eventually("the deleted user on C", || {
        outcome(&c, &root, &["iam", "get-user", "--user-name", "bob"]) == Err("NoSuchEntity".into())
    });
}

#[test]
fn racing_writes_on_different_nodes_keep_iams_invariants() {
    let schema = Schema::new();
    let a = schema.node();
    let nodes = [a, schema.node(), schema.node()];
    let root = Creds::root();

    // The same CreateUser on every node at once: exactly one wins.
    for round in 0..3 {
        let name = format!("racer{round}");
        let results: Vec<Result<(), String>> = std::thread::scope(|s| {
            let handles: Vec<_> = nodes
                .iter()
                .map(|node| {
                    let (root, name) = (&root, &name);
                    s.spawn(move || {
                        outcome(node, root, &["iam", "create-user", "--user-name", name])
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let won = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        for r in results.iter().filter(|r| r.is_err()) {
            assert_eq!(r, &Err("EntityAlreadyExists".into()), "round {round}");
        }
    }

    // Six CreateAccessKey for one user across the nodes at once: the quota of 2 holds.
    nodes[0].ok(&root, &["iam", "create-user", "--user-name", "carol"]);
    for node in &nodes {
        eventually("carol on every node", || {
            outcome(node, &root, &["iam", "get-user", "--user-name", "carol"]).is_ok()
        });
    }
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = nodes
            .iter()
            .chain(nodes.iter())
            .map(|node| {
                let root = &root;
                s.spawn(move || {
                    outcome(
                        node,
                        root,
                        &["iam", "create-access-key", "--user-name", "carol"],
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(created, 2, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(r, &Err("LimitExceeded".into()));
    }
    for node in &nodes {
        eventually("exactly two keys listed on every node", || {
            let keys = node.ok(&root, &["iam", "list-access-keys", "--user-name", "carol"]);
            keys["AccessKeyMetadata"].as_array().map(Vec::len) == Some(2)
        });
    }
}

#[test]
fn a_restarted_node_catches_up_and_sts_tokens_work_on_every_node() {
    let schema = Schema::new();
    let a = schema.node();
    let b = schema.node();
    let root = Creds::root();
    a.ok(&root, &["iam", "create-user", "--user-name", "dave"]);
    let dave = user_key(&a, "dave");

    // A session token issued by A verifies on B (same KEK, STS keys in the store).
    let session = a.ok(&dave, &["sts", "get-session-token"]);
    let temp = Creds {
        key: session["Credentials"]["AccessKeyId"]
            .as_str()
            .unwrap()
            .to_owned(),
        secret: session["Credentials"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let token = session["Credentials"]["SessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut who = serde_json::Value::Null;
    eventually("A's session token accepted on B", || {
        let (status, out, _) =
            b.aws_with_token(&temp, Some(&token), &["sts", "get-caller-identity"]);
        if status == 0 {
            who = serde_json::from_str(&out).unwrap();
        }
        status == 0
    });
    assert_eq!(who["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/dave"));

    // B stops; A writes; a new B starts on the same schema and sees the write.
    b.stop();
    a.ok(&root, &["iam", "create-user", "--user-name", "erin"]);
    let b = schema.node();
    assert!(
        !b.stdout_head.iter().any(|l| l.contains("Created account")),
        "a restarted node must not create another account: {:?}",
        b.stdout_head
    );
    b.ok(&root, &["iam", "get-user", "--user-name", "erin"]);
    // And B's own writes reach A.
    b.ok(&root, &["iam", "create-user", "--user-name", "frank"]);
    eventually("B's write on A", || {
        outcome(&a, &root, &["iam", "get-user", "--user-name", "frank"]).is_ok()
    });
}

#[test]
fn terminated_database_connections_are_replaced() {
    let schema = Schema::new();
    let a = schema.node();
    let b = schema.node();
    let root = Creds::root();
    a.ok(&root, &["iam", "create-user", "--user-name", "gina"]);
    eventually("gina on B", || {
        outcome(&b, &root, &["iam", "get-user", "--user-name", "gina"]).is_ok()
    });
    assert!(schema.terminate_backends() >= 2);
    // Reads come from the snapshot; the first write retries on a fresh connection (or, if
    // it raced the termination, fails with ServiceFailure and the next one goes through).
    b.ok(&root, &["iam", "get-user", "--user-name", "gina"]);
    eventually("a write through B after the termination", || match outcome(
        &b,
        &root,
        &["iam", "create-user", "--user-name", "hank"],
    ) {
        Ok(()) => true,
        Err(code) => {
            assert_eq!(code, "ServiceFailure");
            false
        }
    });
    // B's listener reconnected: A sees B's write, B sees A's.
    eventually("hank on A", || {
        outcome(&a, &root, &["iam", "get-user", "--user-name", "hank"]).is_ok()
    });
    a.ok(&root, &["iam", "create-user", "--user-name", "ivan"]);
    eventually("ivan on B", || {
        outcome(&b, &root, &["iam", "get-user", "--user-name", "ivan"]).is_ok()
    });
}

/// A TCP relay to PostgreSQL that can cut every connection and refuse new ones, so one node
/// loses its database while the others keep theirs.
struct Relay {
    port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(upstream: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (down2, open2, upstream) = (Arc::clone(&down), Arc::clone(&open), upstream.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if down2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut open = open2.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { port, down, open }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

fn health(node: &Server) -> String {
    let addr = node.endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /_oxiam/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn a_node_that_loses_postgresql_keeps_authorizing_fails_writes_and_recovers() {
    let schema = Schema::new();
    let a = schema.node();
    let relay = Relay::start("127.0.0.1:5432");
    let via_relay = pg_url().replace("127.0.0.1:5432", &format!("127.0.0.1:{}", relay.port));
    let b = schema.node_at(&via_relay);
    let root = Creds::root();
    a.ok(&root, &["iam", "create-user", "--user-name", "jo"]);
    a.ok(
        &root,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "jo",
            "--policy-name",
            "list",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
        ],
    );
    let jo = user_key(&a, "jo");
    eventually("jo's key on B", || outcome(&b, &jo, LIST_USERS).is_ok());
    assert!(health(&b).contains("store: reachable"));

    relay.cut();
    // Writes on B fail with IAM's ServiceFailure (HTTP 500) …
    eventually("a failed write on B", || {
        match outcome(&b, &root, &["iam", "create-user", "--user-name", "lost"]) {
            Err(code) => {
                assert_eq!(code, "ServiceFailure");
                true
            }
            Ok(()) => false,
        }
    });
    eventually("B's health saying so", || {
        health(&b).contains("store: unreachable")
    });
    // … while authentication and authorization go on from the snapshot.
    outcome(&b, &jo, LIST_USERS).unwrap();
    b.ok(&jo, &["sts", "get-caller-identity"]);
    assert_eq!(
        outcome(&b, &jo, &["iam", "get-user", "--user-name", "jo"]),
        Err("AccessDenied".into())
    );
    // A, still connected, changes things meanwhile.
    a.ok(&root, &["iam", "create-user", "--user-name", "kim"]);
    a.ok(
        &root,
        &[
            "iam",
            "delete-user-policy",
            "--user-name",
            "jo",
            "--policy-name",
            "list",
        ],
    );

    relay.restore();
    eventually("B reachable again", || {
        health(&b).contains("store: reachable")
    });
    eventually("A's changes made during the outage on B", || {
        outcome(&b, &jo, LIST_USERS) == Err("AccessDenied".into())
            && outcome(&b, &root, &["iam", "get-user", "--user-name", "kim"]).is_ok()
    });
    b.ok(&root, &["iam", "create-user", "--user-name", "after"]);
    assert_eq!(
        outcome(&a, &root, &["iam", "get-user", "--user-name", "lost"]),
        Err("NoSuchEntity".into()),
        "the write that failed on B left nothing behind"
    );
}

fn migrate(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .arg("migrate")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn migrate_copies_a_sqlite_installation_and_refuses_a_used_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = Creds::root();
    let (alice, alice_id, created) = {
        let s = Server::start(dir.path());
        let user = s.ok(&root, &["iam", "create-user", "--user-name", "alice"]);
        s.ok(
            &root,
            &[
                "iam",
                "put-user-policy",
                "--user-name",
                "alice",
                "--policy-name",
                "list",
                "--policy-document",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#,
            ],
        );
        let key = user_key(&s, "alice");
        s.stop();
        (
            key,
            user["User"]["UserId"].as_str().unwrap().to_owned(),
            user["User"]["CreateDate"].as_str().unwrap().to_owned(),
        )
    };
    let schema = Schema::new();
    let db = dir.path().join("oxiam.db");
    let from = format!("sqlite:{}", db.display());
    let to = format!("{}?schema={}", pg_url(), schema.name);
    let out = migrate(&["--from", &from, "--to", &to]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The node runs with the source's KEK: the sealed secret still verifies.
    let kek = std::fs::read_to_string(dir.path().join("kek")).unwrap();
    let node = Server::start_with(&["--store", &to, "--kek", kek.trim()], true, None);
    let user = node.ok(&root, &["iam", "get-user", "--user-name", "alice"]);
    assert_eq!(user["User"]["UserId"], alice_id.as_str());
    assert_eq!(user["User"]["CreateDate"], created.as_str());
    node.ok(&alice, LIST_USERS);
    node.ok(
        &root,
        &["iam", "create-user", "--user-name", "after-migration"],
    );

    let again = migrate(&["--from", &from, "--to", &to]);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let missing = migrate(&["--from", "sqlite:/nonexistent/oxiam.db", "--to", &to]);
    assert!(!missing.status.success());
}

/// A PostgreSQL node has no data directory: its decision log goes where `--audit-dir`
/// says, and `oxiam audit --audit-dir` reads it.
#[test]
fn a_postgresql_node_records_decisions_in_its_audit_dir() {
    use crate::authorization::{GET_ANY, decide, question, user};
    let schema = Schema::new();
    let audit = tempfile::tempdir().unwrap();
    let url = schema.store_url(&pg_url());
    let node = Server::start_with(
        &[
            "--store",
            &url,
            "--kek",
            KEK,
            "--audit-dir",
            audit.path().to_str().unwrap(),
        ],
        true,
        None,
    );
    let root = Creds::root();
    let reader = user(&node, &root, "reader", Some(GET_ANY));
    let client = oxiam_client::Client::new(
        &node.endpoint,
        oxiam_client::Credentials::new(&root.key, &root.secret, None),
        "us-east-1",
    )
    .unwrap();
    let resource = format!("arn:aws:myapp::{ACCOUNT}:file/a");
    assert!(decide(&client, vec![question(&reader, &resource)])[0].allowed);
    let reader_arn = format!("arn:aws:iam::{ACCOUNT}:user/reader");
    let mut found = String::new();
    eventually("the decision in the audit log", || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
            .args(["audit", "--audit-dir"])
            .arg(audit.path())
            .args(["--principal", &reader_arn, "--decision", "allow"])
            .output()
            .unwrap();
        found = String::from_utf8(out.stdout).unwrap();
        found.contains("myapp:GetFile")
    });
    let record: serde_json::Value = serde_json::from_str(found.lines().next().unwrap()).unwrap();
    assert_eq!(record["resource"], resource.as_str());
    assert_eq!(record["decision"], "Allow");
}
