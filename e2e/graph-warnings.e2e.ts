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
