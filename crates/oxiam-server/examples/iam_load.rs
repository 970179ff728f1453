//! A load generator for oxiam's IAM and STS APIs: real SigV4-signed HTTP/1.1 requests over
//! keep-alive connections on loopback, one thread per connection. Used by
//! `scripts/bench/iam-load.sh`, which starts the server, seeds it and reports the figures.
//!
//! ```text
//! iam_load --endpoint 127.0.0.1:8461 --access-key AKID --secret SECRET MODE [options]
//! MODE:
//!   seed          --users N --groups N --roles N --policies N   create a population
//!   create-users  --count N [--prefix P]                        CreateUser, N new users
//!   get-user      --seconds S --users N                         GetUser of random seeded users
//!   list-users    --seconds S                                   ListUsers pages of 100, following Marker
//!   make-caller   --prefix NAME                                 an IAM user with IAMFullAccess and
//!                                                               seeded policies; prints "KEY SECRET"
//!   assume-role   --seconds S                                   STS AssumeRole of a role trusting the
//!                                                               caller (created if missing), new
//!                                                               session name each call
//!   get-caller-identity --seconds S                             sts:GetCallerIdentity (authn only)
//!   propagation   --count N                                     CreateUser on the first endpoint,
//!                                                               then GetUser on the second until
//!                                                               it answers: the delay distribution
//! options: --connections C (default 16)
//! --endpoint takes a comma-separated list: connections go round-robin over the endpoints
//! (several nodes of one deployment).
//! ```
//!
//! Every response is checked: a non-200 answer counts as an error and the first few are
//! printed, so a benchmark cannot report speed for requests that failed.

#![expect(clippy::print_stdout, reason = "a command-line tool reports on stdout")]
#![expect(
    clippy::print_stderr,
    reason = "a command-line tool reports errors on stderr"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use oxiam_sigv4::{HttpRequest, SecretAccessKey, SigningParams, sign};
