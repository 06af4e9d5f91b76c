#!/usr/bin/env bash
# Starts a private Docker daemon for the e2e tier and builds the two test images from local rootfs trees
# (no image registry is reachable here). Idempotent: a second run reuses the running daemon and the images.
#
#   eval "$(sudo scripts/docker-e2e-setup.sh)"     # exports DOCKER_HOST for this shell
#   node scripts/test.mjs e2e docker                # the docker-engines e2e suite
#   scripts/docker-e2e-teardown.sh                  # stops the daemon (add --purge to delete its data)
#
# stdout carries only the `export DOCKER_HOST=...` line; progress goes to stderr.
# Images: shardcast/busybox:e2e (static busybox) and shardcast/engine:e2e (busybox + a
# `shardcast-engine-sim` wrapper; node, libraries and the repo are bind-mounted, see docker/README.md).
# Environment: SHARDCAST_DOCKER_DIR (state directory, default /tmp/shardcast-dockerd).
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
STATE_DIR="${SHARDCAST_DOCKER_DIR:-/tmp/shardcast-dockerd}"
SOCK="$STATE_DIR/docker.sock"
PIDFILE="$STATE_DIR/dockerd.pid"
LOG="$STATE_DIR/dockerd.log"
DOCKER_HOST_VALUE="unix://$SOCK"
# The daemon needs a few seconds on a cold machine (containerd start, vfs init).
READY_TIMEOUT_S=60

log() { echo "docker-e2e-setup: $*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (dockerd needs it); try: sudo $0"

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

daemon_alive() {
  [ -S "$SOCK" ] && DOCKER_HOST="$DOCKER_HOST_VALUE" docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start_daemon() {
  if daemon_alive; then
    log "reusing dockerd on $DOCKER_HOST_VALUE"
    return 0
  fi
  # A stale pid file or socket from a killed daemon would make dockerd refuse to start.
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    die "dockerd (pid $(cat "$PIDFILE")) runs but does not answer on $SOCK; run scripts/docker-e2e-teardown.sh"
  fi
  rm -f "$PIDFILE" "$SOCK"
  mkdir -p "$STATE_DIR/data" "$STATE_DIR/exec"
  log "starting dockerd on $DOCKER_HOST_VALUE (log: $LOG)"
  # No bridge and no iptables: the sandbox has no netfilter; containers use --network host or none.
  setsid dockerd \
    --iptables=false --ip-forward=false --ip-masq=false --bridge=none --storage-driver=vfs \
    --host "$DOCKER_HOST_VALUE" --data-root "$STATE_DIR/data" --exec-root "$STATE_DIR/exec" \
    --pidfile "$PIDFILE" >"$LOG" 2>&1 </dev/null &
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until daemon_alive; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$LOG" >&2 || true
      die "dockerd did not answer within ${READY_TIMEOUT_S}s"
    fi
    sleep 0.2
  done
  log "dockerd $(DOCKER_HOST="$DOCKER_HOST_VALUE" docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
}

# shellcheck source=../docker/rootfs.sh
. "$ROOT_DIR/docker/rootfs.sh"

install_packages
start_daemon
export DOCKER_HOST="$DOCKER_HOST_VALUE"
build_image shardcast/busybox:e2e busybox_rootfs
build_image shardcast/engine:e2e engine_rootfs
echo "export DOCKER_HOST=$DOCKER_HOST_VALUE"
