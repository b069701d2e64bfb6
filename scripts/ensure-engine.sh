#!/usr/bin/env bash
# Makes sure a Docker engine is installed and answering. The `docker` on PATH
# may be a client without an engine, so the test is for `dockerd` itself.
set -euo pipefail

log() { echo "[ensure-engine] $*" >&2; }

if ! command -v dockerd >/dev/null 2>&1; then
  log "dockerd not found: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "engine is answering"
  exit 0
fi

log "starting dockerd in the background (log: /var/log/nx-conda-dockerd.log)"
nohup dockerd >/var/log/nx-conda-dockerd.log 2>&1 &

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "engine is answering"
    exit 0
  fi
  sleep 1
done
log "dockerd did not answer within 60 s; see /var/log/nx-conda-dockerd.log"
tail -n 30 /var/log/nx-conda-dockerd.log >&2 || true
exit 1
