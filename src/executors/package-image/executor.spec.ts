import type { ProjectGraph, TaskGraph } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { workspaceId } from '../../container';
import { FakeEngine, type EngineCall } from '../../container/fake-engine.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import packageImageBatch from './batch';
import packageImageExecutor from './executor';
import type { PackageImageExecutorSchema } from './schema';

const INSTALLER = 'nx-conda-e2e/conda-build:latest';
const PACKAGE = 'a package';
const SHA = createHash('sha256').update(PACKAGE).digest('hex');
const TAG = 'biocontainers/foo:1.0--0';
const UNTESTED = `nx-conda-untested/foo:${SHA.slice(0, 16)}`;
const NO_SUCH_IMAGE = { exitCode: 1, stderr: 'Error: No such image' };

/** What the reader prints for a package whose only test is info/test/run_test.sh. */
const READER_OUTPUT = JSON.stringify({
  files: [{ path: 'info/test/run_test.sh', data: Buffer.from('foo --version\n').toString('base64') }],
  skipped: [],
});

function mountSource(call: EngineCall, target: string): string {
  const mount = call.args.find((a) => a.startsWith('type=bind,') && a.includes(`,target=${target}`));
  if (!mount) throw new Error(`no mount at ${target} in: ${call.args.join(' ')}`);
  return /source=([^,]+)/.exec(mount)![1];
}

