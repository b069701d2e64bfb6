import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { channelPackages, readPackageMember, repodata } from './utils/conda-package';
import { TEST_IMAGES } from './utils/paths';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 5: recipe.yaml recipes built by the real rattler-build (py-rattler-build
 * in the test image), alone and mixed with meta.yaml recipes.
 */
const recipeYaml = (name: string, version: string, body: string) =>
  `context:\n  name: ${name}\n  version: "${version}"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n${body}`;

const IMAGES = { 'conda-build': TEST_IMAGES.condaBuild, 'rattler-build': TEST_IMAGES.rattlerBuild };

function writeRattlerRecipes(ws: Workspace): void {
  ws.write(
    'recipes/liba/recipe.yaml',
    recipeYaml(
      'liba',
      '1.0.0',
      'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo "liba ${{ version }}" > $PREFIX/share/liba.txt\n',
    ),
  );
  ws.write(
    'recipes/libb/recipe.yaml',
    recipeYaml(
      'libb',
      '2.0.0',
      'build:\n  number: 0\n  script:\n    - test -f $PREFIX/share/liba.txt || { echo "liba.txt is missing from the host prefix"; exit 1; }\n    - cp $PREFIX/share/liba.txt $PREFIX/share/libb-saw-liba.txt\n\nrequirements:\n  host:\n    - liba >=1.0\n  run:\n    - liba\n',
    ),
  );
  ws.write(
    'recipes/libc/recipe.yaml',
    recipeYaml(
      'libc',
      '3.0.0',
      'build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo libc > $PREFIX/share/libc.txt\n\nrequirements:\n  run:\n    - libb\n',
    ),
  );
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function indexJson(channelDir: string): any {
  const [file] = channelPackages(channelDir);
  return JSON.parse(readPackageMember(join(channelDir, file), 'info/index.json'));
}

describe('rattler-build (py-rattler-build test image, real engine)', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('rattler', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
    writeRattlerRecipes(ws);
  });

  it('builds liba, libb and libc in order into valid packages', () => {
    const result = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=1']);
    expectSuccess(result);
    const order = ['liba', 'libb', 'libc'].map((p) => result.output.indexOf(`nx run ${p}:build-recipe`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(result.output).toMatch(/with rattler-build/);

    const out = (name: string) => join(ws.root, 'dist/conda/recipes', name);
    expect(channelPackages(out('liba'))).toEqual([expect.stringMatching(/^noarch\/liba-1\.0\.0-.*\.conda$/)]);
    expect(channelPackages(out('libb'))).toEqual([expect.stringMatching(/^linux-64\/libb-2\.0\.0-.*\.conda$/)]);
    expect(indexJson(out('liba'))).toMatchObject({
      name: 'liba',
      version: '1.0.0',
      noarch: 'generic',
      subdir: 'noarch',
    });
    expect(indexJson(out('libb'))).toMatchObject({ name: 'libb', version: '2.0.0', depends: ['liba'] });
    expect(indexJson(out('libc'))).toMatchObject({ name: 'libc', version: '3.0.0', depends: ['libb'] });
    const libb = join(out('libb'), channelPackages(out('libb'))[0]);
    expect(readPackageMember(libb, 'share/libb-saw-liba.txt').trim()).toBe('liba 1.0.0');
  });

  it("lists the dependencies' packages in the staging channel's repodata", () => {
    const result = ws.nx(['run', 'libc:build-recipe', '--skip-nx-cache', '--keepStaging']);
    expectSuccess(result);
    const staging = /kept staging channel (\S+)/.exec(result.output)?.[1];
    expect(staging).toBeDefined();
    const noarch = repodata(staging!, 'noarch');
    const linux = repodata(staging!, 'linux-64');
    const names = [...Object.values(noarch['packages.conda']), ...Object.values(linux['packages.conda'])]
      .map((r: any) => r.name)
      .sort();
    expect(names).toEqual(['liba', 'libb', 'libc']);
  });

  it('never keeps a stale record when a package is rebuilt under the same file name', () => {
    const out = join(ws.root, 'dist/conda/recipes/liba');
    const [file] = channelPackages(out);
    const before = repodata(out, 'noarch')['packages.conda'][file.split('/')[1]];
    ws.write(
      'recipes/liba/recipe.yaml',
      readFileSync(join(ws.root, 'recipes/liba/recipe.yaml'), 'utf8').replace('echo "liba', 'echo "rebuilt liba'),
    );
    const result = ws.nx(['run-many', '-t', 'build-recipe', '-p', 'liba', 'libb', '--parallel=1']);
    expectSuccess(result);
    expect(channelPackages(out)).toEqual([file]);
    const after = repodata(out, 'noarch')['packages.conda'][file.split('/')[1]];
    expect(after.size).toBe(readFileSync(join(out, file)).length);
    expect(after.sha256).toBe(sha256(join(out, file)));
    expect(after.sha256).not.toBe(before.sha256);
    const libbOut = join(ws.root, 'dist/conda/recipes/libb');
    expect(readPackageMember(join(libbOut, channelPackages(libbOut)[0]), 'share/libb-saw-liba.txt').trim()).toBe(
      'rebuilt liba 1.0.0',
    );
  });

  it('keeps the shared staging channel index true to its files across same-name rebuilds', () => {
    const shared = join(ws.root, 'tmp/shared');
    const check = () => {
      const [file] = channelPackages(shared).filter((p) => p.includes('/liba-'));
      const record = repodata(shared, 'noarch')['packages.conda'][file.split('/')[1]];
      expect(record.sha256).toBe(sha256(join(shared, file)));
      expect(record.size).toBe(readFileSync(join(shared, file)).length);
      return record.sha256;
    };
    expectSuccess(ws.nx(['run', 'liba:build-recipe', '--skip-nx-cache', '--sharedStagingDir=tmp/shared']));
    const first = check();
    ws.write(
      'recipes/liba/recipe.yaml',
      readFileSync(join(ws.root, 'recipes/liba/recipe.yaml'), 'utf8').replace(
        'echo "rebuilt liba',
        'echo "twice rebuilt liba',
      ),
    );
    expectSuccess(ws.nx(['run', 'liba:build-recipe', '--skip-nx-cache', '--sharedStagingDir=tmp/shared']));
    expect(check()).not.toBe(first);
  });

  it('builds a workspace mixing meta.yaml and recipe.yaml recipes in order', () => {
    const mixed = createWorkspace('mixed', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
    mixed.write('recipes/mone/meta.yaml', 'package:\n  name: mone\n  version: "1.0"\nbuild:\n  number: 0\n');
    mixed.write('recipes/mone/build.sh', 'mkdir -p "$PREFIX/share" && echo mone > "$PREFIX/share/mone.txt"\n', 0o755);
    mixed.write(
      'recipes/rtwo/recipe.yaml',
      recipeYaml(
        'rtwo',
        '2.0',
        'build:\n  number: 0\n  script:\n    - test -f $PREFIX/share/mone.txt\n    - echo rtwo > $PREFIX/share/rtwo.txt\n\nrequirements:\n  host:\n    - mone\n  run:\n    - mone\n',
      ),
    );
    mixed.write(
      'recipes/mthree/meta.yaml',
      'package:\n  name: mthree\n  version: "3.0"\nbuild:\n  number: 0\nrequirements:\n  host:\n    - rtwo\n',
    );
    mixed.write(
      'recipes/mthree/build.sh',
      'test -f "$PREFIX/share/rtwo.txt"\necho mthree > "$PREFIX/share/mthree.txt"\n',
      0o755,
    );
    const result = mixed.nx(['run-many', '-t', 'build-recipe', '--parallel=1']);
    expectSuccess(result);
    const order = ['mone', 'rtwo', 'mthree'].map((p) => result.output.indexOf(`nx run ${p}:build-recipe`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(channelPackages(join(mixed.root, 'dist/conda/recipes/rtwo'))).toEqual([
      expect.stringMatching(/^linux-64\/rtwo-2\.0-.*\.conda$/),
    ]);
    expect(channelPackages(join(mixed.root, 'dist/conda/recipes/mthree'))).toEqual([
      expect.stringMatching(/^linux-64\/mthree-3\.0-0\.conda$/),
    ]);
  });
});
