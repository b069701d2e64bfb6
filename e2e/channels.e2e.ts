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
  recipeYaml('upa', '1.0.0', `build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "${marker}" > $PREFIX/share/upa.txt\n`);
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
    const ws = createWorkspace('consumer', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url] } }] });
    ws.write('recipes/upb/recipe.yaml', UPB);
    const result = ws.nx(['run', 'upb:build-recipe']);
    expectSuccess(result);
    expect(result.output).toContain(`-c file:///opt/host-conda-bld -c ${server.url} --target-platform linux-64`);
    expect(builtUpb(ws)).toBe('upa from upstream');
    expect(server.requests().some((line) => /^GET \/noarch\/upa-1\.0\.0-.*\.conda 200/.test(line))).toBe(true);
  });

  it('the executor option overrides the plugin option', () => {
    const ws = createWorkspace('override', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url] } }] });
    ws.write('recipes/upb/recipe.yaml', UPB);
    const result = ws.nx(['run', 'upb:build-recipe', '--channels=file:///nowhere', '--skipTests']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('-c file:///opt/host-conda-bld -c file:///nowhere --target-platform');
  });
});
