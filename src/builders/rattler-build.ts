import type { BuilderDefinition, BuildPlan } from './types';

/**
 * rattler-build: build into the staging channel (--output-dir), which it
 * indexes by itself after packaging, with the staging channel as the first
 * channel the solver sees.
 */
export const rattlerBuild: BuilderDefinition = {
  defaultTemplate: `#!/usr/bin/env bash
# Written by nx-conda for one rattler-build run; see README.md for the placeholders.
set -eo pipefail
staging={{stagingDir}}
# The builder's version only when the build failed: asking for it starts the builder once more,
# which costs a second under emulation (see README: Several platforms).
trap 'rc=$?; [ "$rc" = 0 ] || echo "nx-conda: $(rattler-build --version 2>&1) failed in $HOSTNAME (exit $rc)"
chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" \${NX_CONDA_OWN_CACHE:+"$NX_CONDA_OWN_CACHE"} 2>/dev/null || true' EXIT

echo "nx-conda: build container $HOSTNAME"
{{command}}
`,
  command(plan: BuildPlan): string[] {
    return buildWords(plan, plan.stagingDir);
  },
  // rattler-build keeps no package files (it streams and extracts): the host downloads what this solve names
  // into the package cache before the build, which then finds every package there (README: The package cache).
  // The verified entries are linked into its cache by the host first (it reads the cached packages' run exports).
  solveCommand(plan: BuildPlan, outputDir: string): string[] {
    return [...buildWords(plan, outputDir), '--render-only', '--with-solve'];
  },
};

function buildWords(plan: BuildPlan, outputDir: string): string[] {
  const words = ['rattler-build', 'build', '--recipe', plan.recipeFile, '--output-dir', outputDir];
  words.push('-c', `file://${plan.stagingDir}`);
  for (const channel of plan.channels) words.push('-c', channel);
  words.push('--target-platform', plan.platform);
  for (const file of plan.variantConfigFiles) words.push('-m', file);
  if (plan.skipTests) words.push('--test', 'skip');
  words.push(...plan.buildArgs);
  return words;
}
