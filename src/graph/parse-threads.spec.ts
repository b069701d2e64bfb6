import { loadInThreads, threadShare, THREAD_MIN_FILES } from './parse-threads';
import type { Loaded } from './load-one';

describe('threadShare', () => {
  it('hands a thread a little under half of a large cold read on four cores or more, none on two', () => {
    expect(threadShare(10_000, 4, {})).toBe(4500);
    expect(threadShare(10_000, 2, {})).toBe(0);
    expect(threadShare(THREAD_MIN_FILES - 1, 8, {})).toBe(0);
  });

  it('is off with NX_CONDA_GRAPH_THREADS=0 and always on with `always`', () => {
    expect(threadShare(10_000, 8, { NX_CONDA_GRAPH_THREADS: '0' })).toBe(0);
    expect(threadShare(3, 1, { NX_CONDA_GRAPH_THREADS: 'always' })).toBe(1);
  });
});

describe('loadInThreads', () => {
  it('reads every file here, in order, when no compiled worker exists (running from sources)', async () => {
    const files = Array.from({ length: 1000 }, (_, i) => `r${i}/meta.yaml`);
    const local = (file: string): Loaded => ({
      outcome: { ok: false, error: { file, reason: 'x' } },
      hashed: false,
      parsed: false,
    });
    const { loaded, inThread } = await loadInThreads('/nowhere', files, 'linux-64', Date.now(), local, 8);
    expect([...loaded.keys()]).toEqual(files);
    expect(inThread).toBe(0);
  });
});
