import { logger } from '@nx/devkit';
import { EngineError } from '../container';
import { UserError } from '../core/errors';
import { failureMessage, runExecutor } from './run-executor';

describe('runExecutor: the one error path of the executors', () => {
  let printed: string[];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    printed = [];
    spy = jest.spyOn(logger, 'error').mockImplementation((m: unknown) => void printed.push(String(m)));
  });
  afterEach(() => spy.mockRestore());

  it('succeeds when the body returns, printing nothing', async () => {
    await expect(runExecutor(async () => undefined)).resolves.toEqual({ success: true });
    expect(printed).toEqual([]);
  });

  it('prints a user error as its message only, masked, and fails', async () => {
    const result = await runExecutor(async () => {
      throw new EngineError('docker pull https://me:secret@host.invalid/x failed');
    });
    expect(result).toEqual({ success: false });
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^nx-conda: docker pull https:\/\/\*+@host\.invalid\/x failed$/);
    expect(printed[0]).not.toContain('secret');
    expect(printed[0]).not.toContain(' at ');
  });

  it('prints anything else with its stack: it is a bug', async () => {
    const result = await runExecutor(async () => {
      throw new TypeError('x is undefined');
    });
    expect(result).toEqual({ success: false });
    expect(printed[0]).toMatch(/^TypeError: x is undefined\n\s+at /);
  });

  it('names every user error class by its own name', () => {
    class SomeOptionError extends UserError {}
    const e = new SomeOptionError('bad');
    expect(e.name).toBe('SomeOptionError');
    expect(failureMessage(e)).toBe('nx-conda: bad');
    expect(failureMessage('plain string')).toBe('plain string');
  });
});
