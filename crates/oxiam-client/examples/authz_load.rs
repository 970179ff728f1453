//! Load generator for the authorization API and the guard (scripts/bench/authz.sh runs it).
//!
//! ```text
//! authz_load decisions URL SERVICE_KEY SERVICE_SECRET CLIENT_KEY CLIENT_SECRET
//!            [--seconds 10] [--connections 16] [--batch 50] [--resource-policy FILE]
//!     Decisions per second of POST /authorization/v1/decisions (keep-alive, batches of
//!     --batch decisions about distinct client requests signed beforehand). With
//!     --resource-policy, every decision carries FILE's text as `resourcePolicy`.
//! authz_load upstream PORT
//!     A minimal HTTP/1.1 upstream answering every request with 200 "ok".
//! authz_load latency URL CLIENT_KEY CLIENT_SECRET [--requests 2000]
//!     Sequential GETs of URL/files/audio/a, each freshly signed for `myapp` (signing is
//!     outside the timed part); prints the median and p99 in microseconds.
//! authz_load throughput URL CLIENT_KEY CLIENT_SECRET [--seconds 10] [--connections 16]
//!     Concurrent GETs of URL/files/audio/…, signed beforehand, one keep-alive connection
//!     per worker; prints requests per second and the median latency.
//! authz_load decision-latency URL SERVICE_KEY SERVICE_SECRET CLIENT_KEY CLIENT_SECRET
//!            [--requests 2000]
//!     Sequential calls of one decision each through `oxiam_client::Client` (signing the
//!     call included, as the guard does); prints the median and p99 in microseconds.
//! ```

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a benchmark tool: failing loudly is the right behaviour"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use oxiam_client::{ClientRequest, Credentials, DecisionRequest, DecisionsRequest, Pool};
use oxiam_sigv4::{HttpRequest, SecretAccessKey, SigningParams};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn flag(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

/// A GET of `path` on `host` signed for `myapp` by `key`: its headers, as a service
/// would forward them.
fn signed_get(
    host: &str,
    path: &str,
    key: &str,
    secret: &SecretAccessKey,
) -> Vec<(String, String)> {
    let unsigned = [("host", host)];
    let req = HttpRequest {
        method: "GET",
        path,
        query: "",
        headers: &unsigned,
        body: b"",
    };
    let params = SigningParams {
        access_key_id: key,
        secret,
        region: "us-east-1",
        service: "myapp",
        timestamp: OffsetDateTime::now_utc(),
        session_token: None,
    };
    let added = oxiam_sigv4::sign(&req, &params).unwrap();
    let mut headers = vec![("host".to_owned(), host.to_owned())];
    headers.extend(added.into_iter().map(|(k, v)| (k.to_owned(), v)));
    headers
}

/// Lets the workers warm up for a second, counts what they get `done` in the next
/// `seconds`, then tells them to `stop`: the count and the seconds it took.
async fn window(done: &AtomicU64, stop: &AtomicBool, seconds: u64) -> (u64, f64) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start_count = done.load(Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let n = done.load(Ordering::Relaxed) - start_count;
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    (n, elapsed)
}

async fn decisions(args: Vec<String>) {
    let url = &args[2];
    let service = Credentials::new(&args[3], &args[4], None);
    let client_secret = SecretAccessKey::new(args[6].clone());
    let seconds = flag(&args, "--seconds", 10);
    let connections = flag(&args, "--connections", 16);
    let batch = usize::try_from(flag(&args, "--batch", 50)).unwrap();
    let resource_policy = args
        .iter()
        .position(|a| a == "--resource-policy")
        .and_then(|i| args.get(i + 1))
        .map(|file| std::fs::read_to_string(file).expect("a readable resource policy file"));
    // Distinct client requests (distinct signatures), signed once: the server has no replay
    // cache, so each verifies again every time it is asked.
    let questions: Vec<DecisionRequest> = (0..batch * 4)
        .map(|i| {
            let path = format!("/files/audio/track-{i}.mp3");
            DecisionRequest {
                request: ClientRequest {
                    method: "GET".into(),
                    path: path.clone(),
                    headers: signed_get("files.example", &path, &args[5], &client_secret),
                    ..ClientRequest::default()
                },
                action: "myapp:GetFile".into(),
                resource: format!("arn:aws:myapp:::file/audio/track-{i}.mp3"),
                source_ip: Some("127.0.0.1".into()),
                resource_policy: resource_policy.clone(),
                ..DecisionRequest::default()
            }
        })
        .collect();
    let bodies: Vec<Bytes> = questions
        .chunks(batch)
        .map(|c| {
            Bytes::from(
                serde_json::to_vec(&DecisionsRequest {
                    decisions: c.to_vec(),
                })
                .unwrap(),
            )
        })
        .collect();
    let (authority, prefix) = oxiam_client::pool::split_http_url(url).unwrap();
    let path = format!("{prefix}{}", oxiam_client::PATH);
    let done = Arc::new(AtomicU64::new(0));
    let denied = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in 0..connections {
        let (bodies, done, denied, stop) = (
            bodies.clone(),
            Arc::clone(&done),
            Arc::clone(&denied),
            Arc::clone(&stop),
        );
        let (authority, path, service) = (authority.clone(), path.clone(), service.clone());
        tasks.push(tokio::spawn(async move {
            let pool = Pool::new(&authority);
            let mut i = usize::try_from(t).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let body = &bodies[i % bodies.len()];
                i += 1;
                let unsigned = [
                    ("host", authority.as_str()),
                    ("content-type", "application/json"),
                ];
                let view = HttpRequest {
                    method: "POST",
                    path: &path,
                    query: "",
                    headers: &unsigned,
                    body,
                };
                let params = SigningParams {
                    access_key_id: &service.access_key_id,
                    secret: &service.secret,
                    region: "us-east-1",
                    service: "oxiam",
                    timestamp: OffsetDateTime::now_utc(),
                    session_token: None,
                };
                let added = oxiam_sigv4::sign(&view, &params).unwrap();
                let mut b = hyper::Request::builder().method("POST").uri(path.as_str());
                for (k, v) in unsigned {
                    b = b.header(k, v);
                }
                for (k, v) in &added {
                    b = b.header(*k, v.as_str());
                }
                let resp = pool
                    .send(b.body(Full::new(body.clone())).unwrap())
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 200, "{:?}", resp.body());
                let answer: oxiam_client::DecisionsResponse =
                    serde_json::from_slice(resp.body()).unwrap();
                let n = answer.decisions.len() as u64;
                let no = answer.decisions.iter().filter(|d| !d.allowed).count() as u64;
                done.fetch_add(n, Ordering::Relaxed);
                denied.fetch_add(no, Ordering::Relaxed);
            }
        }));
    }
    let (n, elapsed) = window(&done, &stop, seconds).await;
    for t in tasks {
        let _ = t.await;
    }
    println!(
        "decisions: {n} in {elapsed:.1} s = {:.0} decisions/s ({connections} connections, batches of {batch}; denied: {})",
        n as f64 / elapsed,
        denied.load(Ordering::Relaxed)
    );
}

