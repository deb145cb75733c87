#!/usr/bin/env bash
# Starts a local single-server Berth cluster with its state in ./.berth-dev.
# Ctrl-C stops it; running it again resumes from the same state.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BERTH_DEV_DIR:-.berth-dev}
mkdir -p "$dir"
echo "berth: API on http://127.0.0.1:6440 (try: bin/berth get namespaces)"
exec bin/berth server --name dev-1 --data-dir "$dir/dev-1" --bind 127.0.0.1 \
  --http-port 6440 --raft-port 6441 --gossip-port 6442 --bootstrap-expect 1
