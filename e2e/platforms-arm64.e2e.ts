import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, docker, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 27 (images and engines): recipes built for linux-aarch64 under qemu
 * user emulation, in the arm64 test images (`npm run e2e:images` makes them
 * when a qemu-aarch64 handler is registered: scripts/ensure-emulation.sh).
 * The per-platform targets are written out in project.json here, as the
 * graph infers them: `build-recipe-linux-aarch64` with `platform:
 * linux-aarch64`, on `^build-recipe-linux-aarch64` and the builder image's
 * `docker-image-linux-aarch64`.
 */
const ARM64 = { condaBuild: 'nx-conda-e2e/conda-build:arm64', rattlerBuild: 'nx-conda-e2e/rattler-build:arm64' };
const AARCH64 = 'linux-aarch64';
const present = (image: string) => docker(['image', 'inspect', image]).code === 0;
const arm64Images = { condaBuild: present(ARM64.condaBuild), rattlerBuild: present(ARM64.rattlerBuild) };
if (!arm64Images.condaBuild || !arm64Images.rattlerBuild)
  console.warn(
    'an arm64 test image is missing (no qemu-aarch64 handler when `npm run e2e:images` ran; see scripts/ensure-emulation.sh): its linux-aarch64 tests are skipped',
  );

const meta = (name: string, body = '') => `package:\n  name: ${name}\n  version: "1.0"\nbuild:\n  number: 0\n${body}`;
const recipeYaml = (name: string, body: string) =>
  `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n${body}`;
// What the build ran on: aarch64 under emulation, for a linux-aarch64 task.
const PLAIN_SCRIPT = 'mkdir -p "$PREFIX/share" && uname -m > "$PREFIX/share/plain-built-on"\n';
const DEPENDENT_SCRIPT = [
  'test -f "$PREFIX/share/plain-built-on" || { echo "plain is missing from the host prefix"; exit 1; }',
  'mkdir -p "$PREFIX/bin"',
  `printf '#!/bin/sh\\necho "dependent runs on $(uname -m), plain was built on $(cat "$(dirname "$0")/../share/plain-built-on")"\\n' > "$PREFIX/bin/dependent"`,
  'chmod 0755 "$PREFIX/bin/dependent"',
  '',
].join('\n');

type Recipe = { files: Record<string, string>; deps: string[]; platforms: string[] };

const CONDA_RECIPES: Record<string, Recipe> = {
  plain: {
    files: { 'meta.yaml': meta('plain'), 'build.sh': PLAIN_SCRIPT },
    deps: [],
    platforms: ['linux-64', AARCH64],
  },
  noarchy: {
    files: {
      'meta.yaml': meta('noarchy', '  noarch: generic\n'),
      'build.sh': 'mkdir -p "$PREFIX/share" && echo noarchy > "$PREFIX/share/noarchy.txt"\n',
    },
    deps: [],
    platforms: [AARCH64],
  },
  multi: {
    files: {
      'meta.yaml': meta(
        'multi-split',
        'outputs:\n  - name: multi-lib\n    script: install-lib.sh\n  - name: multi-data\n    build:\n      noarch: generic\n    script: install-data.sh\n    requirements:\n      run:\n        - multi-lib\n',
      ),
      'install-lib.sh': 'mkdir -p "$PREFIX/share" && uname -m > "$PREFIX/share/multi-lib.txt"\n',
      'install-data.sh': 'mkdir -p "$PREFIX/share" && echo data > "$PREFIX/share/multi-data.txt"\n',
    },
    deps: [],
    platforms: [AARCH64],
  },
  dependent: {
    files: {
      'meta.yaml': meta('dependent', 'requirements:\n  host:\n    - plain\n  run:\n    - plain\n'),
      'build.sh': DEPENDENT_SCRIPT,
    },
    deps: ['plain'],
    platforms: ['linux-64', AARCH64],
  },
};

const RATTLER_RECIPES: Record<string, Recipe> = {
  rplain: {
    files: {
      'recipe.yaml': recipeYaml(
        'rplain',
        '  script:\n    - mkdir -p $PREFIX/share && uname -m > $PREFIX/share/rplain-built-on\n',
      ),
    },
    deps: [],
    platforms: [AARCH64],
  },
  rnoarch: {
    files: {
      'recipe.yaml': recipeYaml(
        'rnoarch',
        '  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share && echo n > $PREFIX/share/rnoarch.txt\n',
      ),
    },
    deps: [],
    platforms: [AARCH64],
  },
  rmulti: {
    files: {
      'recipe.yaml':
        'recipe:\n  name: rmulti-split\n  version: "1.0"\n\nbuild:\n  number: 0\n\noutputs:\n  - package:\n      name: rmulti-lib\n    build:\n      script:\n        - mkdir -p $PREFIX/share && uname -m > $PREFIX/share/rmulti-lib.txt\n  - package:\n      name: rmulti-data\n    build:\n      noarch: generic\n      script:\n        - mkdir -p $PREFIX/share && echo data > $PREFIX/share/rmulti-data.txt\n',
    },
    deps: [],
    platforms: [AARCH64],
  },
  rdependent: {
    files: {
      'recipe.yaml': recipeYaml(
        'rdependent',
        '  script:\n    - test -f $PREFIX/share/rplain-built-on\n    - mkdir -p $PREFIX/share && cp $PREFIX/share/rplain-built-on $PREFIX/share/rdependent-saw\n\nrequirements:\n  host:\n    - rplain\n  run:\n    - rplain\n',
      ),
    },
    deps: ['rplain'],
    platforms: [AARCH64],
  },
};

