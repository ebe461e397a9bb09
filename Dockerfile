# igv-relay container: a Rust build stage and a slim Debian runtime.
ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS builder
WORKDIR /app
# Dependencies first, in their own layer, so a source change rebuilds in seconds.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src target/release/igv-relay target/release/deps/igv_relay-* target/release/deps/libigv_relay-* target/release/.fingerprint/igv-relay-*
COPY src ./src
COPY templates ./templates
COPY static ./static
COPY config ./config
COPY genomes ./genomes
RUN cargo build --release --locked --bin igv-relay && strip target/release/igv-relay

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 igv-relay \
    && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin igv-relay
WORKDIR /srv/igv-relay
COPY --from=builder /app/target/release/igv-relay /usr/local/bin/igv-relay
COPY demo ./demo
USER igv-relay
# Listen on all interfaces inside the container; set IGV_RELAY__SERVER__PUBLIC_URL
# to the URL users reach it at. Mount data roots and an optional config file:
#   -v /data/results:/data:ro -e IGV_RELAY__DATA__ROOTS... or --config /etc/igv-relay.yaml
ENV IGV_RELAY__SERVER__BIND=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/igv-relay", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/igv-relay"]
CMD ["serve"]
