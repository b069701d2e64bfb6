/**
 * Recipe text is untrusted: a package name that is not a conda package name
 * never becomes a project, and the warning about it never prints it raw
 * (issue 18, point 1). Names that are Object.prototype's own (`constructor`,
 * `toString`, ...) are valid conda names and must work like any other (point 2).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDependencies, createNodes } from '../index';
import { clearMemoryCache } from './cache';

describe('hostile recipe package names in the graph', () => {
  let root: string;
  let warn: jest.SpyInstance;
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const ctx = () => ({ workspaceRoot: root, nxJsonConfiguration: {} });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-names-'));
    process.env.NX_WORKSPACE_DATA_DIRECTORY = join(root, '.nx', 'workspace-data');
    clearMemoryCache();
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    rmSync(root, { recursive: true, force: true });
  });

  const hostile: [string, string][] = [
    ['dotdot', "'..'"],
    ['proto', '__proto__'],
    ['slash', 'a/b'],
    ['dash', "'-x'"],
    ['space', "'x y'"],
    ['escapes', '"\\e]0;title-from-recipe\\a\\e[31mred"'],
    ['c1', '"x\\u009b31m"'],
  ];

  it('refuses each with a warning naming its file, never a project, a raw escape or the name as given', async () => {
    const files: string[] = [];
    for (const [dir, name] of hostile) {
      write(`recipes/${dir}/meta.yaml`, `package:\n  name: ${name}\n  version: "1"\n`);
      files.push(`recipes/${dir}/meta.yaml`);
    }
    write('recipes/v1/recipe.yaml', 'package:\n  name: "\\e]0;t\\a"\n  version: "1"\n');
    files.push('recipes/v1/recipe.yaml');
    write('recipes/out/meta.yaml', 'package:\n  name: fine\n  version: "1"\noutputs:\n  - name: ../escape\n');
    files.push('recipes/out/meta.yaml');
    write(
      'recipes/ok/meta.yaml',
      'package:\n  name: ok\n  version: "1"\nrequirements:\n  run:\n    - "\\e[31m"\n    - __glibc\n',
    );
    files.push('recipes/ok/meta.yaml');

    const results = await createNodes[1](files, {}, ctx());
    const projects = results.flatMap(([, r]) => Object.values(r.projects ?? {}));
    expect(projects.map((p) => p.name)).toEqual(['ok']);

    const messages = warn.mock.calls.map((c) => String(c[0]));
    for (const file of files.filter((f) => !f.includes('/ok/'))) {
      expect(messages).toContainEqual(
        expect.stringMatching(new RegExp(`^nx-conda: skipping recipe ${file}: package name`)),
      );
    }
    for (const m of messages) {
      // eslint-disable-next-line no-control-regex -- control characters are what it looks for
      expect(m).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    }
    expect(messages.join('\n')).toContain('"\\u001b]0;title-from-recipe\\u0007\\u001b[31mred"');
    expect(messages.join('\n')).toContain('"__proto__" starts with "__"');
  });

  it('builds the graph of recipes named like Object.prototype members (constructor, toString, hasOwnProperty)', async () => {
    write('recipes/constructor/meta.yaml', 'package:\n  name: constructor\n  version: "1"\n');
    write(
      'recipes/tostring/meta.yaml',
      'package:\n  name: toString\n  version: "1"\nrequirements:\n  run:\n    - constructor\n',
    );
    write(
      'recipes/hop/meta.yaml',
      'package:\n  name: hasOwnProperty\n  version: "1"\nrequirements:\n  host:\n    - tostring\n    - valueof\n',
    );
    const files = ['recipes/constructor/meta.yaml', 'recipes/tostring/meta.yaml', 'recipes/hop/meta.yaml'];
    const results = await createNodes[1](files, {}, ctx());
    const projects = Object.fromEntries(results.flatMap(([, r]) => Object.entries(r.projects ?? {})));
    // Nx refuses a graph with a project named constructor ("Multiple projects are named constructor"): suffixed.
    expect(Object.fromEntries(Object.entries(projects).map(([k, p]) => [k, p.name]))).toEqual({
      'recipes/constructor': 'constructor@recipes/constructor',
      'recipes/tostring': 'tostring',
      'recipes/hop': 'hasownproperty',
    });
    const edges = await createDependencies({}, {
      workspaceRoot: root,
      nxJsonConfiguration: {},
      projects: Object.fromEntries(Object.entries(projects).map(([r, p]) => [p.name!, { root: r, name: p.name }])),
      fileMap: { projectFileMap: {}, nonProjectFiles: [] },
      filesToProcess: { projectFileMap: {}, nonProjectFiles: [] },
    } as never);
    expect(edges.map((e) => `${e.source}->${e.target}`).sort()).toEqual([
      'hasownproperty->tostring',
      'tostring->constructor@recipes/constructor',
    ]);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      'nx-conda: recipe recipes/constructor/meta.yaml provides constructor, a name Nx cannot give a project ' +
        '(a member of every JavaScript object): its project is named constructor@recipes/constructor',
    ]);
  });
});
