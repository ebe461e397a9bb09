#!/usr/bin/env bash
# Instructions per relay request, counted by valgrind's callgrind: unlike
# requests/s, the same on a busy or an idle machine, so it says where the
# relay's time goes and whether a change helped. Three servers, each under
# callgrind with one worker, each given the same wrk load:
#   bare   actix-web answering the same 303 (crates/igv-relay/examples/bare_redirect.rs)
#   quiet  the relay with log.level=warn (no access line)
#   relay  the relay as deployed (one access line per request)
# Counters are zeroed after start-up and dumped after the load, so start-up
# is not counted. LOG_FORMAT=json profiles the relay logging JSON lines (as
# the compose file and the Kubernetes manifests deploy it); text by default.
#
# Prints: bare_actix_instructions_per_request= relay_quiet_instructions_per_request=
#   relay_instructions_per_request= relay_vs_bare_actix_instructions_ratio=
#   access_log_instructions_per_request=
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

LOCUS='chr7:140753336-140753436'
need_deb valgrind
need_deb wrk

relay=$(relay_binary)
log "building examples/bare_redirect (not timed)"
(cd "$BENCH_ROOT" && cargo build --release --example bare_redirect >&2)
bare="${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/release/examples/bare_redirect"
restart_budget

# profile NAME -- COMMAND...: instructions per request of COMMAND, which must
# listen on $port.
profile() {
    local name=$1 out="$BENCH_WORK/callgrind.$1" pid n total
    shift 2
    valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out" "$@" >"$BENCH_WORK/$name.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait_http "http://127.0.0.1:$port/igv/goto?locus=$LOCUS" 60 >&2
    callgrind_control -z "$pid" >/dev/null
    n=$(wrk -t1 -c4 -d8s "http://127.0.0.1:$port/igv/goto?locus=$LOCUS" | awk '/requests in/ {print $1}')
    callgrind_control -d "$pid" >/dev/null
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # The dump taken after the load (the highest part number).
    total=$(cat "$out".* 2>/dev/null | awk '/^summary:/ {print $2}' | sort -n | tail -1)
    log "$name: $n requests, $total instructions"
    awk -v t="$total" -v n="$n" 'BEGIN {printf "%.0f\n", t / n}'
}

check_budget 200
port=$(free_port)
bare_i=$(profile bare -- "$bare" "127.0.0.1:$port")
check_budget 230
port=$(free_port)
quiet_i=$(profile quiet -- env IGV_RELAY__LIMITS__WORKERS=1 IGV_RELAY__LOG__LEVEL=warn \
    "$relay" serve --bind "127.0.0.1:$port")
check_budget 260
port=$(free_port)
relay_i=$(profile relay -- env IGV_RELAY__LIMITS__WORKERS=1 \
    IGV_RELAY__LOG__FORMAT="${LOG_FORMAT:-text}" \
    "$relay" serve --bind "127.0.0.1:$port")

echo "bare_actix_instructions_per_request=$bare_i"
echo "relay_quiet_instructions_per_request=$quiet_i"
echo "relay_instructions_per_request=$relay_i"
echo "relay_vs_bare_actix_instructions_ratio=$(ratio "$relay_i" "$bare_i")"
echo "access_log_instructions_per_request=$((relay_i - quiet_i))"