describe('package-image executor, against a recorded engine', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  let graph: ProjectGraph;
  beforeEach(() => {
    ws = tempWorkspace('package-image');
    out = captureOutput();
    const subdir = join(ws.root, 'dist', 'conda', 'recipes', 'foo', 'linux-64');
    mkdirSync(subdir, { recursive: true });
    writeFileSync(join(subdir, 'foo-1.0-0.tar.bz2'), PACKAGE);
    writeFileSync(
      join(subdir, 'repodata.json'),
      JSON.stringify({
        info: { subdir: 'linux-64' },
        packages: { 'foo-1.0-0.tar.bz2': { name: 'foo', version: '1.0', build: '0', build_number: 0, sha256: SHA } },
      }),
    );
    graph = {
      nodes: { foo: { name: 'foo', type: 'lib', data: { root: 'recipes/foo', targets: {} } } },
      dependencies: {},
    };
    engine = new FakeEngine()
      .on(/^version /, { stdout: '27.0.0' })
      .on(/^image inspect /, NO_SUCH_IMAGE)
      .on(/^run [\s\S]*-c [\s\S]* \/opt\/nx-conda\/package\/foo-1\.0-0\.tar\.bz2$/, { stdout: READER_OUTPUT });
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: PackageImageExecutorSchema = {}) =>
    engine.run(() => packageImageExecutor({ image: INSTALLER, ...options }, executorContext(ws.root, 'foo', graph)));
  const runs = () => engine.calls.filter((c) => c.args[0] === 'run');
  const moves = () => engine.lines().filter((l) => /^image (tag|rm) /.test(l));
  /** The engine's lookup of the tag with its labels. */
  const inspectTag = new RegExp(
    `^image inspect --format \\{\\{\\.Id\\}\\} \\{\\{json \\.Config\\.Labels\\}\\} ${TAG}$`,
  );
  /** What that lookup answers for foo's image made by package-image in this workspace. */
  const ours = (tests = 'passed') =>
    'sha256:1 ' +
    JSON.stringify({
      'nx-conda': 'package',
      'nx-conda.workspace': workspaceId(ws.root),
      'nx-conda.project': 'foo',
      'nx-conda.package-file': 'foo-1.0-0.tar.bz2',
      'nx-conda.package-sha256': SHA,
      'nx-conda.tests': tests,
    });

  it('builds the image under an untested name, tests it with no network, then gives it its tag; the build context is removed', async () => {
    const dockerfiles: string[] = [];
    engine.on(/^build /, (call) => {
      dockerfiles.push(readFileSync(call.args[2], 'utf8'));
      return {};
    });
    await expect(run({ network: 'host' })).resolves.toEqual({ success: true });
    const build = engine.argsOf('build');
    const contextDir = build[build.length - 1];
    expect(build).toEqual([
      'build',
      '--file',
      join(contextDir, `Dockerfile.${SHA.slice(0, 16)}`),
      '--tag',
      UNTESTED,
      '--network=host',
      '--force-rm',
      contextDir,
    ]);
    // The labels are one LABEL of the final stage: no --label, which the legacy builder makes a step each.
    expect(dockerfiles).toHaveLength(1);
    expect(dockerfiles[0].trim().split('\n').at(-1)).toBe(
      `LABEL "nx-conda"="package" "nx-conda.workspace"="${workspaceId(ws.root)}" "nx-conda.project"="foo" ` +
        `"nx-conda.package-file"="foo-1.0-0.tar.bz2" "nx-conda.package-sha256"="${SHA}" "nx-conda.tests"="passed"`,
    );
    expect(existsSync(contextDir)).toBe(false);

    const [reader, test] = runs();
    expect(reader.args).toContain('--network=none');
    expect(reader.args).toContain(
      `type=bind,source=${join(ws.root, 'dist', 'conda', 'recipes', 'foo', 'linux-64', 'foo-1.0-0.tar.bz2')},target=/opt/nx-conda/package/foo-1.0-0.tar.bz2,readonly`,
    );
    const testsDir = mountSource(test, '/opt/nx-conda/tests');
    expect(test.args).toEqual([
      'run',
      '--rm',
      '--init',
      '--interactive',
      '--name',
      expect.stringMatching(/^nx-conda-foo-test-[0-9a-f]{12}$/),
      '--label',
      'nx-conda=run',
      '--label',
      'nx-conda.project=foo',
      '--label',
      'nx-conda.step=test',
      '--label',
      `nx-conda.workspace=${workspaceId(ws.root)}`,
      '--label',
      `nx-conda.host=${hostname()}`,
      '--label',
      expect.stringMatching(/^nx-conda\.pid-ns=/),
      '--label',
      `nx-conda.pid=${process.pid}`,
      '--label',
      expect.stringMatching(/^nx-conda\.pid-start=/),
      '--label',
      'nx-conda.scratch=[]',
      '--network=none',
      '--mount',
      `type=bind,source=${testsDir},target=/opt/nx-conda/tests,readonly`,
      // Issue 31, point 5: the limits of a build, and no capabilities.
      '--pids-limit=4096',
      '--security-opt=no-new-privileges',
      '--cap-drop=ALL',
      UNTESTED,
      'sh',
      '-c',
      expect.any(String),
      'nx-conda-follow-client',
      'bash',
      '/opt/nx-conda/tests/run.sh',
    ]);
    expect(existsSync(testsDir)).toBe(false);
    expect(engine.lines().filter((l) => /^image (tag|rm) /.test(l))).toEqual([
      `image tag ${UNTESTED} ${TAG}`,
      `image rm ${UNTESTED}`,
    ]);
    expect(out.info.at(-1)).toMatch(/built, 1 test step\(s\) passed$/);
  });

  it('the test container takes the limits and user it is given', async () => {
    await expect(run({ testMemory: '2g', testCpus: 1.5, testPidsLimit: 256, testUser: '1000:1000' })).resolves.toEqual({
      success: true,
    });
    const test = runs()[1].args;
    expect(test.slice(test.indexOf('--network=none'))).toEqual(
      expect.arrayContaining([
        '--user',
        '1000:1000',
        '--memory=2g',
        '--cpus=1.5',
        '--pids-limit=256',
        '--security-opt=no-new-privileges',
        '--cap-drop=ALL',
      ]),
    );
    await expect(run({ testMemory: 'lots' })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/testMemory: memory "lots" is not a size/);
    await expect(run({ testUser: '--privileged' })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/testUser "--privileged" is not name\|uid/);
  });

  it('a failing test fails the task naming the test, and removes the untested image, the tests and the context', async () => {
    engine.on(/^run [\s\S]* bash \/opt\/nx-conda\/tests\/run\.sh$/, {
      exitCode: 1,
      stderr: 'nx-conda-test: failed: info/test/run_test.sh',
    });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error[0]).toMatch(
      /^nx-conda: test of foo-1\.0-0\.tar\.bz2 in its image failed \(exit code 1\); the untested image was removed\.\n {2}failing test: info\/test\/run_test\.sh/,
    );
    expect(engine.lines().filter((l) => /^image (tag|rm) /.test(l))).toEqual([`image rm --force ${UNTESTED}`]);
    const build = engine.argsOf('build');
    expect(existsSync(build[build.length - 1])).toBe(false);
    expect(existsSync(mountSource(runs()[1], '/opt/nx-conda/tests'))).toBe(false);
  });

  // Issue 31, point 4: a test's output cannot set the window title, write the clipboard or move the cursor.
  it('prints and keeps the test output, and the failing test in the error, without control sequences', async () => {
    engine.on(/^run [\s\S]* bash \/opt\/nx-conda\/tests\/run\.sh$/, {
      exitCode: 1,
      stdout: 'title \u001b]0;pwned\u0007 clipboard \u001b]52;c;cm0gLXJmIH4=\u001b\\ done',
      stderr: 'nx-conda-test: failed: info/test/\u001b[2J\u001b[1;1Hrun_test.sh\u009d0;x\u009c',
    });
    await expect(run()).resolves.toEqual({ success: false });
    const everything = [...out.info, ...out.warn, ...out.error, ...out.streamed].join('\n');
    expect(out.streamed.join('')).toContain('title  clipboard  done');
    expect(out.error[0]).toContain('failing test: info/test/run_test.sh');
    // eslint-disable-next-line no-control-regex
    expect(everything).not.toMatch(/[\u001b\u0007\u009b-\u009d]/);
  });

  it('names the test files it left out without control characters (JSON quoting keeps C1 and bidi ones)', async () => {
    engine.on(/^run [\s\S]*-c [\s\S]* \/opt\/nx-conda\/package\/foo-1\.0-0\.tar\.bz2$/, {
      stdout: JSON.stringify({ ...JSON.parse(READER_OUTPUT), skipped: ['info/test/\u009d0;t\u009cx\u202e.sh'] }),
    });
    await expect(run()).resolves.toEqual({ success: true });
    expect(out.warn).toContain('nx-conda: test files of foo-1.0-0.tar.bz2 left out: "info/test/x.sh"');
  });

  // Issue 31, point 6: verbose prints no channel credential.
  it("verbose prints the Dockerfile with the channels' credentials masked", async () => {
    await expect(
      run({
        verbose: true,
        channels: ['https://bob:s3cr3t-pw@channels.example.org/lab', 'https://conda.example.org/t/tk-1234567890/x'],
      }),
    ).resolves.toEqual({ success: true });
    const printed = [...out.info, ...out.warn, ...out.streamed].join('\n');
    expect(printed).toContain('nx-conda: Dockerfile for biocontainers/foo:1.0--0');
    expect(printed).not.toMatch(/s3cr3t-pw|tk-1234567890/);
  });

  it('a failed image build fails the task naming the image; the context is removed and nothing is tagged', async () => {
    engine.on(/^build /, { exitCode: 1, stderr: 'PackagesNotFoundError: nosuch' });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(`docker build of image ${UNTESTED} failed (exit code 1)`);
    expect(out.error.join('\n')).toContain('PackagesNotFoundError: nosuch');
    const build = engine.argsOf('build');
    expect(existsSync(build[build.length - 1])).toBe(false);
    expect(engine.lines().filter((l) => /^image (tag|rm) /.test(l))).toEqual([]);
  });

  it('skipTests builds under the untested name then tags it, says the image is untested, and runs no container', async () => {
    let dockerfile = '';
    engine.on(/^build /, (call) => {
      dockerfile = readFileSync(call.args[2], 'utf8');
      return {};
    });
    await expect(run({ skipTests: true })).resolves.toEqual({ success: true });
    expect(engine.argsOf('build')).toEqual(expect.arrayContaining(['--tag', UNTESTED]));
    expect(moves()).toEqual([`image tag ${UNTESTED} ${TAG}`, `image rm ${UNTESTED}`]);
    expect(dockerfile).toContain('"nx-conda.tests"="skipped"');
    expect(runs()).toEqual([]);
    expect(out.warn).toContain(`nx-conda: tests of foo-1.0-0.tar.bz2 NOT run (skipTests): ${TAG} is untested`);
  });

  it('reuses an image whose labels name the same package file, workspace and passed tests: no build, no container', async () => {
    engine.on(inspectTag, { stdout: ours() });
    await expect(run()).resolves.toEqual({ success: true });
    // One engine call: no engine check (`version`) before it, no container, no build.
    expect(engine.lines()).toEqual([`image inspect --format {{.Id}} {{json .Config.Labels}} ${TAG}`]);
    expect(out.info.at(-1)).toContain(`${TAG}  reused (linux-64/foo-1.0-0.tar.bz2 unchanged)`);
  });
  it('removes the install stage a build without BuildKit leaves, by its label', async () => {
    const stage = `nx-conda.install-stage=${workspaceId(ws.root)}-${SHA}`;
    engine.on(new RegExp(`^image ls .*--filter label=${stage}$`), { stdout: '<none>:<none> sha256:stage' });
    await expect(run()).resolves.toEqual({ success: true });
    expect(engine.lines()).toContain('image rm --force sha256:stage');
  });

  it('as a batch (preferBatch), each task gets its own result and its own output; one failing does not stop the other', async () => {
    // bar has no output folder: it fails, foo is still made.
    graph.nodes.bar = { name: 'bar', type: 'lib', data: { root: 'recipes/bar', targets: {} } };
    const task = (project: string) => ({
      id: `${project}:package-image`,
      target: { project, target: 'package-image' },
      overrides: {},
      outputs: [],
      parallelism: true,
    });
    const taskGraph = {
      roots: ['foo:package-image', 'bar:package-image'],
      tasks: { 'foo:package-image': task('foo'), 'bar:package-image': task('bar') },
      dependencies: { 'foo:package-image': [], 'bar:package-image': [] },
    } as unknown as TaskGraph;
    const inputs = { 'foo:package-image': { image: INSTALLER }, 'bar:package-image': { image: INSTALLER } };
    const results = await engine.run(async () => {
      const all = [];
      for await (const r of packageImageBatch(taskGraph, inputs, {}, executorContext(ws.root, 'foo', graph)))
        all.push(r);
      return all;
    });
    expect(results.map((r) => [r.task, r.result.success]).sort()).toEqual([
      ['bar:package-image', false],
      ['foo:package-image', true],
    ]);
    // Without colours (Nx's logger colours errors when CI is set).
    const output = new Map(results.map((r) => [r.task, stripVTControlCharacters(r.result.terminalOutput)]));
    expect(output.get('foo:package-image')).toMatch(/biocontainers\/foo:1\.0--0 {2}built, 1 test step\(s\) passed/);
    expect(output.get('foo:package-image')).not.toContain('bar');
    expect(output.get('bar:package-image')).toBe(
      'nx-conda: dist/conda/recipes/bar does not exist: build the packages first (nx run bar:build-recipe).\n',
    );
    expect(output.get('bar:package-image')).not.toContain('foo');
  });

  // Issue 31, point 1: a tag package-image did not make is never moved, replaced or removed.
  const FOREIGN = `sha256:${'f'.repeat(64)}`;

  it.each([[{}], [{ skipTests: true }]])(
    'refuses a tag held by an image nx-conda did not make, naming the tag and the holder (%j): no build, nothing moved',
    async (options) => {
      engine.on(inspectTag, { stdout: `${FOREIGN} {"maintainer":"someone"}` });
      await expect(run(options)).resolves.toEqual({ success: false });
      expect(out.error.join('\n')).toContain(
        `${TAG} is held by an image nx-conda did not make (no nx-conda labels) (${FOREIGN}): package-image never moves a tag it did not make.`,
      );
      expect(out.error.join('\n')).toMatch(/set force to take the tag/);
      expect(engine.lines().filter((l) => /^(build|run) /.test(l))).toEqual([]);
      expect(moves()).toEqual([]);
    },
  );

  it('refuses a tag held by a package image of another workspace or another project here', async () => {
    const labels = (workspace: string, project: string) =>
      JSON.stringify({ 'nx-conda': 'package', 'nx-conda.workspace': workspace, 'nx-conda.project': project });
    engine.on(inspectTag, { stdout: `${FOREIGN} ${labels('0123abcd', 'foo')}` });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(`${TAG} is held by an image package-image made in another workspace`);
    engine.on(inspectTag, { stdout: `${FOREIGN} ${labels(workspaceId(ws.root), 'bar')}` });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(`${TAG} is held by an image package-image made here for another project`);
    expect(moves()).toEqual([]);
  });

  it('with force takes the tag, and never removes the image that held it', async () => {
    engine.on(inspectTag, { stdout: `${FOREIGN} null` });
    await expect(run({ force: true })).resolves.toEqual({ success: true });
    expect(moves()).toEqual([`image tag ${UNTESTED} ${TAG}`, `image rm ${UNTESTED}`]);
    expect(engine.lines().some((l) => l.includes(FOREIGN) && !l.startsWith('image inspect'))).toBe(false);
  });

  it('asks again before tagging: a tag taken by another image during the build is not moved, the new image goes', async () => {
    let lookups = 0;
    engine.on(inspectTag, () => (++lookups === 1 ? NO_SUCH_IMAGE : { stdout: `${FOREIGN} {}` }));
    await expect(run({ skipTests: true })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(`${TAG} is held by an image nx-conda did not make`);
    // skipTests too builds under the untested name first.
    expect(engine.argsOf('build')).toEqual(expect.arrayContaining(['--tag', UNTESTED]));
    expect(moves()).toEqual([`image rm --force ${UNTESTED}`]);
  });

  it('one tag per package file: the .conda and .tar.bz2 of one build are refused, both named', async () => {
    writeFileSync(join(ws.root, 'dist', 'conda', 'recipes', 'foo', 'linux-64', 'foo-1.0-0.conda'), 'other');
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(
      `linux-64/foo-1.0-0.conda and linux-64/foo-1.0-0.tar.bz2 would both be the image ${TAG} (one tag per package file)`,
    );
    expect(engine.lines()).toEqual([]);
  });

  // Issue 31, point 2: pushes verify TLS unless the registry is on loopback or insecureRegistry says otherwise.
  describe('push', () => {
    beforeEach(() => {
      engine
        .on(inspectTag, { stdout: ours() })
        .on(new RegExp(`^image inspect --format \\{\\{json \\.Config\\.Labels\\}\\} ${TAG}$`), {
          stdout: ours().slice('sha256:1 '.length),
        })
        .on(new RegExp(`^image inspect --format \\{\\{\\.Id\\}\\} ${TAG}$`), { stdout: 'sha256:1' })
        .on(/^image pull /, { exitCode: 1, stderr: 'manifest unknown' });
    });
    const pushes = () => engine.lines().filter((l) => /^image (push|pull) /.test(l));

    it.each<[string, 'docker' | 'podman', boolean, string[]]>([
      ['registry.example.org', 'podman', false, []],
      ['registry.example.org:5000/lab', 'podman', false, []],
      ['registry.example.org', 'docker', true, []],
      ['registry.example.org', 'podman', true, ['--tls-verify=false']],
      ['127.0.0.1:5000', 'podman', false, ['--tls-verify=false']],
      ['localhost:5000', 'podman', false, ['--tls-verify=false']],
      ['127.0.0.1.example.org', 'podman', false, []],
    ])('to %s with %s (insecureRegistry %s): %j', async (registry, engineName, insecureRegistry, flags) => {
      await expect(run({ registry, engine: engineName, insecureRegistry })).resolves.toEqual({ success: true });
      const remote = `${registry}/${TAG}`;
      expect(pushes()).toEqual([
        ['image', 'pull', ...flags, remote].join(' '),
        ['image', 'push', ...flags, remote].join(' '),
      ]);
    });

    it('refuses a local registry-qualified tag held by an image not made here, unless force', async () => {
      const remote = `registry.example.org/${TAG}`;
      engine.on(
        new RegExp(`^image inspect --format \\{\\{\\.Id\\}\\} \\{\\{json \\.Config\\.Labels\\}\\} ${remote}$`),
        {
          stdout: `${FOREIGN} null`,
        },
      );
      await expect(run({ registry: 'registry.example.org' })).resolves.toEqual({ success: false });
      expect(out.error.join('\n')).toContain(`${remote} is held by an image nx-conda did not make`);
      expect(pushes()).toEqual([]);
    });
  });

  it('asks the engine what is wrong only when the lookup fails', async () => {
    engine
      .on(/^image inspect /, {
        exitCode: 1,
        stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock',
      })
      .on(/^version /, { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' });
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toMatch(/docker is not usable: Cannot connect to the Docker daemon/);
    expect(engine.lines().map((l) => l.split(' ')[0])).toEqual(['image', 'version']);
  });
});
