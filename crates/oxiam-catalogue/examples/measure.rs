//! What the embedded AWS catalogue costs: parse time, memory, lookup times.
//!
//! `cargo run --release -p oxiam-catalogue --example measure` (figures in the README).
//! Memory is the growth of the process's resident set (Linux `/proc/self/status`) across
//! the first `Catalogue::aws()`, and the bytes the parsed entries hold (strings and lists,
//! counted from their capacities; the indexes add 16 bytes an entry).

use std::hint::black_box;
use std::time::{Duration, Instant};

use oxiam_catalogue::{Catalogue, Service};

const FILE: &str = include_str!("../../../data/aws/service-catalogue.json");

fn main() {
    let before = resident_kib();
    let start = Instant::now();
    let aws = Catalogue::aws();
    let first = start.elapsed();
    let after = resident_kib();
    let services = aws.services().count();
    let actions: usize = aws.services().map(|s| s.actions.len()).sum();
    println!(
        "file {:.2} MB; {services} services, {actions} actions",
        FILE.len() as f64 / 1e6
    );
    println!("first Catalogue::aws() (parse + indexes): {first:.1?}");

    let mut runs: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let parsed = Catalogue::from_json(black_box(FILE));
            let elapsed = start.elapsed();
            black_box(parsed.is_ok());
            elapsed
        })
        .collect();
    runs.sort();
    if let (Some(min), Some(median)) = (runs.first(), runs.get(runs.len() / 2)) {
        println!("Catalogue::from_json, 5 runs: min {min:.1?}, median {median:.1?}");
    }

    match (before, after) {
        (Some(b), Some(a)) => println!(
            "resident set growth over the first parse: {:.1} MB",
            a.saturating_sub(b) as f64 / 1024.0
        ),
        _ => println!("resident set: not available on this system"),
    }
    let held: usize = aws.services().map(held_bytes).sum();
    println!("held by the entries: {:.1} MB", held as f64 / 1e6);

    let names = [
        "s3:GetObject",
        "IAM:CreateUser",
        "ec2:runinstances",
        "kms:Decrypt",
        "sts:AssumeRole",
        "dynamodb:Query",
        "lambda:InvokeFunction",
        "s3:NoSuchAction",
    ];
    let rounds = 200_000;
    let start = Instant::now();
    let mut found = 0;
    for _ in 0..rounds {
        for name in names {
            found += usize::from(aws.action(black_box(name)).is_some());
        }
    }
    let per = start.elapsed() / (rounds * names.len() as u32);
    println!("action(): {per:.0?} a lookup ({found} found)");

    for keys in [
        &["s3:prefix", "ec2:InstanceType", "aws:TagKeys"][..],
        &[
            "aws:RequestTag/team",
            "s3:ExistingObjectTag/owner",
            "ec2:ResourceTag/Name",
        ][..],
    ] {
        let start = Instant::now();
        for _ in 0..rounds {
            for key in keys {
                black_box(aws.condition_key(black_box(key)));
            }
        }
        let per = start.elapsed() / (rounds * keys.len() as u32);
        println!("condition_key({keys:?}): {per:.0?} a lookup");
    }

    for pattern in ["s3:Get*", "*:List*", "*Object", "*"] {
        let mut best = Duration::MAX;
        let mut count = 0;
        for _ in 0..5 {
            let start = Instant::now();
            count = aws.matching_actions(black_box(pattern)).count();
            best = best.min(start.elapsed());
        }
        println!("matching_actions({pattern:?}): {count} actions in {best:.0?}");
    }
}

/// Resident set size in KiB.
fn resident_kib() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Heap bytes of a service's strings and lists (allocator overhead not counted).
fn held_bytes(service: &Service) -> usize {
    let strings = |list: &Vec<String>| {
        list.capacity() * size_of::<String>() + list.iter().map(String::capacity).sum::<usize>()
    };
    let mut bytes = service.prefix.capacity() + service.name.capacity();
    bytes += service.actions.capacity() * size_of::<oxiam_catalogue::Action>();
    for action in &service.actions {
        bytes += action.name.capacity()
            + strings(&action.condition_keys)
            + strings(&action.dependent_actions);
        bytes += action.resource_types.capacity() * size_of::<oxiam_catalogue::ActionResource>();
        for resource in &action.resource_types {
            bytes += resource.name.capacity()
                + strings(&resource.condition_keys)
                + strings(&resource.dependent_actions);
        }
    }
    bytes += service.resource_types.capacity() * size_of::<oxiam_catalogue::ResourceType>();
    for resource in &service.resource_types {
        bytes += resource.name.capacity()
            + resource.arn_format.capacity()
            + strings(&resource.condition_keys);
    }
    bytes += service.condition_keys.capacity() * size_of::<oxiam_catalogue::ConditionKey>();
    bytes += service
        .condition_keys
        .iter()
        .map(|k| k.name.capacity())
        .sum::<usize>();
    bytes
}
