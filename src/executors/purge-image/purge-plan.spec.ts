import { DEFAULT_IMAGE_NAMESPACE } from '../../core/defaults';
import { packageImageRef, parsePackageSpec, planPurge } from './purge-plan';

describe('parsePackageSpec', () => {
  it('splits name=version--build at the last = and the last --', () => {
    expect(parsePackageSpec('samtools=1.9--h91753b0_8')).toEqual({
      name: 'samtools',
      version: '1.9',
      build: 'h91753b0_8',
    });
    expect(parsePackageSpec('r-base=4.1.0--py_0')).toEqual({ name: 'r-base', version: '4.1.0', build: 'py_0' });
    expect(packageImageRef('biocontainers', parsePackageSpec('bwa=0.7.17--he4a0461_11'))).toBe(
      'biocontainers/bwa:0.7.17--he4a0461_11',
    );
  });

  it('names the bad spec and why', () => {
    expect(() => parsePackageSpec('samtools-1.9')).toThrow(
      "package spec 'samtools-1.9' is not name=version--build: no '--'",
    );
    expect(() => parsePackageSpec('samtools--h0')).toThrow(/'samtools--h0'.*no '='/);
    expect(() => parsePackageSpec('=1.9--h0')).toThrow(/empty name/);
    expect(() => parsePackageSpec('samtools=--h0')).toThrow(/empty version/);
    expect(() => parsePackageSpec('samtools=1.9--')).toThrow(/empty build/);
    expect(() => parsePackageSpec('SamTools=1.9--h0')).toThrow(/'SamTools' is not a package name: .*lower-case/);
    expect(() => parsePackageSpec('samtools=1.9+x--h0')).toThrow(/not a valid image tag/);
  });
});

describe('planPurge', () => {
  it('collects refs and repositories under the namespace', () => {
    expect(
      planPurge({
        images: ['a/b:1', 'a/b:1'],
        packages: ['samtools=1.9--h0'],
        names: ['bwa', 'bwa'],
      }),
    ).toEqual({
      engine: 'docker',
      force: false,
      namespace: DEFAULT_IMAGE_NAMESPACE,
      refs: ['a/b:1'],
      packageRefs: [`${DEFAULT_IMAGE_NAMESPACE}/samtools:1.9--h0`],
      repositories: [`${DEFAULT_IMAGE_NAMESPACE}/bwa`],
      builderImages: false,
      containers: false,
    });
    expect(planPurge({ packages: ['x=1--0'], namespace: 'lab', force: true, engine: 'podman' })).toMatchObject({
      packageRefs: ['lab/x:1--0'],
      force: true,
      engine: 'podman',
    });
  });

  it('rejects nothing-to-do and bad options', () => {
    expect(() => planPurge({})).toThrow(/nothing to purge/);
    expect(planPurge({ builderImages: true }).builderImages).toBe(true);
    expect(planPurge({ packageImages: true }).packageImages).toEqual({ all: true });
    expect(planPurge({ packageProject: 'foo' }).packageImages).toEqual({ project: 'foo' });
    expect(planPurge({ packageProject: 'foo', packageImages: true }).packageImages).toEqual({ all: true });
    expect(() => planPurge({ packageProject: '' })).toThrow(/nothing to purge/);
    expect(planPurge({ containers: true })).toMatchObject({
      containers: true,
      refs: [],
      repositories: [],
      builderImages: false,
    });
    expect(planPurge({ imageProject: 'builder-image' }).builderImageOf).toEqual({
      project: 'builder-image',
      target: 'docker-image',
    });
    expect(planPurge({ imageProject: 'img', imageTarget: 'image' }).builderImageOf).toEqual({
      project: 'img',
      target: 'image',
    });
    expect(() => planPurge({ imageProject: 'a b' })).toThrow(/imageProject must be a project/);
    expect(() => planPurge({ names: ['Bad Name'] })).toThrow(/name 'Bad Name'/);
    expect(() => planPurge({ names: ['x'], namespace: 'Bad' })).toThrow(/namespace 'Bad'/);
    expect(() => planPurge({ images: 'x' as never })).toThrow(/images must be a list/);
    expect(() => planPurge({ names: ['x'], engine: 'lxc' as never })).toThrow(/engine 'lxc'/);
  });
});
