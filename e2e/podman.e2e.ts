import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import {
  createWorkspace,
  expectSuccess,
  explain,
  startNx,
  until,
  workspaceContainers,
  type Workspace,
} from './utils/workspace';

/**
 * The same build path with `engine: podman` (set up by scripts/ensure-podman.sh):
 * the builder image is built by podman, and recipes build in podman containers.
 */
const podmanWorks =
  spawnSync('podman', ['run', '--rm', '--init', TEST_IMAGES.condaBuild, 'true'], { stdio: 'ignore' }).status === 0;
if (!podmanWorks)
  console.warn(
    'podman cannot run the conda-build test image here (see scripts/ensure-podman.sh): the podman test is skipped',
  );

const podman = (args: string[]) => spawnSync('podman', args, { encoding: 'utf8' });

(podmanWorks ? describe : describe.skip)('podman engine (real podman)', () => {
  let ws: Workspace;
  /** This workspace's containers only: other workspaces may use podman at the same time. */
  const labelled = () => workspaceContainers(ws, 'podman');
  beforeAll(() => {
    ws = createWorkspace('podman', {
      plugins: [{ plugin: 'nx-conda', options: { imageProject: 'builder-image', engine: 'podman' } }],
    });
    ws.write(
      'tools/builder-image/project.json',
      JSON.stringify({
        name: 'builder-image',
        targets: {
          'docker-image': {
            executor: 'nx-conda:docker-image',
            options: { baseImage: TEST_IMAGES.condaBuild, imageName: 'nx-conda-e2e/podman-builder', engine: 'podman' },
          },
        },
      }),
    );
    ws.write('recipes/pone/meta.yaml', 'package:\n  name: pone\n  version: "1.0"\nbuild:\n  number: 0\n');
    ws.write('recipes/pone/build.sh', 'mkdir -p "$PREFIX/share" && echo pone > "$PREFIX/share/pone.txt"\n', 0o755);
    ws.write(
      'recipes/ptwo/meta.yaml',
      'package:\n  name: ptwo\n  version: "1.0"\nbuild:\n  number: 0\nrequirements:\n  host:\n    - pone\n',
    );
    ws.write(
      'recipes/ptwo/build.sh',
      'test -f "$PREFIX/share/pone.txt"\necho ptwo > "$PREFIX/share/ptwo.txt"\n',
      0o755,
    );
    ws.write('recipes/pslow/meta.yaml', 'package:\n  name: pslow\n  version: "1.0"\nbuild:\n  number: 0\n');
    ws.write('recipes/pslow/build.sh', 'sleep 600\n', 0o755);
    ws.write('recipes/pbad/meta.yaml', 'package:\n  name: pbad\n  version: "1.0"\n');
    ws.write('recipes/pbad/build.sh', 'exit 3\n', 0o755);
  });

  /**
   * Builder images of this test's name, from an earlier run that was killed
   * before its clean-up: removed first, or the build below would be "Reused".
   */
  const removeBuilderImages = () => {
    // By name, never by id, and filtered here: podman's reference filter also lists every
    // other name of a matching image, such as the test image it shares an id with.
    const names = podman(['images', '--format', '{{.Repository}}:{{.Tag}}'])
      .stdout.split('\n')
      .filter((name) => name.startsWith('localhost/nx-conda-e2e/podman-builder:'));
    if (names.length > 0) podman(['rmi', ...names]);
  };
  beforeAll(removeBuilderImages);
  afterAll(removeBuilderImages);

  it('builds the builder image and the recipes with podman, in order', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'pone', 'ptwo', '--parallel=1']);
    expectSuccess(result);
    // The image docker-image recorded is the one podman has, and it was built now, not found.
    const identity = JSON.parse(
      readFileSync(join(ws.root, 'dist/nx-conda/images/builder-image/nx-conda-image.json'), 'utf8'),
    ) as { tag: string; id: string };
    const inPodman = podman(['image', 'inspect', '--format', '{{.Id}}', identity.tag]).stdout.trim();
    if (`sha256:${inPodman}` !== identity.id && inPodman !== identity.id) {
      throw new Error(
        `podman has no image ${identity.tag} with id ${identity.id} (it has "${inPodman}"): ${explain(result)}`,
      );
    }
    expect(result.output).toContain(`Built ${identity.tag}`);
    expect(result.output).toMatch(/staging channel for ptwo: 1 package\(s\) from 1 dependency \(pone\)/);
    for (const name of ['pone', 'ptwo']) {
      expect(channelPackages(join(ws.root, 'dist/conda/recipes', name))).toEqual([
        expect.stringMatching(new RegExp(`^linux-64/${name}-1\\.0-`)),
      ]);
    }
    expect(labelled()).toBe('');
  });

  it('fails a broken build and leaves no podman container', () => {
    const result = ws.nx(['run', 'pbad:build-recipe']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/exited with code 1/);
    expect(existsSync(join(ws.root, 'dist/conda/recipes/pbad'))).toBe(false);
    expect(labelled()).toBe('');
  });

  it('SIGKILL of the whole process group: the podman container stops by itself (issue 14)', async () => {
    const run = startNx(ws, ['run', 'pslow:build-recipe', '--skip-nx-cache']);
    try {
      // conda-build holds the script's output back: look for the script's own process in the container instead.
      const buildRuns = () => {
        const [name] = labelled().split('\n').filter(Boolean);
        return name !== undefined && podman(['top', name, 'args']).stdout.includes('sleep 600');
      };
      await until('the build script to run in the podman container', buildRuns, 300, run.output);
      expect(labelled()).toMatch(/^nx-conda-pslow-/);
    } finally {
      process.kill(-run.child.pid!, 'SIGKILL'); // the whole group, as a CI runner does
      await run.exited;
    }
    await until(
      'the podman container to go',
      () => labelled() === '',
      15,
      () => podman(['ps', '-a']).stdout,
    );
  });
});
