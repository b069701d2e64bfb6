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
    expect(result.output).toMatch(/nx-conda: recipe recipes\/numpy\/meta\.yaml provides numpy, the name of another project \(tools\/numpy\/project\.json\)/);
    expect(result.output).toMatch(/nx-conda: dependency cycle between recipes cyc1, cyc2/);
    // It was the daemon that computed the graph.
    expect(ws.nx(['daemon'], daemon).output).toMatch(/Nx Daemon is currently running/i);
  });
});

/**
 * Issue 10: a cold graph with many recipes is parsed in worker threads
 * (parallel-load.ts). NX_CONDA_PARSE_THREADS forces them on a small
 * workspace; the graph must be the one a single thread makes, warnings included.
 */
describe('recipes parsed in worker threads', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace('parse-threads', { plugins: ['nx-conda'] });
    for (let i = 0; i < 40; i++) {
      const deps = i === 0 ? '' : `requirements:\n  host:\n    - p${i - 1}\n  run:\n    - p${Math.floor(i / 2)}  # [linux]\n    - nothere  # [win]\n`;
      ws.write(`recipes/p${i}/meta.yaml`, `{% set v = "${i}.0" %}\npackage:\n  name: p${i}\n  version: "{{ v }}"\n${deps}`);
    }
    ws.write('recipes/broken/meta.yaml', 'package:\n  name: broken\n  version: [unclosed\n');
  });

  const coldGraph = (threads: string, file: string) => {
    rmSync(join(ws.root, '.nx'), { recursive: true, force: true });
    const result = ws.nx(['graph', `--file=${file}`], { NX_CONDA_PARSE_THREADS: threads, NX_CONDA_GRAPH_STATS: 'true' });
    expectSuccess(result);
    const { graph } = JSON.parse(readFileSync(join(ws.root, file), 'utf8')) as { graph: { nodes: Record<string, unknown>; dependencies: Record<string, unknown> } };
    return { graph, output: result.output };
  };

  it('makes the same graph, with the same warnings, as one thread', () => {
    const one = coldGraph('0', 'one.json');
    const three = coldGraph('3', 'three.json');
    expect(Object.keys(three.graph.nodes).sort()).toHaveLength(40);
    expect(three.graph).toEqual(one.graph);
    expect(three.graph.dependencies['p7']).toEqual(
      expect.arrayContaining([expect.objectContaining({ target: 'p6' }), expect.objectContaining({ target: 'p3' })]),
    );
    // The threads really ran (and one thread alone, the first time).
    expect(three.output).toMatch(/nx-conda: read 41 recipe\(s\): 41 parsed \(shared with 3 worker threads\)/);
    expect(one.output).toMatch(/nx-conda: read 41 recipe\(s\): 41 parsed, /);
    for (const { output } of [one, three]) expect(output).toMatch(/nx-conda: skipping recipe recipes\/broken\/meta\.yaml:\d+: YAML: /);
  });
});
