#!/usr/bin/env bash
# Runs deploy/kubernetes/ for real on one machine: the Deployment under
# `podman kube play` with 3 replicas, a real nginx in front of them standing in for
# the Service and the Ingress, load across the replicas, one replica killed in the
# middle of the load, and everything stopped again. `compose` does the same for
# deploy/compose.yaml with podman-compose. Run by hand before a release (several
# minutes; not in CI).
#
# Usage: scripts/cluster.sh [all|kube|setup|build|up|load|down|compose]
#   all (default)  setup, build, then kube and compose
#   kube           setup, build, up, load, down (down also runs on failure)
#   setup          podman and the base images (scripts/container.sh setup), wrk,
#                  catatonit (podman's pause image), CNI's dnsname plugin (service names
#                  on compose's network), podman-compose from PyPI in a venv
#   build          scripts/container.sh build: localhost/igv-relay:local from the Dockerfile
#   up             play the manifests, wait until every replica is ready, check the
#                  security settings are in effect, start nginx, check each replica answers
#   load           wrk through nginx; kill one replica mid-load; print requests per
#                  replica, failures during the kill and the time to recover
#   down           stop nginx, `podman kube down`, remove the volumes this script made
#   compose        setup, build, then deploy/compose.yaml + deploy/compose.override-local.yaml
#                  with podman-compose: build the local stand-ins for the nginx and Galaxy
#                  images, up, check /igv/ and Galaxy through the proxy, upload a dataset
#                  to Galaxy and get it from the relay off the shared volume, down -v
#                  (also on failure). podman-compose ignores `condition: service_healthy`
#                  on podman < 4.6 (it says so); the script runs the HEALTHCHECK itself.
#
# What podman 4.3 (Debian bookworm) does with the manifests, and so what the
# rendering below changes (nothing else is changed; the result is $WORK/kube.yaml):
#   - replicas: a Deployment with replicas N becomes N pods igv-relay-pod-0..N-1.
#     The manifest says 2; REPLICAS (default 3) replaces it.
#   - ports: podman 4.3 publishes every containerPort on the host at the same port on
#     all addresses, even without hostPort, so the second replica cannot start
#     ("bind: address already in use"). The ports are dropped; nginx reaches the pods
#     by their IPs on podman's kube network, as a Service reaches its endpoints.
#   - livenessProbe: podman turns an httpGet probe into the healthcheck
#     `curl -f http://localhost:0/healthz` (the named port is not resolved, and the
#     image has no curl), so it is rendered as an exec probe of the image's own
#     check, `igv-relay healthcheck` (GET /healthz). Without systemd podman runs
#     healthchecks only on `podman healthcheck run`, and podman 4.3 does not restart
#     a container whose healthcheck fails: this script runs the check and prints it.
#   - readinessProbe: ignored by podman. This script is the readiness gate: a pod
#     goes behind nginx only once its /readyz answers 200, and after the kill the
#     replica counts as ready again when its /readyz answers 200.
#   - emptyDir: podman makes a named volume of it, shared by the pods of the
#     Deployment; it is renamed igv-relay-tmp so it cannot clash, and removed by down.
#   - the PersistentVolumeClaim igv-relay-results is a podman volume made by `up`.
#   - the image name stays: localhost/igv-relay:local is tagged as the manifest's
#     registry.lab.example/igv-relay:0.1.0, so nothing is pulled.
#   - Service and Ingress are not run by podman: nginx on 127.0.0.1:$PROXY_PORT
#     forwards /igv/* with the prefix stripped (what the Ingress's rewrite does) to
#     an upstream of the pods (what the Service does), retrying a request on another
#     replica when one fails to connect or answer (proxy_next_upstream).
#
# The kill: the replica's process is killed with SIGKILL from the host, as the
# kernel's OOM killer or a crash would; podman's restart policy (Always, from the
# Deployment) starts it again, as the kubelet would. (`podman kill` marks the
# container as stopped by the user, and then podman does not restart it.)
#
# Environment: REPLICAS (3), PROXY_PORT (18480), DURATION of the load in s (30),
# KILL_AT s into the load (10), KILL_REPLICA index (1), CONNECTIONS for wrk (8),
# CLUSTER_WORK (/var/tmp/igv-relay-cluster), SKIP_BUILD=1 uses the existing image.
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICAS=${REPLICAS:-3}
PROXY_PORT=${PROXY_PORT:-18480}
DURATION=${DURATION:-30}
KILL_AT=${KILL_AT:-10}
KILL_REPLICA=${KILL_REPLICA:-1}
CONNECTIONS=${CONNECTIONS:-8}
WORK=${CLUSTER_WORK:-/var/tmp/igv-relay-cluster}
IMAGE=localhost/igv-relay:local
VENV=$WORK/venv
KUBE=$WORK/kube.yaml
NGINX_DIR=$WORK/nginx
DEPLOYMENT=igv-relay
CONTAINER=igv-relay
VOLUMES=(igv-relay igv-relay-tmp igv-relay-results)
KUBE_NETWORK=podman-default-kube-network
RELAY_PATH='/igv/igv/goto?locus=chr1:100-200'

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# --- setup -------------------------------------------------------------------

