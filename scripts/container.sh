#!/usr/bin/env bash
# Builds igv-relay's container image from the unchanged Dockerfile with podman,
# runs it, checks that it becomes healthy as a non-root user and serves the demo
# pages on a loopback port, and stops it again.
#
# On the project's build machines there is no Docker daemon and no container
# registry (shared/reference/container.md), so `setup` first makes podman work
# (runc, ulimits the machine allows, docker.io short names) and builds local
# stand-ins for the public base images the Dockerfile names:
#   debian:bookworm-slim          with debuerreotype, the tool the official images are made with
#   rust:1.95(.0)-slim-bookworm   that image + gcc/libc6-dev + this host's rustup 1.95.0
#                                 toolchain + the host's extra CA certificates (for the
#                                 TLS-intercepting egress proxy; rebuilt when they change)
# On a machine with registry access the same Dockerfile builds with the real images.
#
# Usage: scripts/container.sh [all|setup|build|check|run|stop]
#   all (default)  setup, build, check
#   setup          packages, podman configuration, base images (idempotent; ~2 s when done)
#   build          podman build --pull=never --format docker -t $IMAGE .
#   check          run the image, wait for healthy, check user and demo pages, stop it
#   run            start the container and leave it running (stop with: stop)
#   stop           stop and remove the container
# Environment: IMAGE (localhost/igv-relay:local), NAME (igv-relay), PORT (18080; a free
# one is picked if taken), FORCE_BASE=1 rebuilds the base images.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/igv-relay:local}
NAME=${NAME:-igv-relay}
PORT=${PORT:-18080}
RUST_VERSION=1.95.0
SUITE=bookworm
WORK=${CONTAINER_WORK:-/var/tmp/igv-relay-container}
DEBIAN_SLIM=docker.io/library/debian:${SUITE}-slim
RUST_IMAGE=docker.io/library/rust:${RUST_VERSION}-slim-${SUITE}
RUST_TAGS=("rust:1.95-slim-${SUITE}" "rust:1-slim-${SUITE}" "rust:slim-${SUITE}")

