#!/usr/bin/env bash
# The relay's /igv/goto against nginx answering the same redirect with
#   return 302 http://127.0.0.1:60151/goto?locus=$arg_locus;
# Same machine, same wrk settings, runs alternated (relay, nginx, bare, relay,
# ...), so load from anything else running hits them all alike. "bare" is
# actix-web itself answering the same 303 with nothing else
# (crates/igv-relay/examples/bare_redirect.rs): the ceiling of the framework the relay is built
# on, so the figures separate the framework from the relay's own work.
#
# Prints one line per figure:
#   relay_rps= nginx_rps= bare_actix_rps= relay_vs_nginx_rps_ratio=
#   relay_vs_bare_actix_rps_ratio= bare_actix_vs_nginx_rps_ratio=
#   relay_p99_ms= nginx_p99_ms=
#   relay_vs_nginx_rps_ratio_range= (lowest-highest of the rounds' ratios)
#
# Knobs (environment): CONNECTIONS (64), THREADS (2), DURATION (8s), ROUNDS (3).
# Both servers log one access line per request to a file, as deployed.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
DURATION=${DURATION:-8s}
ROUNDS=${ROUNDS:-3}
LOCUS='chr7:140753336-140753436'

need_deb wrk
need_deb nginx
need_deb curl

mkdir -p "$BENCH_WORK/data" "$BENCH_WORK/nginx"
start_relay "$BENCH_WORK/data" "$BENCH_WORK/relay.log"
relay_url="$RELAY_URL/igv/goto?locus=$LOCUS"

nginx_port=$(free_port)
# NGINX_LOG_BUFFER=64k: nginx buffers its access lines as the relay does
# (`buffer=64k flush=100ms`, the relay's log.flush_ms); unset, it writes
# each line at once, nginx's default.
nginx_log_buffer=${NGINX_LOG_BUFFER:+ combined buffer=$NGINX_LOG_BUFFER flush=100ms}
cat >"$BENCH_WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $BENCH_WORK/nginx/nginx.pid;
error_log $BENCH_WORK/nginx/error.log warn;
daemon off;
events { worker_connections 1024; }
http {
    access_log $BENCH_WORK/nginx/access.log$nginx_log_buffer;
    client_body_temp_path $BENCH_WORK/nginx/body;
    proxy_temp_path $BENCH_WORK/nginx/proxy;
    fastcgi_temp_path $BENCH_WORK/nginx/fastcgi;
    uwsgi_temp_path $BENCH_WORK/nginx/uwsgi;
    scgi_temp_path $BENCH_WORK/nginx/scgi;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$nginx_port;
        location = /igv/goto {
            return 302 http://127.0.0.1:60151/goto?locus=\$arg_locus;
        }
    }
}
EOF
nginx -c "$BENCH_WORK/nginx/nginx.conf" -p "$BENCH_WORK/nginx" &
NGINX_PID=$!
BENCH_PIDS+=("$NGINX_PID")
nginx_url="http://127.0.0.1:$nginx_port/igv/goto?locus=$LOCUS"
wait_http "$nginx_url"

log "building examples/bare_redirect (not timed)"
(cd "$BENCH_ROOT" && cargo build --release --example bare_redirect >&2)
restart_budget
bare_port=$(free_port)
"${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/release/examples/bare_redirect" "127.0.0.1:$bare_port" >/dev/null &
BENCH_PIDS+=("$!")
bare_url="http://127.0.0.1:$bare_port/igv/goto?locus=$LOCUS"
wait_http "$bare_url"

# All must answer a redirect to the same IGV URL before anything is timed.
for url in "$relay_url" "$nginx_url" "$bare_url"; do
    location=$(curl -s -o /dev/null -w '%{redirect_url}' "$url")
    if [[ "$location" != "http://127.0.0.1:60151/goto?locus=$LOCUS" ]]; then
        echo "unexpected redirect from $url: $location" >&2
        exit 1
    fi
done

# wrk_run URL OUT: requests/s and p99 (ms) of one run.
wrk_run() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$1" >"$2" 2>&1
    local rps p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$2")
    p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; print v}' "$2")
    errors=$(awk '/Non-2xx or 3xx/ {print $NF} /Socket errors/ {print}' "$2")
    if [[ -n "$errors" ]]; then
        log "wrk reported: $errors"
    fi
    echo "$rps $p99"
}

# Warm both up (connections, page cache, the relay's allocator).
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$relay_url" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$nginx_url" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "$bare_url" >/dev/null

: >"$BENCH_WORK/relay.runs"
: >"$BENCH_WORK/nginx.runs"
: >"$BENCH_WORK/bare.runs"
for ((round = 1; round <= ROUNDS; round++)); do
    check_budget 250
    r=$(wrk_run "$relay_url" "$BENCH_WORK/wrk-relay-$round.txt")
    n=$(wrk_run "$nginx_url" "$BENCH_WORK/wrk-nginx-$round.txt")
    b=$(wrk_run "$bare_url" "$BENCH_WORK/wrk-bare-$round.txt")
    log "round $round: relay rps/p99ms $r | nginx $n | bare actix-web $b"
    echo "$r" >>"$BENCH_WORK/relay.runs"
    echo "$n" >>"$BENCH_WORK/nginx.runs"
    echo "$b" >>"$BENCH_WORK/bare.runs"
done

relay_rps=$(awk '{print $1}' "$BENCH_WORK/relay.runs" | median)
nginx_rps=$(awk '{print $1}' "$BENCH_WORK/nginx.runs" | median)
bare_rps=$(awk '{print $1}' "$BENCH_WORK/bare.runs" | median)
relay_p99=$(awk '{print $2}' "$BENCH_WORK/relay.runs" | median)
nginx_p99=$(awk '{print $2}' "$BENCH_WORK/nginx.runs" | median)

echo "relay_rps=$relay_rps"
echo "nginx_rps=$nginx_rps"
echo "bare_actix_rps=$bare_rps"
echo "relay_vs_nginx_rps_ratio=$(ratio "$relay_rps" "$nginx_rps")"
echo "relay_vs_bare_actix_rps_ratio=$(ratio "$relay_rps" "$bare_rps")"
echo "bare_actix_vs_nginx_rps_ratio=$(ratio "$bare_rps" "$nginx_rps")"
echo "relay_p99_ms=$relay_p99"
echo "nginx_p99_ms=$nginx_p99"
# Each round's relay/nginx ratio (the two ran one after the other).
paste -d' ' "$BENCH_WORK/relay.runs" "$BENCH_WORK/nginx.runs" |
    awk '{r = $1 / $3; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r}
         END {printf "relay_vs_nginx_rps_ratio_range=%.3f-%.3f\n", lo, hi}'
echo "relay_p99_ms_range=$(awk '{print $2}' "$BENCH_WORK/relay.runs" | sort -g | sed -n '1p;$p' | paste -sd-)"
echo "nginx_p99_ms_range=$(awk '{print $2}' "$BENCH_WORK/nginx.runs" | sort -g | sed -n '1p;$p' | paste -sd-)"
echo "relay_p99_target_5ms_met=$(awk -v p="$relay_p99" 'BEGIN {print (p <= 5) ? "yes" : "no"}')"
