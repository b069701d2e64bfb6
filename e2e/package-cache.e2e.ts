import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember, repodata } from './utils/conda-package';
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

const UPSTREAM = (name: string) =>
  recipeYaml(
    name,
    `  script:\n    - mkdir -p $PREFIX/share\n    - echo "${name} from upstream" > $PREFIX/share/${name}.txt\n`,
  );

/** A recipe that needs both upstream packages and copies what it sees of upa into its package. */
const USER = (name: string) =>
  recipeYaml(
    name,
    `  script:\n    - mkdir -p $PREFIX/share\n    - cp $PREFIX/share/upa.txt $PREFIX/share/${name}-saw-upa.txt\n\nrequirements:\n  host:\n    - upa ==1.0.0\n    - upq ==1.0.0\n`,
  );

/** The same for conda-build. */
const CONDA_USER = (name: string) =>
  `package:\n  name: ${name}\n  version: "1.0.0"\nbuild:\n  number: 0\n  noarch: generic\n  script: mkdir -p $PREFIX/share && cp $PREFIX/share/upa.txt $PREFIX/share/${name}-saw-upa.txt\nrequirements:\n  host:\n    - upa ==1.0.0\n    - upq ==1.0.0\n`;

/**
 * The upstream channel: upa and upq, built by a workspace without the cache,
 * in one folder with one index (both are noarch).
 */
function publishUpstream(name: string): string {
  const publisher = createWorkspace(name, {
    plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, packageCache: false } }],
  });
  publisher.write('recipes/upa/recipe.yaml', UPSTREAM('upa'));
  publisher.write('recipes/upq/recipe.yaml', UPSTREAM('upq'));
  expectSuccess(publisher.nx(['run-many', '-t', 'build-recipe', '-p', 'upa', 'upq']));
  const upstream = join(mkdtempSync(join(E2E_ROOT, 'cache-upstream-')), 'channel');
  cpSync(join(publisher.root, 'dist/conda/recipes/upa'), upstream, { recursive: true });
  const upq = join(publisher.root, 'dist/conda/recipes/upq');
  const index = repodata(upstream, 'noarch');
  for (const file of channelPackages(upq)) {
    cpSync(join(upq, file), join(upstream, file));
    const fn = file.split('/')[1];
    if (file.endsWith('.conda')) index['packages.conda'][fn] = repodata(upq, 'noarch')['packages.conda'][fn];
    else index.packages[fn] = repodata(upq, 'noarch').packages[fn];
  }
  writeFileSync(join(upstream, 'noarch', 'repodata.json'), JSON.stringify(index));
  // Like conda-forge's and bioconda's: the run exports of each package, which rattler-build's solve reads
  // instead of downloading a package for them (README: The package cache).
  const runExports = (records: Record<string, unknown>) =>
    Object.fromEntries(Object.keys(records).map((fn) => [fn, { run_exports: {} }]));
  writeFileSync(
    join(upstream, 'noarch', 'run_exports.json'),
    JSON.stringify({
      info: { subdir: 'noarch' },
      packages: runExports(index.packages),
      'packages.conda': runExports(index['packages.conda']),
    }),
  );
  // Only repodata.json: a compressed or sharded copy of upa's index alone would hide upq.
  for (const sub of readdirSync(upstream))
    for (const other of existsSync(join(upstream, sub)) && lstatSync(join(upstream, sub)).isDirectory()
      ? readdirSync(join(upstream, sub))
      : [])
      if (other.startsWith('repodata') && other !== 'repodata.json')
        rmSync(join(upstream, sub, other), { recursive: true });
  return upstream;
}

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

/** What each suite builds against: upa and upq, built by a workspace of its own, served over HTTP on loopback. */
interface Upstream {
  server: TestServer;
  /** noarch/upa-1.0.0-<hash>_0.conda */
  upaFile: string;
  /** Both package files, noarch/upa-... and noarch/upq-... */
  files: string[];
  /** An empty package cache folder, the suite's own. */
  cache: string;
}

