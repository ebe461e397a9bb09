#!/usr/bin/env bash
# A real Galaxy server for igv-relay's integration tests (crates/igv-relay/tests/http/galaxy*.rs and
# e2e/galaxy_plugin.rs), installed from PyPI into a cached directory and configured the way
# README.md (section "Galaxy") tells a Galaxy admin to: display applications, the render tool,
# and the igv_relay visualization (GALAXY_RELAY_URL written into it; VCF's default view).
#
#   scripts/galaxy.sh install   venv + Galaxy (idempotent: a marker file skips it next time)
#   scripts/galaxy.sh start     install if needed, write the config, start, wait until the
#                               API answers, make the admin user and its API key, print
#                               GALAXY_URL=... and GALAXY_API_KEY=... (a second start
#                               while it runs with the same config only prints them;
#                               GALAXY_STARTED=1 says this call launched the server)
#   scripts/galaxy.sh stop      TERM (then KILL after 30 s) to Galaxy's process group only
#   scripts/galaxy.sh status    "running pid=... url=..."; exit 1 when not running
#   scripts/galaxy.sh env       the same values as export lines: eval "$(scripts/galaxy.sh env)"
#
# Settings (environment):
#   IGV_RELAY_CACHE      cache root (default ~/.cache/igv-relay); Galaxy goes in its galaxy/
#   GALAXY_DIR           work directory (default $IGV_RELAY_CACHE/galaxy): venv, config, data
#   GALAXY_VERSION       26.1.2          GALAXY_PYTHON  python3 (3.9 to 3.13)
#   GALAXY_HOST          127.0.0.1       GALAXY_PORT    8089
#   GALAXY_RELAY_URL     the relay's public URL written into the display applications
#                        (default http://127.0.0.1:18080/; the tests bind the relay there)
#   GALAXY_START_TIMEOUT seconds to wait for the API (default 300)
#   GALAXY_NO_INSTALL=1  start fails instead of installing
#   GALAXY_NO_LAUNCH=1   start fails instead of launching a server that is not running
#                        (tests/http/galaxy.rs sets both outside CI, so a plain `cargo test`
#                        uses a running Galaxy or skips, and never starts one)
#   IGV_RELAY_BIN        igv-relay binary for the "render" tool (default $CARGO_TARGET_DIR or target, debug/igv-relay)
#
# Install needs PyPI (~340 wheels, about 2 minutes); after that nothing needs the network.
# Galaxy 26.1.2's metapackage pins certifi==2026.10.19, which PyPI does not have (only
# .post1), so the pins are installed from the wheel's metadata and any pin that cannot be
# found is relaxed to >= (shared/reference/galaxy-real.md section 1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}
DIR=${GALAXY_DIR:-$CACHE/galaxy}
VERSION=${GALAXY_VERSION:-26.1.2}
PYTHON=${GALAXY_PYTHON:-python3}
HOST=${GALAXY_HOST:-127.0.0.1}
PORT=${GALAXY_PORT:-8089}
RELAY_URL=${GALAXY_RELAY_URL:-http://127.0.0.1:18080/}
RELAY_URL=${RELAY_URL%/}/
START_TIMEOUT=${GALAXY_START_TIMEOUT:-300}
RELAY_BIN=${IGV_RELAY_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/igv-relay}
ADMIN_EMAIL=admin@example.org
ADMIN_PASSWORD=admin-password
BOOTSTRAP_KEY=igv-relay-test-bootstrap-key

URL="http://$HOST:$PORT"
VENV="$DIR/venv"
MARKER="$VENV/.installed-$VERSION"
CONF="$DIR/config"
PIDFILE="$DIR/galaxy.pid"
LOG="$DIR/galaxy.log"
KEYFILE="$DIR/admin_api_key"

say() { echo "galaxy.sh: $*" >&2; }
die() { say "$*"; exit 1; }

install() {
    if [[ -f "$MARKER" ]]; then
        say "Galaxy $VERSION is installed in $VENV"
        return
    fi
    command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set GALAXY_PYTHON)"
    mkdir -p "$DIR"
    local started=$SECONDS log="$DIR/install.log"
    say "installing Galaxy $VERSION into $VENV (log: $log)"
    rm -rf "$VENV" "$DIR/wheel"
    : >"$log"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --upgrade pip wheel setuptools >>"$log" 2>&1 || {
        tail -20 "$log" >&2; die "pip upgrade failed"; }
    "$VENV/bin/pip" download --no-deps -d "$DIR/wheel" "galaxy==$VERSION" >>"$log" 2>&1 || {
        tail -20 "$log" >&2; die "cannot download galaxy==$VERSION from PyPI"; }
    local wheel
    wheel=$(ls "$DIR"/wheel/galaxy-"$VERSION"-*.whl)
    "$VENV/bin/python" - "$wheel" >"$DIR/requirements.txt" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    for line in z.read(meta).decode().splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            print(line.split(":", 1)[1].strip())
PY
    local attempt missing
    for attempt in 1 2 3 4 5 6; do
        if "$VENV/bin/pip" install -r "$DIR/requirements.txt" >>"$log" 2>&1; then
            break
        fi
        missing=$(grep -o 'No matching distribution found for [^ ]*==[^ ]*' "$log" | tail -1 |
            sed 's/.* for //') || true
        if [[ -z "$missing" || $attempt == 6 ]]; then
            tail -30 "$log" >&2
            die "pip install of Galaxy's pinned requirements failed"
        fi
        say "relaxing the unavailable pin $missing to >="
        sed -i "s/^${missing//./\\.}\\b/${missing/==/>=}/" "$DIR/requirements.txt"
        echo "--- retry after relaxing $missing" >>"$log"
    done
    "$VENV/bin/pip" install --no-deps "$wheel" >>"$log" 2>&1 || {
        tail -20 "$log" >&2; die "pip install galaxy failed"; }
    touch "$MARKER"
    say "installed in $((SECONDS - started)) s"
}

