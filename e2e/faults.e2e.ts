import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { channelPackages, repodata } from './utils/conda-package';
import { fakePackageScript } from './utils/fake-package';
import { TEST_IMAGES } from './utils/paths';
import {
  createWorkspace,
  docker,
  expectSuccess,
  explain,
  startNx,
  until,
  workspaceContainers,
  type Workspace,
} from './utils/workspace';

/**
 * Issue 9: the fault table. A build container can never touch the host, and
 * no fault loses a package. Builds run on the real engine; where the builder
 * does not matter, a recipe's `fake.sh` makes a small but real conda package
 * (tar.bz2 with info/index.json, indexed with its sha256) instead of running
 * a builder, so that fifty of them stay cheap. conda-build and rattler-build
 * each build one real recipe through the same collection.
 */
const IMAGES = { 'conda-build': TEST_IMAGES.condaBuild, 'rattler-build': TEST_IMAGES.rattlerBuild };

/** One build script for every recipe: a recipe's before.sh / fake.sh / after.sh, when present, are the fault. */
const TEMPLATE = `#!/usr/bin/env bash
set -eo pipefail
staging={{stagingDir}}
recipe={{recipeDir}}
trap 'chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" 2>/dev/null || true' EXIT
if [ -f "$recipe/before.sh" ]; then . "$recipe/before.sh"; fi
if [ -f "$recipe/fake.sh" ]; then . "$recipe/fake.sh"; else
  {{command}}
  if [ -f "$recipe/meta.yaml" ]; then conda index "$staging"; fi
fi
if [ -f "$recipe/after.sh" ]; then . "$recipe/after.sh"; fi
true
`;

const recipeYaml = (name: string, run: string[] = []) =>
  `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo ${name} > $PREFIX/share/${name}.txt\n` +
  (run.length ? `\nrequirements:\n  run:\n${run.map((r) => `    - ${r}\n`).join('')}` : '');

function fakeRecipe(ws: Workspace, name: string, run: string[] = []): void {
  ws.write(`recipes/${name}/recipe.yaml`, recipeYaml(name, run));
  ws.write(`recipes/${name}/fake.sh`, fakePackageScript(name));
}

function setUp(name: string, buildOptions: object = {}): Workspace {
  const ws = createWorkspace(name, {
    plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }],
    targetDefaults: { 'build-recipe': { options: { buildScriptTemplate: 'tools/template.sh', ...buildOptions } } },
  });
  ws.write('tools/template.sh', TEMPLATE);
  return ws;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Every file under a folder with its sha256: what "intact" means. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = sha256(join(entry.parentPath, entry.name));
  }
  return out;
}
const containersOf = (ws: Workspace): string[] => workspaceContainers(ws).split('\n').filter(Boolean);
/** Every record of a channel subdir's index matches its file (sha256, size), and every package file has one. */
function expectValidIndex(channel: string, subdir: string): number {
  const index = repodata(channel, subdir);
  const files = readdirSync(join(channel, subdir)).filter((f) => f.endsWith('.tar.bz2') || f.endsWith('.conda'));
  const records = { ...index.packages, ...index['packages.conda'] };
  expect(Object.keys(records).sort()).toEqual(files.sort());
  for (const file of files) {
    expect({ file, sha256: records[file].sha256, size: records[file].size }).toEqual({
      file,
      sha256: sha256(join(channel, subdir, file)),
      size: readFileSync(join(channel, subdir, file)).length,
    });
  }
  return files.length;
}

