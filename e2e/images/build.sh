#!/usr/bin/env bash
# Builds the offline e2e test images (no container registry needed).
#   nx-conda-e2e/base:bookworm        mmdebstrap (Debian bookworm minbase) | docker import
#   nx-conda-e2e/conda-build:latest   base + the `conda` test double (conda-build/)
#   nx-conda-e2e/rattler-build:latest base + py-rattler-build wheel from PyPI + `rattler-build` CLI shim
# Idempotent: an image that already exists is skipped unless FORCE=1.
# Usage: build.sh [base|conda-build|rattler-build]...   (default: all three)
# Network: Debian mirrors (mmdebstrap) and PyPI (pip download) only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="$HERE/.cache"
FORCE="${FORCE:-0}"
SUITE="${E2E_SUITE:-bookworm}"
BASE_IMAGE="nx-conda-e2e/base:bookworm"
CONDA_IMAGE="nx-conda-e2e/conda-build:latest"
RATTLER_IMAGE="nx-conda-e2e/rattler-build:latest"
LABEL="nx-conda-e2e=1"
# Pinned: the shim uses the Stage0Recipe/render/run_build API of this release.
RATTLER_BUILD_VERSION="${RATTLER_BUILD_VERSION:-0.73.0}"

# The 20.10 engine's legacy builder prints a deprecation banner on every build: drop it.
quiet_build() { docker build --quiet "$@" 2> >(grep -v -e '^DEPRECATED: The legacy builder' -e 'Install the buildx' -e '/go/buildx' -e '^ *$' >&2); }
log() { printf '[e2e:images] %s\n' "$*" >&2; }
die() { printf '[e2e:images] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; [ $rc -ne 0 ] && printf "[e2e:images] FAILED (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

command -v docker >/dev/null || die "docker CLI not found (run scripts/ensure-engine.sh)"
docker info >/dev/null 2>&1 || die "no container engine answers 'docker info' (run: bash scripts/ensure-engine.sh)"

exists() { docker image inspect "$1" >/dev/null 2>&1; }
want() { # want IMAGE -> 0 if it must be built
  if [ "$FORCE" = 1 ]; then log "$1: FORCE=1, rebuilding"; return 0; fi
  if exists "$1"; then log "$1: exists, skipping (FORCE=1 to rebuild)"; return 1; fi
  return 0
}
elapsed() { echo "$(( $(date +%s) - $1 ))s"; }

# --- 1. base -----------------------------------------------------------------
BASE_PKGS=(
  bash coreutils findutils tar gzip bzip2 zstd xz-utils patch sed grep file
  ca-certificates
  python3 python3-yaml python3-jinja2 python3-pip python3-venv
  conda-package-handling python3-conda-package-streaming
)
build_base() {
  if ! command -v mmdebstrap >/dev/null; then
    [ "$(id -u)" = 0 ] || die "mmdebstrap is not installed; as root: apt-get install -y mmdebstrap"
    log "installing Debian's mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  local t0; t0=$(date +%s)
  local pkgs; pkgs=$(IFS=,; echo "${BASE_PKGS[*]}")
  log "$BASE_IMAGE: mmdebstrap --variant=minbase $SUITE (+ $pkgs) | docker import"
  # merged-usr hook: sets up /usr-merge itself, so apt does not pull usrmerge
  # (and perl, ~55 MB) in.
  # Drop docs, man pages and apt lists to keep the image small.
  local hooks=()
  for h in merged-usr; do
    [ -d "/usr/share/mmdebstrap/hooks/$h" ] && hooks+=("--hook-dir=/usr/share/mmdebstrap/hooks/$h")
  done
  mmdebstrap --variant=minbase --include="$pkgs" "${hooks[@]}" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    --customize-hook='mkdir -p "$1"/opt/conda/bin "$1"/opt/conda/conda-bld "$1"/work' \
    "$SUITE" - \
  | docker import \
      --change 'ENV PATH=/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
      --change 'WORKDIR /work' \
      --change 'CMD ["/bin/bash"]' \
      --change "LABEL $LABEL" \
      - "$BASE_IMAGE" >/dev/null
  exists "$BASE_IMAGE" || die "$BASE_IMAGE was not created"
  log "$BASE_IMAGE: built in $(elapsed "$t0")"
}

# --- 2. conda-build (test double) --------------------------------------------
build_conda() {
  local t0; t0=$(date +%s)
  log "$CONDA_IMAGE: docker build $HERE/conda-build (conda test double)"
  quiet_build --build-arg "BASE=$BASE_IMAGE" --label "$LABEL" \
    -t "$CONDA_IMAGE" "$HERE/conda-build" >/dev/null
  log "$CONDA_IMAGE: built in $(elapsed "$t0")"
}

# --- 3. rattler-build ----------------------------------------------------------
build_rattler() {
  local t0; t0=$(date +%s)
  local wheels="$CACHE/wheels"
  mkdir -p "$wheels"
  if ! ls "$wheels"/py_rattler_build-"$RATTLER_BUILD_VERSION"-*.whl >/dev/null 2>&1; then
    log "$RATTLER_IMAGE: pip download py-rattler-build (cp311 manylinux2014_x86_64) -> $wheels"
    python3 -m pip download --disable-pip-version-check --quiet --only-binary=:all: \
      --platform manylinux2014_x86_64 --python-version 3.11 -d "$wheels" \
      "py-rattler-build==$RATTLER_BUILD_VERSION"
  else
    log "$RATTLER_IMAGE: using cached wheels in $wheels"
  fi
  local ctx; ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  cp "$HERE"/rattler-build/Dockerfile "$HERE"/rattler-build/rattler-build "$ctx"/
  mkdir "$ctx/wheels" && cp "$wheels"/py_rattler_build-"$RATTLER_BUILD_VERSION"-*.whl "$ctx/wheels/"
  log "$RATTLER_IMAGE: docker build (offline pip install of $(ls "$ctx/wheels" | tr '\n' ' '))"
  quiet_build --build-arg "BASE=$BASE_IMAGE" --label "$LABEL" \
    -t "$RATTLER_IMAGE" "$ctx" >/dev/null
  log "$RATTLER_IMAGE: built in $(elapsed "$t0")"
}

SELECTED=("$@")
[ ${#SELECTED[@]} -eq 0 ] && SELECTED=(base conda-build rattler-build)
for s in "${SELECTED[@]}"; do
  case "$s" in base|conda-build|rattler-build) ;; *) die "unknown image '$s' (expected: base, conda-build, rattler-build)";; esac
done
selected() { local x; for x in "${SELECTED[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

T0=$(date +%s)
REBUILT_BASE=0
# The base is needed by the others: build it when missing even if not selected.
if selected base || ! exists "$BASE_IMAGE"; then
  if want "$BASE_IMAGE"; then build_base; REBUILT_BASE=1; fi
fi
# A rebuilt base invalidates the images on top of it.
if selected conda-build; then
  if [ "$REBUILT_BASE" = 1 ] && [ "$FORCE" != 1 ] && exists "$CONDA_IMAGE"; then log "$CONDA_IMAGE: base changed, rebuilding"; build_conda
  elif want "$CONDA_IMAGE"; then build_conda; fi
fi
if selected rattler-build; then
  if [ "$REBUILT_BASE" = 1 ] && [ "$FORCE" != 1 ] && exists "$RATTLER_IMAGE"; then log "$RATTLER_IMAGE: base changed, rebuilding"; build_rattler
  elif want "$RATTLER_IMAGE"; then build_rattler; fi
fi

log "done in $(elapsed "$T0"):"
docker image ls --filter "reference=nx-conda-e2e/*" --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' >&2
