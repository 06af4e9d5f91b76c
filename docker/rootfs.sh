# Rootfs recipes for the e2e images, sourced by scripts/docker-e2e-setup.sh (needs DOCKER_HOST set).
# Images are `docker import`s of directories built here: no registry, no Dockerfile, no network.
# Each image carries the hash of this file as a label, so a changed recipe rebuilds and an unchanged
# one is reused (the second setup run takes well under a second).

BUSYBOX_BIN="${BUSYBOX_BIN:-/bin/busybox}"
# Where the engine image expects its bind mounts (docker/run-engine.sh provides them).
ENGINE_APP_DIR=/app
ENGINE_NODE=/usr/local/bin/node

recipe_hash() {
  cat "${BASH_SOURCE[0]}" "$BUSYBOX_BIN" | sha256sum | cut -c1-16
}

# A static busybox with every applet linked into /bin: `sleep`, `sh -c 'while :; do :; done'`, ...
busybox_rootfs() {
  local dir="$1"
  "$BUSYBOX_BIN" --list >/dev/null 2>&1 || { echo "busybox at $BUSYBOX_BIN is not usable" >&2; return 1; }
  mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev"
  chmod 1777 "$dir/tmp"
  cp "$BUSYBOX_BIN" "$dir/bin/busybox"
  local applet
  for applet in $("$BUSYBOX_BIN" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$dir/etc/hosts"
}

# busybox plus mount points for the host's node binary and libraries and for the repo, and a wrapper
# that starts the repo's built engine-sim. Nothing of node is copied: the image stays tiny and always
# runs the node and engine-sim build of the host.
engine_rootfs() {
  local dir="$1"
  busybox_rootfs "$dir"
  mkdir -p "$dir/lib" "$dir/lib64" "$dir/usr/lib" "$dir/usr/local/bin" "$dir$ENGINE_APP_DIR"
  : >"$dir$ENGINE_NODE"
  chmod 755 "$dir$ENGINE_NODE"
  cat >"$dir/usr/local/bin/shardcast-engine-sim" <<EOF
#!/bin/sh
# Runs the engine simulator of the bind-mounted repo: shardcast-engine-sim --host H --port P [...]
cli="\${SHARDCAST_ENGINE_SIM_CLI:-$ENGINE_APP_DIR/apps/engine-sim/dist/src/cli.js}"
[ -f "$ENGINE_NODE" ] && [ -s "$ENGINE_NODE" ] || { echo "node is not mounted at $ENGINE_NODE" >&2; exit 127; }
[ -f "\$cli" ] || { echo "engine-sim is not built or not mounted: \$cli" >&2; exit 127; }
exec $ENGINE_NODE "\$cli" "\$@"
EOF
  chmod 755 "$dir/usr/local/bin/shardcast-engine-sim"
}

# build_image TAG RECIPE: imports the rootfs made by RECIPE unless TAG already carries this recipe hash.
build_image() {
  local tag="$1" recipe="$2" hash have tmp
  hash="$(recipe_hash)"
  have="$(docker image inspect --format '{{index .Config.Labels "shardcast.recipe"}}' "$tag" 2>/dev/null || true)"
  if [ "$have" = "$hash" ]; then
    echo "docker-e2e-setup: image $tag is up to date" >&2
    return 0
  fi
  tmp="$(mktemp -d)"
  "$recipe" "$tmp/rootfs"
  tar -C "$tmp/rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import \
      --change "LABEL shardcast.recipe=$hash" \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      --change 'CMD ["/bin/sh"]' \
      - "$tag" >/dev/null
  rm -rf "$tmp"
  echo "docker-e2e-setup: built image $tag" >&2
}

# The base image the Dockerfile names (node:20-bookworm-slim), made from this machine's files because no
# registry is reachable: busybox for /bin/sh and the usual tools, the host's node binary at
# /usr/local/bin/node and npm under /usr/local/lib/node_modules (the official image's layout), the glibc
# and C++ runtime node and the uWebSockets.js binary link, this machine's CA certificates (node is told
# to trust them, as the host's own node is, so npm works behind a TLS-inspecting proxy), and the official
# image's `node` user (uid 1000). Used by scripts/docker-local-images.sh; a real registry's image works the
# same with docker/Dockerfile.
NODE_BASE_LIBS="libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libresolv.so.2 libstdc++.so.6 libgcc_s.so.1"
node_base_rootfs() {
  local dir="$1" node npm_dir lib src
  node="$(readlink -f "$(command -v node)")"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  busybox_rootfs "$dir"
  mkdir -p "$dir/usr/local/bin" "$dir/usr/local/lib/node_modules" "$dir/lib/x86_64-linux-gnu" "$dir/lib64" \
    "$dir/etc/ssl/certs" "$dir/home/node" "$dir/usr/bin"
  cp "$node" "$dir/usr/local/bin/node"
  cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  # npm's scripts run `#!/usr/bin/env node`.
  ln -sf /bin/env "$dir/usr/bin/env"
  for lib in $NODE_BASE_LIBS; do
    src="/lib/x86_64-linux-gnu/$lib"
    [ -e "$src" ] && cp -L "$src" "$dir/lib/x86_64-linux-gnu/$lib"
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$dir/lib64/ld-linux-x86-64.so.2"
  cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  printf 'hosts: files dns\n' >"$dir/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
    >"$dir/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$dir/etc/group"
  mkdir -p "$dir/root"
  chown 1000:1000 "$dir/home/node"
}

# build_node_base TAG: imports node_base_rootfs as TAG unless TAG already carries this recipe and node.
build_node_base() {
  local tag="$1" hash have tmp
  hash="$(cat "${BASH_SOURCE[0]}" "$(readlink -f "$(command -v node)")" | sha256sum | cut -c1-16)"
  have="$(docker image inspect --format '{{index .Config.Labels "shardcast.recipe"}}' "$tag" 2>/dev/null || true)"
  if [ "$have" = "$hash" ]; then
    echo "docker-local-images: image $tag is up to date" >&2
    return 0
  fi
  tmp="$(mktemp -d)"
  node_base_rootfs "$tmp/rootfs"
  tar -C "$tmp/rootfs" --numeric-owner -cf - . |
    docker import \
      --change "LABEL shardcast.recipe=$hash" \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      --change "ENV NODE_VERSION=$(node --version | cut -c2-)" \
      --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
      --change 'CMD ["node"]' \
      - "$tag" >/dev/null
  rm -rf "$tmp"
  echo "docker-local-images: built image $tag" >&2
}

# Copies BIN and every shared library it links (ldd) into the rootfs DIR, at the same paths.
copy_with_libs() {
  local bin="$1" dir="$2" lib
  mkdir -p "$dir$(dirname "$bin")"
  cp -L "$bin" "$dir$bin"
  for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
    mkdir -p "$dir$(dirname "$lib")"
    cp -L "$lib" "$dir$lib"
  done
}

# Prometheus for docker/compose.yaml under the official image's name and layout (/bin/prometheus,
# /etc/prometheus, /prometheus), from Debian's binary.
prometheus_rootfs() {
  local dir="$1"
  busybox_rootfs "$dir"
  copy_with_libs "$(readlink -f "$(command -v prometheus)")" "$dir"
  ln -sf "$(readlink -f "$(command -v prometheus)")" "$dir/bin/prometheus"
  mkdir -p "$dir/etc/prometheus" "$dir/prometheus"
  chown 65534:65534 "$dir/prometheus"
}

# HAProxy for docker/compose.yaml under the official image's name (config at
# /usr/local/etc/haproxy/haproxy.cfg), from Debian's binary.
haproxy_rootfs() {
  local dir="$1"
  busybox_rootfs "$dir"
  copy_with_libs "$(readlink -f "$(command -v haproxy)")" "$dir"
  mkdir -p "$dir/usr/local/etc/haproxy" "$dir/usr/local/sbin" "$dir/var/lib/haproxy"
  ln -sf "$(readlink -f "$(command -v haproxy)")" "$dir/usr/local/sbin/haproxy"
}

# build_tool_image TAG RECIPE BINARY ENTRYPOINT CMD: like build_image, keyed also on the binary.
build_tool_image() {
  local tag="$1" recipe="$2" bin="$3" entry="$4" cmd="$5" user="$6" hash have tmp
  hash="$(cat "${BASH_SOURCE[0]}" "$(readlink -f "$(command -v "$bin")")" | sha256sum | cut -c1-16)"
  have="$(docker image inspect --format '{{index .Config.Labels "shardcast.recipe"}}' "$tag" 2>/dev/null || true)"
  if [ "$have" = "$hash" ]; then
    echo "docker-local-images: image $tag is up to date" >&2
    return 0
  fi
  tmp="$(mktemp -d)"
  "$recipe" "$tmp/rootfs"
  tar -C "$tmp/rootfs" --numeric-owner -cf - . |
    docker import \
      --change "LABEL shardcast.recipe=$hash" \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "ENTRYPOINT $entry" \
      --change "CMD $cmd" \
      --change "USER $user" \
      - "$tag" >/dev/null
  rm -rf "$tmp"
  echo "docker-local-images: built image $tag" >&2
}
