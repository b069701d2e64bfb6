import { OWNER_LABELS, workspaceId } from '../../container';
import { FakeEngine } from '../../container/fake-engine.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import purgeImageExecutor from './executor';
import type { PurgeImageExecutorSchema } from './schema';

const NO_SUCH_IMAGE = { exitCode: 1, stderr: 'Error response from daemon: No such image: x' };

describe('purge-image executor, against a recorded engine', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  /** The labels package-image gives an image of `file`, in workspace `workspace`. */
  const packageLabels = (file: string, workspace: string) =>
    JSON.stringify({
      'nx-conda': 'package',
      [OWNER_LABELS.workspace]: workspace,
      'nx-conda.project': 'foo',
      'nx-conda.package-file': file,
      'nx-conda.package-sha256': 'ab'.repeat(32),
    });
  beforeEach(() => {
    ws = tempWorkspace('purge-image');
    out = captureOutput();
    engine = new FakeEngine().on(/^version /, { stdout: '27.0.0' });
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: PurgeImageExecutorSchema) =>
    engine.run(() => purgeImageExecutor(options, executorContext(ws.root, 'images')));
  const removals = () => engine.calls.filter((c) => c.args[1] === 'rm').map((c) => c.args);

  it('removes the package image this workspace made, and leaves a foreign image of that name alone', async () => {
    engine
      .on(/^image inspect --format \{\{json \.Config\.Labels\}\} biocontainers\/foo:1\.0--0$/, {
        stdout: packageLabels('foo-1.0-0.tar.bz2', workspaceId(ws.root)),
      })
      .on(/^image inspect --format \{\{json \.Config\.Labels\}\} biocontainers\/bar:2--1$/, {
        stdout: packageLabels('bar-2-1.tar.bz2', 'another0workspace'),
      });
    await expect(run({ packages: ['foo=1.0--0', 'bar=2--1'], force: true })).resolves.toEqual({ success: true });
    expect(removals()).toEqual([['image', 'rm', '--force', 'biocontainers/foo:1.0--0']]);
    expect(out.warn).toContain('biocontainers/bar:2--1: not made by package-image in this workspace; left alone');
    expect(out.info.at(-1)).toBe('removed 1, already gone 0');
  });

  it("removes the builder image of every platform: the image project's docker-image-<platform> targets too", async () => {
    const graph = {
      nodes: {
        'builder-image': {
          name: 'builder-image',
          type: 'lib' as const,
          data: {
            root: 'tools/builder-image',
            targets: {
              'docker-image': { executor: 'nx-conda:docker-image', options: { baseImage: 'local/base:1' } },
              'docker-image-linux-aarch64': {
                executor: 'nx-conda:docker-image',
                options: { baseImage: 'local/base:arm64', platform: 'linux-aarch64' },
              },
              'docker-image-notes': { executor: 'nx:run-commands', options: {} },
            },
          },
        },
      },
      dependencies: {},
    };
    engine.on(/^image inspect --format \{\{\.Id\}\} local\/base:/, { stdout: 'sha256:base' }).on(/^image rm /, {});
    await expect(
      engine.run(() =>
        purgeImageExecutor({ imageProject: 'builder-image' }, executorContext(ws.root, 'images', graph)),
      ),
    ).resolves.toEqual({ success: true });
    const removed = removals().map((args) => args.at(-1));
    expect(removed).toEqual([
      expect.stringMatching(/^nx-conda\/builder:[0-9a-f]{12}$/),
      expect.stringMatching(/^nx-conda\/builder:[0-9a-f]{12}-linux-aarch64$/),
    ]);
  });

  it('removes every container of this workspace first (containers: true), by id, forced', async () => {
    const workspace = workspaceId(ws.root);
    engine.on(/^container ls /, { stdout: 'c1\nc2' }).on(/^container inspect /, {
      stdout: [
        `c1\t/nx-conda-foo-1\texited\t{"${OWNER_LABELS.workspace}":"${workspace}"}`,
        `c2\t/nx-conda-bar-2\trunning\t{"${OWNER_LABELS.workspace}":"${workspace}"}`,
      ].join('\n'),
    });
    await expect(run({ containers: true, images: ['some/image:1'] })).resolves.toEqual({ success: true });
    expect(engine.argsOf('container ls')).toEqual([
      'container',
      'ls',
      '--all',
      '--no-trunc',
      '--filter',
      `label=${OWNER_LABELS.workspace}=${workspace}`,
      '--format',
      '{{.ID}}',
    ]);
    expect(removals()).toEqual([
      ['container', 'rm', '--force', 'c1'],
      ['container', 'rm', '--force', 'c2'],
      ['image', 'rm', 'some/image:1'],
    ]);
    expect(out.info.at(-1)).toBe('removed 3, already gone 0');
  });

  it('builderImages: lists the images labelled nx-conda=builder and removes each', async () => {
    engine.on(/^image ls /, { stdout: 'nx-conda/builder:0123456789ab sha256:1\n<none>:<none> sha256:2' });
    await expect(run({ builderImages: true })).resolves.toEqual({ success: true });
    expect(engine.argsOf('image ls')).toEqual([
      'image',
      'ls',
      '--no-trunc',
      '--format',
      '{{.Repository}}:{{.Tag}} {{.ID}}',
      '--filter',
      'label=nx-conda=builder',
    ]);
    expect(removals()).toEqual([
      ['image', 'rm', 'nx-conda/builder:0123456789ab'],
      ['image', 'rm', 'sha256:2'],
    ]);
  });

  it('an image already gone is a warning; an engine refusal fails the task after trying the others, naming the image', async () => {
    engine.on(/^image rm gone\/image:1$/, NO_SUCH_IMAGE).on(/^image rm used\/image:1$/, {
      exitCode: 1,
      stderr: 'Error response from daemon: conflict: unable to remove repository reference "used/image:1" (must force)',
    });
    await expect(run({ images: ['used/image:1', 'gone/image:1', 'other/image:1'] })).resolves.toEqual({
      success: false,
    });
    expect(removals()).toEqual([
      ['image', 'rm', 'used/image:1'],
      ['image', 'rm', 'gone/image:1'],
      ['image', 'rm', 'other/image:1'],
    ]);
    expect(out.warn).toContain('gone/image:1: already gone');
    expect(out.error[0]).toMatch(
      /^used\/image:1: .*unable to remove repository reference "used\/image:1" \(must force\)/,
    );
    expect(out.error.at(-1)).toBe('nx-conda: removed 1, already gone 1, failed 1');
  });

  it('a bad option fails before any engine call, saying which', async () => {
    await expect(run({ names: ['Not A Name'] })).resolves.toEqual({ success: false });
    expect(out.error[0]).toMatch(/^nx-conda: name 'Not A Name' is not a package name/);
    expect(engine.calls).toEqual([]);
  });
});
