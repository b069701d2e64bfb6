import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_IMAGES } from './utils/paths';
import { loadImage, privateEngine, type PrivateEngine } from './utils/private-engine';
import { createWorkspace, expectSuccess, explain, startNx, until, type Workspace } from './utils/workspace';

/**
 * Issue 30, point 1: the engine dies during a batch. On a dockerd of the
 * test's own (e2e/utils/private-engine.ts), never the machine's shared one:
 * two builds run (--parallel=2) when dockerd is SIGKILLed.
 */
const recipe = (name: string, script: string[], host: string[] = []) =>
  `package:\n  name: ${name}\n  version: "1.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n` +
  script.map((l) => `    - ${l}\n`).join('') +
  (host.length ? `\nrequirements:\n  host:\n${host.map((h) => `    - ${h}\n`).join('')}` : '');
const quick = (name: string) => ['mkdir -p $PREFIX/share', `echo ${name} > $PREFIX/share/${name}.txt`];
const slow = (name: string, seconds: number) => [`echo "${name} build started"`, `sleep ${seconds}`, ...quick(name)];

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = sha256(join(e.parentPath, e.name));
  return out;
}

describe('the engine dies during a batch (issue 30, point 1)', () => {
  let engine: PrivateEngine;
  let ws: Workspace;
  let env: Record<string, string>;
  beforeAll(async () => {
    engine = privateEngine();
    await engine.start();
    loadImage(engine, TEST_IMAGES.rattlerBuild);
    env = { DOCKER_HOST: engine.host };
    ws = createWorkspace('engine-dies', {
      plugins: [{ plugin: 'nx-conda', options: { images: { 'rattler-build': TEST_IMAGES.rattlerBuild } } }],
    });
    for (const name of ['sa', 'sb', 'done']) ws.write(`recipes/${name}/recipe.yaml`, recipe(name, quick(name)));
    ws.write('recipes/later/recipe.yaml', recipe('later', quick('later'), ['sa']));
  });
  afterAll(() => engine?.remove());

  it('running builds fail naming the engine, later ones never start, outputs intact; with the engine back the next run builds what failed', async () => {
    expectSuccess(ws.nx(['run-many', '-t', 'build-recipe', '--parallel=2'], env));
    const outs = ['sa', 'sb', 'done', 'later'].map((p) => join(ws.root, 'dist/conda/recipes', p));
    const before = outs.map(tree);
    expect(before.every((t) => Object.keys(t).some((f) => f.endsWith('.conda')))).toBe(true);

    ws.write('recipes/sa/recipe.yaml', recipe('sa', slow('sa', 40)));
    ws.write('recipes/sb/recipe.yaml', recipe('sb', slow('sb', 40)));
    const run = startNx(ws, ['run-many', '-t', 'build-recipe', '--parallel=2', '--output-style=stream'], env);
    try {
      await until(
        'both builds to run',
        () => /sa build started/.test(run.output()) && /sb build started/.test(run.output()),
        180,
        run.output,
      );
      engine.killDaemon();
      await until('the run to end', () => run.child.exitCode !== null, 60, run.output);
    } finally {
      if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
      await run.exited;
    }
    const output = run.output();
    if (run.child.exitCode === 0) throw new Error(output);
    // The running tasks fail with a line naming the engine; no stack.
    for (const p of ['sa', 'sb'])
      expect(output).toContain(
        `nx-conda: docker (at ${engine.host}) failed while running the build of ${p} (recipes/${p}/recipe.yaml) in image ${TEST_IMAGES.rattlerBuild}: exit code 125, the engine's own error, not the build's`,
      );
    expect(output).not.toMatch(/^\s+at \S+ \(\/.*:\d+:\d+\)$/m);
    // `later` needs sa: never started.
    expect(output).not.toMatch(/staging channel for later/);
    expect(outs.map(tree)).toEqual(before);

    // The engine back (same data root): the next run builds sa, sb and later, and restores `done` from the cache.
    await engine.start();
    ws.write('recipes/sa/recipe.yaml', recipe('sa', slow('sa', 1)));
    ws.write('recipes/sb/recipe.yaml', recipe('sb', slow('sb', 1)));
    const next = ws.nx(['run-many', '-t', 'build-recipe', '--parallel=2'], env);
    if (next.code !== 0) throw new Error(explain(next));
    expect(next.output).toMatch(/nx run done:build-recipe\s+\[local cache\]/);
    for (const p of ['sa', 'sb', 'later']) expect(next.output).toContain(`built 1 package(s) for ${p}`);
    expect(readdirSync(join(ws.root, 'tmp/nx-conda/staging')).filter((f) => !f.startsWith('.'))).toEqual([]);
  });
});
