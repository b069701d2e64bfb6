import { captureTaskOutput, goLive, logger, writeOutput } from './logger';

describe('captureTaskOutput', () => {
  let written: string[];
  let out: jest.SpyInstance;
  let err: jest.SpyInstance;
  beforeEach(() => {
    written = [];
    const record = (chunk: string | Uint8Array) => (written.push(String(chunk)), true);
    out = jest.spyOn(process.stdout, 'write').mockImplementation(record);
    err = jest.spyOn(process.stderr, 'write').mockImplementation(record);
  });
  afterEach(() => {
    out.mockRestore();
    err.mockRestore();
  });

  it("keeps each concurrent task's own lines, and prints them live with the task's prefix", async () => {
    const task = (name: string) =>
      captureTaskOutput(`[${name}] `, async () => {
        logger.info(`nx-conda: building ${name}\nsecond line`);
        await new Promise((r) => setTimeout(r, 5));
        writeOutput('stdout', `[${name}] container line\n`);
        logger.warn(`nx-conda: ${name} warns`);
        return name;
      });
    const [a, b] = await Promise.all([task('a'), task('b')]);
    expect(a.value).toBe('a');
    expect(a.output).toContain('nx-conda: building a\nsecond line\n[a] container line\n');
    expect(a.output).toContain('a warns');
    expect(a.output).not.toMatch(/\bb\b/);
    expect(b.output).not.toContain('building a');
    expect(written).toContain('[a] nx-conda: building a\n[a] second line\n');
    expect(written.some((w) => w.startsWith('[b] ') && w.includes('b warns'))).toBe(true);
  });

  it('a held task prints nothing until it goes live, then what it held and the rest, in order', async () => {
    const { output, liveSince, printHeld } = await captureTaskOutput(
      '[a] ',
      async () => {
        logger.info('nx-conda: deciding');
        expect(written).toEqual([]);
        goLive();
        writeOutput('stdout', '[a] container line\n');
        // info, not warn: Nx's logger colours warnings when CI is set.
        logger.info('nx-conda: done');
      },
      { hold: true },
    );
    expect(written).toEqual(['[a] nx-conda: deciding\n', '[a] container line\n', '[a] nx-conda: done\n']);
    expect(output).toBe('nx-conda: deciding\n[a] container line\nnx-conda: done\n');
    expect(liveSince).toEqual(expect.any(Number));
    printHeld();
    expect(written).toHaveLength(3);
  });

  it('a held task that never goes live keeps its lines for its terminal output, printed only by printHeld', async () => {
    const { output, liveSince, printHeld } = await captureTaskOutput(
      '[s] ',
      async () => logger.info('nx-conda: skipped s: already published'),
      { hold: true },
    );
    expect(written).toEqual([]);
    expect(output).toBe('nx-conda: skipped s: already published\n');
    expect(liveSince).toBeUndefined();
    printHeld();
    printHeld();
    expect(written).toEqual(['[s] nx-conda: skipped s: already published\n']);
  });

  it('outside a task, logs as Nx does and keeps nothing', async () => {
    const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    logger.info('plain');
    expect(info).toHaveBeenCalledWith('plain');
    info.mockRestore();
  });
});
