#!/usr/bin/env bash
# Builds the offline e2e test images (no container registry needed).
#   nx-conda-e2e/base:bookworm        mmdebstrap (Debian bookworm minbase) | docker import
#   nx-conda-e2e/conda-build:latest   base + the real conda and conda-build (wheels: ../shared/vendor/conda + PyPI)
#   nx-conda-e2e/rattler-build:latest base + py-rattler-build wheel from PyPI + `rattler-build` CLI shim
# and, when this host runs linux/arm64 containers (a qemu-aarch64 binfmt handler: scripts/ensure-emulation.sh),
# the same three for arm64, tagged side by side: base:bookworm-arm64, conda-build:arm64, rattler-build:arm64
# (E2E_ARM64=0 skips them, E2E_ARM64=1 requires them).
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
BASE_IMAGE_ARM64="nx-conda-e2e/base:bookworm-arm64"
CONDA_IMAGE_ARM64="nx-conda-e2e/conda-build:arm64"
RATTLER_IMAGE_ARM64="nx-conda-e2e/rattler-build:arm64"
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
  libarchive13
)
# The base's identity: a rebuilt base is needed when its package list changes.
BASE_ID=$(printf '%s\n' "$SUITE" "${BASE_PKGS[@]}" | sha256sum | cut -c1-16)
base_current() { [ "$(docker image inspect -f '{{index .Config.Labels "nx-conda-e2e.base-id"}}' "${1:-$BASE_IMAGE}" 2>/dev/null)" = "$BASE_ID" ]; }
# build_base [IMAGE ARCH]: ARCH is Debian's name (amd64, arm64); a foreign one runs its maintainer scripts under qemu.
build_base() {
  local image="${1:-$BASE_IMAGE}" arch="${2:-amd64}"
  if ! command -v mmdebstrap >/dev/null; then
    [ "$(id -u)" = 0 ] || die "mmdebstrap is not installed; as root: apt-get install -y mmdebstrap"
    log "installing Debian's mmdebstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
  fi
  local t0; t0=$(date +%s)
  local pkgs; pkgs=$(IFS=,; echo "${BASE_PKGS[*]}")
  log "$image: mmdebstrap --variant=minbase --arch=$arch $SUITE (+ $pkgs) | docker import"
  # merged-usr hook: sets up /usr-merge itself, so apt does not pull usrmerge
  # (and perl, ~55 MB) in.
  # Drop docs, man pages and apt lists to keep the image small.
  local hooks=()
  for h in merged-usr; do
    [ -d "/usr/share/mmdebstrap/hooks/$h" ] && hooks+=("--hook-dir=/usr/share/mmdebstrap/hooks/$h")
  done
  mmdebstrap --variant=minbase --arch="$arch" --include="$pkgs" "${hooks[@]}" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    --customize-hook='mkdir -p "$1"/opt/conda/bin "$1"/opt/conda/conda-bld "$1"/work' \
    "$SUITE" - \
  | docker import --platform "linux/$arch" \
      --change 'ENV PATH=/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
      --change 'WORKDIR /work' \
      --change 'CMD ["/bin/bash"]' \
      --change "LABEL $LABEL" \
      --change "LABEL nx-conda-e2e.base-id=$BASE_ID" \
      - "$image" >/dev/null
  exists "$image" || die "$image was not created"
  # docker 20.10 ignores `import --platform` unless its daemon is experimental: label the architecture ourselves.
  if [ "$(docker image inspect -f '{{.Architecture}}' "$image")" != "$arch" ]; then
    local old; old=$(docker image inspect -f '{{.Id}}' "$image")
    docker save "$image" | python3 "$HERE/set-arch.py" "$arch" | docker load >/dev/null
    docker image rm "$old" >/dev/null
  fi
  log "$image: built in $(elapsed "$t0") ($(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$image"))"
}

# --- 2. conda-build (the real conda and conda-build) ---------------------------
# conda and conda-build are not on PyPI in usable versions: their wheels, built
# from upstream sources, are in ../shared/vendor/conda (VENDOR_CONDA to override).
# The checkout's sibling ../shared first; /work/shared for checkouts made elsewhere (git worktrees).
if [ -z "${VENDOR_CONDA:-}" ]; then
  VENDOR_CONDA="$(cd "$HERE/../../.." && pwd)/shared/vendor/conda"
  [ -d "$VENDOR_CONDA" ] || [ ! -d /work/shared/vendor/conda ] || VENDOR_CONDA=/work/shared/vendor/conda