describe('fault table: one workspace, isolated staging (issue 9)', () => {
  let ws: Workspace;
  const out = (name: string) => join(ws.root, 'dist/conda/recipes', name);
  const secretFile = () => join(ws.root, 'host-secret.txt');
  const SECRET = 'aws_secret_access_key = e2e-host-secret-31337';

  const ENV_SECRET = 'e2e-env-s3cret-4242';

  beforeAll(() => {
    ws = setUp('faults', { env: { MY_SECRET: ENV_SECRET } });
    ws.write('host-secret.txt', `${SECRET}\n`);
    ws.write(
      'recipes/cbok/meta.yaml',
      'package:\n  name: cbok\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && echo cbok > $PREFIX/share/cbok.txt\n\ntest:\n  commands:\n    - test -f $PREFIX/share/cbok.txt\n',
    );
    ws.write('recipes/rbok/recipe.yaml', recipeYaml('rbok'));
    for (const name of ['victim', 'broken', 'independent', 'talker']) fakeRecipe(ws, name);
    ws.write(
      'recipes/talker/before.sh',
      'echo "env value: $MY_SECRET"\necho "proxy http://user:pa/ss#1@proxy.lan:3128 and user:pa55@proxy.lan:3128"\necho "channel https://conda.example/t/tk-0123456789abcdef/bioconda"\n',
    );
    fakeRecipe(ws, 'needsbroken', ['broken']);
  });

  afterAll(() => {
    for (const name of containersOf(ws)) docker(['rm', '-f', name]);
  });

  it('collects the packages of real conda-build and rattler-build runs (and of the fake builds)', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=3']);
    expectSuccess(result);
    expect(channelPackages(out('cbok'))).toEqual([expect.stringMatching(/^noarch\/cbok-1\.0-0\.(conda|tar\.bz2)$/)]);
    expect(channelPackages(out('rbok'))).toEqual([expect.stringMatching(/^noarch\/rbok-1\.0-.*\.conda$/)]);
    for (const name of ['cbok', 'rbok', 'victim', 'needsbroken']) expect(expectValidIndex(out(name), 'noarch')).toBe(1);
    expect(readdirSync(join(ws.root, 'tmp/nx-conda/staging'))).toEqual([]);
  });

  it('a failing build: its last lines shown, its dependents not built, independent recipes still built', () => {
    ws.write('recipes/broken/before.sh', 'for i in $(seq 1 30); do echo "broken log line $i"; done\nexit 3\n');
    for (const name of ['needsbroken', 'independent']) rmSync(out(name), { recursive: true, force: true });
    const result = ws.nx([
      'run-many',
      '-t',
      'build-recipe',
      '-p',
      'broken',
      'needsbroken',
      'independent',
      '--parallel=1',
      '--skip-nx-cache',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('[broken] broken log line 30');
    expect(result.output).toMatch(/build of broken \(recipes\/broken\/recipe\.yaml\) exited with code 3/);
    expect(existsSync(out('needsbroken'))).toBe(false);
    expect(channelPackages(out('independent'))).toEqual(['noarch/independent-1.0-0.tar.bz2']);
    rmSync(join(ws.root, 'recipes/broken/before.sh'));
  });

  it('a build that plants a symlink to a host file, a symlinked repodata.json and a FIFO: refused by name, host file untouched, previous output intact, nothing cached', () => {
    const previous = tree(out('victim'));
    ws.write(
      'recipes/victim/after.sh',
      [
        `ln -s ${secretFile()} "$staging/noarch/victim-9.9-0.tar.bz2"`,
        'rm -f "$staging/noarch/repodata.json"',
        `ln -s ${secretFile()} "$staging/noarch/repodata.json"`,
        'mkfifo "$staging/noarch/victim-9.8-0.conda"',
        '',
      ].join('\n'),
    );
    const result = ws.nx(['run', 'victim:build-recipe']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/refused 3 file\(s\) the build left in the staging channel/);
    expect(result.output).toMatch(/noarch\/repodata\.json": a symbolic link, not a regular file/);
    expect(result.output).toMatch(/noarch\/victim-9\.8-0\.conda": a FIFO, not a regular file/);
    expect(result.output).toMatch(/noarch\/victim-9\.9-0\.tar\.bz2": a symbolic link, not a regular file/);
    expect(readFileSync(secretFile(), 'utf8')).toBe(`${SECRET}\n`);
    expect(tree(out('victim'))).toEqual(previous);
    expect(readdirSync(out('victim'))).toEqual(['linux-64', 'noarch']); // no half-swapped subdir left aside
    // Nx never stored the host file: not as an output, not in a terminal output.
    const cache = join(ws.root, '.nx/cache');
    const cached = existsSync(cache)
      ? readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      : [];
    for (const entry of cached) expect(readFileSync(join(entry.parentPath, entry.name)).includes(SECRET)).toBe(false);
    const again = ws.nx(['run', 'victim:build-recipe']);
    expect(again.code).not.toBe(0);
    expect(again.output).not.toMatch(/local cache|existing outputs match the cache/);
  });

  it('a build that leaves package-named files outside the known subdirs: not taken, named in a warning', () => {
    ws.write(
      'recipes/victim/after.sh',
      'mkdir -p "$staging/evil"\ncp "$staging/noarch/victim-1.0-0.tar.bz2" "$staging/evil/evil-1.0-0.tar.bz2"\ncp "$staging/noarch/victim-1.0-0.tar.bz2" "$staging/stray-1.0-0.tar.bz2"\n',
    );
    const result = ws.nx(['run', 'victim:build-recipe']);
    expectSuccess(result);
    expect(result.output).toContain(
      'not taken from the staging channel (outside its known subdirs): "evil/evil-1.0-0.tar.bz2"',
    );
    expect(result.output).toContain(
      'not taken from the staging channel (outside its known subdirs): "stray-1.0-0.tar.bz2"',
    );
    expect(channelPackages(out('victim'))).toEqual(['noarch/victim-1.0-0.tar.bz2']);
    rmSync(join(ws.root, 'recipes/victim/after.sh'));
  });

  it.each([
    ['SIGINT', 'to the process group, as Ctrl-C in a terminal'],
    ['SIGTERM', 'to nx alone, as a CI runner cancelling a job'],
  ] as const)(
    '%s %s during builds: no container within 10 s, no partial package, the previous output intact',
    async (signal, _how) => {
      ws.nx(['run', 'victim:build-recipe']);
      const previous = tree(out('victim'));
      expect(Object.keys(previous)).toContain('noarch/victim-1.0-0.tar.bz2');
      ws.write('recipes/victim/before.sh', 'echo "victim build started"\nsleep 300\n');
      ws.write('recipes/independent/before.sh', 'echo "independent build started"\nsleep 300\n');
      const run = startNx(ws, [
        'run-many',
        '-t',
        'build-recipe',
        '-p',
        'victim',
        'independent',
        '--parallel=2',
        '--skip-nx-cache',
        '--output-style=stream',
      ]);
      try {
        await until(
          'both builds to start',
          () => /victim build started/.test(run.output()) && /independent build started/.test(run.output()),
          240,
          run.output,
        );
        expect(containersOf(ws)).toHaveLength(2);
        process.kill(signal === 'SIGINT' ? -run.child.pid! : run.child.pid!, signal);
        // Within 10 s (until throws after that).
        await until(
          'no container of the workspace',
          () => containersOf(ws).length === 0,
          10,
          () => docker(['ps', '-a']).stdout,
        );
        await run.exited;
        expect(run.child.exitCode).not.toBe(0);
      } finally {
        if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
        rmSync(join(ws.root, 'recipes/victim/before.sh'), { force: true });
        rmSync(join(ws.root, 'recipes/independent/before.sh'), { force: true });
      }
      expect(tree(out('victim'))).toEqual(previous);
      expect(readdirSync(out('victim'))).toEqual(['linux-64', 'noarch']); // no half-swapped subdir left aside
    },
  );

  it("secrets a build prints (env values, proxy passwords with / and #, conda tokens) are masked, in the terminal and in Nx's cache", () => {
    const result = ws.nx(['run', 'talker:build-recipe']);
    expectSuccess(result);
    expect(result.output).toContain('[talker] env value: ***');
    expect(result.output).toContain('[talker] proxy http://***@proxy.lan:3128 and ***@proxy.lan:3128');
    expect(result.output).toContain('[talker] channel https://conda.example/t/***/bioconda');
    const cache = join(ws.root, '.nx/cache');
    const files = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(
      files.some((e) => readFileSync(join(e.parentPath, e.name), 'utf8').includes('[talker] env value: ***')),
    ).toBe(true);
    for (const secret of [ENV_SECRET, 'pa/ss#1', 'pa55@', 'tk-0123456789abcdef']) {
      expect(result.output).not.toContain(secret);
      for (const e of files) expect(readFileSync(join(e.parentPath, e.name)).includes(secret)).toBe(false);
    }
  });

  it('a build past timeoutSeconds: stopped, the staging channel handed back to the invoking user, the previous output intact', () => {
    const previous = tree(out('victim'));
    ws.write('recipes/victim/before.sh', 'echo "victim build started"\nsleep 300\n');
    try {
      const result = ws.nx(['run', 'victim:build-recipe', '--skip-nx-cache', '--timeoutSeconds=5']);
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(/build of victim \(recipes\/victim\/recipe\.yaml\) timed out after 5 s/);
      expect(result.output).toContain(
        `handed the staging channel back to ${process.getuid!()}:${process.getgid!()} after the stopped build`,
      );
    } finally {
      rmSync(join(ws.root, 'recipes/victim/before.sh'), { force: true });
    }
    expect(tree(out('victim'))).toEqual(previous);
    expect(containersOf(ws)).toEqual([]);
  });

  it('the engine goes away mid-run (its socket closes): the build fails clearly, no package, previous output intact, no container left', async () => {
    const previous = tree(out('victim'));
    const socket = join(ws.root, 'tmp/engine.sock');
    mkdirSync(dirname(socket), { recursive: true });
    // A stand-in for the daemon's socket that forwards to the real one, so that it can die mid-run without stopping dockerd.
    const proxy = spawn(
      process.execPath,
      [
        '-e',
        `
      const net = require('net');
      net.createServer((c) => { const d = net.connect('/var/run/docker.sock'); c.pipe(d); d.pipe(c); c.on('error', () => d.destroy()); d.on('error', () => c.destroy()); })
        .listen(process.argv[1], () => console.log('ready'));`,
        socket,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      proxy.stdout!.once('data', () => resolve());
      proxy.once('exit', (code) => reject(new Error(`the engine socket proxy exited (${code}) before listening`)));
    });
    ws.write('recipes/victim/before.sh', 'echo "victim build started"\nsleep 300\n');
    const run = startNx(ws, ['run', 'victim:build-recipe', '--skip-nx-cache'], { DOCKER_HOST: `unix://${socket}` });
    try {
      await until('the build to start', () => /victim build started/.test(run.output()), 240, run.output);
      proxy.kill('SIGKILL');
      await run.exited;
      expect(run.child.exitCode).not.toBe(0);
      expect(run.output()).toMatch(/nx-conda: .*victim/);
      await until(
        'no container of the workspace',
        () => containersOf(ws).length === 0,
        30,
        () => docker(['ps', '-a']).stdout,
      );
    } finally {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
      if (proxy.exitCode === null) proxy.kill('SIGKILL');
      rmSync(join(ws.root, 'recipes/victim/before.sh'), { force: true });
    }
    expect(tree(out('victim'))).toEqual(previous);
  });
});

describe('fault table: shared staging channel under load (issue 9)', () => {
  let ws: Workspace;
  const names = Array.from({ length: 50 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
  const shared = () => join(ws.root, 'tmp/shared-staging');

  beforeAll(() => {
    ws = setUp('shared-faults', { sharedStagingDir: 'tmp/shared-staging' });
    for (const name of names) fakeRecipe(ws, name);
  });

  afterAll(() => {
    for (const name of containersOf(ws)) docker(['rm', '-f', name]);
  });

  it('50 trivial recipes with --parallel=4: every package present, the index valid, no container left, no lock file', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=4']);
    expectSuccess(result);
    for (const name of names)
      expect(channelPackages(join(ws.root, 'dist/conda/recipes', name))).toEqual([`noarch/${name}-1.0-0.tar.bz2`]);
    expect(expectValidIndex(shared(), 'noarch')).toBe(50);
    expect(containersOf(ws)).toEqual([]);
    expect(readdirSync(shared()).sort()).toEqual(['linux-64', 'noarch']);
    expect(Object.keys(JSON.parse(readFileSync(`${shared()}.nx-conda/owners.json`, 'utf8')))).toHaveLength(50);
  });

  it('6 recipes with --parallel=3, ten runs: the index stays valid and complete after each', () => {
    for (let run = 1; run <= 10; run++) {
      const result = ws.nx([
        'run-many',
        '-t',
        'build-recipe',
        '-p',
        ...names.slice(0, 6),
        '--parallel=3',
        '--skip-nx-cache',
      ]);
      if (result.code !== 0) throw new Error(`run ${run} failed: ${explain(result)}`);
      expect(expectValidIndex(shared(), 'noarch')).toBe(50);
      for (const name of names.slice(0, 6))
        expect(channelPackages(join(ws.root, 'dist/conda/recipes', name))).toEqual([`noarch/${name}-1.0-0.tar.bz2`]);
    }
    expect(containersOf(ws)).toEqual([]);
  });
});
