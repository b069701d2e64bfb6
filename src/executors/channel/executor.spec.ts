import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeEngine } from '../../container/fake-engine.test';
import { builtOutput, captureOutput, executorContext, recipeGraph, tempWorkspace } from '../executor-spec.test';
import channelExecutor from './executor';

describe('channel executor (files only; the engine is never asked)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  beforeEach(() => {
    ws = tempWorkspace('channel');
    out = captureOutput();
    engine = new FakeEngine();
    builtOutput(ws.root, 'foo');
    builtOutput(ws.root, 'bar');
    channel = join(ws.root, 'dist', 'channel');
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: Parameters<typeof channelExecutor>[0] = {}) =>
    engine.run(() => channelExecutor(options, executorContext(ws.root, 'channel', recipeGraph(['foo', 'bar']))));
  let channel: string;
  const index = () => JSON.parse(readFileSync(join(channel, 'linux-64', 'repodata.json'), 'utf8'));

  it('gathers every recipe project into one indexed channel, and says what it added', async () => {
    await expect(run()).resolves.toEqual({ success: true });
    expect(readFileSync(join(channel, 'linux-64', 'foo-1.0-0.tar.bz2'), 'utf8')).toBe('package foo');
    expect(Object.keys(index().packages).sort()).toEqual(['bar-1.0-0.tar.bz2', 'foo-1.0-0.tar.bz2']);
    expect(existsSync(join(channel, 'noarch', 'repodata.json'))).toBe(true);
    expect(out.info).toEqual(
      expect.arrayContaining(['  + linux-64/bar-1.0-0.tar.bz2', '  + linux-64/foo-1.0-0.tar.bz2']),
    );
    expect(out.info.at(-1)).toMatch(/^nx-conda: channel dist\/channel: 2 added, 0 updated, 0 removed, 0 unchanged/);
    expect(engine.calls).toEqual([]);
  });

  it('only the projects asked for; an unknown project is a user error naming it', async () => {
    await expect(run({ projects: ['foo'] })).resolves.toEqual({ success: true });
    expect(Object.keys(index().packages)).toEqual(['foo-1.0-0.tar.bz2']);
    await expect(run({ projects: ['nosuch'] })).resolves.toEqual({ success: false });
    expect(out.error).toEqual(['nx-conda: projects: nosuch is not a project with a recipe-build target.']);
  });

  it('a package without a record fails the task, says how to rebuild, and leaves the channel as it was', async () => {
    await expect(run()).resolves.toEqual({ success: true });
    const before = readFileSync(join(channel, 'linux-64', 'repodata.json'), 'utf8');
    writeFileSync(join(ws.root, 'dist', 'conda', 'recipes', 'foo', 'linux-64', 'foo-2.0-0.tar.bz2'), 'new');
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error[0]).toMatch(
      /foo-2\.0-0\.tar\.bz2 has no record in its folder's repodata\.json; rebuild foo \(nx run foo:build-recipe --skip-nx-cache\)\.$/,
    );
    expect(readFileSync(join(channel, 'linux-64', 'repodata.json'), 'utf8')).toBe(before);
    expect(existsSync(join(channel, 'linux-64', 'foo-2.0-0.tar.bz2'))).toBe(false);
  });

  it('an outputPath outside the workspace is refused', async () => {
    await expect(run({ outputPath: '../elsewhere' })).resolves.toEqual({ success: false });
    expect(out.error).toEqual(['nx-conda: outputPath must be a folder inside the workspace, got "../elsewhere".']);
  });
});
