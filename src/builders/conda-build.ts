import type { BuilderDefinition, BuildPlan } from './types';

/**
 * conda-build: build into the staging channel (--output-folder), which is also
 * the first channel the solver sees, then re-index it so every new package
 * has a record. conda-build's own croot (and its src_cache) stays inside the
 * container.
 */
export const condaBuild: BuilderDefinition = {
  defaultTemplate: `#!/usr/bin/env bash
# Written by nx-conda for one conda-build run; see README.md for the placeholders.
set -eo pipefail
staging={{stagingDir}}
# Hand everything the build wrote in the staging channel back to the invoking user,
# on success and on failure alike.
trap 'chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" 2>/dev/null || true' EXIT

echo "nx-conda: $(conda --version 2>&1) in $(hostname)"
{{command}}
conda index "$staging"
`,
  command(plan: BuildPlan): string[] {
    const words = plan.mambabuild ? ['conda', 'mambabuild'] : ['conda', 'build'];
    words.push('--no-anaconda-upload', '-c', `file://${plan.stagingDir}`);
    for (const channel of plan.channels) words.push('-c', channel);
    words.push('--output-folder', plan.stagingDir);
    for (const file of plan.exclusiveConfigFiles) words.push('-e', file);
    for (const file of plan.variantConfigFiles) words.push('-m', file);
    if (plan.packageFormat) words.push('--package-format', plan.packageFormat);
    // conda-build takes the recipe folder (given meta.yaml itself, it warns and reads
    // the folder anyway).
    words.push(...plan.buildArgs, plan.recipeDir);
    return words;
  },
};
