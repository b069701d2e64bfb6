#!/usr/bin/env bash
# Sets up everything on a fresh machine and runs the main job on a small
# example workspace: a real Nx workspace with nx-conda installed from its
# packed tarball, three recipes (two meta.yaml, one recipe.yaml) inferred as
# projects and built in dependency order in containers.
#
# No container registry is reachable here, so the builder image is made over
# the offline test images (npm run e2e:images) instead of bioconda's image.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
workspace="${1:-${TMPDIR:-/tmp}/nx-conda-example}"
log() { echo "[example] $*" >&2; }

cd "$repo"
bash scripts/ensure-engine.sh
npm ci --no-audit --no-fund --loglevel=error
npm run e2e:images
rm -f nx-conda-*.tgz
tarball="$repo/$(npm pack --silent | tail -n 1)"
nx_version=$(node -p "require('./node_modules/nx/package.json').version")

log "creating the example workspace in $workspace"
rm -rf "$workspace"
mkdir -p "$workspace"
cp -r examples/workspace/. "$workspace/"
cd "$workspace"
cat > package.json <<JSON
{ "name": "nx-conda-example", "private": true, "devDependencies": { "nx": "$nx_version" } }
JSON
echo '{}' > nx.json
git init -q -b main
npm install --no-audit --no-fund --loglevel=error

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
log "nx add nx-conda (from $tarball)"
npx nx add "nx-conda@file:$tarball"
npx nx g nx-conda:init --baseImage=nx-conda-e2e/conda-build:latest --no-interactive
# recipe.yaml recipes build with rattler-build, which lives in its own test image.
node -e '
  const fs = require("fs");
  const nx = JSON.parse(fs.readFileSync("nx.json", "utf8"));
  const entry = nx.plugins.find((p) => p.plugin === "nx-conda");
  entry.options.images = { "rattler-build": "nx-conda-e2e/rattler-build:latest" };
  // Package images go onto the offline base image here (bioconda/base-glibc-busybox-bash elsewhere).
  entry.options.packageBaseImage = "nx-conda-e2e/base:bookworm";
  fs.writeFileSync("nx.json", JSON.stringify(nx, null, 2) + "\n");
'

log "projects inferred from the recipes:"
npx nx show projects
log "building every recipe in dependency order"
npx nx run-many -t build-recipe --output-style=static
log "again: every build now comes from the Nx cache"
npx nx run-many -t build-recipe --output-style=static | tail -n 8

log "packages, one channel folder per project:"
find dist/conda -type f | sort

log "greeter as a tested container image (BioContainers layout), then the tool run from it"
npx nx run greeter:package-image --output-style=static
image=$(docker image ls --filter label=nx-conda=package --filter label=nx-conda.project=greeter \
  --format '{{.Repository}}:{{.Tag}}' | grep '^biocontainers/greeter:' | head -n 1)
log "docker run --rm --network none $image greeter"
docker run --rm --network none "$image" greeter
log "done: the workspace is $workspace (nx run greeter:purge-image removes the image)"
