#!/usr/bin/env bash
# Fault injection for remote sources: igv-relay's Galaxy display route
# (/galaxy/display?dataset_url=...) against a fake Galaxy on loopback that is
# slow, fails (500), stalls mid-body, truncates, resets, answers garbage, or is
# not there at all (connection refused). Each must become a clear 502/504
# page within the timeout, while the service keeps answering other requests
# (probed every 0.2 s throughout, also under 32 concurrent slow requests).
#
# Usage: scripts/faults.sh [GALAXY_TIMEOUT_SECS]     (default 3)
# Needs python3 (the fake upstream: scripts/load/fake_upstream.py) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

timeout_secs=${1:-3}
slow_secs=$((timeout_secs * 5))
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/igv-relay"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
upstream=$(free_port)
relay=$(free_port)
relay_dead=$(free_port)
dead=$(free_port) # nothing listens here: connection refused

python3 scripts/load/fake_upstream.py "$upstream" "$slow_secs" &
pids+=($!)
start_relay() {
  local port=$1 galaxy=$2
  IGV_RELAY__LOG__LEVEL=warn \
  IGV_RELAY__GALAXY__URL="$galaxy" \
  IGV_RELAY__GALAXY__TIMEOUT_SECS="$timeout_secs" \
  IGV_RELAY__GALAXY__CONNECT_TIMEOUT_SECS=1 \
    "$bin" serve --bind "127.0.0.1:$port" >>"$work/server.log" 2>&1 &
  pids+=($!)
}
start_relay "$relay" "http://127.0.0.1:$upstream/"
start_relay "$relay_dead" "http://127.0.0.1:$dead/"
for port in "$relay" "$relay_dead" "$upstream"; do
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.2
  done
done

# Probes /healthz every 0.2 s until told to stop; reports failures and the slowest answer.
probe() {
  local stop=$1 out=$2 worst=0 failed=0 n=0
  while [ ! -e "$stop" ]; do
    local line
    line=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "http://127.0.0.1:$relay/healthz" || true)
    n=$((n + 1))
    [ "${line%% *}" = 200 ] || failed=$((failed + 1))
    worst=$(awk -v a="$worst" -v b="${line##* }" 'BEGIN {print (b > a) ? b : a}')
    sleep 0.2
  done
  echo "$n $failed $worst" >"$out"
}

display_url() {
  local port=$1 galaxy_port=$2 name=$3
  echo "http://127.0.0.1:$port/galaxy/display?dataset_url=http%3A%2F%2F127.0.0.1%3A$galaxy_port%2Fdata%2F$name&ext=bed&dbkey=hg38"
}

status=0
limit=$(awk -v t="$timeout_secs" 'BEGIN {print t + 2}')
printf 'faults.sh: galaxy.timeout_secs=%s, upstream delays %s s\n' "$timeout_secs" "$slow_secs"
printf '  %-10s %-9s %-6s %-8s %-22s %s\n' fault expected got seconds "healthz during" "page says"
check() {
  local fault=$1 expected=$2 url=$3
  local stop="$work/stop-$fault" out="$work/probe-$fault"
  probe "$stop" "$out" &
  local probe_pid=$!
  local line
  line=$(curl -s -o "$work/body-$fault" -m 60 -w '%{http_code} %{time_total}' "$url" || true)
  touch "$stop"
  wait "$probe_pid"
  local code=${line%% *} secs=${line##* }
  read -r n failed worst <"$out"
  local says
  says=$(sed -n 's/.*<p class="message">\([^<]*\)<.*/\1/p' "$work/body-$fault" | head -1 | cut -c1-70)
  local verdict=ok
  if ! grep -qw -- "$code" <<<"$expected"; then verdict="WRONG STATUS"; fi
  if awk -v s="$secs" -v l="$limit" 'BEGIN {exit !(s > l)}'; then verdict="TOO SLOW"; fi
  if [ "$failed" -ne 0 ]; then verdict="SERVICE STALLED"; fi
  [ "$verdict" = ok ] || status=1
  printf '  %-10s %-9s %-6s %-8s %-22s %s %s\n' "$fault" "${expected// //}" "$code" "$secs" \
    "$n ok, slowest ${worst}s" "${says:-(no message)}" "$([ "$verdict" = ok ] || echo "<-- $verdict")"
}

check ok "200" "$(display_url "$relay" "$upstream" ok.bed)"
check fail "502" "$(display_url "$relay" "$upstream" fail.bed)"
check slow "504" "$(display_url "$relay" "$upstream" slow.bed)"
check stall "502 504" "$(display_url "$relay" "$upstream" stall.bed)"
check truncated "502" "$(display_url "$relay" "$upstream" truncated.bed)"
check reset "502" "$(display_url "$relay" "$upstream" reset.bed)"
check garbage "502" "$(display_url "$relay" "$upstream" garbage.bed)"
check refused "502" "$(display_url "$relay_dead" "$dead" ok.bed)"

# Many slow requests at once must not starve everything else.
stop="$work/stop-many"
probe "$stop" "$work/probe-many" &
probe_pid=$!
started=$(date +%s.%N)
many=()
for _ in $(seq 32); do
  curl -s -o /dev/null -m 60 -w '%{http_code}\n' "$(display_url "$relay" "$upstream" slow.bed)" >>"$work/many" &
  many+=($!)
done
for pid in "${many[@]}"; do wait "$pid" || true; done
touch "$stop"
wait "$probe_pid"
read -r n failed worst <"$work/probe-many"
elapsed=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
codes=$(sort "$work/many" | uniq -c | awk '{printf "%s x %s  ", $1, $2}')
printf '  32 slow requests at once: %s in %s s; healthz meanwhile: %s ok, %s failed, slowest %ss\n' \
  "$codes" "$elapsed" "$n" "$failed" "$worst"
if [ "$failed" -ne 0 ] || grep -qvx 504 "$work/many"; then status=1; fi

if grep -qi 'panick' "$work/server.log"; then
  echo "faults.sh: the server panicked:" >&2
  grep -i 'panick' "$work/server.log" >&2
  status=1
fi
exit "$status"
