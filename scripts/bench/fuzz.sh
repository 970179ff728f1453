#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 60) and prints, per
# target, how many inputs it executed and whether it crashed. A benchmark-side run, not
# part of scripts/test.sh or CI (the machine is shared: give it the time you can spare).
#
#   scripts/bench/fuzz.sh [SECONDS] [TARGET...]      # every target when none is named
#
# Stable Rust is enough: cargo-fuzz is installed from crates.io into target/tools when
# missing, and RUSTC_BOOTSTRAP=1 lets stable rustc take libFuzzer's instrumentation flags.
# The targets are built without a sanitizer (`-s none`): oxiam's crates forbid unsafe code,
# so AddressSanitizer would mostly slow the run; panics, overflow checks and debug
# assertions (on in cargo-fuzz builds) still count as crashes. Crash inputs land in
# fuzz/artifacts/TARGET/; reproduce one with `cargo fuzz run -s none TARGET FILE`.
# Exit status: 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
tools="$PWD/target/tools"
export PATH="$tools/bin:$PATH" RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz into $tools" >&2
  cargo install cargo-fuzz --locked --root "$tools"
fi
cd fuzz
# fuzz/ is a workspace of its own with an untracked lock file: start it from the main
# workspace's, so the crates both share are the versions the project tests.
[ -f Cargo.lock ] || cp ../Cargo.lock Cargo.lock
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi
echo "==> building ${targets[*]} (release, debug assertions, no sanitizer)" >&2
cargo fuzz build -s none >&2
mkdir -p target/fuzz-logs
crashed=0
printf '%-20s %14s %8s  %s\n' target executions seconds result
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  corpora=("corpus/$t")
  # policy_evaluate's inputs start with a policy: the policy_parse seeds suit it too.
  [ "$t" = policy_evaluate ] && corpora+=(corpus/policy_parse)
  log="target/fuzz-logs/$t.log"
  rc=0
  cargo fuzz run -s none "$t" "${corpora[@]}" -- \
    -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    result="no crash"
  else
    crashed=1
    artifact=$(grep -o 'artifacts/[^ ]*' "$log" | tail -n 1 || true)
    result="CRASH (exit $rc) ${artifact:-see fuzz/$log}"
  fi
  printf '%-20s %14s %8s  %s\n' "$t" "${execs:-?}" "$secs" "$result"
done
echo "($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD), logs in fuzz/target/fuzz-logs/)"
exit "$crashed"
