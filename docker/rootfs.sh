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