const targetName = (platform: string) => (platform === 'linux-64' ? 'build-recipe' : `build-recipe-${platform}`);
const outputOf = (platform: string, name: string) => `dist/conda/${platform}/${name}`;

function writeTree(
  ws: Workspace,
  recipes: Record<string, Recipe>,
  image: (platform: string) => object,
  builderImage = false,
): void {
  for (const [name, r] of Object.entries(recipes)) {
    for (const [file, content] of Object.entries(r.files))
      ws.write(`recipes/${name}/${file}`, content, file.endsWith('.sh') ? 0o755 : undefined);
    const targets: Record<string, object> = {};
    for (const platform of r.platforms) {
      targets[targetName(platform)] = {
        executor: 'nx-conda:recipe-build',
        cache: true,
        inputs: ['{projectRoot}/**/*'],
        outputs: ['{options.outputPath}'],
        dependsOn: [
          `^${targetName(platform)}`,
          ...(builderImage
            ? [`builder-image:${platform === 'linux-64' ? 'docker-image' : `docker-image-${platform}`}`]
            : []),
        ],
        options: { ...image(platform), platform, outputPath: outputOf(platform, name) },
      };
    }
    ws.write(
      `recipes/${name}/project.json`,
      JSON.stringify({ name, root: `recipes/${name}`, implicitDependencies: r.deps, targets }),
    );
  }
}

function indexJson(ws: Workspace, platform: string, name: string, packageName = name): any {
  const out = join(ws.root, outputOf(platform, name));
  const file = channelPackages(out).find((p) => p.split('/')[1].startsWith(`${packageName}-1.0-`));
  if (!file) throw new Error(`no ${packageName} package in ${out}: ${channelPackages(out).join(', ')}`);
  return { ...JSON.parse(readPackageMember(join(out, file), 'info/index.json')), file };
}