async fn upstream(args: Vec<String>) {
    let port: u16 = args[2].parse().unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    println!(
        "upstream listening on http://{}",
        listener.local_addr().unwrap()
    );
    loop {
        let (mut s, _) = listener.accept().await.unwrap();
        s.set_nodelay(true).unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            let mut have = 0;
            loop {
                let Ok(n) = s.read(&mut buf[have..]).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                have += n;
                // Requests without bodies: one response per header block.
                while let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                    if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    buf.copy_within(end + 4..have, 0);
                    have -= end + 4;
                }
                if have == buf.len() {
                    return;
                }
            }
        });
    }
}

/// A keep-alive GET of `path` with `headers` (from [`signed_get`]).
fn get(path: &str, headers: &[(String, String)]) -> hyper::Request<Full<Bytes>> {
    let mut b = hyper::Request::builder().method("GET").uri(path);
    for (k, v) in headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b.body(Full::new(Bytes::new())).unwrap()
}

/// Awaits `call` `n + 100` times in a row, the first 100 to warm up; the median and p99 of
/// the other `n`, in microseconds. `call` times itself, so that what it prepares stays out.
async fn sequential(n: u64, mut call: impl AsyncFnMut() -> Duration) -> (u128, u128) {
    let mut times = Vec::with_capacity(usize::try_from(n).unwrap());
    for i in 0..n + 100 {
        let took = call().await;
        if i >= 100 {
            times.push(took.as_micros());
        }
    }
    times.sort_unstable();
    (times[times.len() / 2], times[times.len() * 99 / 100])
}

