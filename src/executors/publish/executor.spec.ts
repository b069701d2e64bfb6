import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeEngine } from '../../container/fake-engine.test';
import { gatherChannel } from '../../channel/gather';
import { builtOutput, captureOutput, executorContext, recipeGraph, tempWorkspace } from '../executor-spec.test';
import publishExecutor from './executor';
import type { PublishExecutorSchema } from './schema';

describe('publish executor to a folder (files only; the engine is never asked)', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  let destination: string;
  beforeEach(() => {
    ws = tempWorkspace('publish');
    out = captureOutput();
    engine = new FakeEngine();
    // The channel as the channel target gathers it.
    builtOutput(ws.root, 'foo');
    const channel = join(ws.root, 'dist', 'channel');
    mkdirSync(channel, { recursive: true });
    gatherChannel(
      channel,
      [{ project: 'foo', dir: join(ws.root, 'dist', 'conda', 'recipes', 'foo') }],
      new Set(['foo']),
    );
    destination = join(ws.root, 'published');
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: PublishExecutorSchema) =>
    engine.run(() => publishExecutor(options, executorContext(ws.root, 'channel', recipeGraph(['foo']), 'publish')));

  it('writes the packages, then the indexes; a second run finds them there and writes no package', async () => {
    await expect(run({ destination: 'published' })).resolves.toEqual({ success: true });
    expect(readFileSync(join(destination, 'linux-64', 'foo-1.0-0.tar.bz2'), 'utf8')).toBe('package foo');
    expect(
      Object.keys(JSON.parse(readFileSync(join(destination, 'linux-64', 'repodata.json'), 'utf8')).packages),
    ).toEqual(['foo-1.0-0.tar.bz2']);
    const wrote = out.info.filter((l) => l.startsWith('  wrote '));
    expect(wrote[0]).toBe('  wrote linux-64/foo-1.0-0.tar.bz2');
    expect(wrote.slice(1).every((l) => l.endsWith('repodata.json'))).toBe(true);
    expect(out.info.at(-1)).toMatch(
      /^nx-conda: published dist\/channel to .*published: 1 new package\(s\), 0 already there/,
    );

    out.info.length = 0;
    await expect(run({ destination: 'published' })).resolves.toEqual({ success: true });
    expect(out.info.filter((l) => l.startsWith('  wrote ') && !l.endsWith('repodata.json'))).toEqual([]);
    expect(out.info.at(-1)).toMatch(/: 0 new package\(s\), 1 already there/);
    expect(engine.calls).toEqual([]);
  });

  it('a dry run says what it would write and writes nothing', async () => {
    await expect(run({ destination: 'published', dryRun: true })).resolves.toEqual({ success: true });
    expect(out.info).toContain('  would write linux-64/foo-1.0-0.tar.bz2');
    expect(existsSync(destination) ? readdirSync(destination) : []).toEqual([]);
    expect(out.info.at(-1)).toMatch(/^nx-conda: dry run: would publish dist\/channel to /);
  });

  it('no destination, or an unsupported one, is a user error before anything is written', async () => {
    await expect(run({})).resolves.toEqual({ success: false });
    await expect(run({ destination: 'ftp://host.invalid/channel' })).resolves.toEqual({ success: false });
    expect(out.error).toEqual([
      'nx-conda: publish needs a destination: a folder, a file:// URL or s3://bucket/prefix (the `destination` option).',
      'nx-conda: destination ftp://host.invalid/channel: only folders, file:// URLs and s3:// buckets are supported.',
    ]);
  });
});
