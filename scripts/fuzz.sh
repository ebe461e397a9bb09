#!/usr/bin/env bash
# Fuzzes igv-relay's pure parsers with cargo-fuzz (libFuzzer, nightly toolchain):
#   locus_url    Locus/Loci parsing + the /goto URL (re-parses to the same loci, no bad %)
#   relay_query  the relay's query string -> IGV command -> URL, decoded as IGV decodes it
#   view_command the view-command builder: every /execute URL is an allowed shape, byte for byte
#   formats      every format's record stream over arbitrary (optionally gzipped) bytes
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   scripts/fuzz.sh 20                 # CI smoke run (scripts/test.sh)
#   scripts/fuzz.sh 3600 formats       # an hour on one target
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 86400   # each target to 10^7 executions (SECURITY.md)
# Environment:
#   FUZZ_SANITIZER  address (default) | none   none builds much faster; Rust panics,
#                                              overflows and debug assertions are caught either way
#   FUZZ_RUNS       stop each target after this many executions (default: only the time limit)
#
# Seeds are in fuzz/corpus/<target>/ (kept in git); what libFuzzer finds goes to
# fuzz/target/corpus/<target>/. A crash stops the script with its input in
# fuzz/artifacts/<target>/; reproduce with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# and add it as a regression test (see SECURITY.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(locus_url relay_query view_command formats)
fi
sanitizer=${FUZZ_SANITIZER:-address}
runs=()
if [ -n "${FUZZ_RUNS:-}" ]; then
  runs=(-runs="$FUZZ_RUNS")
fi

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

started=$(date +%s)
cargo +nightly fuzz build -s "$sanitizer"
echo "fuzz.sh: built the targets (sanitizer: $sanitizer) in $(( $(date +%s) - started )) s"

summary=()
status=0
for target in "${targets[@]}"; do
  mkdir -p "target/corpus/$target" "target/logs"
  log="target/logs/$target.log"
  set +e
  cargo +nightly fuzz run -s "$sanitizer" "$target" \
    "target/corpus/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "${runs[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(awk '/stat::number_of_executed_units/ {n = $2} END {print n + 0}' "$log")
  # libFuzzer ends with "Done N runs in S second(s)"; on a time limit, the seconds asked for.
  elapsed=$(awk '/^Done [0-9]+ runs in/ {t = $5} END {print t + 0}' "$log")
  [ "$elapsed" -gt 0 ] || elapsed=$seconds
  if [ "$rc" -eq 0 ]; then
    result="no crash"
  else
    result="FAILED (exit $rc), see fuzz/$log and fuzz/artifacts/$target/"
    status=1
    tail -40 "$log" >&2
  fi
  summary+=("$(printf '%-12s %6s s %12s execs  %s' "$target" "$elapsed" "$execs" "$result")")
done

echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
exit "$status"