setup() {
    bash scripts/container.sh setup
    local missing=() p status
    # catatonit: podman builds its pause image (localhost/podman-pause) from it.
    # dnsname: name resolution on podman's CNI networks, so that compose's nginx
    # finds the services by name (podman here uses CNI, not netavark/aardvark-dns).
    for p in wrk catatonit golang-github-containernetworking-plugin-dnsname; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ "$status" == installed ]] || missing+=("$p")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
            || { apt-get update -qq && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
    fi
    if [[ ! -x "$VENV/bin/podman-compose" ]]; then
        log "installing podman-compose from PyPI into $VENV"
        mkdir -p "$WORK"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q podman-compose
    fi
    log "$("$VENV/bin/podman-compose" --version | head -1), $(podman --version), $(nginx -v 2>&1), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
}

build() {
    if [[ "${SKIP_BUILD:-}" == 1 ]] && podman image exists "$IMAGE"; then
        log "SKIP_BUILD=1: using the existing $IMAGE"
    else
        bash scripts/container.sh build
    fi
}

# --- up ----------------------------------------------------------------------

pod_name() { echo "$DEPLOYMENT-pod-$1"; }
ctr_name() { echo "$DEPLOYMENT-pod-$1-$CONTAINER"; }
pod_ip() { podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(ctr_name "$1")"; }

render() {
    local image
    image=$(awk '$1 == "image:" { print $2; exit }' deploy/kubernetes/deployment.yaml)
    podman tag "$IMAGE" "$image"
    mkdir -p "$WORK"
    "$VENV/bin/python" - deploy/kubernetes/configmap.yaml deploy/kubernetes/deployment.yaml \
        "$REPLICAS" >"$KUBE" <<'PY'
import sys, yaml
configmap, deployment, replicas = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(configmap) as f:
    cm = yaml.safe_load(f)
with open(deployment) as f:
    dep = yaml.safe_load(f)
dep["spec"]["replicas"] = replicas
pod = dep["spec"]["template"]["spec"]
renamed = {}
for v in pod["volumes"]:
    if "emptyDir" in v:
        renamed[v["name"]] = "igv-relay-" + v["name"]
        v["name"] = renamed[v["name"]]
for c in pod["containers"]:
    c.pop("ports", None)
    probe = c.get("livenessProbe")
    if probe and "httpGet" in probe:
        del probe["httpGet"]
        probe["exec"] = {"command": ["/usr/local/bin/igv-relay", "healthcheck"]}
    for m in c.get("volumeMounts", []):
        m["name"] = renamed.get(m["name"], m["name"])
def text(dumper, value):  # keep the ConfigMap's file readable
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
yaml.SafeDumper.add_representer(str, text)
print("# Rendered by scripts/cluster.sh for podman 4.3 kube play from deploy/kubernetes/")
yaml.safe_dump_all([cm, dep], sys.stdout, sort_keys=False)
PY
}

wait_running() {
    local i n deadline=$((SECONDS + 120))
    for ((i = 0; i < REPLICAS; i++)); do
        until [[ "$(podman inspect --format '{{.State.Status}}' "$(ctr_name "$i")" 2>/dev/null)" == running ]]; do
            ((SECONDS < deadline)) || die "$(ctr_name "$i") is not running: $(podman ps -a --format '{{.Names}} {{.Status}}')"
            sleep 0.2
        done
    done
    n=$(podman ps --filter "label=app.kubernetes.io/name=igv-relay" --format '{{.Names}}' | grep -c -- "-$CONTAINER\$" || true)
    log "$n containers running"
}

# Readiness gate: GET /readyz on the pod until it answers 200.
wait_ready() { # INDEX TIMEOUT_S; prints the seconds it took
    local ip t0 deadline
    ip=$(pod_ip "$1")
    t0=$(now)
    deadline=$((SECONDS + $2))
    until [[ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$ip:8080/readyz")" == 200 ]]; do
        if ((SECONDS >= deadline)); then
            podman logs --tail 20 "$(ctr_name "$1")" >&2 || true
            die "$(pod_name "$1") ($ip) is not ready after $2 s"
        fi
        sleep 0.1
    done
    since "$t0"
}

# The settings of the manifest, as podman applied them and as seen from inside.
check_security() {
    local i c inspect uid rootfs mem
    for ((i = 0; i < REPLICAS; i++)); do
        c=$(ctr_name "$i")
        inspect=$(podman inspect --format 'ReadonlyRootfs={{.HostConfig.ReadonlyRootfs}} User={{.Config.User}} Memory={{.HostConfig.Memory}} CapDrop={{.HostConfig.CapDrop}} SecurityOpt={{.HostConfig.SecurityOpt}} Restart={{.HostConfig.RestartPolicy.Name}} Healthcheck={{json .Config.Healthcheck.Test}}' "$c")
        uid=$(podman exec "$c" id -u)
        rootfs=$(podman exec "$c" sh -c 'touch /probe 2>&1 && echo writable || true' | sed 's/^touch: //')
        mem=$(podman exec "$c" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo '?')
        log "$(pod_name "$i"): $inspect"
        log "$(pod_name "$i"): inside: uid $uid; touch /probe: $rootfs; cgroup memory.limit_in_bytes $mem"
        [[ "$inspect" == *ReadonlyRootfs=true* ]] || die "$c: root filesystem is writable"
        [[ "$uid" != 0 && "$uid" == 10001 ]] || die "$c: runs as uid $uid"
        [[ "$rootfs" == *Read-only* ]] || die "$c: / is writable"
        [[ "$mem" == 268435456 ]] || die "$c: memory limit $mem, expected 256Mi"
    done
}

healthchecks() {
    local i out
    for ((i = 0; i < REPLICAS; i++)); do
        out=$(podman healthcheck run "$(ctr_name "$i")" 2>&1) && out="${out:-healthy}"
        log "$(pod_name "$i"): podman healthcheck run (livenessProbe): $out"
    done
}

write_nginx_conf() {
    local i servers=""
    for ((i = 0; i < REPLICAS; i++)); do
        servers+="        server $(pod_ip "$i"):8080 max_fails=1 fail_timeout=1s;"$'\n'
    done
    mkdir -p "$NGINX_DIR/tmp" "$NGINX_DIR/logs"
    cat >"$NGINX_DIR/nginx.conf" <<EOF
# Written by scripts/cluster.sh: the Service (upstream of the pods) and the
# Ingress (/igv/ prefix stripped) of deploy/kubernetes/ on 127.0.0.1:$PROXY_PORT.
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $NGINX_DIR/tmp/body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;
    # One line per request: when, status, every upstream tried and what each said.
    log_format relay '\$msec\t\$status\t\$upstream_addr\t\$upstream_status\t\$request_time';
    access_log $NGINX_DIR/logs/access.log relay;
    upstream igv_relay {
$servers        # Kept-alive connections to the pods; igv-relay closes idle ones after 5 s.
        keepalive 16;
        keepalive_timeout 4s;
    }
    server {
        listen 127.0.0.1:$PROXY_PORT;
        location /igv/ {
            proxy_pass http://igv_relay/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Request-Id \$request_id;
            proxy_redirect off;
            # A replica that refuses the connection, resets it or does not answer:
            # the request goes to the next one (GET is idempotent, so also when it
            # was already sent), at most 3 tries.
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout 10s;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
EOF
}

nginx_running() { [[ -f "$NGINX_DIR/nginx.pid" ]] && kill -0 "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null; }

start_nginx() {
    if ss -ltnH "sport = :$PROXY_PORT" | grep -q .; then
        die "127.0.0.1:$PROXY_PORT is taken; set PROXY_PORT"
    fi
    nginx -t -q -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log"
    nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log"
    local i
    for i in $(seq 50); do nginx_running && return; sleep 0.1; done
    die "nginx did not start: $(cat "$NGINX_DIR/logs/error.log")"
}

up() {
    local t0 i ips=() secs
    t0=$(now)
    podman image exists "$IMAGE" || die "$IMAGE is missing (run: $0 build)"
    down_quiet
    render
    log "rendered $KUBE from deploy/kubernetes/{configmap,deployment}.yaml ($REPLICAS replicas)"
    podman network exists "$KUBE_NETWORK" || echo 1 >"$WORK/made-network"
    # The PersistentVolumeClaim's volume: empty, so /data/results is an empty data root.
    podman volume create igv-relay-results >/dev/null
    if ! podman kube play "$KUBE" >"$WORK/kube-play.log" 2>&1; then
        cat "$WORK/kube-play.log" >&2
        die "podman kube play failed"
    fi
    # Everything else it prints is the "no systemd connection" noise (see the header).
    grep -v -e 'systemd connection' -e '^Pod:$' -e '^Container:$' -e '^[0-9a-f]\{64\}$' -e '^$' \
        "$WORK/kube-play.log" >&2 || true
    podman pod ps --filter "name=$DEPLOYMENT-pod-" >&2
    wait_running
    for ((i = 0; i < REPLICAS; i++)); do
        secs=$(wait_ready "$i" 60)
        ips+=("$(pod_ip "$i")")
        log "$(pod_name "$i") at ${ips[-1]}: /readyz 200 ($secs after it was running)"
    done
    check_security
    healthchecks
    write_nginx_conf
    start_nginx
    # Each replica answers through nginx: nginx says which one in X-Upstream.
    local seen
    seen=$(for i in $(seq $((REPLICAS * 4))); do
        curl -s -o /dev/null -D - "http://127.0.0.1:$PROXY_PORT$RELAY_PATH" | tr -d '\r' |
            awk 'NR == 1 { code = $2 } tolower($1) == "x-upstream:" { print code, $2 }'
    done | sort | uniq -c)
    log "through nginx at http://127.0.0.1:$PROXY_PORT$RELAY_PATH (count, status, replica):"
    printf '%s\n' "$seen" | sed 's/^/    /' >&2
    for ip in "${ips[@]}"; do
        grep -q " 303 $ip:8080\$" <<<"$seen" || die "replica $ip did not answer 303 through nginx"
    done
    log "up in $(since "$t0"): $REPLICAS replicas behind nginx at http://127.0.0.1:$PROXY_PORT/igv/"
}

# --- load and the kill -------------------------------------------------------

load() {
    nginx_running || die "nginx is not running (run: $0 up)"
    local victim ip pid restarts0 t_start t_kill t_restart="" t_ready="" wrk_pid log_lines
    victim=$(ctr_name "$KILL_REPLICA")
    ip=$(pod_ip "$KILL_REPLICA")
    restarts0=$(podman inspect --format '{{.RestartCount}}' "$victim")
    log_lines=$(wc -l <"$NGINX_DIR/logs/access.log")
    log "load: wrk -t2 -c$CONNECTIONS -d${DURATION}s through nginx; SIGKILL to $(pod_name "$KILL_REPLICA") ($ip) at ${KILL_AT} s"
    t_start=$(now)
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$PROXY_PORT$RELAY_PATH" >"$WORK/wrk.txt" 2>&1 &
    wrk_pid=$!
    sleep "$KILL_AT"
    pid=$(podman inspect --format '{{.State.Pid}}' "$victim")
    t_kill=$(now)
    kill -KILL "$pid"
    # Restarted: podman's restart policy runs it again (a new pid, RestartCount + 1).
    while [[ -z "$t_ready" ]]; do
        if [[ -z "$t_restart" ]] &&
            [[ "$(podman inspect --format '{{.State.Status}} {{.RestartCount}}' "$victim" 2>/dev/null)" == "running $((restarts0 + 1))" ]]; then
            t_restart=$(now)
        fi
        if [[ -n "$t_restart" ]] &&
            [[ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$ip:8080/readyz")" == 200 ]]; then
            t_ready=$(now)
        fi
        if awk -v a="$t_kill" -v b="$(now)" 'BEGIN { exit !(b - a > 60) }'; then
            log "$(pod_name "$KILL_REPLICA") not back within 60 s: $(podman ps -a --format '{{.Names}} {{.Status}}' | grep "$victim")"
            break
        fi
        sleep 0.05
    done
    wait "$wrk_pid" || die "wrk failed: $(cat "$WORK/wrk.txt")"
    sed 's/^/    /' "$WORK/wrk.txt" >&2
    healthchecks
    tail -n +"$((log_lines + 1))" "$NGINX_DIR/logs/access.log" >"$WORK/load.log"
    report "$t_start" "$t_kill" "$t_restart" "$t_ready" "$ip"
}

# The figures, from nginx's log of the load (one line per request) and wrk.
report() {
    local t_start=$1 t_kill=$2 t_restart=$3 t_ready=$4 victim_ip=$5 names="" i
    for ((i = 0; i < REPLICAS; i++)); do names+="$(pod_ip "$i"):8080=$(pod_name "$i") "; done
    awk -F'\t' -v t0="$t_start" -v tk="$t_kill" -v tr="$t_restart" -v ty="$t_ready" -v result="$WORK/load.result" \
        -v victim="$victim_ip:8080" -v names="$names" \
        -v socket_errors="$(grep -o 'Socket errors:.*' "$WORK/wrk.txt" || echo 'Socket errors: none')" '
    function secs(t) { return t == "" ? "never" : sprintf("%.2f s", t - tk) }
    BEGIN { n = split(names, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], p, "="); name[p[1]] = p[2]; order[i] = p[1] } }
    {
        total++
        m = split($3, ups, ", "); last = ups[m]
        per[last]++
        if ($1 < tk) phase = "before"
        else {
            # Back: answering again once restarted (a request it finished just
            # after the SIGKILL was sent, before the kernel ended it, does not count).
            if (!back && tr != "" && $1 >= tr && last == victim && $2 == 303) back = $1
            phase = back ? "after" : "during"
        }
        perphase[last, phase]++
        # 499: wrk closed the connection (at the end of its run), not an answer.
        if ($2 == 499) closed++
        else if ($2 != 303) { fail++; if (phase == "during") failkill++ }
        if (m > 1) { retried++; if ($1 >= tk) retriedkill++ }
        if (!first || $1 < first) first = $1
        if ($1 > lastt) lastt = $1
    }
    END {
        printf "\n== cluster: %d replicas behind nginx, %d requests in %.1f s (%.0f/s), one replica killed at %.1f s ==\n", n, total, lastt - first, total / (lastt - first), tk - t0
        printf "requests per replica (answered by it; before the kill / while it was down / after it was back):\n"
        for (i = 1; i <= n; i++) {
            a = order[i]
            printf "  %-16s %-15s %7d  (%d / %d / %d)%s\n", name[a], a, per[a], perphase[a, "before"], perphase[a, "during"], perphase[a, "after"], a == victim ? "  <- killed" : ""
        }
        printf "failed requests (status not 303): %d in all, %d from the kill until the replica was back\n", fail + 0, failkill + 0
        if (closed) printf "requests wrk closed unanswered when its run ended (nginx status 499): %d\n", closed
        printf "wrk: %s\n", socket_errors
        printf "requests nginx re-sent to another replica: %d (%d after the kill: the in-flight ones and those it tried on the dead replica)\n", retried + 0, retriedkill + 0
        printf "time to recover, from the SIGKILL:\n"
        printf "  restarted by podman (restart policy Always):  %s\n", secs(tr)
        printf "  ready again (/readyz 200 on the pod):         %s\n", secs(ty)
        printf "  answering through nginx again (time to recover): %s\n", secs(back)
        down_min = -1
        for (i = 1; i <= n; i++) if (order[i] != victim && (down_min < 0 || perphase[order[i], "during"] < down_min)) down_min = perphase[order[i], "during"]
        printf "%d %d %d\n", failkill + 0, (back ? 1 : 0), (down_min > 0 ? 1 : 0) > result
    }' "$WORK/load.log"
    local failkill came_back others_answered sockets
    read -r failkill came_back others_answered <"$WORK/load.result"
    sockets=$(grep -c 'Socket errors' "$WORK/wrk.txt" || true)
    # wrk keeps at most one request in flight per connection, so at most
    # $CONNECTIONS requests can have been in flight on the killed replica.
    ((failkill <= CONNECTIONS)) || die "FAIL: $failkill requests failed during the kill (more than the $CONNECTIONS that can be in flight)"
    ((came_back == 1)) || die "FAIL: the killed replica did not answer through nginx again"
    ((others_answered == 1)) || die "FAIL: a surviving replica answered nothing while the other was down"
    ((sockets == 0)) || die "FAIL: wrk saw socket errors"
    echo "PASS: the other replicas kept answering, $failkill failed requests during the kill, the killed replica came back"
}

# --- down --------------------------------------------------------------------

stop_nginx() {
    if nginx_running; then
        local pid
        pid=$(cat "$NGINX_DIR/nginx.pid")
        kill -QUIT "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        log "nginx stopped"
    fi
}

down_quiet() {
    stop_nginx
    if [[ -f "$KUBE" ]] && podman pod exists "$(pod_name 0)"; then
        podman kube down "$KUBE" >/dev/null 2>&1 || true
        log "pods removed (podman kube down)"
    fi
    # Pods left by a rendering with more replicas than now.
    podman pod ps -q --filter "name=^$DEPLOYMENT-pod-[0-9]+\$" | xargs -r podman pod rm -f >/dev/null
    local v
    for v in "${VOLUMES[@]}"; do
        podman volume exists "$v" && podman volume rm -f "$v" >/dev/null
    done
    if [[ -f "$WORK/made-network" ]] && podman network exists "$KUBE_NETWORK" &&
        [[ -z "$(podman ps -aq --filter "network=$KUBE_NETWORK")" ]]; then
        podman network rm "$KUBE_NETWORK" >/dev/null && rm -f "$WORK/made-network"
    fi
    return 0
}

down() {
    down_quiet
    local left
    left=$(podman ps -a --filter "label=app.kubernetes.io/name=igv-relay" --format '{{.Names}}')
    [[ -z "$left" ]] || die "containers left: $left"
    log "down: no pod, volume or nginx of this script left"
}

# --- compose -----------------------------------------------------------------

COMPOSE_PORT=8080 # fixed in deploy/compose.yaml (127.0.0.1:8080)
NGINX_IMAGE=localhost/igv-relay-nginx:local
GALAXY_IMAGE=localhost/igv-relay-galaxy:local

pc() { "$VENV/bin/podman-compose" -f deploy/compose.yaml -f deploy/compose.override-local.yaml "$@"; }
compose_ctr() { podman ps -a --filter label=com.docker.compose.project=igv-relay --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1; }

build_stand_ins() {
    local t0 ctx
    t0=$(now)
    podman build --pull=never --format docker -t "$NGINX_IMAGE" deploy/local/nginx >"$WORK/build-nginx.log" 2>&1 ||
        { tail -20 "$WORK/build-nginx.log" >&2; die "building $NGINX_IMAGE failed"; }
    log "$NGINX_IMAGE built in $(since "$t0")"
    t0=$(now)
    # The context: the Dockerfile and entrypoint, scripts/galaxy.sh and deploy/galaxy/.
    ctx=$WORK/galaxy-context
    rm -rf "$ctx"
    mkdir -p "$ctx"
    cp deploy/local/galaxy/Dockerfile deploy/local/galaxy/entrypoint.sh scripts/galaxy.sh "$ctx/"
    cp -r deploy/galaxy "$ctx/galaxy"
    # pip inside the build needs the CA of this machine's TLS-intercepting proxy.
    log "building $GALAXY_IMAGE (Galaxy from PyPI; a few minutes the first time; log: $WORK/build-galaxy.log)"
    podman build --pull=never --format docker \
        -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca/ca-certificates.crt:ro \
        -t "$GALAXY_IMAGE" "$ctx" >"$WORK/build-galaxy.log" 2>&1 ||
        { tail -30 "$WORK/build-galaxy.log" >&2; die "building $GALAXY_IMAGE failed"; }
    log "$GALAXY_IMAGE built in $(since "$t0"), $(($(podman image inspect --format '{{.Size}}' "$GALAXY_IMAGE") / 1000000)) MB"
}

compose_down() {
    if [[ -n "$(podman ps -aq --filter label=com.docker.compose.project=igv-relay)" ]]; then
        pc down -v >"$WORK/compose-down.log" 2>&1 || { cat "$WORK/compose-down.log" >&2; }
        log "compose: down -v (containers, network and the galaxy-data volume removed)"
    fi
    local left
    left=$(podman ps -aq --filter label=com.docker.compose.project=igv-relay)
    [[ -z "$left" ]] || die "compose containers left: $left"
}

expect_url() { # STATUS URL: prints "status url"
    local got
    got=$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$2" || true)
    printf '    %s %s\n' "$got" "$2" >&2
    [[ "$got" == "$1" ]] || die "GET $2 answered $got, expected $1"
}

galaxy_api() { # METHOD PATH [JSON]
    local args=(-fsS -m 30 -X "$1" -H "x-api-key: $GALAXY_KEY" "http://127.0.0.1:$COMPOSE_PORT$2")
    [[ $# -lt 3 ]] || args+=(-H 'content-type: application/json' -d "$3")
    curl "${args[@]}"
}
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

compose() {
    local t0 relay galaxy proxy i version history id state path rel
    build_stand_ins
    compose_down
    if ss -ltnH "sport = :$COMPOSE_PORT" | grep -q .; then
        die "127.0.0.1:$COMPOSE_PORT is taken (deploy/compose.yaml publishes the proxy there)"
    fi
    trap 'compose_down' EXIT
    t0=$(now)
    pc up -d >"$WORK/compose-up.log" 2>&1 || { cat "$WORK/compose-up.log" >&2; die "podman-compose up failed"; }
    grep -i -e warn -e error "$WORK/compose-up.log" | grep -v 'systemd connection' | sed 's/^/    /' >&2 || true
    podman ps --filter label=com.docker.compose.project=igv-relay --format '    {{.Names}}  {{.Image}}  {{.Status}}  {{.Ports}}' >&2
    relay=$(compose_ctr igv-relay)
    galaxy=$(compose_ctr galaxy)
    proxy=$(compose_ctr proxy)
    [[ -n "$relay" && -n "$galaxy" && -n "$proxy" ]] || die "missing containers: $(podman ps -a --format '{{.Names}} {{.Status}}')"
    # podman 4.3 has no healthcheck timer without systemd: run the image's HEALTHCHECK.
    for i in $(seq 100); do podman healthcheck run "$relay" >/dev/null 2>&1 && break; sleep 0.3; done
    podman healthcheck run "$relay" >/dev/null 2>&1 || die "$relay is not healthy"
    log "compose: $relay healthy $(since "$t0") after up; $(podman inspect --format 'ReadonlyRootfs={{.HostConfig.ReadonlyRootfs}} User={{.Config.User}} CapDrop={{.HostConfig.CapDrop}} SecurityOpt={{.HostConfig.SecurityOpt}}' "$relay")"
    log "compose: igv-relay through the proxy:"
    expect_url 200 "http://127.0.0.1:$COMPOSE_PORT/igv/"
    expect_url 301 "http://127.0.0.1:$COMPOSE_PORT/igv"
    expect_url 303 "http://127.0.0.1:$COMPOSE_PORT$RELAY_PATH"
    expect_url 200 "http://127.0.0.1:$COMPOSE_PORT/igv/files/demo/variants.vcf"
    expect_url 200 "http://127.0.0.1:$COMPOSE_PORT/igv/static/igv-relay.css"
    log "compose: waiting for Galaxy through the proxy (its first start creates the database)"
    until version=$(curl -fsS -m 5 "http://127.0.0.1:$COMPOSE_PORT/api/version" 2>/dev/null); do
        [[ "$(podman inspect --format '{{.State.Status}}' "$galaxy")" == running ]] ||
            { podman logs --tail 40 "$galaxy" >&2; die "the Galaxy container stopped"; }
        awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 900) }' &&
            { podman logs --tail 40 "$galaxy" >&2; die "Galaxy did not answer within 900 s"; }
        sleep 2
    done
    log "compose: Galaxy answers through the proxy $(since "$t0") after up: /api/version $version"
    expect_url 200 "http://127.0.0.1:$COMPOSE_PORT/"
    # galaxy.sh (the entrypoint) waits for the API before it makes the admin key.
    for i in $(seq 60); do
        GALAXY_KEY=$(podman exec "$galaxy" cat /export/galaxy/admin_api_key 2>/dev/null) && [[ -n "$GALAXY_KEY" ]] && break
        sleep 1
    done
    # A dataset written by Galaxy is on the shared volume, which the relay serves read-only.
    history=$(galaxy_api POST /api/histories '{"name": "cluster.sh"}' | json 'd["id"]')
    id=$(galaxy_api POST /api/tools/fetch "{\"history_id\": \"$history\", \"targets\": [{\"destination\": {\"type\": \"hdas\"}, \"elements\": [{\"src\": \"pasted\", \"paste_content\": \"chr7\\t140753300\\t140753400\\tBRAF_V600E\\n\", \"ext\": \"bed\", \"dbkey\": \"hg38\", \"name\": \"braf.bed\"}]}]}" | json 'd["outputs"][0]["id"]')
    for i in $(seq 180); do
        state=$(galaxy_api GET "/api/datasets/$id" | json 'd["state"]')
        [[ "$state" == ok || "$state" == error ]] && break
        sleep 1
    done
    [[ "$state" == ok ]] || die "the uploaded dataset is $state"
    path=$(galaxy_api GET "/api/datasets/$id?keys=file_name" | json 'd["file_name"]')
    rel=${path#/export/galaxy/data/objects/}
    log "compose: Galaxy stored braf.bed as $path; the relay serves it from the shared volume:"
    expect_url 200 "http://127.0.0.1:$COMPOSE_PORT/igv/files/galaxy/$rel"
    log "compose: all checks passed $(since "$t0") after up"
    compose_down
    trap - EXIT
}

kube() {
    trap 'down' EXIT
    up
    load
    down
    trap - EXIT
}

case "${1:-all}" in
    all)
        setup
        build
        kube
        compose
        ;;
    kube) setup; build; kube ;;
    setup) setup ;;
    build) build ;;
    up) up ;;
    load) load ;;
    down) down ;;
    compose) setup; build; compose ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
esac
