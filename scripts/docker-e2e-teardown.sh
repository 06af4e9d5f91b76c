#!/usr/bin/env bash
# Stops the private Docker daemon started by scripts/docker-e2e-setup.sh (and every container on it).
#   scripts/docker-e2e-teardown.sh            # stop; images and data stay for a fast next setup
#   scripts/docker-e2e-teardown.sh --purge    # stop and delete the state directory
set -euo pipefail

STATE_DIR="${SHARDCAST_DOCKER_DIR:-/tmp/shardcast-dockerd}"
SOCK="$STATE_DIR/docker.sock"
PIDFILE="$STATE_DIR/dockerd.pid"
# dockerd stops its containers (10 s grace each, in parallel) and its containerd before exiting.
STOP_TIMEOUT_S=30

log() { echo "docker-e2e-teardown: $*" >&2; }

if [ -S "$SOCK" ]; then
  ids="$(DOCKER_HOST="unix://$SOCK" docker ps -aq 2>/dev/null || true)"
  # shellcheck disable=SC2086
  [ -n "$ids" ] && DOCKER_HOST="unix://$SOCK" docker rm -f $ids >/dev/null 2>&1 || true
fi

if [ -f "$PIDFILE" ] && pid="$(cat "$PIDFILE")" && kill -0 "$pid" 2>/dev/null; then
  log "stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  deadline=$((SECONDS + STOP_TIMEOUT_S))
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "dockerd did not stop within ${STOP_TIMEOUT_S}s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
else
  log "no dockerd running for $STATE_DIR"
fi
rm -f "$PIDFILE" "$SOCK"

if [ "${1:-}" = "--purge" ]; then
  # vfs layers and containerd state may hold mounts; unmount before deleting.
  grep -o " $STATE_DIR[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$STATE_DIR"
  log "deleted $STATE_DIR"
fi
