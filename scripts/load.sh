#!/usr/bin/env bash
# Load test: the release build under wrk, 256 connections for 60 s each on the
# relay (/igv/goto, expect 303) and on a file link page (expect 200). Reports
# socket errors, unexpected statuses, latency and the server's memory before
# and after. Exits non-zero on any socket error or unexpected status.
#
# Usage: scripts/load.sh [SECONDS] [CONNECTIONS]     (defaults 60 and 256)
# Installs wrk (Debian package) when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-60}
connections=${2:-256}
threads=${LOAD_THREADS:-2}

if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
  else
    echo "load.sh: wrk is missing (apt-get install wrk)" >&2
    exit 1
  fi
fi

cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/igv-relay"
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free port from the kernel, then the service on it with the demo files.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# wrk opens all its connections at once; the default accept backlog and the
# service's limits are the ones in production.
IGV_RELAY__LOG__LEVEL=warn "$bin" serve --bind "127.0.0.1:$port" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

rss() { awk '/^(VmRSS|VmHWM)/ {printf "%s %d MiB  ", $1, $2 / 1024}' "/proc/$server_pid/status"; }
echo "load.sh: igv-relay (release) on port $port, pid $server_pid; $connections connections, $threads wrk threads, $duration s per target"
echo "load.sh: memory at start:  $(rss)"

status=0
run() {
  local what=$1 expect=$2 url=$3
  local out
  out=$(EXPECT=$expect wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s \
    -s scripts/load/count.lua "$url" 2>&1)
  local result
  result=$(grep '^RESULT' <<<"$out" || true)
  echo "load.sh: $what: ${result#RESULT }"
  echo "load.sh: memory after $what: $(rss)"
  if ! grep -q 'unexpected_status=0 ' <<<"$result" \
    || ! grep -q 'connect=0 read=0 write=0 timeout=0 status_errors=0 ' <<<"$result"; then
    echo "$out" >&2
    status=1
  fi
}

run "relay /igv/goto" 303 "http://127.0.0.1:$port/igv/goto?locus=chr7:140453136-140453236&genome=hg38"
run "link page /files/demo/variants.vcf" 200 "http://127.0.0.1:$port/files/demo/variants.vcf"
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null && echo "load.sh: still serving after the load"
if grep -qiE 'panick|error' "$work/server.log"; then
  echo "load.sh: the server logged errors:" >&2
  grep -iE 'panick|error' "$work/server.log" | head -20 >&2
  status=1
fi
exit "$status"
