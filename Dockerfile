# igv-relay container: a Rust build stage and a slim Debian runtime.
# Builds unchanged with `docker build .` or `podman build --format docker .`
# (the docker format keeps the HEALTHCHECK); see scripts/container.sh.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /app
# Dependencies first, in their own layer: a change under crates/*/src only
# recompiles igv-relay itself. The workspace's manifests go in with empty
# stand-ins for each crate's sources and for the [[bench]]/[[example]]/
# [[test]] entries their manifests name (cargo needs a file for every
# target it knows; they are never built here).
COPY Cargo.toml Cargo.lock ./
COPY crates/igv-relay-core/Cargo.toml crates/igv-relay-core/askama.toml crates/igv-relay-core/
COPY crates/igv-relay/Cargo.toml crates/igv-relay/askama.toml crates/igv-relay/
RUN for crate in crates/igv-relay-core crates/igv-relay; do \
        mkdir -p "$crate/src" && touch "$crate/src/lib.rs" \
        && awk '/^\[\[(bench|example|test)\]\]/ { kind = $0; gsub(/[][]/, "", kind); next } \
                /^\[/ { kind = "" } \
                kind && /^name *=/ { name = $0; gsub(/^name *= *"|".*$/, "", name); print kind, name; kind = "" }' "$crate/Cargo.toml" \
           | while read -r kind name; do \
               case "$kind" in bench) dir=benches ;; example) dir=examples ;; *) dir=tests ;; esac; \
               mkdir -p "$crate/$dir" && echo 'fn main() {}' > "$crate/$dir/$name.rs"; \
             done; \
    done \
    && echo 'fn main() {}' > crates/igv-relay/src/main.rs \
    && cargo build --release --locked --bin igv-relay \
    && rm -rf crates/igv-relay-core/src crates/igv-relay/src target/release/igv-relay \
       target/release/deps/*igv_relay* target/release/.fingerprint/igv-relay*
COPY crates ./crates
# The templates (askama), the stylesheet of static pages, the genome tables
# and the default configuration are compiled in, and stay at the top.
COPY templates ./templates
COPY static ./static
COPY config ./config
COPY genomes ./genomes
# The demo result files are compiled into the binary (sources/demo.rs).
COPY demo ./demo
RUN cargo build --release --locked --bin igv-relay && strip target/release/igv-relay

# Debian's CA bundle for outbound HTTPS (Galaxy, remote files). igv-relay uses
# rustls, so the runtime takes only the bundle, not the openssl and libssl3
# that the ca-certificates package depends on (7 MB, the image stays < 100 MB).
FROM debian:bookworm-slim AS certs
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

FROM debian:bookworm-slim AS runtime
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN groupadd --gid 10001 igv-relay \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin igv-relay \
    && mkdir -p /data /etc/igv-relay
WORKDIR /srv/igv-relay
COPY --from=builder /app/target/release/igv-relay /usr/local/bin/igv-relay
USER 10001:10001
# Templates, static files, genomes, the demo result files and the default
# configuration are compiled into the binary (the demo is written to /tmp, or
# $XDG_CACHE_HOME, on start when no data root is configured, or with --demo). Configure with IGV_RELAY__SECTION__KEY variables, e.g.
#   -e IGV_RELAY__SERVER__PUBLIC_URL=https://galaxy.lab.org/igv/
# and/or mount a YAML/TOML file and pass it: `--config /etc/igv-relay/config.yaml serve`.
# Result files are mounted read-only under /data: `serve --data-dir /data/results`
# or `data.roots` in the configuration file. Variables override the file, so
# the bind address below (which the HEALTHCHECK also reads) always holds.
ENV IGV_RELAY__SERVER__BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/igv-relay", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/igv-relay"]
CMD ["serve"]
