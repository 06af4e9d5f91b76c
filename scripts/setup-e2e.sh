#!/usr/bin/env bash
# Installs and starts what the e2e tier needs on a fresh Debian machine (run as root):
#   ffmpeg/ffprobe (real player checks), chromium (hls.js in headless Chromium), prometheus + promtool
#   (exposition checks and a real scrape), nginx (HLS baseline), docker.io + busybox-static (a private
#   dockerd for the Docker engine tests), haproxy (the loopback cluster) and docker-compose (the compose
#   stack; the image tests build their base images from the host with scripts/docker-local-images.sh).
# Prints `export DOCKER_HOST=...` on stdout (everything else goes to stderr), so use it as:
#   eval "$(scripts/setup-e2e.sh)"
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v chromium >/dev/null || need+=(chromium)
command -v promtool >/dev/null || need+=(prometheus)
command -v nginx >/dev/null || need+=(nginx-light)
command -v dockerd >/dev/null || need+=(docker.io)
command -v busybox >/dev/null || need+=(busybox-static)
command -v haproxy >/dev/null || need+=(haproxy)
command -v docker-compose >/dev/null || need+=(docker-compose)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-e2e: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
# The tests start their own nginx and prometheus instances on free loopback ports; any system service
# Debian may have started is left alone.

# A private Docker daemon on a temporary socket (prints the export line).
scripts/docker-e2e-setup.sh
