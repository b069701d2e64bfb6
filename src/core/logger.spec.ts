import { captureTaskOutput, logger, writeOutput } from './logger';

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

  it('outside a task, logs as Nx does and keeps nothing', async () => {
    const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    logger.info('plain');
    expect(info).toHaveBeenCalledWith('plain');
    info.mockRestore();
  });
});