async fn latency(args: Vec<String>) {
    let url = &args[2];
    let secret = SecretAccessKey::new(args[4].clone());
    let n = flag(&args, "--requests", 2000);
    let (authority, _) = oxiam_client::pool::split_http_url(url).unwrap();
    let pool = Pool::new(&authority);
    let (median, p99) = sequential(n, async || {
        let path = "/files/audio/a";
        let req = get(path, &signed_get(&authority, path, &args[3], &secret));
        let t = Instant::now();
        let resp = pool.send(req).await.unwrap();
        let took = t.elapsed();
        assert_eq!(resp.status(), 200, "{:?}", resp.body());
        took
    })
    .await;
    println!("latency {url}: median {median} µs, p99 {p99} µs over {n} requests");
}

async fn throughput(args: Vec<String>) {
    let url = &args[2];
    let secret = SecretAccessKey::new(args[4].clone());
    let seconds = flag(&args, "--seconds", 10);
    let connections = flag(&args, "--connections", 16);
    let (authority, _) = oxiam_client::pool::split_http_url(url).unwrap();
    // Signed beforehand so that the load generator spends its CPU on sending; oxiam accepts
    // a signature again within its window, and the guard asks each time (--cache-ttl 0).
    let signed: Vec<(String, Vec<(String, String)>)> = (0..256)
        .map(|i| {
            let path = format!("/files/audio/t-{i}");
            let headers = signed_get(&authority, &path, &args[3], &secret);
            (path, headers)
        })
        .collect();
    let signed = Arc::new(signed);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in 0..connections {
        let (signed, done, stop, authority) = (
            Arc::clone(&signed),
            Arc::clone(&done),
            Arc::clone(&stop),
            authority.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let pool = Pool::new(&authority);
            let mut times = Vec::new();
            let mut i = usize::try_from(t).unwrap();
            while !stop.load(Ordering::Relaxed) {
                let (path, headers) = &signed[i % signed.len()];
                i += 1;
                let req = get(path, headers);
                let at = Instant::now();
                let resp = pool.send(req).await.unwrap();
                assert_eq!(resp.status(), 200, "{:?}", resp.body());
                times.push(at.elapsed().as_micros());
                done.fetch_add(1, Ordering::Relaxed);
            }
            times
        }));
    }
    let (n, elapsed) = window(&done, &stop, seconds).await;
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    times.sort_unstable();
    println!(
        "throughput {url}: {:.0} requests/s ({connections} connections), median {} µs",
        n as f64 / elapsed,
        times[times.len() / 2]
    );
}

async fn decision_latency(args: Vec<String>) {
    let url = &args[2];
    let client =
        oxiam_client::Client::new(url, Credentials::new(&args[3], &args[4], None), "us-east-1")
            .unwrap()
            .with_cache_ttl(Duration::ZERO);
    let client_secret = SecretAccessKey::new(args[6].clone());
    let n = flag(&args, "--requests", 2000);
    let path = "/files/audio/a";
    let question = DecisionRequest {
        request: ClientRequest {
            method: "GET".into(),
            path: path.into(),
            headers: signed_get("files.example", path, &args[5], &client_secret),
            ..ClientRequest::default()
        },
        action: "myapp:GetFile".into(),
        resource: "arn:aws:myapp:::file/audio/a".into(),
        source_ip: Some("127.0.0.1".into()),
        ..DecisionRequest::default()
    };
    let (median, p99) = sequential(n, async || {
        let t = Instant::now();
        let answer = client.decide(vec![question.clone()]).await.unwrap();
        let took = t.elapsed();
        assert!(answer[0].allowed, "{:?}", answer[0]);
        took
    })
    .await;
    println!("decision latency {url}: median {median} µs, p99 {p99} µs over {n} calls");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = match args.get(1).map(String::as_str) {
        Some("latency" | "decision-latency") => 1,
        _ => 2,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        match args.get(1).map(String::as_str) {
            Some("decisions") => decisions(args).await,
            Some("upstream") => upstream(args).await,
            Some("latency") => latency(args).await,
            Some("throughput") => throughput(args).await,
            Some("decision-latency") => decision_latency(args).await,
            _ => eprintln!(
                "usage: see the doc comment of crates/oxiam-client/examples/authz_load.rs"
            ),
        }
    });
}
