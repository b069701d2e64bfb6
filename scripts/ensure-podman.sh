#!/usr/bin/env bash
# Makes podman usable for the podman end-to-end test: installs Debian's podman
# (and catatonit, which `podman run --init` needs), gives it default ulimits
# this sandbox lets a container set, and loads the conda-build test image from
# Docker's store (and the base image, package-image's final base). Exits non-zero (and the podman test then says why it is
# skipped) when podman cannot run a container here.
set -euo pipefail
log() { echo "[ensure-podman] $*" >&2; }
image=nx-conda-e2e/conda-build:latest
base=nx-conda-e2e/base:bookworm

if ! command -v podman >/dev/null 2>&1 || [ ! -x /usr/libexec/podman/catatonit ]; then
  log "installing Debian's podman and catatonit"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman catatonit >/dev/null
fi

# podman's own default rlimits (nproc 4194304 for root) are refused here;
# values under the sandbox's limits are not.
conf=/etc/containers/containers.conf
if [ ! -f "$conf" ] || ! grep -q default_ulimits "$conf"; then
  log "writing default_ulimits to $conf"
  mkdir -p /etc/containers
  nofile=$(( $(ulimit -Hn) < 16384 ? $(ulimit -Hn) : 16384 ))
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=20000:20000"]\n' "$nofile" "$nofile" >> "$conf"
fi

# Same image id in both engines, or (re)load it: a rebuilt test image must reach podman too.
for ref in "$image" "$base"; do
  docker_id=$(docker image inspect --format '{{.Id}}' "$ref" | sed 's/^sha256://')
  podman_id=$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  if [ "$docker_id" != "$podman_id" ]; then
    log "loading $ref from docker into podman"
    docker save "$ref" | podman load -q >/dev/null
  fi
done
podman run --rm --init "$image" true
log "podman runs containers"
