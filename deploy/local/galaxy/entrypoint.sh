#!/usr/bin/env bash
# Starts the PyPI Galaxy of the stand-in image with scripts/galaxy.sh (the tests'
# configuration: SQLite, no Conda, igv-relay's display applications and tool) on
# port 80, state under /export/galaxy, and stays in the foreground while it runs.
set -euo pipefail
export GALAXY_DIR=/export/galaxy GALAXY_HOST=0.0.0.0 GALAXY_PORT=80
# The relay's public URL for the display applications: compose.yaml's proxy.
export GALAXY_RELAY_URL=${GALAXY_RELAY_URL:-http://localhost:8080/igv/}
export GALAXY_START_TIMEOUT=${GALAXY_START_TIMEOUT:-600}
mkdir -p "$GALAXY_DIR/data/objects" "$GALAXY_DIR/database"
# The virtualenv stays in the image; galaxy.sh finds it (and its install marker) here.
ln -sfn /opt/galaxy/venv "$GALAXY_DIR/venv"
# Datasets where the bgruening image keeps them (/export/galaxy/database/files),
# which is the path deploy/compose/igv-relay.yaml gives the relay.
ln -sfn ../data/objects "$GALAXY_DIR/database/files"
galaxy=/opt/igv-relay/scripts/galaxy.sh
stop() { bash "$galaxy" stop; exit 0; }
trap stop TERM INT
bash "$galaxy" start
pid=$(cat "$GALAXY_DIR/galaxy.pid")
tail -n +1 -F "$GALAXY_DIR/galaxy.log" &
while kill -0 "$pid" 2>/dev/null; do sleep 2 & wait $! || true; done
echo "galaxy-entrypoint: Galaxy (pid $pid) exited" >&2
exit 1