log() { printf 'container.sh: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

# --- setup -------------------------------------------------------------------

install_packages() {
    local missing=() p status
    for p in podman buildah runc debootstrap debuerreotype curl; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [[ "$status" == installed ]] || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${missing[@]}" \
        || { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
}

# Writes $2 to $1 only when it differs (so reruns change nothing).
write_if_changed() {
    local path=$1 content=$2
    if [[ ! -f "$path" ]] || [[ "$(cat "$path")" != "$content" ]]; then
        mkdir -p "$(dirname "$path")"
        printf '%s\n' "$content" >"$path"
        log "wrote $path"
    fi
}

configure_podman() {
    # crun cannot run here (cgroup v1 hybrid); podman's default nofile/nproc
    # limits need CAP_SYS_RESOURCE, which these machines do not grant.
    local nofile nproc
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    [[ "$nofile" == unlimited ]] && nofile=1048576
    if [[ "$nproc" == unlimited ]] || ((nproc > 32768)); then nproc=32768; fi
    write_if_changed /etc/containers/containers.conf "# written by igv-relay scripts/container.sh
[containers]
default_ulimits = [\"nofile=${nofile}:${nofile}\", \"nproc=${nproc}:${nproc}\"]
[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\""
    write_if_changed /etc/containers/registries.conf.d/50-igv-relay-local-images.conf "# written by igv-relay scripts/container.sh: FROM rust:... means docker.io/library/rust:...
unqualified-search-registries = [\"docker.io\"]
short-name-mode = \"permissive\""
    write_if_changed /etc/containers/storage.conf "# written by igv-relay scripts/container.sh
[storage]
driver = \"overlay\"
runroot = \"/run/containers/storage\"
graphroot = \"/var/lib/containers/storage\""
}

image_exists() { podman image exists "$1"; }

build_debian_slim() {
    if image_exists "$DEBIAN_SLIM" && [[ "${FORCE_BASE:-}" != 1 ]]; then return; fi
    local t0 rootfs tar
    t0=$(now)
    log "building $DEBIAN_SLIM with debuerreotype (about a minute)"
    mkdir -p "$WORK"
    rootfs="$WORK/rootfs-$SUITE"
    tar="$WORK/$SUITE-slim.tar"
    rm -rf "$rootfs"
    export TZ=UTC LC_ALL=C
    debuerreotype-init --non-debian --merged-usr \
        --keyring /usr/share/keyrings/debian-archive-keyring.gpg \
        "$rootfs" "$SUITE" http://deb.debian.org/debian
    # debuerreotype-debian-sources-list asks snapshot.debian.org, which these
    # machines cannot reach: write the official deb822 file by hand.
    rm -f "$rootfs/etc/apt/sources.list"
    mkdir -p "$rootfs/etc/apt/sources.list.d"
    cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    debuerreotype-minimizing-config "$rootfs"
    debuerreotype-apt-get "$rootfs" update -qq
    debuerreotype-apt-get "$rootfs" full-upgrade -yqq
    debuerreotype-slimify "$rootfs"
    debuerreotype-tar --exclude ./etc/machine-id "$rootfs" "$tar"
    podman import --change 'CMD ["bash"]' "$tar" "$DEBIAN_SLIM" >/dev/null
    podman tag "$DEBIAN_SLIM" docker.io/library/debian:12-slim
    rm -rf "$rootfs" "$tar"
    log "$DEBIAN_SLIM built in $(since "$t0")"
}

host_ca_files() { find /usr/local/share/ca-certificates -maxdepth 1 -name '*.crt' -type f | sort; }

host_ca_sum() {
    local files
    mapfile -t files < <(host_ca_files)
    if [[ ${#files[@]} -eq 0 ]]; then echo none; else cat "${files[@]}" | sha256sum | cut -d' ' -f1; fi
}

build_rust() {
    local sum current sysroot ctx t0
    sum=$(host_ca_sum)
    current=$(podman image inspect --format '{{ index .Labels "local.host-ca-sha256" }}' "$RUST_IMAGE" 2>/dev/null || true)
    if [[ "$current" == "$sum" && "${FORCE_BASE:-}" != 1 ]]; then return; fi
    sysroot=$(rustc --print sysroot)
    if ! "$sysroot/bin/rustc" --version | grep -q "^rustc $RUST_VERSION "; then
        log "the host toolchain at $sysroot is not rustc $RUST_VERSION; cannot make $RUST_IMAGE"
        exit 1
    fi
    t0=$(now)
    log "building $RUST_IMAGE from the host's rustc $RUST_VERSION (host CA sha256 ${sum:0:12})"
    ctx=$(mktemp -d)
    mkdir -p "$ctx/ca"
    host_ca_files | while read -r f; do cp "$f" "$ctx/ca/"; done
    cat >"$ctx/Dockerfile" <<EOF
FROM $DEBIAN_SLIM
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:\$PATH RUST_VERSION=$RUST_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates gcc libc6-dev \\
    && rm -rf /var/lib/apt/lists/*
RUN mkdir -p \$RUSTUP_HOME/toolchains \$CARGO_HOME/bin \\
    && cp -a /host/toolchain \$RUSTUP_HOME/toolchains/$RUST_VERSION-x86_64-unknown-linux-gnu \\
    && cp /host/rustup \$CARGO_HOME/bin/rustup \\
    && printf 'version = "12"\ndefault_toolchain = "$RUST_VERSION-x86_64-unknown-linux-gnu"\nprofile = "minimal"\nauto_self_update = "disable"\n' > \$RUSTUP_HOME/settings.toml \\
    && for tool in cargo rustc rustdoc rust-gdb rust-gdbgui rust-lldb cargo-clippy clippy-driver cargo-fmt rustfmt; do ln \$CARGO_HOME/bin/rustup \$CARGO_HOME/bin/\$tool; done \\
    && (rustup component remove rust-docs clippy rustfmt 2>&1 || true) \\
    && chmod -R a+w \$RUSTUP_HOME \$CARGO_HOME \\
    && rustc --version && cargo --version
COPY ca/ /usr/local/share/ca-certificates/host-extra/
RUN update-ca-certificates
LABEL local.host-ca-sha256=$sum
EOF
    podman build --pull=never --format docker \
        -v "$sysroot:/host/toolchain:ro" -v "$HOME/.cargo/bin/rustup:/host/rustup:ro" \
        -t "$RUST_IMAGE" "$ctx"
    for tag in "${RUST_TAGS[@]}"; do podman tag "$RUST_IMAGE" "docker.io/library/$tag"; done
    rm -rf "$ctx"
    log "$RUST_IMAGE built in $(since "$t0")"
}

setup() {
    local t0
    t0=$(now)
    install_packages
    configure_podman
    build_debian_slim
    build_rust
    log "setup done in $(since "$t0")"
}

# --- build and check ---------------------------------------------------------

build() {
    local t0 size
    t0=$(now)
    podman build --pull=never --format docker -t "$IMAGE" .
    size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
    log "built $IMAGE in $(since "$t0"); size $((size / 1000000)) MB ($size bytes)"
    if ((size >= 100000000)); then
        log "the image is over 100 MB"
        exit 1
    fi
}

free_port() {
    if ss -ltnH "sport = :$PORT" | grep -q .; then
        PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        log "port taken; using $PORT"
    fi
}

stop() {
    if podman container exists "$NAME"; then
        podman stop --time 10 "$NAME" >/dev/null 2>&1 || true
        podman rm -f "$NAME" >/dev/null 2>&1 || true
        log "stopped and removed $NAME"
    fi
}

start() {
    stop
    free_port
    # Data roots come in as volumes; the demo files are built into the binary.
    podman run -d --name "$NAME" -p "127.0.0.1:$PORT:8080" \
        -e "IGV_RELAY__SERVER__PUBLIC_URL=http://127.0.0.1:$PORT/" \
        -e IGV_RELAY__LOG__FORMAT=json \
        "$IMAGE" >/dev/null
}

# Polls the HEALTHCHECK: without systemd podman does not run it on a timer.
wait_healthy() {
    local t0=$1 i
    for i in $(seq 1 100); do
        if podman healthcheck run "$NAME" >/dev/null 2>&1; then
            log "healthy $(since "$t0") after podman run"
            return
        fi
        sleep 0.2
    done
    podman logs "$NAME" >&2 || true
    log "not healthy after 20 s"
    exit 1
}

expect() { # expect STATUS PATH: GET through the published port
    local want=$1 path=$2 got
    got=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$path")
    if [[ "$got" != "$want" ]]; then
        log "GET $path answered $got, expected $want"
        exit 1
    fi
    printf '  %s %s\n' "$got" "$path"
}

check() {
    local t0 uid user code
    trap stop EXIT
    t0=$(now)
    start
    wait_healthy "$t0"
    uid=$(podman exec "$NAME" id -u)
    user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
    [[ "$uid" != 0 ]] || { log "the container runs as root"; exit 1; }
    log "runs as uid $uid (image User $user): $(podman top "$NAME" user pid args | tail -n +2)"
    log "demo pages on http://127.0.0.1:$PORT/:"
    expect 200 /healthz
    expect 200 /readyz
    expect 200 /
    expect 200 '/?loci=chr7:140753336-140753436&genome=hg38'
    expect 200 /files/demo/
    expect 200 /files/demo/variants.vcf
    expect 200 /files/demo/peaks.bed
    expect 200 /static/igv-relay.css
    expect 200 /static/igv-relay.js
    expect 200 '/embed?loci=chr1:100-200'
    expect 200 /api/genomes
    expect 200 /api/openapi.json
    # /metrics is off the public port unless metrics.bind/metrics.token say otherwise.
    expect 404 /metrics
    expect 303 '/igv/goto?locus=chr7:140753336-140753436'
    expect 400 '/igv/goto?locus=chr7:500-100'
    curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/" | grep -iE '^(content-security-policy|x-request-id|x-content-type-options):' | sed 's/^/  /'
    t0=$(now)
    podman stop --time 10 "$NAME" >/dev/null
    code=$(podman inspect --format '{{.State.ExitCode}}' "$NAME")
    log "stopped in $(since "$t0") with exit code $code"
    podman rm "$NAME" >/dev/null
    trap - EXIT
    [[ "$code" == 0 ]] || exit 1
}

case "${1:-all}" in
    all) setup; build; check ;;
    setup) setup ;;
    build) build ;;
    check) check ;;
    run) start; wait_healthy "$(now)"; log "running on http://127.0.0.1:$PORT/ (stop: $0 stop)" ;;
    stop) stop ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 2 ;;
esac
