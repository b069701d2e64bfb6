import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_IDENTITY_FILE, IMAGE_IDENTITY_ROOT } from '../../core/defaults';
import { FakeEngine } from '../../container/fake-engine.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import dockerImageExecutor from './executor';

const BASE = 'nx-conda-e2e/base:bookworm';
const NO_SUCH_IMAGE = { exitCode: 1, stderr: 'Error: No such image' };

describe('docker-image executor, against a recorded engine', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  beforeEach(() => {
    ws = tempWorkspace('docker-image');
    out = captureOutput();
    engine = new FakeEngine()
      .on(/^version /, { stdout: '27.0.0' })
      .on(/^image inspect --format \{\{\.Id\}\} /, NO_SUCH_IMAGE)
      .on(new RegExp(`^image inspect --format \\{\\{\\.Id\\}\\} ${BASE}$`), { stdout: 'sha256:base' });
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });

  const run = (options: Record<string, unknown> = {}) =>
    engine.run(() => dockerImageExecutor({ baseImage: BASE, ...options }, executorContext(ws.root, 'images')));
  const identityFile = () => join(ws.root, IMAGE_IDENTITY_ROOT, 'images', IMAGE_IDENTITY_FILE);

  it('builds a missing image with the options on its command line, removes the build context, records the identity', async () => {
    let built = false;
    engine
      .on(/^build /, () => ((built = true), {}))
      .on(/^image inspect --format \{\{\.Id\}\} nx-conda\/builder:/, () =>
        built ? { stdout: 'sha256:built' } : NO_SUCH_IMAGE,
      );
    const result = await run({ network: 'host', buildArgs: { CONDA_CHANNEL: 'local' }, force: false });
    expect(result).toEqual({ success: true });

    const build = engine.argsOf('build');
    const contextDir = build[build.length - 1];
    const tag = build[build.indexOf('--tag') + 1];
    expect(tag).toMatch(/^nx-conda\/builder:[0-9a-f]{12}$/);
    expect(build).toEqual([
      'build',
      '--file',
      join(contextDir, 'Dockerfile'),
      '--tag',
      tag,
      '--network=host',
      '--force-rm',
      '--build-arg',
      'CONDA_CHANNEL',
      '--label',
      'nx-conda=builder',
      '--label',
      expect.stringMatching(new RegExp(`^nx-conda\\.hash=${tag.split(':')[1]}[0-9a-f]{52}$`)),
      contextDir,
    ]);
    // The build argument's value travels in the client's environment, never on the command line.
    expect(engine.calls.find((c) => c.args[0] === 'build')?.env).toMatchObject({ CONDA_CHANNEL: 'local' });
    expect(existsSync(contextDir)).toBe(false);
    expect(JSON.parse(readFileSync(identityFile(), 'utf8'))).toEqual({
      tag,
      id: 'sha256:built',
      baseImage: BASE,
      baseImageId: 'sha256:base',
      platform: 'linux-64',
    });
    expect(out.info.at(-1)).toMatch(new RegExp(`^Built ${tag} \\(sha256:built\\) in `));
  });

  it('reuses an image whose hash tag exists: no build', async () => {
    engine.on(/^image inspect --format \{\{\.Id\}\} nx-conda\/builder:/, { stdout: 'sha256:there' });
    await expect(run()).resolves.toEqual({ success: true });
    expect(engine.lines().filter((l) => l.startsWith('build'))).toEqual([]);
    expect(out.info.at(-1)).toMatch(/^Reused nx-conda\/builder:[0-9a-f]{12} \(sha256:there\) in /);
  });

  it('forced: builds without the layer cache even when the tag exists', async () => {
    engine.on(/^image inspect --format \{\{\.Id\}\} nx-conda\/builder:/, { stdout: 'sha256:there' });
    await expect(run({ force: true })).resolves.toEqual({ success: true });
    expect(engine.argsOf('build')).toContain('--no-cache');
  });

  it('a failed build fails the task with the image and the last lines of output, and removes the build context', async () => {
    engine.on(/^build /, { exitCode: 1, stderr: 'E: Unable to locate package nosuch' });
    await expect(run()).resolves.toEqual({ success: false });
    const build = engine.argsOf('build');
    const tag = build[build.indexOf('--tag') + 1];
    expect(out.error.join('\n')).toContain(`docker build of image ${tag} failed (exit code 1)`);
    expect(out.error.join('\n')).toContain('E: Unable to locate package nosuch');
    // A user error (issue 20): printed as its message with what to do, never a stack.
    expect(out.error.join('\n')).toMatch(/^nx-conda: docker build of image /);
    expect(out.error.join('\n')).toContain('Find the step that failed in the output above');
    expect(out.error.join('\n')).not.toMatch(/\n\s+at /);
    expect(existsSync(build[build.length - 1])).toBe(false);
    expect(existsSync(identityFile())).toBe(false);
  });

  it('an osx platform is refused before any engine command, saying why', async () => {
    await expect(run({ platform: 'osx-arm64' })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain('osx-arm64 cannot be built in a Linux container');
    expect(engine.lines()).toEqual([]);
  });

  it('an engine that does not answer fails before any image command, saying what to do', async () => {
    engine.on(/^version /, {
      exitCode: 1,
      stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
    });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error).toEqual([
      'nx-conda: docker is not usable: Cannot connect to the Docker daemon at unix:///var/run/docker.sock; ' +
        'start its daemon or check your permissions on its socket',
    ]);
    expect(engine.lines()).toEqual(['version --format {{.Server.Version}}']);
  });
});
