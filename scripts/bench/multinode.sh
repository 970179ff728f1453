#!/usr/bin/env bash
# Multi-node benchmark (issue 8): release `oxiam serve` processes sharing one fresh
# PostgreSQL schema, measured with the repo's load generator
# (crates/oxiam-server/examples/iam_load.rs, SigV4 over keep-alive connections on loopback):
#   GetCallerIdentity requests/s against 1 node, then 3 nodes (connections round-robin);
#   propagation delay: CreateUser on node A, then GetUser on node B until it answers
#   (p50/p90/p99/max over --count writes; target p99 <= 200 ms on loopback).
# Every process (nodes, load generator, PostgreSQL) shares this machine's cores, so 3 nodes
# can only scale as far as the CPU allows. Figures are printed, not asserted.
# Usage: scripts/bench/multinode.sh [--quick]
# PostgreSQL: OXIAM_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=10
count=200
[[ "${1:-}" == "--quick" ]] && seconds=3 && count=50

cargo build --release --locked -p oxiam --bin oxiam
cargo build --release --locked -p oxiam-server --example iam_load
bin=target/release/oxiam
load=target/release/examples/iam_load

pg=${OXIAM_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
schema="bench_$(date +%s)_$$"
base=${OXIAM_BENCH_PORT:-18471}
key=AKIAOXIAMBENCHROOT01
secret=benchbenchbenchbenchbenchbenchbenchbench
kek=$(head -c 32 /dev/urandom | base64)
logs=$(mktemp -d "${TMPDIR:-/tmp}/oxiam-multinode.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$pg" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
    rm -rf "$logs"
}
trap cleanup EXIT

start_node() { # index
    local port=$((base + $1))
    OXIAM_KEK="$kek" "$bin" serve --store "$pg?schema=$schema" --listen "127.0.0.1:$port" \
        --root-access-key-id "$key" --root-secret-access-key "$secret" \
        >"$logs/node$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "node $1 did not start:"; cat "$logs/node$1.log"; exit 1
}

run() { "$load" --access-key "$key" --secret "$secret" "$@"; }

echo "# oxiam multi-node benchmark — $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD)"
start_node 0
run --endpoint "127.0.0.1:$base" get-caller-identity --seconds "$seconds" --connections 48
start_node 1
start_node 2
all="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
run --endpoint "$all" get-caller-identity --seconds "$seconds" --connections 48
run --endpoint "127.0.0.1:$base,127.0.0.1:$((base + 1))" propagation --count "$count"
