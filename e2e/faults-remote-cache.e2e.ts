import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startServer, type FaultMode, type TestServer } from './utils/server';
import { createWorkspace, expectSuccess, startNx, until, workspaceContainers, type Workspace } from './utils/workspace';

/**
 * Issue 30, point 3: the remote cache fails. The cache server is
 * e2e/utils/servers.js speaking Nx's self-hosted cache protocol, told to
 * answer 500, to reset, to hang or to garble what it stores.
 */
const IMAGES = { 'rattler-build': TEST_IMAGES.rattlerBuild, 'conda-build': TEST_IMAGES.condaBuild };
const RA = (marker: string) =>
  `context:\n  name: ra\n  version: "1.0"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "${marker}" > $PREFIX/share/ra.txt\n`;

function machine(marker = 'ra built'): Workspace {
  const ws = createWorkspace('cache-fault', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
  ws.write('recipes/ra/recipe.yaml', RA(marker));
  return ws;
}
const raText = (ws: Workspace) => {
  const out = join(ws.root, 'dist/conda/recipes/ra');
  const [file] = channelPackages(out);
  return readPackageMember(join(out, file), 'share/ra.txt').trim();
};

/** Whatever the workspace's local Nx cache holds (NX_CACHE_DIRECTORY points inside the workspace). */
const localCache = (ws: Workspace) => join(ws.root, '.nx-cache');
const withCache = (ws: Workspace, env: Record<string, string>) => ({ ...env, NX_CACHE_DIRECTORY: localCache(ws) });
const cachedEntries = (ws: Workspace) =>
  existsSync(localCache(ws)) ? readdirSync(localCache(ws)).filter((f) => /^\d+$/.test(f)) : [];

/**
 * Nx 24.0.6 makes every failure of its self-hosted remote cache fatal to the
 * whole run (the README's "Faults" table says so, and what to set): these
 * tests prove what nx-conda can still promise around it — no output is made
 * or restored from a failed or corrupt answer, nothing is left behind, and
 * `NX_SKIP_REMOTE_CACHE=true` builds locally at once.
 */
describe('the remote cache fails (issue 30, point 3)', () => {
  let cache: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    cache = await startServer('nx-cache', join(mkdtempSync(join(E2E_ROOT, 'nx-cache-fault-')), 'store'), {
      NX_CACHE_TOKEN: 'e2e-token',
    });
    env = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: 'e2e-token' };
  });
  afterEach(() => cache?.fault());
  afterAll(async () => cache?.stop());

  const recovers = (ws: Workspace) => {
    const next = ws.nx(['run', 'ra:build-recipe'], { ...withCache(ws, env), NX_SKIP_REMOTE_CACHE: 'true' });
    expectSuccess(next);
    expect(next.output).toContain('Remote Cache Disabled');
    expect(raText(ws)).toBe('ra built');
    return next;
  };

  it.each([
    ['500', /Misconfigured remote cache endpoint: Unexpected response status: 500/],
    ['reset', /Failed to send request: error sending request for url \(http:\/\/127\.0\.0\.1:\d+\/v1\/cache\/\d+\)/],
  ] as [FaultMode, RegExp][])(
    'answering %s to the lookup: Nx ends the run before the build, nothing made; the cache skipped, the next run builds',
    (mode, message) => {
      cache.fault(mode);
      const ws = machine();
      const result = ws.nx(['run', 'ra:build-recipe'], withCache(ws, env));
      expect(result.code).not.toBe(0);
      expect(result.output).toMatch(message);
      expect(existsSync(join(ws.root, 'dist/conda/recipes/ra'))).toBe(false);
      expect(workspaceContainers(ws)).toBe('');
      recovers(ws);
    },
  );

  it('answering 500 to the upload after a build: Nx fails the run, the built output is whole on disk', () => {
    cache.fault('500', '^PUT ');
    const ws = machine();
    const before = cache.requests().length;
    const result = ws.nx(['run', 'ra:build-recipe'], withCache(ws, env));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Misconfigured remote cache endpoint: Unexpected response status: 500/);
    expect(raText(ws)).toBe('ra built');
    // Nx tries the upload several times (six in Nx 24.0.6), then gives up.
    expect(
      cache
        .requests()
        .slice(before)
        .filter((l) => l.startsWith('PUT ') && l.includes(' 500 ')).length,
    ).toBeGreaterThan(0);
  });

  it('hanging: Nx waits without a timeout (the job timeout must end it); after a SIGKILL the next run builds', async () => {
    cache.fault('hang');
    const ws = machine();
    const run = startNx(ws, ['run', 'ra:build-recipe'], withCache(ws, env));
    try {
      await until(
        'the lookup to reach the cache',
        () => cache.requests().some((l) => / hang /.test(l)),
        60,
        run.output,
      );
      // Nothing moves while the lookup hangs: no container, no output, and Nx still waiting 20 s later.
      await new Promise((r) => setTimeout(r, 20_000));
      expect(run.child.exitCode).toBeNull();
      expect(workspaceContainers(ws)).toBe('');
    } finally {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
      await run.exited;
    }
    expect(existsSync(join(ws.root, 'dist/conda/recipes/ra'))).toBe(false);
    cache.fault();
    recovers(ws);
  });

  it('a corrupt archive: Nx refuses it and ends the run; never restored as output, nor by the next run from what Nx left in its cache folder', () => {
    const a = machine();
    expectSuccess(a.nx(['run', 'ra:build-recipe'], withCache(a, env)));
    cache.fault('corrupt', '^GET ');
    const b = machine('ra built');
    const result = b.nx(['run', 'ra:build-recipe', '--output-style=static'], withCache(b, env));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Failed to (read entry from tarball|unpack entry)/);
    expect(result.output).not.toMatch(/\[remote cache\]/);
    expect(cache.requests().some((l) => / corrupt /.test(l) || /^GET \S+ 200 /.test(l))).toBe(true);
    // Nothing of the garbled archive reached the project's output folder or the local cache.
    expect(existsSync(join(b.root, 'dist/conda/recipes/ra'))).toBe(false);
    // Nx 24.0.6 leaves the half-unpacked archive in its own cache folder, but records no entry for it: the next
    // run does not restore from it.
    expect(cachedEntries(b)).toEqual([expect.stringMatching(/^\d+$/)]);
    const next = recovers(b);
    expect(next.output).not.toMatch(/\[(local|remote) cache\]/);
  });
});
