#!/usr/bin/env bash
# Starts a local one-machine Berth cluster (`berth dev`: a server and a node agent on
# the local Docker engine) with its state in ./.berth-dev. Ctrl-C stops it and removes
# its containers; running it again resumes from the same objects.
# Without a reachable Docker engine it falls back to a server alone (no pods run).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BERTH_DEV_DIR:-.berth-dev}
mkdir -p "$dir"
sock=${DOCKER_HOST:-unix:///var/run/docker.sock}
if [ -S "${sock#unix://}" ] || [ "${sock#unix://}" = "$sock" ]; then
  exec bin/berth dev --data-dir "$dir" --http-port 6440
fi
echo "berth: no Docker engine at $sock; starting a server without a node (pods will not run)"
echo "berth: API on http://127.0.0.1:6440 (try: bin/berth get namespaces)"
exec bin/berth server --name dev-1 --data-dir "$dir/dev-1" --bind 127.0.0.1 \
  --http-port 6440 --raft-port 6441 --gossip-port 6442 --bootstrap-expect 1 --insecure-dev
