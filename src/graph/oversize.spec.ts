/** Issue 31, point 10: a recipe over the size limit is reported as too large in the graph, never as missing. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodes } from '../index';
import { clearMemoryCache } from './cache';

it('the graph skips a 50 MB meta.yaml with a warning that it is too large, and keeps the other recipes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'nx-conda-big-'));
  process.env.NX_WORKSPACE_DATA_DIRECTORY = join(root, '.nx', 'workspace-data');
  clearMemoryCache();
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    mkdirSync(join(root, 'recipes/big'), { recursive: true });
    mkdirSync(join(root, 'recipes/ok'), { recursive: true });
    writeFileSync(join(root, 'recipes/big/meta.yaml'), `package:\n  name: big\n# ${'z'.repeat(50 * 1024 * 1024)}\n`);
    writeFileSync(join(root, 'recipes/ok/meta.yaml'), 'package:\n  name: ok\n  version: "1"\n');
    const results = await createNodes[1](['recipes/big/meta.yaml', 'recipes/ok/meta.yaml'], {}, {
      workspaceRoot: root,
      nxJsonConfiguration: {},
    } as never);
    expect(results.map(([file]) => file)).toEqual(['recipes/ok/meta.yaml']);
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      "nx-conda: skipping recipe recipes/big/meta.yaml: the file is 51201 KB, over nx-conda's limit of 512 KB for a recipe",
    ]);
  } finally {
    warn.mockRestore();
    delete process.env.NX_WORKSPACE_DATA_DIRECTORY;
    rmSync(root, { recursive: true, force: true });
  }
});
