#!/usr/bin/env bash
# IAM API load benchmark (issue 4's speed targets): a release server on an embedded SQLite
# store in a fresh data directory, seeded over HTTP with 10,000 users (each in one of 1,000
# groups), 5,000 roles and 20,000 customer managed policies, then measured with the
# repo's own load generator (crates/oxiam-server/examples/iam_load.rs, SigV4 over
# keep-alive connections on loopback):
#   CreateUser  — targets >= 1,000 requests/s
#   GetUser     — targets >= 10,000 requests/s
#   ListUsers   — pages of 100 following Marker; target <= 5 ms per page
#   AssumeRole  — STS, issue 6's target: >= 2,000 requests/s
# Figures are printed, not asserted: speed is a benchmark, not a test.
# Usage: scripts/bench/iam-load.sh [--quick]   (--quick: a tenth of the population)
set -euo pipefail
cd "$(dirname "$0")/../.."

scale=1
[[ "${1:-}" == "--quick" ]] && scale=10

cargo build --release --locked -p oxiam --bin oxiam
cargo build --release --locked -p oxiam-server --example iam_load
bin=target/release/oxiam
load=target/release/examples/iam_load

data=$(mktemp -d "${TMPDIR:-/tmp}/oxiam-bench.XXXXXX")
port=${OXIAM_BENCH_PORT:-18461}
key=AKIAOXIAMBENCHROOT01
secret=benchbenchbenchbenchbenchbenchbenchbench
"$bin" serve --data-dir "$data" --listen "127.0.0.1:$port" \
    --quota users_per_account=50000,groups_per_account=5000,roles_per_account=10000,customer_managed_policies_per_account=50000 \
    --root-access-key-id "$key" --root-secret-access-key "$secret" >"$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

run() { "$load" --endpoint "127.0.0.1:$port" --access-key "$key" --secret "$secret" "$@"; }

echo "# oxiam IAM load benchmark — $(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD)"
run seed --users $((10000 / scale)) --groups $((1000 / scale)) --roles $((5000 / scale)) \
    --policies $((20000 / scale)) --connections 32
echo "# store: $(du -sh "$data" | cut -f1)"
# The measured calls are made by an IAM user (IAMFullAccess, a customer managed policy and a
# group's policy), so every request pays for a full policy evaluation, as real traffic does.
read -r key secret < <(run make-caller --prefix bench-caller)
run create-users --count $((10000 / scale)) --connections 32
run get-user --users $((10000 / scale)) --seconds 15 --connections 16
run list-users --seconds 10 --connections 1
run list-users --seconds 10 --connections 8
# STS (issue 6's target: AssumeRole >= 2,000 requests/s): the same caller assumes a role
# whose trust policy names it; every call verifies SigV4, decides the trust policy and the
# caller's policies, seals a session token and answers fresh credentials.
run assume-role --seconds 15 --connections 16
