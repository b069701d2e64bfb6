import { cpSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages } from './utils/conda-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startServer, type TestServer } from './utils/server';
import { createWorkspace, expectSuccess, explain, workspaceContainers, type Workspace } from './utils/workspace';

/**
 * Issue 30, point 4: an upstream channel fails in the middle of a run. The
 * channel is a real build's output folder served over HTTP by
 * e2e/utils/servers.js, which resets, cuts or refuses answers on demand.
 */
const recipeYaml = (name: string, version: string, body: string) =>
  `context:\n  name: ${name}\n  version: "${version}"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n${body}`;
const UPA = recipeYaml(
  'upa',
  '1.0.0',
  'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo upa > $PREFIX/share/upa.txt\n',
);
const UPB = recipeYaml(
  'upb',
  '2.0.0',
  'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - cp $PREFIX/share/upa.txt $PREFIX/share/upb-saw-upa.txt\n\nrequirements:\n  host:\n    - upa ==1.0.0\n  run:\n    - upa\n',
);
const IMAGES = { 'rattler-build': TEST_IMAGES.rattlerBuild, 'conda-build': TEST_IMAGES.condaBuild };

describe('an upstream channel that fails mid-run (issue 30, point 4)', () => {
  let server: TestServer;

  beforeAll(async () => {
    const publisher = createWorkspace('fault-publisher', {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }],
    });
    publisher.write('recipes/upa/recipe.yaml', UPA);
    expectSuccess(publisher.nx(['run', 'upa:build-recipe']));
    const upstream = join(mkdtempSync(join(E2E_ROOT, 'fault-upstream-')), 'channel');
    cpSync(join(publisher.root, 'dist/conda/recipes/upa'), upstream, { recursive: true });
    server = await startServer('static', upstream);
  });
  afterEach(() => server?.fault());
  afterAll(async () => server?.stop());

  const consumer = (name: string, skipExisting: boolean): Workspace => {
    const ws = createWorkspace(name, {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url], skipExisting } }],
    });
    ws.write('recipes/upa/recipe.yaml', UPA);
    return ws;
  };
  const repodataGets = (since: number) =>
    server
      .requests()
      .slice(since)
      .filter((l) => l.startsWith('GET /noarch/repodata.json'));

  it('repodata reset halfway once: one retry after a short wait, then skipExisting decides on the whole index', () => {
    const ws = consumer('fault-reset-once', true);
    const before = server.requests().length;
    server.fault('reset', '^GET /noarch/repodata\\.json$', 1);
    const result = ws.nx(['run', 'upa:build-recipe']);
    expectSuccess(result);
    expect(result.output).toMatch(
      new RegExp(
        `nx-conda: skipExisting: channel ${server.url}/noarch/repodata\\.json: the answer broke off after \\d+ bytes \\(ECONNRESET\\); trying once more in 1 s`,
      ),
    );
    expect(result.output).toContain('nx-conda: skipped upa');
    expect(repodataGets(before).map((l) => l.split(' ')[2])).toEqual(['reset', '200']);
  });

  it.each([
    ['503', /answered 503 Service Unavailable \(tried twice, 1 s apart\)/],
    ['stop', /the answer broke off after \d+ bytes.*\(tried twice, 1 s apart\)/],
  ] as const)(
    'repodata %s every time: two requests, one error naming the channel, never skipped, no container',
    (mode, why) => {
      const ws = consumer(`fault-${mode}`, true);
      const before = server.requests().length;
      server.fault(mode, '^GET /noarch/repodata\\.json$');
      const result = ws.nx(['run', 'upa:build-recipe']);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain(`channel ${server.url}/noarch/repodata.json`);
      expect(result.output).toMatch(why);
      expect(result.output).not.toContain('nx-conda: skipped upa');
      expect(result.output).not.toMatch(/at \S+ \(\/.*\.js:\d+:\d+\)/); // no stack
      expect(repodataGets(before)).toHaveLength(2);
      expect(workspaceContainers(ws)).toBe('');
      expect(channelPackages(join(ws.root, 'dist/conda/recipes/upa'))).toEqual([]);
    },
  );

  it("a package download that breaks off during a build: a network failure of that channel, not the recipe's", () => {
    const ws = consumer('fault-download', false);
    ws.write('recipes/upb/recipe.yaml', UPB);
    server.fault('reset', '\\.conda$');
    const result = ws.nx(['run', 'upb:build-recipe', '--excludeTaskDependencies']);
    expect(result.code).not.toBe(0);
    if (!/download from channel/.test(result.output)) throw new Error(explain(result));
    expect(result.output).toContain(
      `nx-conda: build of upb (recipes/upb/recipe.yaml) failed on the network: a download from channel ${server.url} failed (failed to download and extract ${server.url}/noarch/upa-1.0.0-`,
    );
    expect(server.requests().some((l) => /^GET \/noarch\/upa-1\.0\.0-\S+\.conda reset /.test(l))).toBe(true);
    expect(workspaceContainers(ws)).toBe('');
  });
});
