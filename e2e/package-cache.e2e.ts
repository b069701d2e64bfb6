import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember } from './utils/conda-package';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startServer, type TestServer } from './utils/server';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 29: the machine-wide package cache, with the real builders of the
 * test images installing from an upstream channel served over HTTP on
 * loopback. The cache is read-only in every build container; only the host
 * fills it, with packages that match the channel's records.
 */
const recipeYaml = (name: string, body: string) =>
  `package:\n  name: ${name}\n  version: "1.0.0"\n\nbuild:\n  number: 0\n  noarch: generic\n${body}`;

const UPA = recipeYaml(
  'upa',
  `  script:\n    - mkdir -p $PREFIX/share\n    - echo "upa from upstream" > $PREFIX/share/upa.txt\n`,
);

/** A recipe that copies what it sees of upa into its package. */
const USER = (name: string) =>
  recipeYaml(
    name,
    `  script:\n    - mkdir -p $PREFIX/share\n    - cp $PREFIX/share/upa.txt $PREFIX/share/${name}-saw-upa.txt\n\nrequirements:\n  host:\n    - upa ==1.0.0\n`,
  );

/**
 * A hostile build: rewrites the installed dependency, tries to write the
 * read-only cache, and puts a package of upa's name with other content into
 * its own writable cache (as a folder and as a file), and one of a name no
 * upstream channel has.
 */
const HOSTILE = (entry: string) =>
  recipeYaml(
    'hostile',
    `  script:
    - echo poisoned > $PREFIX/share/upa.txt
    - (echo poisoned > /opt/nx-conda-pkgs/x) 2>/dev/null && echo WROTE-THE-"CACHE" || echo cache-is-read-"only"
    - for f in /opt/nx-conda-pkgs/*/*/share/upa.txt; do (echo poisoned > "$f") 2>/dev/null && echo WROTE-AN-"ENTRY" || true; done
    - rm -rf /opt/nx-conda-pkgs-rw/rattler/pkgs/${entry}
    - mkdir -p /opt/nx-conda-pkgs-rw/rattler/pkgs/${entry}/share /opt/nx-conda-pkgs-rw/conda/${entry}/share /opt/nx-conda-pkgs-rw/conda/upz-9-0/share
    - echo poisoned > /opt/nx-conda-pkgs-rw/rattler/pkgs/${entry}/share/upa.txt
    - echo poisoned > /opt/nx-conda-pkgs-rw/conda/${entry}/share/upa.txt
    - echo poisoned > /opt/nx-conda-pkgs-rw/conda/${entry}.conda
    - echo poisoned > /opt/nx-conda-pkgs-rw/conda/upz-9-0.conda
    - echo ok > $PREFIX/share/hostile.txt

requirements:
  host:
    - upa ==1.0.0
`,
  );

const IMAGES = { 'rattler-build': TEST_IMAGES.rattlerBuild, 'conda-build': TEST_IMAGES.condaBuild };

/** What each suite builds against: upa, built by a workspace of its own, served over HTTP on loopback. */
interface Upstream {
  server: TestServer;
  /** noarch/upa-1.0.0-<hash>_0.conda */
  upaFile: string;
  /** An empty package cache folder, the suite's own. */
  cache: string;
}

async function serveUpa(tag: string): Promise<Upstream> {
  const publisher = createWorkspace(`cache-publisher${tag}`, {
    plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, packageCache: false } }],
  });
  publisher.write('recipes/upa/recipe.yaml', UPA);
  expectSuccess(publisher.nx(['run', 'upa:build-recipe']));
  const upstream = join(mkdtempSync(join(E2E_ROOT, 'cache-upstream-')), 'channel');
  cpSync(join(publisher.root, 'dist/conda/recipes/upa'), upstream, { recursive: true });
  const [upaFile] = channelPackages(upstream);
  const server = await startServer('static', upstream);
  return { server, upaFile, cache: join(mkdtempSync(join(E2E_ROOT, `pkgcache${tag}-`)), 'pkgs') };
}

/** How many times upa's package file was downloaded from the upstream channel. */
const downloadsOf = (server: TestServer, upaFile: string) =>
  server.requests().filter((l) => l.startsWith(`GET /${upaFile} 200`)).length;

/** What recipe `name` saw of upa: the file it copied into its package. */
function saw(ws: Workspace, name: string): string {
  const out = join(ws.root, 'dist/conda/recipes', name);
  const [file] = channelPackages(out);
  return readPackageMember(join(out, file), `share/${name}-saw-upa.txt`).trim();
}

/** Every file and link of a folder, with its sha256 or target: what must not change. */
function treeDigest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(rel, name);
      const stat = lstatSync(join(dir, path));
      if (stat.isDirectory()) walk(path);
      else if (stat.isSymbolicLink()) out.set(path, `-> ${readlinkSync(join(dir, path))}`);
      else
        out.set(
          path,
          createHash('sha256')
            .update(readFileSync(join(dir, path)))
            .digest('hex'),
        );
    }
  };
  walk('');
  return out;
}

