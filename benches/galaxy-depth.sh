#!/usr/bin/env bash
# Page 5,000 of a 10^6-record VCF held by a real Galaxy (scripts/galaxy.sh), on a
# second visit: the time (target <= 100 ms) and the bytes fetched from Galaxy for
# it (target <= 2 MB), both ways in:
#   api      /galaxy/datasets/{id}: metadata, the display link and the contents
#            through Galaxy's API with the relay's key
#   display  /galaxy/display?dataset_url=...: the display application's data URL
# The first visit (reads the prefix, remembers row offsets) is shown for contrast.
#
# Bytes are counted twice, independently: by the relay
# (igv_relay_galaxy_fetched_bytes_total on its metrics port) and by an nginx in
# front of Galaxy ($body_bytes_sent of every request the relay made, from its
# access log). Galaxy is reached only through that nginx, so every byte passes it.
#
# Environment: REPEAT (5) second visits, median; RECORDS (1000000); PAGE (5000);
# DATASET_ID: reuse a dataset uploaded earlier (the upload takes about a minute).
# Prints one `name=value` line per figure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPEAT=${REPEAT:-5}
RECORDS=${RECORDS:-1000000}
PAGE=${PAGE:-5000}

need_deb curl
need_deb nginx

eval "$("$BENCH_ROOT/scripts/galaxy.sh" env)"
[[ -n "${GALAXY_URL:-}" && -n "${GALAXY_API_KEY:-}" ]] || {
    echo "no Galaxy: run scripts/galaxy.sh start" >&2
    exit 1
}
python="$GALAXY_DIR/venv/bin/python" # Galaxy's own venv has requests
galaxy_hostport=${GALAXY_URL#http://}
galaxy_hostport=${galaxy_hostport%/}

mkdir -p "$BENCH_WORK/nginx"
nginx_port=$(free_port)
cat >"$BENCH_WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $BENCH_WORK/nginx/nginx.pid;
error_log $BENCH_WORK/nginx/error.log warn;
daemon off;
events { worker_connections 256; }
http {
    log_format bytes '\$request_method \$request_uri \$status \$body_bytes_sent \$http_range';
    access_log $BENCH_WORK/nginx/access.log bytes;
    client_body_temp_path $BENCH_WORK/nginx/body;
    proxy_temp_path $BENCH_WORK/nginx/proxy;
    fastcgi_temp_path $BENCH_WORK/nginx/fastcgi;
    uwsgi_temp_path $BENCH_WORK/nginx/uwsgi;
    scgi_temp_path $BENCH_WORK/nginx/scgi;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://$galaxy_hostport;
            proxy_set_header Host \$http_host;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # Pass bytes on as Galaxy sends them: nothing is read ahead for the relay.
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
}
EOF
nginx -c "$BENCH_WORK/nginx/nginx.conf" -p "$BENCH_WORK/nginx" &
BENCH_PIDS+=("$!")
proxy="http://127.0.0.1:$nginx_port/"
wait_http "${proxy}api/version"

# The dataset (uploaded through the proxy) and its display data URL.
if [[ -z "${DATASET_ID:-}" ]]; then
    gen=$(gen_vcf_binary)
    "$gen" --records "$RECORDS" --out "$BENCH_WORK/large.vcf"
    log "uploading a $RECORDS-record VCF ($(stat -c %s "$BENCH_WORK/large.vcf") bytes) to Galaxy (not timed)"
fi
read -r DATASET_ID DATA_URL SIZE < <(
    GALAXY="$proxy" KEY="$GALAXY_API_KEY" FILE="$BENCH_WORK/large.vcf" ID="${DATASET_ID:-}" "$python" - <<'PY'
import json, os, time, requests
from urllib.parse import urlparse, parse_qs
u, h = os.environ["GALAXY"].rstrip("/"), {"x-api-key": os.environ["KEY"]}
did = os.environ["ID"]
if not did:
    hist = requests.post(u + "/api/histories", json={"name": "igv-relay galaxy-depth bench"}, headers=h).json()
    targets = [{"destination": {"type": "hdas"},
                "elements": [{"src": "files", "ext": "vcf", "dbkey": "hg38", "name": "large.vcf"}]}]
    with open(os.environ["FILE"], "rb") as f:
        r = requests.post(u + "/api/tools/fetch", headers=h,
                          data={"history_id": hist["id"], "targets": json.dumps(targets)},
                          files={"files_0|file_data": ("large.vcf", f)})
    r.raise_for_status()
    did = r.json()["outputs"][0]["id"]
while True:
    d = requests.get(u + f"/api/datasets/{did}", headers=h).json()
    if d["state"] == "ok":
        break
    if d["state"] in ("error", "failed_metadata", "discarded"):
        raise SystemExit(f"dataset {did}: {d['state']}")
    time.sleep(1)
link = next(l for a in d["display_apps"] for l in a["links"] if l["app_name"].startswith("igv_relay"))
fb = requests.post(u + "/api/display_applications/create_link", headers=h,
                   json={"app_name": link["app_name"], "link_name": link["link_name"], "dataset_id": did}).json()
data_url = parse_qs(urlparse(fb["resource"]).query)["dataset_url"][0]
print(did, data_url, d["file_size"])
PY
)
log "dataset $DATASET_ID, $SIZE bytes; data URL $DATA_URL"
echo "galaxy_dataset_bytes=$SIZE"

metrics_port=$(free_port)
restart_budget

# One visit: prints "seconds relay_bytes nginx_bytes" for URL.
visit() {
    local url=$1 before lines_before t after
    before=$(fetched)
    lines_before=$(wc -l <"$BENCH_WORK/nginx/access.log")
    t=$(curl -s -o "$BENCH_WORK/page.html" -w '%{time_total}' "$url")
    grep -q 'data-locus=' "$BENCH_WORK/page.html" || {
        echo "no rows in $url" >&2
        head -c 2000 "$BENCH_WORK/page.html" >&2
        exit 1
    }
    sleep 0.3 # the relay counts a chunk after passing it on; nginx logs at the end
    after=$(fetched)
    local nginx_bytes
    nginx_bytes=$(tail -n +"$((lines_before + 1))" "$BENCH_WORK/nginx/access.log" |
        awk '$2 ~ /\/display(\?|$)/ || $2 ~ /\/data\// {n += $4} END {print n + 0}')
    echo "$t $((after - before)) $nginx_bytes"
}
fetched() {
    curl -s "http://127.0.0.1:$metrics_port/metrics" |
        awk '/^igv_relay_galaxy_fetched_bytes_total / {print $2}'
}

bin=$(relay_binary)
for way in api display; do
    port=$(free_port)
    IGV_RELAY__GALAXY__URL="$proxy" IGV_RELAY__GALAXY__API_KEY="$GALAXY_API_KEY" \
        IGV_RELAY__METRICS__BIND="127.0.0.1:$metrics_port" \
        "$bin" serve --bind "127.0.0.1:$port" >"$BENCH_WORK/relay-$way.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait_http "http://127.0.0.1:$port/healthz"
    if [[ $way == api ]]; then
        url="http://127.0.0.1:$port/galaxy/datasets/$DATASET_ID?page=$PAGE"
    else
        url="http://127.0.0.1:$port/galaxy/display?$(python3 -c 'import sys, urllib.parse as u; print(u.urlencode({"dataset_url": sys.argv[1], "dbkey": "hg38", "ext": "vcf", "name": "large.vcf", "page": sys.argv[2]}))' "$DATA_URL" "$PAGE")"
    fi
    read -r t1 b1 n1 < <(visit "$url")
    log "$way: first visit ${t1}s, $b1 bytes from Galaxy (nginx: $n1)"
    echo "galaxy_${way}_page${PAGE}_first_visit_ms=$(awk -v t="$t1" 'BEGIN {printf "%.1f", t * 1000}')"
    echo "galaxy_${way}_page${PAGE}_first_visit_bytes=$b1"
    : >"$BENCH_WORK/second"
    for ((i = 0; i < REPEAT; i++)); do
        visit "$url" >>"$BENCH_WORK/second"
    done
    t2=$(awk '{print $1}' "$BENCH_WORK/second" | median)
    b2=$(awk '{print $2}' "$BENCH_WORK/second" | median)
    n2=$(awk '{print $3}' "$BENCH_WORK/second" | median)
    log "$way: second visits (median of $REPEAT) ${t2}s, $b2 bytes from Galaxy (nginx: $n2)"
    echo "galaxy_${way}_page${PAGE}_second_visit_ms=$(awk -v t="$t2" 'BEGIN {printf "%.1f", t * 1000}')"
    echo "galaxy_${way}_page${PAGE}_second_visit_bytes=$b2"
    echo "galaxy_${way}_page${PAGE}_second_visit_nginx_bytes=$n2"
    stop_pid "$pid"
    check_budget 600
done
# Where the second visit's time goes: the Galaxy requests it makes, timed alone.
for path in "api/datasets/$DATASET_ID" "api/version"; do
    t=$(for ((i = 0; i < REPEAT; i++)); do
        curl -s -o /dev/null -H "x-api-key: $GALAXY_API_KEY" -w '%{time_total}\n' "$proxy$path"
    done | median)
    echo "galaxy_get_$(echo "$path" | tr -c 'a-z0-9\n' '_' | sed 's/_[0-9a-f]\{16\}$/_id/')_ms=$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')"
done
t=$(for ((i = 0; i < REPEAT; i++)); do
    curl -s -o /dev/null -H "range: bytes=0-65535" -w '%{time_total}\n' "$DATA_URL"
done | median)
echo "galaxy_range_64k_data_url_ms=$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')"