async function serveUpstream(tag: string): Promise<Upstream> {
  const upstream = publishUpstream(`cache-publisher${tag}`);
  const files = channelPackages(upstream);
  const upaFile = files.find((f) => f.startsWith('noarch/upa-')) as string;
  const server = await startServer('static', upstream);
  return { server, upaFile, files, cache: join(mkdtempSync(join(E2E_ROOT, `pkgcache${tag}-`)), 'pkgs') };
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

  let upstreamFiles: string[]; // noarch/upa-..., noarch/upq-...

  beforeAll(async () => {
    ({ server, upaFile, cache, files: upstreamFiles } = await serveUpstream(''));
    expect(upstreamFiles).toHaveLength(2);
  });
  afterAll(async () => server?.stop());

  const entryName = () => upaFile.split('/')[1].replace(/\.conda$/, '');
  const packageDownloads = () => downloadsOf(server, upaFile);
  /** How many times the server sent each upstream package file so far. */
  const fetches = () =>
    upstreamFiles.map((file) => server.requests().filter((l) => l.startsWith(`GET /${file} 200`)).length);
  /** How many times it sent each one while `work` ran. */
  const fetchedDuring = (work: () => void) => {
    const before = fetches();
    work();
    return fetches().map((n, i) => n - before[i]);
  };
  const consumer = (name: string, extra: object = {}, packageCache = cache) =>
    createWorkspace(name, {
      plugins: [{ plugin: 'nx-conda', options: { images: IMAGES, channels: [server.url], packageCache } }],
      ...extra,
    });
  const condaOnline = { targetDefaults: { 'build-recipe': { options: { env: { CONDA_OFFLINE: 'false' } } } } };
  const verbose = { targetDefaults: { 'build-recipe': { options: { verbose: true } } } };
  const condaVerbose = {
    targetDefaults: { 'build-recipe': { options: { env: { CONDA_OFFLINE: 'false' }, verbose: true } } },
  };
  const cachedEntry = () => {
    const keys = existsSync(cache) ? readdirSync(cache).filter((k) => /^[0-9a-f]{16}$/.test(k)) : [];
    expect(keys).toHaveLength(1);
    return join(cache, keys[0], entryName());
  };

  it('rattler-build: the first build downloads each upstream package once (the solve before it fills the cache), the next recipe none', () => {
    const ws = consumer('cache-rattler', verbose);
    ws.write('recipes/upb/recipe.yaml', USER('upb'));
    ws.write('recipes/upc/recipe.yaml', USER('upc'));
    let first!: ReturnType<Workspace['nx']>;
    expect(fetchedDuring(() => (first = ws.nx(['run', 'upb:build-recipe'])))).toEqual([1, 1]);
    expectSuccess(first);
    expect(first.output).toMatch(/package cache: added 2 verified package\(s\): upa-.*, upq-/);
    expect(saw(ws, 'upb')).toBe('upa from upstream');
    const entry = cachedEntry();
    expect(readFileSync(join(entry, 'share/upa.txt'), 'utf8').trim()).toBe('upa from upstream');
    expect(existsSync(join(entry, 'info/repodata_record.json'))).toBe(true);

    let second!: ReturnType<Workspace['nx']>;
    expect(fetchedDuring(() => (second = ws.nx(['run', 'upc:build-recipe'])))).toEqual([0, 0]);
    expectSuccess(second);
    // Its solve named both cached entries: they count as used (README: The package cache).
    expect(second.output).toContain('package cache: 2 entries used by this build');
    expect(saw(ws, 'upc')).toBe('upa from upstream');
    expect(second.output).not.toContain('package cache: added');
  });

  it('conda-build: the first build downloads each upstream package once (conda keeps the files: verified, taken), the next recipe none', () => {
    const own = join(mkdtempSync(join(E2E_ROOT, 'pkgcache-conda-')), 'pkgs');
    const ws = consumer('cache-conda-first', condaVerbose, own);
    ws.write('recipes/cfa/meta.yaml', CONDA_USER('cfa'));
    ws.write('recipes/cfb/meta.yaml', CONDA_USER('cfb'));
    let first!: ReturnType<Workspace['nx']>;
    expect(fetchedDuring(() => (first = ws.nx(['run', 'cfa:build-recipe'])))).toEqual([1, 1]);
    expectSuccess(first);
    expect(first.output).toMatch(/package cache: added 2 verified package\(s\)/);
    let second!: ReturnType<Workspace['nx']>;
    expect(fetchedDuring(() => (second = ws.nx(['run', 'cfb:build-recipe'])))).toEqual([0, 0]);
    expectSuccess(second);
    // conda linked both from the read-only cache; its install plan names them: they count as used.
    expect(second.output).toContain('package cache: 2 entries used by this build');
    expect(saw(ws, 'cfb')).toBe('upa from upstream');
  });

  it('conda-build links from the same read-only cache: no download', () => {
    // The conda-build test image is offline by its condarc; this build reads an http channel.
    const ws = consumer('cache-conda', condaOnline);
    ws.write('recipes/upd/meta.yaml', CONDA_USER('upd'));
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
    ({ server, upaFile, cache } = await serveUpstream('-podman'));
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
