import { cpSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startServer, type TestServer } from './utils/server';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 11: upstream channels served over real HTTP, and skipExisting.
 * An "upstream" channel is the output folder of a build in a publisher
 * workspace, served by a small HTTP server (ETag, Last-Modified).
 */
const recipeYaml = (name: string, version: string, body: string) =>
  `context:\n  name: ${name}\n  version: "${version}"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n${body}`;

const UPA = (marker: string) =>
  recipeYaml(
    'upa',
    '1.0.0',
    `build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "${marker}" > $PREFIX/share/upa.txt\n`,
  );
const UPB = recipeYaml(
  'upb',
  '2.0.0',
  'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - cp $PREFIX/share/upa.txt $PREFIX/share/upb-saw-upa.txt\n\nrequirements:\n  host:\n    - upa ==1.0.0\n  run:\n    - upa\n',
);
const IMAGES = { 'rattler-build': TEST_IMAGES.rattlerBuild, 'conda-build': TEST_IMAGES.condaBuild };

describe('upstream channels (real HTTP, rattler-build test image)', () => {
  let server: TestServer;
  let upstream: string;

  beforeAll(async () => {
    // The publisher: builds upa once; its output folder becomes the upstream channel.
    const publisher = createWorkspace('publisher', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
    publisher.write('recipes/upa/recipe.yaml', UPA('upa from upstream'));
    expectSuccess(publisher.nx(['run', 'upa:build-recipe']));
    upstream = join(mkdtempSync(join(E2E_ROOT, 'upstream-')), 'channel');
    cpSync(join(publisher.root, 'dist/conda/recipes/upa'), upstream, { recursive: true });
    server = await startServer('static', upstream);
  });
  afterAll(async () => server?.stop());

  const builtUpb = (ws: Workspace) => {
    const out = join(ws.root, 'dist/conda/recipes/upb');
    const [file] = channelPackages(out);
    expect(file).toMatch(/^noarch\/upb-2\.0\.0-.*\.conda$/);
    return readPackageMember(join(out, file), 'share/upb-saw-upa.txt').trim();
  };

  it('builds a recipe against a package that only an upstream channel has', () => {
    const ws = createWorkspace('consumer', {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url] } }],
    });
    ws.write('recipes/upb/recipe.yaml', UPB);
    const result = ws.nx(['run', 'upb:build-recipe']);
    expectSuccess(result);
    expect(result.output).toContain(`-c file:///opt/host-conda-bld -c ${server.url} --target-platform linux-64`);
    expect(builtUpb(ws)).toBe('upa from upstream');
    expect(server.requests().some((line) => /^GET \/noarch\/upa-1\.0\.0-.*\.conda 200/.test(line))).toBe(true);
  });

  it('the executor option overrides the plugin option', () => {
    const ws = createWorkspace('override', {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url] } }],
    });
    ws.write('recipes/upb/recipe.yaml', UPB);
    const result = ws.nx(['run', 'upb:build-recipe', '--channels=file:///nowhere', '--skipTests']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('-c file:///opt/host-conda-bld -c file:///nowhere --target-platform');
  });

  it('skipExisting: a fresh copy with an empty cache builds b against a from upstream, without a container for a', () => {
    const ws = createWorkspace('skipper', {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url], skipExisting: true } }],
    });
    ws.write('recipes/upa/recipe.yaml', UPA('upa built here'));
    ws.write('recipes/upb/recipe.yaml', UPB);
    const ours = () =>
      server.requests().filter((line) => line.includes(' nx-conda/') && line.includes('/repodata.json'));
    const before = ours().length;
    const result = ws.nx(['run', 'upb:build-recipe', '--output-style=static']);
    expectSuccess(result);
    expect(result.output).toContain(
      `nx-conda: skipped upa: upa 1.0.0 (build 0) in noarch already in ${server.url} (skipExisting)`,
    );
    expect(result.output).toContain('skipExisting: building upb: not in the upstream channels: upb 2.0.0 (build 0)');
    // No container ran for upa: its builder never printed, and its output folder is an empty channel.
    // (A batch prefixes nx-conda's own lines with the project too; a container's lines are all that may not be there.)
    expect(result.output).not.toMatch(/^\[upa\] (?!nx-conda: )/m);
    // One builder command in the tasks' own outputs (a batch also streams them live, prefixed).
    expect(
      result.output.split('\n').filter((l) => l.startsWith('nx-conda: rattler-build build --recipe')),
    ).toHaveLength(1);
    expect(channelPackages(join(ws.root, 'dist/conda/recipes/upa'))).toEqual([]);
    expect(builtUpb(ws)).toBe('upa from upstream');
    // Two tasks looked up two subdirs: one download of each for the whole run.
    const run1 = ours().slice(before);
    expect(run1.map((l) => l.split(' ').slice(0, 3).join(' ')).sort()).toEqual([
      'GET /linux-64/repodata.json 200',
      'GET /noarch/repodata.json 200',
    ]);

    // The next run asks again, conditionally: nothing changed, nothing is downloaded.
    const again = ws.nx(['run', 'upa:build-recipe', '--skip-nx-cache']);
    expectSuccess(again);
    expect(again.output).toContain('nx-conda: skipped upa');
    const run2 = ours().slice(before + run1.length);
    expect(run2.map((l) => l.split(' ').slice(0, 3).join(' ')).sort()).toEqual([
      'GET /linux-64/repodata.json 304',
      'GET /noarch/repodata.json 304',
    ]);
  });
});
