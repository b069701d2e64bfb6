import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startServer, type TestServer } from './utils/server';
import { createWorkspace, docker, expectSuccess, workspaceLabel, type Workspace } from './utils/workspace';

/**
 * Issue 11, many machines: two copies of one workspace share nothing but a
 * cache server speaking Nx's self-hosted remote cache protocol (OpenAPI,
 * Nx >= 20.8: GET/PUT /v1/cache/{hash}, bearer token; e2e/utils/servers.js).
 */
const recipeYaml = (name: string, version: string, body: string) =>
  `context:\n  name: ${name}\n  version: "${version}"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n${body}`;
const IMAGES = { 'rattler-build': TEST_IMAGES.rattlerBuild, 'conda-build': TEST_IMAGES.condaBuild };

function copyOfWorkspace(): Workspace {
  // The same name, files and options: only the folder (and so the local cache) differs.
  const ws = createWorkspace('remote', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
  ws.write(
    'recipes/ra/recipe.yaml',
    recipeYaml(
      'ra',
      '1.0',
      'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "ra from agent A" > $PREFIX/share/ra.txt\n',
    ),
  );
  ws.write(
    'recipes/rb/recipe.yaml',
    recipeYaml(
      'rb',
      '1.0',
      'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - cp $PREFIX/share/ra.txt $PREFIX/share/rb-saw-ra.txt\n\nrequirements:\n  host:\n    - ra\n  run:\n    - ra\n',
    ),
  );
  return ws;
}

describe('remote cache between two machines (self-hosted cache protocol)', () => {
  let cache: TestServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    cache = await startServer('nx-cache', join(mkdtempSync(join(E2E_ROOT, 'nx-cache-')), 'store'), {
      NX_CACHE_TOKEN: 'e2e-token',
    });
    env = { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.url, NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: 'e2e-token' };
  });
  afterAll(async () => cache?.stop());

  it("B builds b with a restored from A's run, without a container for a", () => {
    const a = copyOfWorkspace();
    const first = a.nx(['run', 'ra:build-recipe'], env);
    expectSuccess(first);
    expect(first.output).toContain('[ra]');
    expect(cache.requests().filter((l) => l.startsWith('PUT /v1/cache/') && l.includes(' 200 '))).toHaveLength(1);

    const b = copyOfWorkspace();
    // B's own local cache is empty: what it restores can only come over the protocol.
    const localCache = join(b.root, '.nx', 'cache');
    expect(existsSync(localCache) ? readdirSync(localCache) : []).toEqual([]);
    const since = Math.floor(Date.now() / 1000);
    const second = b.nx(['run', 'rb:build-recipe', '--output-style=static'], env);
    expectSuccess(second);
    expect(second.output).toMatch(/nx run ra:build-recipe\s+\[remote cache\]/);
    // Nx replays ra's terminal output from the cache; what ran is what the engine saw: no container for ra, one for rb.
    const created = (project: string) =>
      docker([
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.ceil(Date.now() / 1000)),
        '--filter',
        'event=create',
        '--filter',
        `label=nx-conda.project=${project}`,
        '--filter',
        `label=nx-conda.workspace=${workspaceLabel(b)}`,
        '--format',
        '{{.Actor.Attributes.name}}',
      ])
        .stdout.split('\n')
        .filter(Boolean);
    expect(created('ra')).toEqual([]);
    expect(created('rb').length).toBeGreaterThan(0);
    expect(channelPackages(join(b.root, 'dist/conda/recipes/ra'))).toEqual([
      expect.stringMatching(/^noarch\/ra-1\.0-/),
    ]);
    const rb = join(b.root, 'dist/conda/recipes/rb');
    expect(readPackageMember(join(rb, channelPackages(rb)[0]), 'share/rb-saw-ra.txt').trim()).toBe('ra from agent A');
    // ra's outputs came over the protocol, once.
    expect(cache.requests().filter((l) => /^GET \/v1\/cache\/\S+ 200 /.test(l))).toHaveLength(1);
  });
});
