#!/usr/bin/env bash
# Sets up everything the tests need on a fresh machine (a running Docker
# engine, npm dependencies, the offline test images), then checks lint and
# format and runs the unit and end-to-end tests and prints one closing line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-engine.sh
# A qemu-aarch64 handler, so e2e:images also builds the arm64 test images and the linux-aarch64 tests run.
bash scripts/ensure-emulation.sh || echo "[test] no arm64 emulation here: the linux-aarch64 end-to-end tests will be skipped" >&2
npm ci --no-audit --no-fund --loglevel=error
npm run e2e:images
# podman is the optional second engine; its test is skipped, saying why, if podman cannot run here.
bash scripts/ensure-podman.sh || echo "[test] podman is not usable here: the podman end-to-end test will be skipped" >&2
# Debian's docker-registry for the package-image push test, which starts it on loopback itself.
bash scripts/ensure-registry.sh || echo "[test] docker-registry could not be installed: the registry push test will be skipped" >&2

results=$(mktemp -d)
status=0
# Lint and format are checked as Nx repositories check them; a finding fails the run, after the tests.
npm run --silent lint || status=$?
npm run --silent format:check || status=$?
npx jest --selectProjects unit --json --outputFile="$results/unit.json" || status=$?
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects e2e --runInBand \
  --json --outputFile="$results/e2e.json" || status=$?

node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$results/unit.json" "$results/e2e.json"
exit "$status"
