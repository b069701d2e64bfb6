#!/usr/bin/env bash
# Installs Debian's docker-registry (the CNCF distribution registry) for the
# package-image push test, which starts its own instance on loopback
# (127.0.0.1, a free port, storage in a temporary folder) and stops it after.
# Exits non-zero when it cannot be installed: that test then says it is skipped.
set -euo pipefail
log() { echo "[ensure-registry] $*" >&2; }
if ! command -v docker-registry >/dev/null 2>&1; then
  log "installing Debian's docker-registry"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
fi
# Debian starts a service on :5000 when systemd runs; the test does not use it.
docker-registry --version >&2
