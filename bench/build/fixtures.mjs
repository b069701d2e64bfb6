// Recipes, fake dependency channels and targets the build-path figures share.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GID, IMAGES, UID, Workspace } from './runner.mjs';

/** A trivial rattler-build recipe: one file, noarch generic, no requirements. */
export const rattlerRecipe = (name) =>
  `context:\n  name: ${name}\n  version: "1.0.0"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n` +
  'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "${{ name }}" > $PREFIX/share/${{ name }}.txt\n';

/** A trivial recipe real conda-build accepts: build.sh, a test command. */
export const condaMeta = (name) =>
  `package:\n  name: ${name}\n  version: "1.0"\nbuild:\n  number: 0\n  noarch: generic\ntest:\n  commands:\n    - test -f $PREFIX/share/${name}.txt\nabout:\n  license: MIT\n  summary: nx-conda build-path benchmark\n`;
export const condaBuildSh = (name) =>
  `#!/bin/bash\nset -e\nmkdir -p "$PREFIX/share"\necho ${name} > "$PREFIX/share/${name}.txt"\n`;

/** The build command nx-conda's default rattler-build script runs, for the bare baseline. */
export const rattlerCommand = (extraChannels = []) =>
  [
    'rattler-build build --recipe /opt/recipe/recipe.yaml --output-dir /opt/host-conda-bld -c file:///opt/host-conda-bld',
    ...extraChannels.map((c) => `-c ${c}`),
    '--target-platform linux-64',
  ].join(' ');

/**
 * A dependency's output folder with `n` package files of `kb` KB each (random
 * bytes: nothing reads them but the copy) and their records in
 * noarch/repodata.json, as a build would have left it.
 */
export function fakeChannel(dir, n, kb, prefix = 'benchdep') {
  const noarch = join(dir, 'noarch');
  mkdirSync(noarch, { recursive: true });
  mkdirSync(join(dir, 'linux-64'), { recursive: true });
  const records = {};
  const body = randomBytes(kb * 1024);
  for (let i = 0; i < n; i++) {
    const name = `${prefix}${String(i).padStart(5, '0')}`;
    const file = `${name}-1.0-h${String(i).padStart(8, '0')}_0.conda`;
    writeFileSync(join(noarch, file), body);
    records[file] = {
      name,
      version: '1.0',
      build: `h${String(i).padStart(8, '0')}_0`,
      build_number: 0,
      depends: [],
      subdir: 'noarch',
      noarch: 'generic',
      md5: 'e'.repeat(32),
      sha256: 'f'.repeat(64),
      size: body.length,
      timestamp: 1700000000000,
      license: 'MIT',
    };
  }
  const repodata = (subdir, pkgs) =>
    JSON.stringify(
      { info: { subdir }, packages: {}, 'packages.conda': pkgs, removed: [], repodata_version: 1 },
      null,
      1,
    );
  writeFileSync(join(noarch, 'repodata.json'), repodata('noarch', records));
  writeFileSync(join(dir, 'linux-64', 'repodata.json'), repodata('linux-64', {}));
}

export const buildRecipe = (image, outputPath, extra = {}) => ({
  executor: 'nx-conda:recipe-build',
  dependsOn: ['^build-recipe'],
  cache: true,
  inputs: ['{projectRoot}/**/*'],
  outputs: ['{options.outputPath}'],
  options: { image, outputPath, ...extra },
});

/** `bare`: the same build in the same image with a plain `docker run --rm`, as an nx:run-commands target. */
export function bareTarget(recipeDir, outDir, image, script, mounts = []) {
  const volumes = [
    `-v "$PWD/${recipeDir}:/opt/recipe:ro"`,
    `-v "$PWD/${outDir}:/opt/host-conda-bld"`,
    ...mounts.map((m) => `-v "$PWD/${m.host}:${m.container}:ro"`),
  ];
  return {
    executor: 'nx:run-commands',
    cache: false,
    options: {
      command:
        `rm -rf ${outDir} && mkdir -p ${outDir} && docker run --rm ${volumes.join(' ')} ${image} ` +
        `bash -c '${script}; s=$?; chown -R ${UID}:${GID} /opt/host-conda-bld; exit $s'`,
      cwd: '{workspaceRoot}',
    },
  };
}

/**
 * A one-line local executor that runs a shell command (as nx:run-commands
 * does, but as an executor): Nx runs every executor but nx:run-commands in a
 * forked process of its own, so this is the floor of any executor-based
 * target, which tells Nx's share of build-recipe's overhead from nx-conda's.
 */
export function writeFloorExecutor(ws) {
  const dir = 'node_modules/bench-floor';
  ws.write(
    `${dir}/package.json`,
    JSON.stringify({ name: 'bench-floor', version: '0.0.0', executors: './executors.json' }),
  );
  ws.write(
    `${dir}/executors.json`,
    JSON.stringify({
      executors: { run: { implementation: './run.js', schema: './schema.json', description: 'runs a command' } },
    }),
  );
  ws.write(
    `${dir}/schema.json`,
    JSON.stringify({ type: 'object', properties: { command: { type: 'string' } }, required: ['command'] }),
  );
  ws.write(
    `${dir}/run.js`,
    "const { spawn } = require('node:child_process');\n" +
      'module.exports = async (options, context) => new Promise((resolve) => {\n' +
      "  spawn('bash', ['-c', options.command], { cwd: context.root, stdio: 'inherit' }).on('close', (code) => resolve({ success: code === 0 }));\n" +
      '});\n',
  );
}

/**
 * `count` independent trivial recipes, each with build-recipe, a cached
 * nx:run-commands twin and `bare`: the same build by hand (docker run --rm).
 */
export function manyWorkspace(tpl, name, count) {
  const ws = new Workspace(name, tpl);
  const names = Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(3, '0')}`);
  for (const p of names) {
    const root = `recipes/${p}`;
    ws.write(`${root}/recipe.yaml`, rattlerRecipe(p));
    ws.project(p, root, {
      'build-recipe': buildRecipe(IMAGES.rattler, `dist/conda/${root}`),
      bare: bareTarget(root, `tmp/bare/${p}`, IMAGES.rattler, rattlerCommand()),
      // An Nx-cached task with an output folder of one small file: Nx's own floor for a cached task.
      cached: {
        executor: 'nx:run-commands',
        cache: true,
        inputs: ['{projectRoot}/**/*'],
        outputs: [`{workspaceRoot}/dist/cached/${p}`],
        options: {
          command: `mkdir -p dist/cached/${p} && echo ${p} > dist/cached/${p}/${p}.txt`,
          cwd: '{workspaceRoot}',
        },
      },
    });
  }
  return { ws, names };
}
