#!/usr/bin/env bash
# Issue 9 benchmark: decision API throughput (decisions/s, batches count per decision) and
# the guard's overhead per proxied request (median latency through the guard minus direct).
# Release build, loopback, keep-alive. Needs target/venv (scripts/python-env.sh) for the
# AWS CLI that sets up the users.
#
#   scripts/bench/authz.sh [SECONDS] [CONNECTIONS] [BATCH]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_RUN=${1:-10}
CONNECTIONS=${2:-16}
BATCH=${3:-50}

cargo build --release -q -p oxiam --bin oxiam
cargo build --release -q -p oxiam-client --example authz_load
BIN=$PWD/target/release/oxiam
LOAD=$PWD/target/release/examples/authz_load
AWS_CLI=$PWD/target/venv/bin/aws
WORK=$(mktemp -d)
# Servers are started inside $(…) subshells: their PIDs go to a file, not a variable.
cleanup() {
  if [ -f "$WORK/pids" ]; then
    while read -r p; do kill "$p" 2>/dev/null || true; done < "$WORK/pids"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts a server in the background and prints the URL it announces (LINE_PREFIX URL).
start() {
  local out=$1 prefix=$2; shift 2
  "$@" > "$out" 2>"$out.err" &
  echo $! >> "$WORK/pids"
  for _ in $(seq 600); do
    if grep -q "^$prefix" "$out"; then grep "^$prefix" "$out" | head -1 | awk '{print $NF}'; return; fi
    sleep 0.1
  done
  echo "did not start: $*" >&2; cat "$out.err" >&2; exit 1
}

export OXIAM_ACCOUNT_ID=123456789012
export OXIAM_ROOT_ACCESS_KEY_ID=AKIABENCHROOTKEY0001
export OXIAM_ROOT_SECRET_ACCESS_KEY=benchRootSecretKey0000000000000000000000
URL=$(RUST_LOG=warn start "$WORK/oxiam.out" "oxiam listening on" \
  "$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data")

aws_root() {
  AWS_ACCESS_KEY_ID=$OXIAM_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$OXIAM_ROOT_SECRET_ACCESS_KEY \
  AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
    "$AWS_CLI" --endpoint-url "$URL" --output text "$@"
}
user() {  # user NAME POLICY -> "KEY SECRET"
  aws_root iam create-user --user-name "$1" > /dev/null
  aws_root iam put-user-policy --user-name "$1" --policy-name p --policy-document "$2"
  aws_root iam create-access-key --user-name "$1" \
    --query 'AccessKey.[AccessKeyId,SecretAccessKey]'
}
read -r GK GS < <(user guard '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"oxiam:Authorize","Resource":"*"}}')
read -r RK RS < <(user reader '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"myapp:GetFile","Resource":"arn:aws:myapp:::file/audio/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}}')

echo "== decision API (oxiam and the load generator share the machine's cores)"
"$LOAD" decisions "$URL" "$GK" "$GS" "$RK" "$RS" --seconds "$SECONDS_RUN" --connections "$CONNECTIONS" --batch "$BATCH"
"$LOAD" decisions "$URL" "$GK" "$GS" "$RK" "$RS" --seconds "$SECONDS_RUN" --connections "$CONNECTIONS" --batch 1

echo "== one decision call (sequential, through oxiam-client as the guard calls it)"
"$LOAD" decision-latency "$URL" "$GK" "$GS" "$RK" "$RS" --requests 3000

echo "== guard overhead"
UPSTREAM=$(start "$WORK/upstream.out" "upstream listening on" "$LOAD" upstream 0)
cat > "$WORK/rules.toml" <<'RULES'
[[rule]]
method = "GET"
path = "/files/{key+}"
action = "GetFile"
resource = "arn:aws:myapp:::file/{key}"
RULES
guard() {  # guard THREADS -> URL
  OXIAM_GUARD_ACCESS_KEY_ID=$GK OXIAM_GUARD_SECRET_ACCESS_KEY=$GS RUST_LOG=warn \
    start "$WORK/guard-$1.out" "oxiam guard listening on" \
    "$BIN" guard --listen 127.0.0.1:0 --upstream "$UPSTREAM" --service-prefix myapp \
    --rules "$WORK/rules.toml" --oxiam-url "$URL" --cache-ttl 0 --threads "$1"
}
GUARD=$(guard 0)    # one worker per core (the default)
GUARD1=$(guard 1)   # --threads 1
# In process (--data-dir): no decision call to oxiam; the guard follows the store.
GUARDL=$(RUST_LOG=warn start "$WORK/guard-local.out" "oxiam guard listening on" \
  "$BIN" guard --listen 127.0.0.1:0 --upstream "$UPSTREAM" --service-prefix myapp \
  --rules "$WORK/rules.toml" --data-dir "$WORK/data")
GUARDL1=$(RUST_LOG=warn start "$WORK/guard-local1.out" "oxiam guard listening on" \
  "$BIN" guard --listen 127.0.0.1:0 --upstream "$UPSTREAM" --service-prefix myapp \
  --rules "$WORK/rules.toml" --data-dir "$WORK/data" --threads 1)
median() { sed -E 's/.*median ([0-9]+).*/\1/'; }
# Interleaved rounds, so that load from elsewhere on the machine falls on all variants alike;
# each round's overhead is its guarded median minus its direct median.
for round in 1 2 3 4 5; do
  d=$("$LOAD" latency "$UPSTREAM" "$RK" "$RS" --requests 2000 | median)
  g=$("$LOAD" latency "$GUARD" "$RK" "$RS" --requests 2000 | median)
  g1=$("$LOAD" latency "$GUARD1" "$RK" "$RS" --requests 2000 | median)
  gl=$("$LOAD" latency "$GUARDL" "$RK" "$RS" --requests 2000 | median)
  gl1=$("$LOAD" latency "$GUARDL1" "$RK" "$RS" --requests 2000 | median)
  echo "round $round (load $(cut -d' ' -f1 /proc/loadavg)): direct $d µs; guard $g µs (+$((g - d))); guard --threads 1 $g1 µs (+$((g1 - d))); guard --data-dir $gl µs (+$((gl - d))); guard --data-dir --threads 1 $gl1 µs (+$((gl1 - d)))"
done
echo "guard overhead = guarded median - direct median (includes the guard's decision call to oxiam)"

echo "== guard throughput (16 connections, requests signed beforehand)"
"$LOAD" throughput "$GUARD" "$RK" "$RS" --seconds "$SECONDS_RUN" --connections 16
"$LOAD" throughput "$GUARD1" "$RK" "$RS" --seconds "$SECONDS_RUN" --connections 16
"$LOAD" throughput "$GUARDL" "$RK" "$RS" --seconds "$SECONDS_RUN" --connections 16
"$LOAD" throughput "$GUARDL1" "$RK" "$RS" --seconds "$SECONDS_RUN" --connections 16
