//! Speed of the policy engine (issue 3 targets, measured on the project machine):
//! - `evaluate/realistic`: a principal with 10 policies, ~50 statements (wildcards,
//!   NotAction, variables, conditions): median ≤ 1 µs;
//! - `evaluate/quota_250kb`: ~250 KB of real AWS managed policies reaching one principal:
//!   p99 ≤ 50 µs (criterion reports mean/median; `p99` lines are printed separately);
//! - `parse/managed_6kb`: parse + compile a ~6 KB real AWS managed policy: ≤ 50 µs.
//!
//! The managed policies come from `data/aws/aws-managed-policies.json` in the repository.
//!
//! Instruction counts (repeatable on a loaded machine): `OXIAM_BENCH_COUNT=<case>:<n>` runs
//! one case `n` times without criterion, for `valgrind --tool=callgrind`; `<case>` is a
//! bench name (`realistic/s3:GetObject`, `quota_250kb/iam:PassRole`, `parse/managed_6kb`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use oxiam_policy::{
    Context, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType, Request,
    evaluate,
};

const MANAGED: &str = include_str!("../../../data/aws/aws-managed-policies.json");

/// (name, document) of every AWS managed policy.
fn managed_policies() -> Vec<(String, String)> {
    let all: serde_json::Value = serde_json::from_str(MANAGED).unwrap_or_default();
    all.as_array()
        .map(|list| {
            list.iter()
                .filter_map(|p| {
                    let name = p.get("PolicyName")?.as_str()?.to_owned();
                    let doc = serde_json::to_string_pretty(p.get("Document")?).ok()?;
                    Some((name, doc))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// CPU time of this thread in 10 ms clock ticks (from /proc). On a loaded machine wall
/// time includes waiting for a CPU; CPU time does not.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("").to_owned();
    // Fields after the command name start at field 3 (state); utime is 14, stime 15.
    let f: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// Mean CPU nanoseconds per call of `f` over enough calls for the 10 ms tick to be precise.
fn cpu_mean_ns(calls: u32, mut f: impl FnMut()) -> u64 {
    let start = cpu_ticks();
    for _ in 0..calls {
        f();
    }
    (cpu_ticks() - start) * 10_000_000 / u64::from(calls)
}

fn non_ws(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

const PRINCIPAL: Principal<'static> = Principal {
    arn: "arn:aws:iam::111122223333:user/eng/alice",
    account: "111122223333",
    kind: PrincipalType::User,
    role_arn: None,
    user_id: "AIDAEXAMPLEUSERID01",
};

/// Ten hand-written policies in the shapes real accounts use.
fn realistic_policies() -> Vec<Policy> {
    let docs: [&str; 10] = [
        // 1: own credentials, variables
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"OwnKeys","Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
          {"Sid":"OwnMfa","Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/${aws:username}"},
          {"Sid":"OwnPassword","Effect":"Allow","Action":["iam:ChangePassword","iam:GetUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
          {"Sid":"ViewAccount","Effect":"Allow","Action":["iam:GetAccountPasswordPolicy","iam:GetAccountSummary","iam:ListVirtualMFADevices"],"Resource":"*"},
          {"Sid":"DenyWithoutMfa","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#,
        // 2: S3 home directories
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"List","Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation"],"Resource":"*"},
          {"Sid":"ListHome","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::corp-home","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}},
          {"Sid":"Home","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::corp-home/home/${aws:username}","arn:aws:s3:::corp-home/home/${aws:username}/*"]},
          {"Sid":"DenyOthers","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::corp-home/home/*","Condition":{"StringNotLike":{"s3:prefix":"home/${aws:username}/*"},"Null":{"s3:prefix":"false"}}},
          {"Sid":"Shared","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::corp-shared/*"}]}"#,
        // 3: EC2 by tags
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"Describe","Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
          {"Sid":"StartStop","Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances","ec2:RebootInstances"],"Resource":"arn:aws:ec2:*:111122223333:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team}"}}},
          {"Sid":"Run","Effect":"Allow","Action":"ec2:RunInstances","Resource":["arn:aws:ec2:*:*:instance/*","arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:network-interface/*"],"Condition":{"StringEquals":{"ec2:InstanceType":["t3.micro","t3.small"]},"ForAllValues:StringEquals":{"aws:TagKeys":["Team","Name"]}}},
          {"Sid":"RunImages","Effect":"Allow","Action":"ec2:RunInstances","Resource":["arn:aws:ec2:*::image/*","arn:aws:ec2:*:*:subnet/*","arn:aws:ec2:*:*:security-group/*"]},
          {"Sid":"NoBigOnes","Effect":"Deny","Action":"ec2:RunInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringLike":{"ec2:InstanceType":["*.metal","p4*","x2*"]}}}]}"#,
        // 4: network guard
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"OfficeOnly","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}}},
          {"Sid":"TlsOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        // 5: DynamoDB
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"ListTables","Effect":"Allow","Action":["dynamodb:List*","dynamodb:DescribeReservedCapacity*","dynamodb:DescribeLimits","dynamodb:DescribeTimeToLive"],"Resource":"*"},
          {"Sid":"Table","Effect":"Allow","Action":["dynamodb:BatchGet*","dynamodb:DescribeStream","dynamodb:DescribeTable","dynamodb:Get*","dynamodb:Query","dynamodb:Scan","dynamodb:BatchWrite*","dynamodb:Delete*","dynamodb:Update*","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:*:table/orders*"},
          {"Sid":"OwnItems","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:*:table/profiles","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]}}}]}"#,
        // 6: logs and metrics
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents","logs:Describe*","logs:Get*","logs:FilterLogEvents"],"Resource":"arn:aws:logs:*:111122223333:log-group:/app/*"},
          {"Sid":"Metrics","Effect":"Allow","Action":["cloudwatch:PutMetricData","cloudwatch:Get*","cloudwatch:List*"],"Resource":"*","Condition":{"StringEquals":{"cloudwatch:namespace":["App","App/Detail"]}}},
          {"Sid":"XRay","Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords"],"Resource":"*"}]}"#,
        // 7: KMS and secrets
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"Decrypt","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"arn:aws:kms:*:111122223333:key/*","Condition":{"StringLike":{"kms:ViaService":["s3.*.amazonaws.com","secretsmanager.*.amazonaws.com"]}}},
          {"Sid":"Secrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:*:111122223333:secret:app/${aws:PrincipalTag/Team}/*"},
          {"Sid":"NoKeyAdmin","Effect":"Deny","Action":["kms:ScheduleKeyDeletion","kms:DisableKey","kms:PutKeyPolicy"],"Resource":"*"}]}"#,
        // 8: time-boxed contractor access
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"Window","Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"arn:aws:sqs:*:111122223333:app-*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}},
          {"Sid":"Sns","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:*:111122223333:app-*"},
          {"Sid":"Lambda","Effect":"Allow","Action":["lambda:InvokeFunction","lambda:GetFunction*","lambda:List*"],"Resource":"arn:aws:lambda:*:111122223333:function:app-*"}]}"#,
        // 9: read-only everything except secrets
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"ReadOnly","Effect":"Allow","Action":["*:Describe*","*:Get*","*:List*"],"Resource":"*"},
          {"Sid":"NoSecrets","Effect":"Deny","Action":["secretsmanager:GetSecretValue","ssm:GetParameter*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/Clearance":"high"}}},
          {"Sid":"NoBilling","Effect":"Deny","NotAction":["iam:*","sts:*","s3:*","ec2:*","dynamodb:*","logs:*","cloudwatch:*","kms:*","secretsmanager:*","sqs:*","sns:*","lambda:*","xray:*","ssm:*"],"Resource":"*"}]}"#,
        // 10: tagging rules
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"TagOwn","Effect":"Allow","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"},"ForAllValues:StringLike":{"aws:TagKeys":["Team","Name","Env*"]}}},
          {"Sid":"TagOnCreate","Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreateAction":"RunInstances"}}},
          {"Sid":"NoOwnerChange","Effect":"Deny","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["Owner"]},"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/Role":"admin"}}}]}"#,
    ];
    docs.iter()
        .filter_map(|d| Policy::parse(d, PolicyKind::Identity).ok())
        .collect()
}

fn realistic_context() -> Context {
    let mut ctx = Context::for_principal(&PRINCIPAL, &[("Team", "blue"), ("Clearance", "low")]);
    ctx.insert("aws:SourceIp", "203.0.113.25");
    ctx.insert("aws:SecureTransport", true);
    ctx.insert("aws:ViaAWSService", false);
    ctx.insert("aws:MultiFactorAuthPresent", true);
    ctx.insert("aws:CurrentTime", "2026-11-23T08:00:00Z");
    ctx.insert("aws:EpochTime", "1795334400");
    ctx.insert("aws:RequestedRegion", "eu-west-1");
    ctx.insert("s3:prefix", "home/alice/");
    ctx
}

/// The realistic principal's requests: (action, resource).
const REALISTIC_REQUESTS: [(&str, &str); 5] = [
    (
        "s3:GetObject",
        "arn:aws:s3:::corp-home/home/alice/notes.txt",
    ),
    (
        "ec2:StartInstances",
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc",
    ),
    (
        "dynamodb:Query",
        "arn:aws:dynamodb:eu-west-1:111122223333:table/orders-2026",
    ),
    ("iam:CreateUser", "arn:aws:iam::111122223333:user/bob"),
    ("kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/1234"),
];

/// Requests against the 250 KB of managed policies.
const QUOTA_REQUESTS: [(&str, &str); 4] = [
    (
        "s3:GetObject",
        "arn:aws:s3:::corp-home/home/alice/notes.txt",
    ),
    ("ec2:DescribeInstances", "*"),
    ("iam:PassRole", "arn:aws:iam::111122223333:role/app"),
    ("nosuchservice:DoThing", "*"),
];

fn bench_realistic(c: &mut Criterion) {
    let policies = realistic_policies();
    assert_eq!(policies.len(), 10, "every realistic policy parses");
    let names: Vec<String> = (0..policies.len()).map(|i| format!("policy{i}")).collect();
    let named: Vec<NamedPolicy<'_>> = policies
        .iter()
        .zip(&names)
        .map(|(policy, name)| NamedPolicy { name, policy })
        .collect();
    let set = PolicySet {
        identity: &named,
        ..PolicySet::default()
    };
    let ctx = realistic_context();
    let mut group = c.benchmark_group("evaluate");
    for &(action, resource) in &REALISTIC_REQUESTS {
        let req = Request {
            principal: PRINCIPAL,
            action,
            resource,
            resource_account: Some("111122223333"),
            context: &ctx,
        };
        group.bench_function(format!("realistic/{action}"), |b| {
            b.iter(|| evaluate(black_box(&req), black_box(&set)));
        });
        let cpu = cpu_mean_ns(400_000, || {
            black_box(evaluate(black_box(&req), black_box(&set)));
        });
        println!("realistic/{action}: cpu mean {cpu} ns");
    }
    group.finish();
}

/// Managed policies until their text reaches `target` non-white-space characters.
fn policies_totalling(target: usize) -> Vec<(String, Policy)> {
    let mut out = Vec::new();
    let mut total = 0;
    for (name, doc) in managed_policies() {
        if total >= target {
            break;
        }
        if let Ok(p) = Policy::parse_with(
            &doc,
            PolicyKind::Identity,
            &oxiam_policy::ParseOptions {
                size_limit: None,
                require_version_2012: false,
            },
        ) {
            total += non_ws(&doc);
            out.push((name, p));
        }
    }
    out
}

fn bench_quota(c: &mut Criterion) {
    let policies = policies_totalling(250_000);
    let named: Vec<NamedPolicy<'_>> = policies
        .iter()
        .map(|(name, policy)| NamedPolicy { name, policy })
        .collect();
    let set = PolicySet {
        identity: &named,
        ..PolicySet::default()
    };
    let ctx = realistic_context();
    let mut group = c.benchmark_group("evaluate");
    for &(action, resource) in &QUOTA_REQUESTS {
        let req = Request {
            principal: PRINCIPAL,
            action,
            resource,
            resource_account: Some("111122223333"),
            context: &ctx,
        };
        group.bench_function(format!("quota_250kb/{action}"), |b| {
            b.iter(|| evaluate(black_box(&req), black_box(&set)));
        });
        // p99 over single timed evaluations (criterion reports means and medians only).
        let mut samples: Vec<u128> = (0..20_000)
            .map(|_| {
                let t = Instant::now();
                black_box(evaluate(black_box(&req), black_box(&set)));
                t.elapsed().as_nanos()
            })
            .collect();
        samples.sort_unstable();
        let pct = |p: usize| samples.get(samples.len() * p / 100).copied().unwrap_or(0);
        let cpu = cpu_mean_ns(50_000, || {
            black_box(evaluate(black_box(&req), black_box(&set)));
        });
        println!(
            "quota_250kb/{action}: {} policies, wall p50 {} ns, p99 {} ns, cpu mean {cpu} ns",
            named.len(),
            pct(50),
            pct(99)
        );
    }
    group.finish();
}

/// The managed policy closest to the 6,144-character quota: (name, document).
fn managed_6kb() -> Option<(String, String)> {
    managed_policies()
        .into_iter()
        .filter(|(_, d)| non_ws(d) <= 6_144)
        .max_by_key(|(_, d)| non_ws(d))
}

fn bench_parse(c: &mut Criterion) {
    let Some((name, doc)) = managed_6kb() else {
        return;
    };
    let cpu = cpu_mean_ns(5_000, || {
        black_box(Policy::parse(black_box(&doc), PolicyKind::Identity).ok());
    });
    println!(
        "parse/managed_6kb: {name}, {} characters, cpu mean {cpu} ns",
        non_ws(&doc)
    );
    c.bench_function("parse/managed_6kb", |b| {
        b.iter(|| Policy::parse(black_box(&doc), PolicyKind::Identity));
    });
}

/// `OXIAM_BENCH_COUNT=<case>:<n>`: runs one case `n` times (see the crate comment).
fn count(spec: &str) {
    let Some((case, n)) = spec.rsplit_once(':') else {
        eprintln!("OXIAM_BENCH_COUNT: expected <case>:<n>");
        return;
    };
    let n: u32 = n.parse().unwrap_or(1);
    if case == "parse/managed_6kb" {
        let Some((_, doc)) = managed_6kb() else {
            return;
        };
        for _ in 0..n {
            black_box(Policy::parse(black_box(&doc), PolicyKind::Identity).ok());
        }
        return;
    }
    let (policies, requests) = match case.split_once('/') {
        Some(("realistic", _)) => (
            realistic_policies()
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("policy{i}"), p))
                .collect(),
            &REALISTIC_REQUESTS[..],
        ),
        Some(("quota_250kb", _)) => (policies_totalling(250_000), &QUOTA_REQUESTS[..]),
        _ => (Vec::new(), &[][..]),
    };
    let named: Vec<NamedPolicy<'_>> = policies
        .iter()
        .map(|(name, policy)| NamedPolicy { name, policy })
        .collect();
    let set = PolicySet {
        identity: &named,
        ..PolicySet::default()
    };
    let ctx = realistic_context();
    let action = case.split_once('/').map_or("", |(_, a)| a);
    let Some(&(action, resource)) = requests.iter().find(|(a, _)| *a == action) else {
        eprintln!("OXIAM_BENCH_COUNT: unknown case {case}");
        return;
    };
    let req = Request {
        principal: PRINCIPAL,
        action,
        resource,
        resource_account: Some("111122223333"),
        context: &ctx,
    };
    for _ in 0..n {
        black_box(evaluate(black_box(&req), black_box(&set)));
    }
}

criterion_group!(benches, bench_realistic, bench_quota, bench_parse);

fn main() {
    if let Ok(spec) = std::env::var("OXIAM_BENCH_COUNT") {
        count(&spec);
        return;
    }
    // What `criterion_main!` expands to.
    benches();
    Criterion::default().configure_from_args().final_summary();
}