describe('package cache (real builders, upstream HTTP channel on loopback)', () => {
  let server: TestServer;
  let upaFile: string;
  let cache: string;

  beforeAll(async () => {
    ({ server, upaFile, cache } = await serveUpa(''));
  });
  afterAll(async () => server?.stop());

  const entryName = () => upaFile.split('/')[1].replace(/\.conda$/, '');
  const packageDownloads = () => downloadsOf(server, upaFile);
  const consumer = (name: string, extra: object = {}) =>
    createWorkspace(name, {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url], packageCache: cache } }],
      ...extra,
    });
  const cachedEntry = () => {
    const keys = existsSync(cache) ? readdirSync(cache).filter((k) => /^[0-9a-f]{16}$/.test(k)) : [];
    expect(keys).toHaveLength(1);
    return join(cache, keys[0], entryName());
  };

  it('rattler-build: the first build fills the cache with the verified package, the next recipe downloads nothing', () => {
    const ws = consumer('cache-rattler');
    ws.write('recipes/upb/recipe.yaml', USER('upb'));
    ws.write('recipes/upc/recipe.yaml', USER('upc'));
    const first = ws.nx(['run', 'upb:build-recipe']);
    expectSuccess(first);
    expect(first.output).toContain(`package cache: added 1 verified package(s): ${entryName()}`);
    expect(saw(ws, 'upb')).toBe('upa from upstream');
    const entry = cachedEntry();
    expect(readFileSync(join(entry, 'share/upa.txt'), 'utf8').trim()).toBe('upa from upstream');
    expect(existsSync(join(entry, 'info/repodata_record.json'))).toBe(true);

    const before = packageDownloads();
    const second = ws.nx(['run', 'upc:build-recipe']);
    expectSuccess(second);
    expect(saw(ws, 'upc')).toBe('upa from upstream');
    expect(packageDownloads()).toBe(before);
    expect(second.output).not.toContain('package cache: added');
  });

  it('conda-build links from the same read-only cache: no download', () => {
    const ws = consumer('cache-conda', {
      // The conda-build test image is offline by its condarc; this build reads an http channel.
      targetDefaults: { 'build-recipe': { options: { env: { CONDA_OFFLINE: 'false' } } } },
    });
    ws.write(
      'recipes/upd/meta.yaml',
      'package:\n  name: upd\n  version: "1.0.0"\nbuild:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && cp $PREFIX/share/upa.txt $PREFIX/share/upd-saw-upa.txt\nrequirements:\n  host:\n    - upa ==1.0.0\n',
    );
    cachedEntry();
    const before = packageDownloads();
    const result = ws.nx(['run', 'upd:build-recipe']);
    expectSuccess(result);
    expect(saw(ws, 'upd')).toBe('upa from upstream');
    expect(packageDownloads()).toBe(before);
  });

  it('a hostile build changes nothing in the cache, and the next build links the verified original', () => {
    const entry = cachedEntry();
    const digest = treeDigest(cache);
    const ws = consumer('cache-hostile');
    ws.write('recipes/hostile/recipe.yaml', HOSTILE(entryName()));
    const result = ws.nx(['run', 'hostile:build-recipe']);
    expectSuccess(result);
    expect(result.output).toContain('cache-is-read-only');
    expect(result.output).not.toContain('WROTE-THE-CACHE');
    expect(result.output).not.toContain('WROTE-AN-ENTRY');
    expect(result.output).not.toContain('package cache: added');
    expect(treeDigest(cache)).toEqual(digest);
    expect(readFileSync(join(entry, 'share/upa.txt'), 'utf8').trim()).toBe('upa from upstream');

    ws.write('recipes/upe/recipe.yaml', USER('upe'));
    const next = ws.nx(['run', 'upe:build-recipe']);
    expectSuccess(next);
    expect(saw(ws, 'upe')).toBe('upa from upstream');
    expect(treeDigest(cache)).toEqual(digest);
  });
});

const podmanWorks =
  spawnSync('podman', ['run', '--rm', '--init', TEST_IMAGES.condaBuild, 'true'], { stdio: 'ignore' }).status === 0;
if (!podmanWorks)
  console.warn(
    'podman cannot run the conda-build test image here (see scripts/ensure-podman.sh): the podman cache test is skipped',
  );

(podmanWorks ? describe : describe.skip)('package cache with podman (real conda-build)', () => {
  let server: TestServer;
  let upaFile: string;
  let cache: string;

  beforeAll(async () => {
    ({ server, upaFile, cache } = await serveUpa('-podman'));
  });
  afterAll(async () => server?.stop());

  const condaRecipe = (name: string, extra = '') =>
    `package:\n  name: ${name}\n  version: "1.0.0"\nbuild:\n  number: 0\n  noarch: generic\n  script: ${extra}mkdir -p $PREFIX/share && cp $PREFIX/share/upa.txt $PREFIX/share/${name}-saw-upa.txt\nrequirements:\n  host:\n    - upa ==1.0.0\n`;

  it('the first build fills it (conda keeps the file it downloaded: verified, not downloaded again), the next downloads nothing', () => {
    const ws = createWorkspace('cache-podman', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: { images: IMAGES, engine: 'podman', channels: [server.url], packageCache: cache },
        },
      ],
      targetDefaults: { 'build-recipe': { options: { env: { CONDA_OFFLINE: 'false' } } } },
    });
    ws.write('recipes/pa/meta.yaml', condaRecipe('pa'));
    ws.write(
      'recipes/pb/meta.yaml',
      condaRecipe('pb', '(touch /opt/nx-conda-pkgs/x 2>/dev/null && echo WROTE-THE-"CACHE" || true) && '),
    );
    const downloads = () => downloadsOf(server, upaFile);
    const first = ws.nx(['run', 'pa:build-recipe']);
    expectSuccess(first);
    expect(first.output).toContain('package cache: added 1 verified package(s)');
    expect(downloads()).toBe(1);
    const digest = treeDigest(cache);
    const second = ws.nx(['run', 'pb:build-recipe']);
    expectSuccess(second);
    expect(second.output).not.toContain('WROTE-THE-CACHE');
    expect(downloads()).toBe(1);
    expect(treeDigest(cache)).toEqual(digest);
    expect(saw(ws, 'pb')).toBe('upa from upstream');
  });
});