use time::OffsetDateTime;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bench-bucket","arn:aws:s3:::bench-bucket/*"]}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct Args {
    endpoint: String,
    access_key: String,
    secret: String,
    mode: String,
    connections: usize,
    seconds: u64,
    count: usize,
    prefix: String,
    users: usize,
    groups: usize,
    roles: usize,
    policies: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        endpoint: "127.0.0.1:8461".into(),
        access_key: String::new(),
        secret: String::new(),
        mode: String::new(),
        connections: 16,
        seconds: 10,
        count: 1000,
        prefix: "bench-new".into(),
        users: 0,
        groups: 0,
        roles: 0,
        policies: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match arg.as_str() {
            "--endpoint" => a.endpoint = value()?,
            "--access-key" => a.access_key = value()?,
            "--secret" => a.secret = value()?,
            "--connections" => a.connections = number(value()?)?.max(1),
            "--seconds" => a.seconds = number(value()?)? as u64,
            "--count" => a.count = number(value()?)?,
            "--prefix" => a.prefix = value()?,
            "--users" => a.users = number(value()?)?,
            "--groups" => a.groups = number(value()?)?,
            "--roles" => a.roles = number(value()?)?,
            "--policies" => a.policies = number(value()?)?,
            m if !m.starts_with('-') && a.mode.is_empty() => a.mode = m.to_owned(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.mode.is_empty() || a.access_key.is_empty() || a.secret.is_empty() {
        return Err("usage: iam_load --access-key K --secret S MODE [options]".into());
    }
    Ok(a)
}

/// One keep-alive connection that signs and sends IAM calls.
struct Conn {
    host: String,
    /// The signing name `call` signs for: `iam`, or `sts` in the STS modes.
    service: &'static str,
    access_key: String,
    secret: SecretAccessKey,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open(args: &Args) -> std::io::Result<Conn> {
        Conn::open_nth(args, 0)
    }

    /// A connection to endpoint `n` modulo the number of endpoints.
    fn open_nth(args: &Args, n: usize) -> std::io::Result<Conn> {
        let endpoints: Vec<&str> = args.endpoint.split(',').collect();
        let endpoint = endpoints
            .get(n % endpoints.len().max(1))
            .copied()
            .unwrap_or_default();
        let stream = TcpStream::connect(endpoint)?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            host: endpoint.to_owned(),
            service: if args.mode == "assume-role" {
                "sts"
            } else {
                "iam"
            },
            access_key: args.access_key.clone(),
            secret: SecretAccessKey::new(args.secret.clone()),
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// Sends one form-encoded call to this connection's service; returns status and body.
    fn call(&mut self, form: &str) -> Result<(u16, String), String> {
        let service = self.service;
        self.call_service(form, service)
    }

    /// Sends one form-encoded call to `service` (`iam` or `sts`).
    fn call_service(&mut self, form: &str, service: &str) -> Result<(u16, String), String> {
        let version = if service == "sts" {
            "2011-06-15"
        } else {
            "2010-05-08"
        };
        let body = format!("{form}&Version={version}");
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let headers = [("host", self.host.as_str()), ("content-type", content_type)];
        let req = HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        let params = SigningParams {
            access_key_id: &self.access_key,
            secret: &self.secret,
            region: "us-east-1",
            service,
            timestamp: OffsetDateTime::now_utc(),
            session_token: None,
        };
        let added = sign(&req, &params).map_err(|e| e.to_string())?;
        let mut head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in added {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.push_str(&body);
        self.writer
            .write_all(head.as_bytes())
            .map_err(|e| e.to_string())?;
        self.read_response()
    }

    fn read_response(&mut self) -> Result<(u16, String), String> {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(|_| "bad content-length")?;
            }
        }
        let mut body = vec![0u8; length];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| e.to_string())?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

/// What one thread saw.
#[derive(Default)]
struct Tally {
    ok: usize,
    errors: usize,
    latencies_us: Vec<u64>,
}

/// Runs `work(conn, thread, n)` on every connection until `next` says stop.
fn run(
    args: &Args,
    label: &str,
    next: impl Fn() -> Option<usize> + Sync,
    work: impl Fn(&mut Conn, usize) -> String + Sync,
    check: impl Fn(&mut Conn, &str) -> Result<(), String> + Sync,
) -> Result<(), String> {
    let started = Instant::now();
    let printed = AtomicUsize::new(0);
    let (next, work, check, printed) = (&next, &work, &check, &printed);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.connections)
            .map(|i| {
                s.spawn(move || {
                    let mut tally = Tally::default();
                    let Ok(mut conn) = Conn::open_nth(args, i) else {
                        tally.errors += 1;
                        return tally;
                    };
                    while let Some(n) = next() {
                        let form = work(&mut conn, n);
                        let t = Instant::now();
                        let outcome = conn.call(&form).and_then(|(status, body)| {
                            if status == 200 {
                                check(&mut conn, &body)
                            } else {
                                Err(format!("HTTP {status}: {body}"))
                            }
                        });
                        tally
                            .latencies_us
                            .push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
                        match outcome {
                            Ok(()) => tally.ok += 1,
                            Err(e) => {
                                tally.errors += 1;
                                if printed.fetch_add(1, Ordering::Relaxed) < 3 {
                                    eprintln!("{label}: {e}");
                                }
                                if e.starts_with("HTTP") {
                                    continue;
                                }
                                match Conn::open_nth(args, i) {
                                    Ok(c) => conn = c,
                                    Err(_) => return tally,
                                }
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let ok: usize = tallies.iter().map(|t| t.ok).sum();
    let errors: usize = tallies.iter().map(|t| t.errors).sum();
    let mut lat: Vec<u64> = tallies.into_iter().flat_map(|t| t.latencies_us).collect();
    lat.sort_unstable();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    println!(
        "{label}: {ok} ok, {errors} errors in {elapsed:.2} s = {:.0} requests/s; \
         latency ms p50 {:.2} p99 {:.2} max {:.2} ({} connections)",
        ok as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        pct(1.0),
        args.connections
    );
    if errors > 0 {
        return Err(format!("{label}: {errors} requests failed"));
    }
    Ok(())
}

/// Hands out 0..count once each.
fn counter(count: usize) -> impl Fn() -> Option<usize> + Sync {
    let next = AtomicUsize::new(0);
    move || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        (n < count).then_some(n)
    }
}

/// Hands out random indexes below `modulo` until the time is up.
fn for_seconds(seconds: u64, modulo: usize) -> impl Fn() -> Option<usize> + Sync {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    move || (Instant::now() < deadline).then(|| rand::random_range(0..modulo.max(1)))
}

fn encode(s: &str) -> String {
    oxiam_sigv4::canonical_request::percent_encode(s)
}

fn ok(_: &mut Conn, _: &str) -> Result<(), String> {
    Ok(())
}

fn seed(args: &Args) -> Result<(), String> {
    let policy = encode(POLICY);
    run(
        args,
        "seed CreatePolicy",
        counter(args.policies),
        |_, n| {
            format!("Action=CreatePolicy&PolicyName=bench-policy-{n:05}&PolicyDocument={policy}")
        },
        ok,
    )?;
    let trust = encode(TRUST);
    run(
        args,
        "seed CreateRole",
        counter(args.roles),
        |_, n| {
            format!("Action=CreateRole&RoleName=bench-role-{n:05}&AssumeRolePolicyDocument={trust}")
        },
        ok,
    )?;
    run(
        args,
        "seed CreateGroup",
        counter(args.groups),
        |_, n| format!("Action=CreateGroup&GroupName=bench-group-{n:05}"),
        ok,
    )?;
    run(
        args,
        "seed CreateUser",
        counter(args.users),
        |_, n| format!("Action=CreateUser&UserName=bench-user-{n:05}&Path=/bench/"),
        ok,
    )?;
    // Each user in a group with a policy attached, and each role with a policy: the
    // authorization snapshot then has the links a real account has.
    let attached = args.groups.min(args.policies);
    run(
        args,
        "seed AttachGroupPolicy",
        counter(attached),
        |_, n| {
            format!(
                "Action=AttachGroupPolicy&GroupName=bench-group-{n:05}&PolicyArn=\
                 arn%3Aaws%3Aiam%3A%3A{}%3Apolicy%2Fbench-policy-{n:05}",
                account_of_key()
            )
        },
        ok,
    )?;
    let groups = args.groups.max(1);
    run(
        args,
        "seed AddUserToGroup",
        counter(args.users),
        |_, n| {
            format!(
                "Action=AddUserToGroup&UserName=bench-user-{n:05}&GroupName=bench-group-{:05}",
                n % groups
            )
        },
        ok,
    )
}

/// An IAM user whose requests go through full policy evaluation: an AWS managed policy, a
/// customer managed policy and a group's policy. Prints its new access key.
fn make_caller(conn: &mut Conn, name: &str) -> Result<(), String> {
    let account = account_of_key();
    let steps = [
        format!("Action=CreateUser&UserName={name}"),
        format!(
            "Action=AttachUserPolicy&UserName={name}&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FIAMFullAccess"
        ),
        format!(
            "Action=AttachUserPolicy&UserName={name}&PolicyArn=arn%3Aaws%3Aiam%3A%3A{account}%3Apolicy%2Fbench-policy-00001"
        ),
        format!("Action=AddUserToGroup&UserName={name}&GroupName=bench-group-00000"),
        format!("Action=CreateAccessKey&UserName={name}"),
    ];
    let mut last = String::new();
    for form in &steps {
        let (status, body) = conn.call(form)?;
        if status != 200 {
            return Err(format!("{form}: HTTP {status}: {body}"));
        }
        last = body;
    }
    let key = between(&last, "<AccessKeyId>", "</AccessKeyId>");
    let secret = between(&last, "<SecretAccessKey>", "</SecretAccessKey>");
    match (key, secret) {
        (Some(k), Some(s)) => {
            println!("{k} {s}");
            Ok(())
        }
        _ => Err(format!("no access key in {last}")),
    }
}

/// A role whose trust policy names `caller` (so the same-account AssumeRole needs no
/// identity policy), with one inline policy; created unless it exists. Returns its ARN.
fn assume_role_target(conn: &mut Conn, caller: &str) -> Result<String, String> {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{caller}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let (status, body) = conn.call_service(
        &format!(
            "Action=CreateRole&RoleName=bench-assume&AssumeRolePolicyDocument={}",
            encode(&trust)
        ),
        "iam",
    )?;
    if status != 200 && !body.contains("EntityAlreadyExists") {
        return Err(format!("CreateRole: HTTP {status}: {body}"));
    }
    let (status, body) = conn.call_service(
        &format!(
            "Action=PutRolePolicy&RoleName=bench-assume&PolicyName=read&PolicyDocument={}",
            encode(POLICY)
        ),
        "iam",
    )?;
    if status != 200 {
        return Err(format!("PutRolePolicy: HTTP {status}: {body}"));
    }
    Ok(format!(
        "arn:aws:iam::{}:role/bench-assume",
        account_of_key()
    ))
}

/// The account ID, from the caller's identity (fetched once by `main`).
fn account_of_key() -> &'static str {
    ACCOUNT.get().map(String::as_str).unwrap_or("000000000000")
}

static ACCOUNT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn between<'a>(body: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = body.find(open)? + open.len();
    let end = body.get(start..)?.find(close)? + start;
    body.get(start..end)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = go(&args) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn go(args: &Args) -> Result<(), String> {
    let mut conn = Conn::open(args).map_err(|e| format!("connecting to {}: {e}", args.endpoint))?;
    let (status, body) = conn.call_service("Action=GetUser", "iam")?;
    let account = between(&body, "<Arn>arn:aws:iam::", ":")
        .filter(|_| status == 200)
        .ok_or_else(|| format!("GetUser as the caller failed: HTTP {status}: {body}"))?;
    let _ = ACCOUNT.set(account.to_owned());
    match args.mode.as_str() {
        "seed" => seed(args),
        "make-caller" => make_caller(&mut conn, &args.prefix),
        "assume-role" => {
            let caller = between(&body, "<Arn>", "</Arn>").unwrap_or_default();
            let role_arn = assume_role_target(&mut conn, caller)?;
            let role = encode(&role_arn);
            run(
                args,
                "AssumeRole",
                for_seconds(args.seconds, 1_000_000_000),
                |_, n| format!("Action=AssumeRole&RoleArn={role}&RoleSessionName=bench-{n}"),
                |_, body| {
                    body.contains("<AccessKeyId>ASIA")
                        .then_some(())
                        .ok_or_else(|| format!("unexpected AssumeRole answer: {body}"))
                },
            )
        }
        "create-users" => {
            let prefix = args.prefix.clone();
            run(
                args,
                "CreateUser",
                counter(args.count),
                |_, n| format!("Action=CreateUser&UserName={prefix}-{n:06}"),
                ok,
            )
        }
        "get-user" => run(
            args,
            "GetUser",
            for_seconds(args.seconds, args.users),
            |_, n| format!("Action=GetUser&UserName=bench-user-{n:05}"),
            |_, body| {
                body.contains("<UserName>bench-user-")
                    .then_some(())
                    .ok_or_else(|| format!("unexpected GetUser answer: {body}"))
            },
        ),
        "list-users" => {
            // Each connection pages through the whole list, following the markers.
            let markers: Vec<std::sync::Mutex<Option<String>>> = (0..args.connections)
                .map(|_| std::sync::Mutex::new(None))
                .collect();
            let markers = Arc::new(markers);
            let slot = AtomicUsize::new(0);
            thread_local!(static SLOT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) });
            let my_slot = || {
                SLOT.with(|c| {
                    c.get().unwrap_or_else(|| {
                        let s = slot.fetch_add(1, Ordering::Relaxed) % markers.len();
                        c.set(Some(s));
                        s
                    })
                })
            };
            run(
                args,
                "ListUsers (pages of 100)",
                for_seconds(args.seconds, 1),
                |_, _| {
                    let marker = markers
                        .get(my_slot())
                        .and_then(|m| m.lock().ok().and_then(|g| g.clone()));
                    match marker {
                        Some(m) => format!("Action=ListUsers&MaxItems=100&Marker={}", encode(&m)),
                        None => "Action=ListUsers&MaxItems=100".to_owned(),
                    }
                },
                |_, body| {
                    let users = body.matches("<member>").count();
                    let truncated = body.contains("<IsTruncated>true</IsTruncated>");
                    if users == 0 || (truncated && users != 100) {
                        return Err(format!("unexpected ListUsers page of {users}"));
                    }
                    let next = between(body, "<Marker>", "</Marker>")
                        .filter(|_| truncated)
                        .map(str::to_owned);
                    if let Some(m) = markers.get(my_slot()).and_then(|m| m.lock().ok()).as_mut() {
                        **m = next;
                    }
                    Ok(())
                },
            )
        }
        "get-caller-identity" => run_sts(args),
        "propagation" => propagation(args),
        other => Err(format!("unknown mode {other}")),
    }
}

/// sts:GetCallerIdentity for `--seconds`: authentication only, the cheapest signed call.
fn run_sts(args: &Args) -> Result<(), String> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let results: Vec<Result<usize, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.connections)
            .map(|i| {
                s.spawn(move || {
                    let mut conn = Conn::open_nth(args, i).map_err(|e| e.to_string())?;
                    let mut done = 0;
                    while Instant::now() < deadline {
                        let (status, body) =
                            conn.call_service("Action=GetCallerIdentity", "sts")?;
                        if status != 200 || !body.contains("<Arn>") {
                            return Err(format!("GetCallerIdentity: HTTP {status}: {body}"));
                        }
                        done += 1;
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("thread panicked".into())))
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut ok = 0;
    for r in results {
        ok += r?;
    }
    println!(
        "GetCallerIdentity: {ok} ok in {elapsed:.2} s = {:.0} requests/s ({} connections over {})",
        ok as f64 / elapsed,
        args.connections,
        args.endpoint
    );
    Ok(())
}

/// CreateUser on the first endpoint, then GetUser on the second until it answers 200:
/// how long a write takes to be served by another node.
fn propagation(args: &Args) -> Result<(), String> {
    let mut writer = Conn::open_nth(args, 0).map_err(|e| e.to_string())?;
    let mut reader = Conn::open_nth(args, 1).map_err(|e| e.to_string())?;
    let run = rand::random::<u32>();
    let mut delays_us = Vec::with_capacity(args.count);
    for n in 0..args.count {
        let name = format!("prop-{run:08x}-{n:05}");
        let (status, body) = writer.call(&format!("Action=CreateUser&UserName={name}"))?;
        if status != 200 {
            return Err(format!("CreateUser: HTTP {status}: {body}"));
        }
        let written = Instant::now();
        loop {
            let (status, _) = reader.call(&format!("Action=GetUser&UserName={name}"))?;
            if status == 200 {
                break;
            }
            if written.elapsed() > Duration::from_secs(10) {
                return Err(format!(
                    "{name} not visible on the second endpoint after 10 s"
                ));
            }
        }
        delays_us.push(u64::try_from(written.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    delays_us.sort_unstable();
    let pct = |p: f64| {
        let i = ((delays_us.len() as f64 - 1.0) * p).round() as usize;
        delays_us.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    println!(
        "propagation over {} writes: ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        delays_us.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
