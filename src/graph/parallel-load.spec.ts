import { PARALLEL_MIN_RECIPES, parseThreads } from './parallel-load';

describe('parseThreads', () => {
  const present = __filename; // any existing file stands for the compiled worker script
  it('uses no worker below the threshold, and one less than the cores above it (at most 3)', () => {
    expect(parseThreads(PARALLEL_MIN_RECIPES - 1, {}, 2, present)).toBe(0);
    expect(parseThreads(PARALLEL_MIN_RECIPES, {}, 2, present)).toBe(1);
    expect(parseThreads(50_000, {}, 1, present)).toBe(0);
    expect(parseThreads(50_000, {}, 16, present)).toBe(3);
  });

  it('obeys NX_CONDA_PARSE_THREADS: 0 never, N whenever two recipes or more are to parse; nonsense is 0', () => {
    expect(parseThreads(50_000, { NX_CONDA_PARSE_THREADS: '0' }, 8, present)).toBe(0);
    expect(parseThreads(2, { NX_CONDA_PARSE_THREADS: '2' }, 1, present)).toBe(2);
    expect(parseThreads(1, { NX_CONDA_PARSE_THREADS: '2' }, 8, present)).toBe(0);
    expect(parseThreads(500, { NX_CONDA_PARSE_THREADS: 'many' }, 8, present)).toBe(0);
    expect(parseThreads(500, { NX_CONDA_PARSE_THREADS: '' }, 8, present)).toBe(0);
  });

  it('uses none when the compiled worker script is absent (TypeScript sources under a test runner)', () => {
    expect(parseThreads(50_000, { NX_CONDA_PARSE_THREADS: '2' }, 8, '/nonexistent/load-worker.js')).toBe(0);
  });
});
