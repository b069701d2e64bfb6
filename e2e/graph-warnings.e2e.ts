import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 10: what the plugin reports about recipes reaches the user's
 * terminal with the Nx daemon on (the default for users), not only the
 * daemon's log file: a broken recipe, a name taken by another project, a
 * dependency cycle. No container is run here.
 */
describe('graph warnings with the Nx daemon on', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('graph-warnings', { plugins: ['nx-conda'] });
    ws.write('recipes/ok/meta.yaml', 'package:\n  name: ok\n  version: "1.0"\nbuild:\n  number: 0\n');
    ws.write('recipes/broken/meta.yaml', 'package:\n  name: broken\n  version: [unclosed\n');
    ws.write('recipes/numpy/meta.yaml', 'package:\n  name: numpy\n  version: "1.0"\nbuild:\n  number: 0\n');
    ws.write('tools/numpy/project.json', JSON.stringify({ name: 'numpy', targets: {} }));
    ws.write('recipes/cyc1/meta.yaml', 'package:\n  name: cyc1\nrequirements:\n  run:\n    - cyc2\n');
    ws.write('recipes/cyc2/meta.yaml', 'package:\n  name: cyc2\nrequirements:\n  run:\n    - cyc1\n');
  });
  afterAll(() => {
    ws.nx(['daemon', '--stop'], { NX_DAEMON: 'true' });
  });

  it('prints the broken recipe, the renamed project and the cycle in the terminal of the command', () => {
    const daemon = { NX_DAEMON: 'true', CI: 'false' };
    const result = ws.nx(['show', 'projects', '--json'], daemon);
    expectSuccess(result);
    expect(JSON.parse(result.stdout).sort()).toEqual(['cyc1', 'cyc2', 'numpy', 'numpy@recipes/numpy', 'ok']);
    expect(result.output).toMatch(/nx-conda: skipping recipe recipes\/broken\/meta\.yaml:\d+: YAML: /);
    expect(result.output).toMatch(
      /nx-conda: recipe recipes\/numpy\/meta\.yaml provides numpy, the name of another project \(tools\/numpy\/project\.json\)/,
    );
    expect(result.output).toMatch(/nx-conda: dependency cycle between recipes cyc1, cyc2/);
    // It was the daemon that computed the graph.
    expect(ws.nx(['daemon'], daemon).output).toMatch(/Nx Daemon is currently running/i);
  });
});

/**
 * Issue 10: the parse cache. A cold graph parses every recipe; the next
 * graph (a new Nx process) reads only the recipe that changed and takes the
 * others from the disk cache by their stat signature, unread; the graph is
 * the same. NX_CONDA_GRAPH_STATS=true says what was read how.
 */
describe('the parse cache across Nx processes', () => {
  let ws: Workspace;
  /** Files changed within 2 s are not trusted by their signature (cache.ts, RACY_MS): wait that out. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 2100));
  beforeAll(async () => {
    ws = createWorkspace('parse-cache', { plugins: ['nx-conda'] });
    for (let i = 0; i < 40; i++) {
      const deps =
        i === 0
          ? ''
          : `requirements:\n  host:\n    - p${i - 1}\n  run:\n    - p${Math.floor(i / 2)}  # [linux]\n    - nothere  # [win]\n`;
      ws.write(
        `recipes/p${i}/meta.yaml`,
        `{% set v = "${i}.0" %}\npackage:\n  name: p${i}\n  version: "{{ v }}"\n${deps}`,
      );
    }
    ws.write('recipes/broken/meta.yaml', 'package:\n  name: broken\n  version: [unclosed\n');
    await settle();
  });

  const graph = (file: string) => {
    const result = ws.nx(['graph', `--file=${file}`], { NX_CONDA_GRAPH_STATS: 'true' });
    expectSuccess(result);
    const { graph: g } = JSON.parse(readFileSync(join(ws.root, file), 'utf8')) as {
      graph: { nodes: Record<string, unknown>; dependencies: Record<string, { target: string }[]> };
    };
    return { graph: g, output: result.output };
  };

  it('parses every recipe cold, then only the changed one, with the same graph and warnings', async () => {
    rmSync(join(ws.root, '.nx'), { recursive: true, force: true });
    const cold = graph('cold.json');
    expect(cold.output).toMatch(
      /nx-conda: read 41 recipe\(s\): 41 parsed, 0 from memory, 0 from the disk cache, 41 read and hashed/,
    );
    expect(Object.keys(cold.graph.nodes)).toHaveLength(40);
    expect(cold.graph.dependencies['p7'].map((d) => d.target).sort()).toEqual(['p3', 'p6']);

    // A comment changes the file, not the graph.
    ws.write('recipes/p7/meta.yaml', `# edited\n${readFileSync(join(ws.root, 'recipes/p7/meta.yaml'), 'utf8')}`);
    await settle();
    const warm = graph('warm.json');
    expect(warm.output).toMatch(
      /nx-conda: read 41 recipe\(s\): 1 parsed, 0 from memory, 40 from the disk cache, 1 read and hashed/,
    );
    expect(warm.graph).toEqual(cold.graph);
    // The broken recipe comes from the cache too, and is reported each time.
    for (const { output } of [cold, warm])
      expect(output).toMatch(/nx-conda: skipping recipe recipes\/broken\/meta\.yaml:\d+: YAML: /);
  });
});

/**
 * Issue 18, point 1: recipe text is untrusted. A package name that is not a
 * conda package name never becomes a project, and the terminal never gets
 * a recipe's raw escape sequences; names of Object.prototype members are
 * ordinary projects.
 */
describe('recipes with hostile package names', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('hostile-names', { plugins: ['nx-conda'] });
    ws.write('recipes/ok/meta.yaml', 'package:\n  name: ok\n  version: "1.0"\n');
    ws.write('recipes/constructor/meta.yaml', 'package:\n  name: constructor\n  version: "1.0"\n');
    ws.write('recipes/up/meta.yaml', 'package:\n  name: \'..\'\n  version: "1.0"\n');
    ws.write('recipes/proto/meta.yaml', 'package:\n  name: __proto__\n  version: "1.0"\n');
    ws.write('recipes/slash/meta.yaml', 'package:\n  name: a/b\n  version: "1.0"\n');
    ws.write('recipes/dash/meta.yaml', 'package:\n  name: \'-x\'\n  version: "1.0"\n');
    ws.write('recipes/space/meta.yaml', 'package:\n  name: \'x y\'\n  version: "1.0"\n');
    ws.write(
      'recipes/escapes/recipe.yaml',
      'package:\n  name: "\\e]0;title-from-recipe\\a\\e[31mred"\n  version: "1.0"\n',
    );
  });

  it('nx show projects lists only the valid ones, warns about each other file, prints no escape', () => {
    const result = ws.nx(['show', 'projects', '--json']);
    expectSuccess(result);
    // Nx itself cannot hold a project named constructor (it refuses the graph): the recipe's project is suffixed.
    expect(JSON.parse(result.stdout).sort()).toEqual(['constructor@recipes/constructor', 'ok']);
    for (const dir of ['up', 'proto', 'slash', 'dash', 'space'])
      expect(result.output).toContain(`nx-conda: skipping recipe recipes/${dir}/meta.yaml: package name`);
    expect(result.output).toContain('nx-conda: skipping recipe recipes/escapes/recipe.yaml: package name');
    expect(result.output).not.toContain('\u001b]0;title-from-recipe');
    expect(result.output).not.toContain('\u0007');
  });
});