fi
VENDOR_WHEELS=(conda-26.7.1.post56 conda_build-26.7.1.post12 conda_index-0.12.1.post23 menuinst-2.5.2.post7)
check_vendor() {
  local missing=() w
  for w in "${VENDOR_WHEELS[@]}"; do [ -f "$VENDOR_CONDA/$w-py3-none-any.whl" ] || missing+=("$w-py3-none-any.whl"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  die "$CONDA_IMAGE needs the wheels of the real conda and conda-build in $VENDOR_CONDA (set VENDOR_CONDA to another folder); missing: ${missing[*]}.
  Build them with 'pip wheel --no-deps' from these upstream commits (see that folder's README):
    conda/conda        0f64223fb8da4328457a69fe6483959dbb783152  (version 26.7.1.post56)
    conda/conda-build  0fe68a265383f3a1185dd6e8d017c5c253cea6aa  (version 26.7.1.post12)
    conda/conda-index  13bd599f8647ed99b97180b4e05fb7ec4cdb109c  (version 0.12.1.post23)
    conda/menuinst     4442151e4aa1a52248345bbe1d6907352087794f  (version 2.5.2.post7)
  There is no fallback: the end-to-end tests run only the real conda-build."
}
# build_conda [IMAGE BASE ARCH]: on arm64 pycosat (an sdist; conda's classic solver, unused: the images solve with
# rattler) is left out and the pinned wheels are installed with --no-deps, so no compiler runs under emulation.
build_conda() {
  local image="${1:-$CONDA_IMAGE}" base="${2:-$BASE_IMAGE}" arch="${3:-amd64}"
  local t0; t0=$(date +%s)
  check_vendor
  if [ -f "$VENDOR_CONDA/SHA256SUMS" ]; then
    (cd "$VENDOR_CONDA" && sha256sum --quiet -c SHA256SUMS) || die "the wheels in $VENDOR_CONDA do not match their SHA256SUMS"
  fi
  local wheels="$CACHE/conda-wheels" requirements="$HERE/conda-build/requirements.txt" machine=x86_64 pip_flags=""
  local ctx; ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  mkdir "$ctx/wheels"
  if [ "$arch" = amd64 ]; then
    mkdir -p "$wheels"
    # pycosat (a conda dependency) is an sdist only: build its wheel here, with the host's gcc.
    if ! ls "$wheels"/pycosat-*.whl >/dev/null 2>&1; then
      log "$image: building the pycosat wheel from its sdist (host gcc) -> $wheels"
      python3 -m pip wheel --disable-pip-version-check --quiet --no-deps -w "$wheels" \
        "$(grep '^pycosat==' "$requirements")"
    fi
    cp "$requirements" "$ctx/wheels/requirements.txt"
  else
    wheels="$CACHE/conda-wheels-$arch" machine=aarch64 pip_flags=--no-deps
    mkdir -p "$wheels"
    grep -v '^pycosat==' "$requirements" >"$ctx/wheels/requirements.txt"
  fi
  log "$image: pip download of the pinned wheels (cp311 manylinux_$machine) -> $wheels"
  python3 -m pip download --disable-pip-version-check --quiet --only-binary=:all: --no-deps \
    --platform manylinux2014_"$machine" --platform manylinux_2_28_"$machine" --platform linux_"$machine" --python-version 3.11 \
    --implementation cp --abi cp311 --abi abi3 --abi none \
    --find-links "$VENDOR_CONDA" --find-links "$wheels" -d "$wheels" \
    --requirement "$ctx/wheels/requirements.txt"
  cp "$HERE"/conda-build/Dockerfile "$HERE"/conda-build/condarc "$ctx"/
  cp "$wheels"/*.whl "$ctx/wheels/"
  log "$image: docker build --platform linux/$arch (offline pip install of $(ls "$ctx/wheels" | grep -c '\.whl$') wheels into a venv at /opt/conda)"
  quiet_build --platform "linux/$arch" --build-arg "BASE=$base" --build-arg "PIP_FLAGS=$pip_flags" --label "$LABEL" \
    -t "$image" "$ctx" >/dev/null
  log "$image: built in $(elapsed "$t0"): $(docker run --rm --platform "linux/$arch" "$image" sh -c 'uname -m; conda --version; conda build --version' | tr '\n' ' ')"
}

# --- 3. rattler-build ----------------------------------------------------------
# The image's identity: a rebuilt image is needed when the shim, its Dockerfile or the pinned version change.
RATTLER_ID=$(cat "$HERE"/rattler-build/Dockerfile "$HERE"/rattler-build/rattler-build <(echo "$RATTLER_BUILD_VERSION") | sha256sum | cut -c1-16)
rattler_current() { [ "$(docker image inspect -f '{{index .Config.Labels "nx-conda-e2e.rattler-id"}}' "${1:-$RATTLER_IMAGE}" 2>/dev/null)" = "$RATTLER_ID" ]; }
# build_rattler [IMAGE BASE ARCH]
build_rattler() {
  local image="${1:-$RATTLER_IMAGE}" base="${2:-$BASE_IMAGE}" arch="${3:-amd64}"
  local t0; t0=$(date +%s)
  local wheels="$CACHE/wheels" machine=x86_64
  [ "$arch" = amd64 ] || { wheels="$CACHE/wheels-$arch"; machine=aarch64; }
  mkdir -p "$wheels"
  if ! ls "$wheels"/py_rattler_build-"$RATTLER_BUILD_VERSION"-*.whl >/dev/null 2>&1; then
    log "$image: pip download py-rattler-build (cp311 manylinux2014_$machine) -> $wheels"
    python3 -m pip download --disable-pip-version-check --quiet --only-binary=:all: \
      --platform manylinux2014_"$machine" --platform manylinux_2_28_"$machine" --python-version 3.11 -d "$wheels" \
      "py-rattler-build==$RATTLER_BUILD_VERSION"
  else
    log "$image: using cached wheels in $wheels"
  fi
  local ctx; ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  cp "$HERE"/rattler-build/Dockerfile "$HERE"/rattler-build/rattler-build "$ctx"/
  mkdir "$ctx/wheels" && cp "$wheels"/py_rattler_build-"$RATTLER_BUILD_VERSION"-*.whl "$ctx/wheels/"
  log "$image: docker build --platform linux/$arch (offline pip install of $(ls "$ctx/wheels" | tr '\n' ' '))"
  quiet_build --platform "linux/$arch" --build-arg "BASE=$base" --label "$LABEL" --label "nx-conda-e2e.rattler-id=$RATTLER_ID" \
    -t "$image" "$ctx" >/dev/null
  log "$image: built in $(elapsed "$t0") ($(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$image"))"
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
if [ "$REBUILT_BASE" = 0 ] && ! base_current; then
  log "$BASE_IMAGE: its package list changed, rebuilding"; build_base; REBUILT_BASE=1
fi
# A rebuilt base invalidates the images on top of it.
if selected conda-build; then
  if [ "$REBUILT_BASE" = 1 ] && [ "$FORCE" != 1 ] && exists "$CONDA_IMAGE"; then log "$CONDA_IMAGE: base changed, rebuilding"; build_conda
  elif want "$CONDA_IMAGE"; then build_conda; fi
fi
if selected rattler-build; then
  if [ "$REBUILT_BASE" = 1 ] && [ "$FORCE" != 1 ] && exists "$RATTLER_IMAGE"; then log "$RATTLER_IMAGE: base changed, rebuilding"; build_rattler
  elif want "$RATTLER_IMAGE"; then build_rattler
  elif ! rattler_current; then log "$RATTLER_IMAGE: its shim changed, rebuilding"; build_rattler; fi
fi

# --- 4. the same for arm64, when this host runs linux/arm64 containers ---------
arm64_runs() {
  case "$(uname -m)" in aarch64 | arm64) return 1 ;; esac # native arm64: the images above are arm64 already
  [ -f /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && head -n 1 /proc/sys/fs/binfmt_misc/qemu-aarch64 | grep -qx enabled
}
E2E_ARM64="${E2E_ARM64:-auto}"
if [ "$E2E_ARM64" != 0 ]; then
  if arm64_runs; then
    T1=$(date +%s)
    REBUILT_BASE=0
    if ! exists "$BASE_IMAGE_ARM64" || { selected base && want "$BASE_IMAGE_ARM64"; }; then
      build_base "$BASE_IMAGE_ARM64" arm64; REBUILT_BASE=1
    elif ! base_current "$BASE_IMAGE_ARM64"; then
      log "$BASE_IMAGE_ARM64: its package list changed, rebuilding"; build_base "$BASE_IMAGE_ARM64" arm64; REBUILT_BASE=1
    fi
    if selected conda-build && { [ "$REBUILT_BASE" = 1 ] || want "$CONDA_IMAGE_ARM64"; }; then
      build_conda "$CONDA_IMAGE_ARM64" "$BASE_IMAGE_ARM64" arm64
    fi
    if selected rattler-build && { [ "$REBUILT_BASE" = 1 ] || want "$RATTLER_IMAGE_ARM64" || ! rattler_current "$RATTLER_IMAGE_ARM64"; }; then
      build_rattler "$RATTLER_IMAGE_ARM64" "$BASE_IMAGE_ARM64" arm64
    fi
    log "arm64 images done in $(elapsed "$T1")"
  elif [ "$E2E_ARM64" = 1 ]; then
    die "E2E_ARM64=1 but this host cannot run linux/arm64 containers (run: bash scripts/ensure-emulation.sh)"
  else
    log "no qemu-aarch64 handler: the arm64 images are skipped (bash scripts/ensure-emulation.sh registers one)"
  fi
fi

log "done in $(elapsed "$T0"):"
docker image ls --filter "reference=nx-conda-e2e/*" --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' >&2
