#!/usr/bin/env bash
# Builds, out of this machine's own files, the images that docker/Dockerfile and docker/compose.yaml name,
# for machines that cannot pull from a registry (the e2e tier, air-gapped boxes):
#   node:20-bookworm-slim     the host's node and npm, glibc, CA certificates, user `node` (uid 1000)
#   prom/prometheus:v2.42.0   Debian's prometheus binary (when installed)
#   haproxy:2.6               Debian's haproxy binary (when installed)
# Where Docker Hub is reachable this script is not needed: docker pulls the real images.
#   scripts/docker-local-images.sh            # needs DOCKER_HOST or the default socket
# Idempotent: an unchanged recipe and binary reuse the image (label shardcast.recipe).
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
BUSYBOX_BIN="${BUSYBOX_BIN:-/bin/busybox}"
# shellcheck source=../docker/rootfs.sh
. "$ROOT_DIR/docker/rootfs.sh"
build_node_base "${SHARDCAST_BASE_IMAGE:-node:20-bookworm-slim}"
if command -v prometheus >/dev/null; then
  build_tool_image prom/prometheus:v2.42.0 prometheus_rootfs prometheus '["/bin/prometheus"]' \
    '["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]' 65534
fi
if command -v haproxy >/dev/null; then
  build_tool_image haproxy:2.6 haproxy_rootfs haproxy '["haproxy"]' \
    '["-db","-f","/usr/local/etc/haproxy/haproxy.cfg"]' 0
fi
