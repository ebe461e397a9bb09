# Shared helpers for the benchmark scripts (sourced, not run).
#
# Everything here talks to loopback only, and every process a script starts is
# recorded in BENCH_PIDS and ended by its pid when the script exits.

set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PIDS=()
BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/igv-relay-bench.XXXXXX")

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${BENCH_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -z "${BENCH_KEEP:-}" ]]; then
        rm -rf "$BENCH_WORK"
    else
        echo "# kept $BENCH_WORK" >&2
    fi
}
trap bench_cleanup EXIT

log() { echo "# $*" >&2; }

# Debian packages, installed only when the command is missing.
need_deb() {
    local cmd=$1 pkg=${2:-$1}
    if ! command -v "$cmd" >/dev/null 2>&1; then
        log "installing $pkg (Debian)"
        if [[ ! -d /var/lib/apt/lists/partial ]] || [[ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock | grep -v partial)" ]]; then
            apt-get update -qq >&2
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2 ||
            { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >&2; }
    fi
}

# The release binary; built if missing or older than the sources (the build is
# not part of any figure).
relay_binary() {
    local bin="${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/release/igv-relay"
    if [[ -n "${IGV_RELAY_BIN:-}" ]]; then
        echo "$IGV_RELAY_BIN"
        return
    fi
    if [[ ! -x "$bin" ]] || [[ -n "$(find "$BENCH_ROOT/crates" "$BENCH_ROOT/Cargo.toml" "$BENCH_ROOT/templates" -newer "$bin" -print -quit)" ]]; then
        log "building the release binary (not timed)"
        (cd "$BENCH_ROOT" && cargo build --release --bin igv-relay >&2)
    fi
    echo "$bin"
}

# The VCF generator, compiled with plain rustc (std only: no dev-dependencies).
gen_vcf_binary() {
    local target="${CARGO_TARGET_DIR:-$BENCH_ROOT/target}"
    local bin="$target/gen_vcf" source="$BENCH_ROOT/crates/igv-relay/examples/gen_vcf.rs"
    if [[ ! -x "$bin" ]] || [[ "$source" -nt "$bin" ]]; then
        mkdir -p "$target"
        rustc -O --edition 2021 "$source" -o "$bin" >&2
    fi
    echo "$bin"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [seconds]: until URL answers at all.
wait_http() {
    local url=$1 limit=${2:-30} i
    for ((i = 0; i < limit * 10; i++)); do
        if curl -s -o /dev/null "$url"; then
            return 0
        fi
        sleep 0.1
    done
    echo "no answer from $url" >&2
    return 1
}

# start_relay DATA_DIR LOGFILE: starts the service on a free loopback port,
# sets RELAY_PID and RELAY_URL.
start_relay() {
    local data=$1 logfile=$2 bin port
    bin=$(relay_binary)
    port=$(free_port)
    IGV_RELAY__SERVER__BIND="127.0.0.1:$port" \
        "$bin" serve --bind "127.0.0.1:$port" --data-dir "$data" >"$logfile" 2>&1 &
    RELAY_PID=$!
    BENCH_PIDS+=("$RELAY_PID")
    RELAY_URL="http://127.0.0.1:$port"
    wait_http "$RELAY_URL/healthz"
    restart_budget
}

stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# median of numbers on stdin
median() {
    sort -g | awk '{a[NR] = $1} END {if (NR == 0) {print "nan"} else if (NR % 2) {print a[(NR + 1) / 2]} else {print (a[NR / 2] + a[NR / 2 + 1]) / 2}}'
}

# span: "MIN-MAX" of the numbers on stdin, for the logs.
span() {
    sort -g | awk 'NR == 1 {min = $1} {max = $1} END {print min "-" max}'
}

# ratio A B [digits]: A / B
ratio() {
    awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN {if (b == 0) print "nan"; else printf "%.*f\n", d, a / b}'
}

# Seconds (float) for one curl of URL into FILE (default /dev/null).
curl_time() {
    curl -s -o "${2:-/dev/null}" -w '%{time_total}\n' "$1"
}

# alternated_medians URL_A URL_B: "MEDIAN_A MEDIAN_B", the seconds of REPEAT
# fetches of each, alternated, after one warm-up fetch of each.
alternated_medians() {
    local a b i
    a=$(mktemp "$BENCH_WORK/alt.XXXXXX") && b=$(mktemp "$BENCH_WORK/alt.XXXXXX")
    curl_time "$1" >/dev/null
    curl_time "$2" >/dev/null
    for ((i = 0; i < REPEAT; i++)); do
        curl_time "$1" >>"$a"
        curl_time "$2" >>"$b"
    done
    echo "$(median <"$a") $(median <"$b")"
}

# Peak resident memory (kB) a process has had so far.
peak_rss_kb() {
    awk '/^VmHWM:/ {print $2}' "/proc/$1/status"
}

# Fails the script if the time budget (seconds since start) is spent.
BENCH_START=$(date +%s)
# Builds and installs (a clean release build takes minutes) are not part of
# the budget: scripts call this once they are done.
restart_budget() {
    BENCH_START=$(date +%s)
}
check_budget() {
    local limit=${1:-285}
    if (($(date +%s) - BENCH_START > limit)); then
        echo "time budget of ${limit}s spent; stopping" >&2
        exit 1
    fi
}
