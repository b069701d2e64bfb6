#!/usr/bin/env bash
# Makes sure this machine can run linux/arm64 containers: on an x86_64 host,
# Debian's qemu-user-static registers a qemu-aarch64 handler in binfmt_misc
# (flag F: the kernel opens the interpreter at registration, so containers need
# no qemu inside). binfmt_misc is mounted when it is not (containers, WSL).
# On an aarch64 host nothing is needed. Exits non-zero, saying why, when no
# handler can be registered: the arm64 test images and tests are then skipped.
set -euo pipefail

log() { echo "[ensure-emulation] $*" >&2; }
BINFMT=/proc/sys/fs/binfmt_misc
HANDLER="$BINFMT/qemu-aarch64"

case "$(uname -m)" in
  aarch64 | arm64) log "native aarch64 host: no emulation needed"; exit 0 ;;
esac

registered() { [ -f "$HANDLER" ] && head -n 1 "$HANDLER" | grep -qx enabled; }
if registered; then log "qemu-aarch64 handler is registered"; exit 0; fi

if [ "$(id -u)" != 0 ]; then
  log "no qemu-aarch64 handler and not root: as root run apt-get install -y qemu-user-static binfmt-support"
  exit 1
fi
if [ ! -f "$BINFMT/register" ]; then
  log "mounting binfmt_misc on $BINFMT"
  mount -t binfmt_misc binfmt_misc "$BINFMT"
fi
if [ ! -x /usr/bin/qemu-aarch64-static ] || ! command -v update-binfmts >/dev/null 2>&1; then
  log "installing Debian's qemu-user-static and binfmt-support"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq qemu-user-static binfmt-support >/dev/null
fi
# The package's postinst registers the handler only where systemd runs: do it here too.
update-binfmts --enable qemu-aarch64 || true
if registered; then log "qemu-aarch64 handler is registered"; exit 0; fi
log "could not register a qemu-aarch64 handler in $BINFMT (is binfmt_misc allowed in this container?)"
exit 1
