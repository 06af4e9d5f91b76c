#!/usr/bin/env bash
# Runs one engine container (shardcast/engine:e2e running the repo's engine-sim) on the e2e daemon.
#   docker/run-engine.sh NAME PORT [extra `docker run` args...] [-- extra engine-sim args...]
# Prints the container id. Needs DOCKER_HOST (eval "$(scripts/docker-e2e-setup.sh)") and a built
# engine-sim (npx tsc -b apps/engine-sim). The container uses the host network and listens on
# 127.0.0.1:PORT; its labels make Docker discovery register it as http://127.0.0.1:PORT.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 NAME PORT [docker run args...] [-- engine-sim args...]" >&2; exit 2; }
NAME="$1"
PORT="$2"
shift 2
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
NODE_BIN="$(readlink -f "$(command -v node)")"

docker_args=()
sim_args=()
while [ $# -gt 0 ]; do
  if [ "$1" = "--" ]; then shift; sim_args=("$@"); break; fi
  docker_args+=("$1")
  shift
done

[ -f "$ROOT_DIR/apps/engine-sim/dist/src/cli.js" ] || {
  echo "engine-sim is not built: run npx tsc -b apps/engine-sim" >&2
  exit 1
}

# Read-only bind mounts: the host's node and the libraries it links, and the repo (engine-sim and its
# workspace packages). /lib and /lib64 may be symlinks into /usr (merged /usr); the mounts follow them.
exec docker run --detach --init --network host --name "$NAME" \
  --label shardcast.engine=true \
  --label shardcast.engine.host=127.0.0.1 \
  --label "shardcast.engine.port=$PORT" \
  --volume "$NODE_BIN:/usr/local/bin/node:ro" \
  --volume /lib:/lib:ro --volume /lib64:/lib64:ro --volume /usr/lib:/usr/lib:ro \
  --volume "$ROOT_DIR:/app:ro" \
  "${docker_args[@]}" \
  shardcast/engine:e2e shardcast-engine-sim --host 127.0.0.1 --port "$PORT" "${sim_args[@]}"
