import { diskFull, isDiskFull, namingFullDisk, saysDiskFull } from './disk-full';

describe('disk full (issue 30, point 2)', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

  it('turns ENOSPC and EDQUOT into one message naming the folder and what to do', () => {
    expect(isDiskFull(enospc)).toBe(true);
    expect(isDiskFull(Object.assign(new Error('x'), { code: 'EDQUOT' }))).toBe(true);
    expect(isDiskFull(new Error('other'))).toBe(false);
    expect(() =>
      namingFullDisk('dist/conda/recipes/a', 'collecting the packages of a', 'outputRoot', () => {
        throw enospc;
      }),
    ).toThrow(
      'dist/conda/recipes/a is full (no space left on device) while collecting the packages of a. Nothing was half-written there: free space on that disk, or move it elsewhere with outputRoot, and run the target again.',
    );
    expect(diskFull('x', 'y', 'z').name).toBe('DiskFullError');
  });

  it('passes other errors and results through', () => {
    expect(namingFullDisk('f', 'd', 'o', () => 3)).toBe(3);
    expect(() =>
      namingFullDisk('f', 'd', 'o', () => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });

  it("finds a builder's own words for a full disk", () => {
    expect(saysDiskFull(['ok', "OSError: [Errno 28] No space left on device: '/opt/x'"])).toMatch(/Errno 28/);
    expect(saysDiskFull(['error: could not write file', 'done'])).toBeUndefined();
  });
});