(arm64Images ? describe : describe.skip)(
  'linux-aarch64 builds under emulation (real engine, arm64 test images)',
  () => {
    describe('conda-build, in a builder image per platform', () => {
      let ws: Workspace;
      beforeAll(() => {
        ws = createWorkspace('arm64-conda', {}, { batch: false });
        ws.write(
          'tools/builder-image/project.json',
          JSON.stringify({
            name: 'builder-image',
            root: 'tools/builder-image',
            targets: {
              'docker-image': {
                executor: 'nx-conda:docker-image',
                cache: false,
                outputs: ['{workspaceRoot}/dist/nx-conda/images/{projectName}'],
                options: { baseImage: TEST_IMAGES.condaBuild, imageName: 'nx-conda-e2e/arm64-builder' },
              },
              'docker-image-linux-aarch64': {
                executor: 'nx-conda:docker-image',
                cache: false,
                outputs: ['{workspaceRoot}/dist/nx-conda/images/linux-aarch64/{projectName}'],
                options: { baseImage: ARM64.condaBuild, imageName: 'nx-conda-e2e/arm64-builder', platform: AARCH64 },
              },
            },
          }),
        );
        // No imageProject option: each platform's target takes the builder image from its dependsOn, as inferred.
        writeTree(ws, CONDA_RECIPES, () => ({ keepImage: true }), true);
      });
      afterAll(() => {
        for (const file of ['dist/nx-conda/images/builder-image', 'dist/nx-conda/images/linux-aarch64/builder-image']) {
          try {
            docker(['image', 'rm', JSON.parse(ws.read(`${file}/nx-conda-image.json`)).tag]);
          } catch {
            // not built
          }
        }
      });

      it('builds both platforms of the tree, each task once, each package for its platform; a second run is all cache hits', () => {
        const result = ws.nx(['run-many', '-t', 'build-recipe', `build-recipe-${AARCH64}`, '--parallel=1']);
        expectSuccess(result);
        // Both builder images live side by side, one tag per platform, each of its architecture.
        const identity = (folder: string) => JSON.parse(ws.read(`dist/nx-conda/images/${folder}/nx-conda-image.json`));
        const native = identity('builder-image');
        const arm = identity('linux-aarch64/builder-image');
        expect(arm).toMatchObject({ platform: AARCH64, tag: expect.stringMatching(/-linux-aarch64$/) });
        expect(native.platform).toBe('linux-64');
        expect(docker(['image', 'inspect', '-f', '{{.Architecture}}', arm.tag]).stdout.trim()).toBe('arm64');
        expect(docker(['image', 'inspect', '-f', '{{.Architecture}}', native.tag]).stdout.trim()).toBe('amd64');
        const recipeTasks = [
          'plain:build-recipe',
          'dependent:build-recipe',
          ...Object.keys(CONDA_RECIPES).map((n) => `${n}:build-recipe-${AARCH64}`),
        ];
        for (const task of recipeTasks)
          expect(result.output.match(new RegExp(`nx run ${task}(?![\\w-])`, 'g'))?.length).toBe(1);

        expect(indexJson(ws, AARCH64, 'plain')).toMatchObject({ subdir: AARCH64, arch: 'aarch64', platform: 'linux' });
        expect(indexJson(ws, 'linux-64', 'plain')).toMatchObject({ subdir: 'linux-64', arch: 'x86_64' });
        const plainArm = join(ws.root, outputOf(AARCH64, 'plain'), indexJson(ws, AARCH64, 'plain').file);
        expect(readPackageMember(plainArm, 'share/plain-built-on').trim()).toBe('aarch64');
        expect(indexJson(ws, AARCH64, 'noarchy')).toMatchObject({ subdir: 'noarch', noarch: 'generic' });
        expect(indexJson(ws, AARCH64, 'multi', 'multi-lib')).toMatchObject({ subdir: AARCH64, arch: 'aarch64' });
        expect(indexJson(ws, AARCH64, 'multi', 'multi-data')).toMatchObject({
          subdir: 'noarch',
          depends: ['multi-lib'],
        });
        expect(indexJson(ws, AARCH64, 'dependent')).toMatchObject({ subdir: AARCH64, depends: ['plain'] });
        expect(channelPackages(join(ws.root, outputOf(AARCH64, 'dependent')))).toEqual([
          expect.stringMatching(/^linux-aarch64\/dependent-1\.0-0\.(conda|tar\.bz2)$/),
        ]);

        const again = ws.nx(['run-many', '-t', 'build-recipe', `build-recipe-${AARCH64}`, '--parallel=1']);
        expectSuccess(again);
        // The six builds come from the cache; only the two docker-image tasks (never cached) run, reusing their images.
        expect(again.output).toMatch(
          /Nx read the output from the cache instead of running the command for 6 out of 8 tasks/,
        );
        for (const task of recipeTasks) expect(again.output).toMatch(new RegExp(`nx run ${task}  \\[local cache\\]`));
      });

      it('the emulated conda installs the dependent from the aarch64 channels and runs it', () => {
        const channels = ['plain', 'dependent'].map((n) => join(ws.root, outputOf(AARCH64, n)));
        const script = [
          'set -e',
          'conda create --quiet --yes --offline --override-channels -c file:///c0 -c file:///c1 -p /tmp/env dependent >/dev/null',
          '/tmp/env/bin/dependent',
        ].join('\n');
        const run = docker([
          'run',
          '--rm',
          '--platform',
          'linux/arm64',
          '--network',
          'none',
          '-v',
          `${channels[0]}:/c0:ro`,
          '-v',
          `${channels[1]}:/c1:ro`,
          ARM64.condaBuild,
          'bash',
          '-c',
          script,
        ]);
        expect(run).toMatchObject({ code: 0 });
        expect(run.stdout.trim()).toBe('dependent runs on aarch64, plain was built on aarch64');
      });
    });

    (arm64Images.rattlerBuild ? it : it.skip)(
      'rattler-build: a platform package, a noarch one, a multi-output recipe and a dependent, for linux-aarch64',
      () => {
        const ws = createWorkspace('arm64-rattler', {}, { batch: false });
        writeTree(ws, RATTLER_RECIPES, () => ({ image: ARM64.rattlerBuild, builder: 'rattler-build' }));
        const result = ws.nx(['run-many', '-t', `build-recipe-${AARCH64}`, '--parallel=1']);
        expectSuccess(result);
        expect(indexJson(ws, AARCH64, 'rplain')).toMatchObject({ subdir: AARCH64, arch: 'aarch64', platform: 'linux' });
        expect(indexJson(ws, AARCH64, 'rnoarch')).toMatchObject({ subdir: 'noarch', noarch: 'generic' });
        expect(indexJson(ws, AARCH64, 'rmulti', 'rmulti-lib')).toMatchObject({ subdir: AARCH64, arch: 'aarch64' });
        expect(indexJson(ws, AARCH64, 'rmulti', 'rmulti-data')).toMatchObject({ subdir: 'noarch' });
        const dependent = indexJson(ws, AARCH64, 'rdependent');
        expect(dependent).toMatchObject({ subdir: AARCH64, depends: ['rplain'] });
        const file = join(ws.root, outputOf(AARCH64, 'rdependent'), dependent.file);
        expect(readPackageMember(file, 'share/rdependent-saw').trim()).toBe('aarch64');
      },
    );
  },
);
