import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, expectSuccess, explain, workspaceContainers, type Workspace } from './utils/workspace';

/**
 * Issue 30, point 2: the disk fills. stagingRoot, a project's output folder
 * and Nx's cache folder each on a small tmpfs mounted for the test (root
 * only). A recipe's `fake.sh` makes a real conda package (tar.bz2 with
 * info/index.json, indexed) of the size in its `size` file, and `fill`
 * makes the build write that many bytes into staging first.
 */
const TEMPLATE = `#!/usr/bin/env bash
set -eo pipefail
staging={{stagingDir}}
recipe={{recipeDir}}
trap 'chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" 2>/dev/null || true' EXIT
. "$recipe/fake.sh"
`;
const FAKE = (
  name: string,
) => `if [ -f "$recipe/fill" ]; then head -c "$(cat "$recipe/fill")" /dev/urandom > "$staging/fill"; fi
python3 - "$staging" ${name} "$(cat "$recipe/size" 2>/dev/null || echo 16)" <<'PY'
import sys, json, tarfile, io, hashlib, os
staging, name, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
fn = name + "-1.0-0.tar.bz2"
d = os.path.join(staging, "noarch")
os.makedirs(d, exist_ok=True)
index = {"name": name, "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "noarch", "noarch": "generic"}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:bz2") as t:
    for member, data in (("info/index.json", json.dumps(index).encode()), ("share/blob", os.urandom(size))):
        info = tarfile.TarInfo(member); info.size = len(data); t.addfile(info, io.BytesIO(data))
raw = buf.getvalue()
with open(os.path.join(d, fn), "wb") as f: f.write(raw)
rd = {"info": {"subdir": "noarch"}, "packages": {fn: dict(index, sha256=hashlib.sha256(raw).hexdigest(), md5=hashlib.md5(raw).hexdigest(), size=len(raw))}, "packages.conda": {}, "removed": [], "repodata_version": 1}
with open(os.path.join(d, "repodata.json"), "w") as f: json.dump(rd, f)
PY
`;
const IMAGES = { 'conda-build': TEST_IMAGES.condaBuild, 'rattler-build': TEST_IMAGES.rattlerBuild };
const MiB = 1024 * 1024;

const mounted: string[] = [];
function smallDisk(dir: string, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  mounted.push(dir);
}
afterAll(() => {
  for (const dir of mounted.splice(0)) execFileSync('umount', ['-l', dir]);
});

function workspace(name: string, buildOptions: object = {}): Workspace {
  const ws = createWorkspace(name, {
    plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }],
    targetDefaults: { 'build-recipe': { options: { buildScriptTemplate: 'tools/template.sh', ...buildOptions } } },
  });
  ws.write('tools/template.sh', TEMPLATE);
  for (const name of ['big', 'small']) {
    ws.write(
      `recipes/${name}/recipe.yaml`,
      `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n    - true\n`,
    );
    ws.write(`recipes/${name}/fake.sh`, FAKE(name));
  }
  return ws;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Every file under a folder with its sha256, hidden ones too: what "intact" and "nothing left" mean. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (entry.isFile())
      out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = sha256(join(entry.parentPath, entry.name));
  return out;
}
const noStack = (output: string) => expect(output).not.toMatch(/^\s+at \S+ \(\/.*:\d+:\d+\)$/m);

describe('the disk fills (issue 30, point 2)', () => {
  it('stagingRoot full: the task names the folder and says it is full, previous output intact, the other task built, nothing left', () => {
    const ws = workspace('disk-staging', { stagingRoot: 'tmp/small-staging' });
    const staging = join(ws.root, 'tmp/small-staging');
    smallDisk(staging, 2 * MiB);
    expectSuccess(ws.nx(['run', 'big:build-recipe']));
    const out = join(ws.root, 'dist/conda/recipes/big');
    const before = tree(out);
    expect(Object.keys(before)).toContain('noarch/big-1.0-0.tar.bz2');

    ws.write('recipes/big/fill', String(4 * MiB));
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1', '--skip-nx-cache']);
    if (result.code === 0) throw new Error(explain(result));
    expect(result.output).toContain(
      'nx-conda: tmp/small-staging is full (no space left on device) while big was building in it (the builder said: ',
    );
    expect(result.output).toContain(
      'free space on that disk, or move it elsewhere with stagingRoot, and run the target again.',
    );
    noStack(result.output);
    expect(tree(out)).toEqual(before);
    expect(Object.keys(tree(join(ws.root, 'dist/conda/recipes/small')))).toContain('noarch/small-1.0-0.tar.bz2');
    expect(readdirSync(staging)).toEqual([]);
    expect(workspaceContainers(ws)).toBe('');
  });

  it('the output folder full: the task names it and says it is full, its previous packages intact, nothing half-written', () => {
    const ws = workspace('disk-output');
    const out = join(ws.root, 'dist/conda/recipes/big');
    smallDisk(out, 2 * MiB);
    expectSuccess(ws.nx(['run', 'big:build-recipe']));
    const before = tree(out);
    expect(Object.keys(before)).toContain('noarch/big-1.0-0.tar.bz2');

    ws.write('recipes/big/size', String(3 * MiB));
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1', '--skip-nx-cache']);
    if (result.code === 0) throw new Error(explain(result));
    expect(result.output).toContain(
      'nx-conda: dist/conda/recipes/big is full (no space left on device) while collecting the packages of big (its previous packages are still there).',
    );
    expect(result.output).toContain('or move it elsewhere with outputPath');
    noStack(result.output);
    expect(tree(out)).toEqual(before);
    expect(readdirSync(out).sort()).toEqual(['linux-64', 'noarch']);
    expect(Object.keys(tree(join(ws.root, 'dist/conda/recipes/small')))).toContain('noarch/small-1.0-0.tar.bz2');
    expect(readdirSync(join(ws.root, 'tmp/nx-conda/staging')).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it("Nx's cache folder full: Nx 24 fails the run after the builds; the built output is whole on disk", () => {
    const ws = workspace('disk-nx-cache');
    const cache = join(ws.root, 'small-nx-cache');
    smallDisk(cache, 2 * MiB);
    ws.write('recipes/big/size', String(3 * MiB));
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1'], { NX_CACHE_DIRECTORY: cache });
    // Nx 24.0.6: both tasks built, then Nx cannot store them and fails the whole run, listing them as "not run".
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('No space left on device (os error 28)');
    expect(result.output).toContain('nx-conda: 2 recipe-build tasks: 2 built, 0 failed');
    expect(Object.keys(tree(join(ws.root, 'dist/conda/recipes/big')))).toContain('noarch/big-1.0-0.tar.bz2');
    expect(Object.keys(tree(join(ws.root, 'dist/conda/recipes/small')))).toContain('noarch/small-1.0-0.tar.bz2');
  });
});