galaxy_package_dir() {
    "$VENV/bin/python" -c 'import galaxy.config, os; print(os.path.dirname(galaxy.config.__file__))'
}

# Writes $CONF from scratch. Everything igv-relay-specific follows README.md, "Galaxy".
configure() {
    local sample data="$DIR/data"
    sample="$(galaxy_package_dir)/sample"
    mkdir -p "$CONF" "$data/tool-data/shared/ucsc" "$data/tool-data/shared/igv"
    cat >"$CONF/galaxy.yml" <<EOF
gravity:
  gunicorn:
    bind: $HOST:$PORT
galaxy:
  config_dir: $CONF
  data_dir: $data
  database_connection: sqlite:///$data/universe.sqlite?isolation_level=IMMEDIATE
  file_path: $data/objects
  tool_data_path: $data/tool-data
  tool_config_file: $CONF/tool_conf.xml
  tool_sheds_config_file: $CONF/tool_sheds_conf.xml
  tool_data_table_config_path: $CONF/tool_data_table_conf.xml
  datatypes_config_file: $CONF/datatypes_conf.xml
  build_sites_config_file: $CONF/build_sites.yml
  builds_file_path: $data/tool-data/shared/ucsc/builds.txt
  sanitize_allowlist_file: $CONF/sanitize_allowlist.txt
  admin_users: $ADMIN_EMAIL
  bootstrap_admin_api_key: $BOOTSTRAP_KEY
  id_secret: igv-relay-test-id-secret-0123456789
  galaxy_infrastructure_url: $URL
  conda_auto_init: false
  conda_auto_install: false
  enable_mulled_containers: false
  watch_tools: false
  watch_tool_data_dir: false
  enable_celery_tasks: false
  enable_old_display_applications: true
  log_level: INFO
  static_dir: $DIR/static/
EOF
    cat >"$CONF/tool_conf.xml" <<EOF
<?xml version="1.0"?>
<toolbox>
  <section id="getext" name="Get Data">
    <tool file="data_source/upload.xml"/>
  </section>
  <section id="igv_relay" name="IGV">
    <tool file="$CONF/tools/igv_relay_render.xml"/>
  </section>
</toolbox>
EOF
    echo '<?xml version="1.0"?><tool_sheds></tool_sheds>' >"$CONF/tool_sheds_conf.xml"
    # The sample fetches IGV's genome list from the internet at every start; use a file.
    printf 'Human hg38\thttp://127.0.0.1/hg38.genome\thg38\nHuman hg19\thttp://127.0.0.1/hg19.genome\thg19\n' \
        >"$data/tool-data/shared/igv/igv_broad_genomes.loc"
    sed "s#<file url=\"[^\"]*genomes.txt\"[^>]*/>#<file path=\"$data/tool-data/shared/igv/igv_broad_genomes.loc\"/>#" \
        "$sample/tool_data_table_conf.xml.sample" >"$CONF/tool_data_table_conf.xml"
    printf 'hg38\tHuman hg38\nhg19\tHuman hg19\nmm10\tMouse mm10\n?\tunspecified (?)\n' \
        >"$data/tool-data/shared/ucsc/builds.txt"
    printf 'main\thttp://genome.ucsc.edu/cgi-bin/hgTracks?\thg38,hg19,mm10\n' \
        >"$data/tool-data/shared/ucsc/ucsc_build_sites.txt"
    printf 'web_link_main\tweb current\thttp://www.broadinstitute.org/igv/projects/current/igv.php\thg38,hg19,mm10\thg38,hg19,mm10\n' \
        >"$data/tool-data/shared/igv/igv_build_sites.txt"
    cat >"$CONF/build_sites.yml" <<EOF
- type: ucsc
  file: $data/tool-data/shared/ucsc/ucsc_build_sites.txt
  display: [main]
- type: igv
  file: $data/tool-data/shared/igv/igv_build_sites.txt
EOF
    # The admin steps of README.md ("Galaxy"): copy the display applications with the
    # relay's public URL in them, add them to datatypes_conf.xml, allow-list the tool's HTML.
    mkdir -p "$CONF/display_applications/igv_relay" "$CONF/tools"
    local xml
    for xml in "$ROOT"/deploy/galaxy/display_applications/igv_relay/*.xml; do
        sed "s#http://127.0.0.1:8080/#$RELAY_URL#g" "$xml" \
            >"$CONF/display_applications/igv_relay/$(basename "$xml")"
    done
    cp "$sample/datatypes_conf.xml.sample" "$CONF/datatypes_conf.xml"
    "$VENV/bin/python" "$ROOT/deploy/galaxy/add_displays.py" \
        "$CONF/datatypes_conf.xml" "$CONF/display_applications/igv_relay" >/dev/null
    # The visualization as the default view of VCF datasets (README.md, "Galaxy", step 5).
    "$VENV/bin/python" "$ROOT/deploy/galaxy/map_visualization.py" \
        "$CONF/datatypes_conf.xml" igv_relay vcf >/dev/null
    sed -e "s#^igv-relay render#'$RELAY_BIN' render#" \
        -e "s#>igv-relay --version<#>'$RELAY_BIN' --version<#" \
        -e "s#http://127.0.0.1:8080/#$RELAY_URL#g" \
        "$ROOT/deploy/galaxy/tools/igv_relay_render.xml" >"$CONF/tools/igv_relay_render.xml"
    echo "igv_relay_render" >"$CONF/sanitize_allowlist.txt"
    install_visualization
}

# The visualization plugin (README.md, "Galaxy", "The igv-relay visualization"): Galaxy's
# registry loads plugins from <root>/static/plugins/visualizations (root: the working
# directory, $DIR) and the client loads the plugin's script from
# /static/plugins/visualizations/igv_relay/static/, served from static_dir. The package's
# own static files stay where they are, linked into $DIR/static.
install_visualization() {
    local package_static entry file
    package_static=$(cd "$(galaxy_package_dir)/../webapps/base/static" && pwd)
    rm -rf "$DIR/static"
    mkdir -p "$DIR/static/plugins/visualizations/igv_relay/static"
    for entry in "$package_static"/*; do
        [[ "$(basename "$entry")" == plugins ]] && continue
        ln -s "$entry" "$DIR/static/$(basename "$entry")"
    done
    for file in "$ROOT"/deploy/galaxy/visualizations/igv_relay/static/*; do
        sed "s#http://127.0.0.1:8080/#$RELAY_URL#g" "$file" \
            >"$DIR/static/plugins/visualizations/igv_relay/static/$(basename "$file")"
    done
}

config_hash() {
    cat "$CONF"/*.xml "$CONF"/*.yml "$CONF"/*.txt "$CONF"/display_applications/igv_relay/*.xml \
        "$CONF"/tools/*.xml "$DIR"/static/plugins/visualizations/igv_relay/static/* | sha256sum | cut -d' ' -f1
}

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid=$(cat "$PIDFILE")
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q galaxy-web || return 1
    echo "$pid"
}

api() { # METHOD PATH [JSON]: prints the body, fails on HTTP errors
    local args=(-fsS -X "$1" -H "x-api-key: $BOOTSTRAP_KEY" "$URL$2")
    if [[ $# -ge 3 ]]; then
        args+=(-H 'content-type: application/json' -d "$3")
    fi
    curl "${args[@]}"
}

json() { "$VENV/bin/python" -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

ensure_admin() {
    local users id key
    users=$(api GET "/api/users?f_email=$ADMIN_EMAIL")
    id=$(json 'd[0]["id"] if d else ""' <<<"$users")
    if [[ -z "$id" ]]; then
        id=$(api POST /api/users \
            "{\"username\":\"admin\",\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" |
            json 'd["id"]')
    fi
    key=$(api GET "/api/users/$id/api_key" | json 'd or ""')
    if [[ -z "$key" ]]; then
        key=$(api POST "/api/users/$id/api_key" | json 'd')
    fi
    echo "$key" >"$KEYFILE"
}

print_env() { # PREFIX
    local key=""
    [[ -f "$KEYFILE" ]] && key=$(cat "$KEYFILE")
    echo "${1}GALAXY_URL=$URL"
    echo "${1}GALAXY_API_KEY=$key"
    echo "${1}GALAXY_ADMIN_EMAIL=$ADMIN_EMAIL"
    echo "${1}GALAXY_RELAY_URL=$RELAY_URL"
    echo "${1}GALAXY_DIR=$DIR"
}

start() {
    if [[ ! -f "$MARKER" ]]; then
        [[ "${GALAXY_NO_INSTALL:-0}" == 1 ]] && die "Galaxy is not installed in $VENV (run: scripts/galaxy.sh install)"
        install
    fi
    configure
    local hash pid started=$SECONDS
    hash=$(config_hash)
    if pid=$(running_pid); then
        if [[ "$(cat "$DIR/galaxy.config-hash" 2>/dev/null)" == "$hash" ]] &&
            curl -fsS "$URL/api/version" >/dev/null 2>&1; then
            ensure_admin
            print_env ""
            echo "GALAXY_STARTED=0"
            return
        fi
        [[ "${GALAXY_NO_LAUNCH:-0}" == 1 ]] && die "Galaxy runs with another configuration (GALAXY_NO_LAUNCH=1)"
        say "configuration changed; restarting"
        stop
    fi
    [[ "${GALAXY_NO_LAUNCH:-0}" == 1 ]] && die "Galaxy is not running (scripts/galaxy.sh start)"
    if curl -sS -o /dev/null "$URL/api/version" 2>/dev/null; then
        die "something else answers at $URL; set GALAXY_PORT"
    fi
    echo "$hash" >"$DIR/galaxy.config-hash"
    say "starting Galaxy at $URL (log: $LOG)"
    echo "=== start $(date -u +%FT%TZ)" >>"$LOG"
    # setsid: its own process group, so stop can end it and its job processes, and only them.
    (
        cd "$DIR"
        export PATH="$VENV/bin:$PATH" GALAXY_VIRTUAL_ENV="$VENV"
        exec setsid "$VENV/bin/galaxy-web" -c "$CONF/galaxy.yml" -b "$HOST:$PORT" \
            >>"$LOG" 2>&1 </dev/null
    ) &
    echo $! >"$PIDFILE"
    until curl -fsS "$URL/api/version" >/dev/null 2>&1; do
        if ! running_pid >/dev/null; then
            tail -40 "$LOG" >&2
            rm -f "$PIDFILE"
            die "Galaxy exited during start-up (log: $LOG)"
        fi
        if ((SECONDS - started > START_TIMEOUT)); then
            tail -40 "$LOG" >&2
            stop
            die "Galaxy did not answer within $START_TIMEOUT s (log: $LOG)"
        fi
        sleep 1
    done
    ensure_admin
    say "ready in $((SECONDS - started)) s"
    print_env ""
    echo "GALAXY_STARTED=1"
}

stop() {
    local pid
    if ! pid=$(running_pid); then
        rm -f "$PIDFILE"
        say "not running"
        return
    fi
    kill -TERM -- "-$pid" 2>/dev/null || true
    local waited=0
    while kill -0 -- "-$pid" 2>/dev/null; do
        if ((waited >= 30)); then
            say "still running after 30 s; killing process group $pid"
            kill -KILL -- "-$pid" 2>/dev/null || true
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$PIDFILE"
    say "stopped (pid $pid)"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status)
    if pid=$(running_pid); then
        echo "running pid=$pid url=$URL"
    else
        echo "not running"
        exit 1
    fi
    ;;
env) print_env "export " ;;
*)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
