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
# conda's version only when the build failed (asking for it starts Python once more: a second under emulation).
trap 'rc=$?; [ "$rc" = 0 ] || echo "nx-conda: $(conda --version 2>&1) failed in $HOSTNAME (exit $rc)"
chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" \${NX_CONDA_OWN_CACHE:+"$NX_CONDA_OWN_CACHE"} 2>/dev/null || true' EXIT

echo "nx-conda: build container $HOSTNAME"
# nx-conda passes meta.yaml, not its folder, on purpose (nested old versions).
export PYTHONWARNINGS="ignore:RECIPE_PATH received is a file\${PYTHONWARNINGS:+,$PYTHONWARNINGS}"
# The package cache (README: The package cache): the packages conda installs in the build's environments,
# from the plans it prints ("name: version-build channel"), for the host to count their cached entries as used.
used=\${NX_CONDA_OWN_CACHE:+$NX_CONDA_OWN_CACHE/used-packages.txt}
{{command}} | tee >(awk '/will be INSTALLED:/ { on = 1; next } on && NF == 0 && n { on = 0; n = 0 } on && $1 ~ /:$/ && NF >= 2 { n++; print substr($1, 1, length($1) - 1) "-" $2 }' >"\${used:-/dev/null}")
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
    // meta.yaml itself, not its folder: given a folder, conda-build 26 also builds
    // every meta.yaml below it (old versions kept in nested folders). Given the
    // file it warns once (silenced in the default template) and builds just it.
    words.push(...plan.buildArgs, plan.recipeFile);
    return words;
  },
};
