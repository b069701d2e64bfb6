import {
  archTag,
  buildWithoutHash,
  manifestGroups,
  parseRegistryManifest,
  platformTag,
  sameEntries,
  samePlatform,
  type PlatformImage,
} from './manifest-plan';

describe('platform tags', () => {
  it('keeps the primary platform plain; another gets -<platform>', () => {
    expect(platformTag('ns/foo:1.0--0', 'linux-64', 'linux-64')).toBe('ns/foo:1.0--0');
    expect(platformTag('ns/foo:1.0--0', 'linux-aarch64', 'linux-64')).toBe('ns/foo:1.0--0-arm64');
    expect(archTag('reg:5000/ns/foo:1.0--0', 'linux-64')).toBe('reg:5000/ns/foo:1.0--0-amd64');
    expect(archTag('ns/foo:1.0--0', 'linux-ppc64le')).toBe('ns/foo:1.0--0-ppc64le');
  });

  it('refuses a tag the suffix makes longer than an engine takes', () => {
    const long = `ns/foo:${'1'.repeat(120)}--0`;
    expect(() => archTag(long, 'linux-aarch64')).toThrow(/longer than 128 characters/);
    expect(() => archTag('ns/foo:1.0--0', 'osx-arm64')).toThrow(/cannot be built in a Linux container/);
  });
});

describe('manifestGroups', () => {
  const at = (platform: string, file: string, subdir = platform): PlatformImage => {
    const [, name, version, build] = /^(.*)-([^-]+)-([^-]+)\.conda$/.exec(file)!;
    const plainTag = `ns/${name}:${version}--${build}`;
    return { name, version, build, subdir, file, platform, plainTag, tag: platformTag(plainTag, platform, 'linux-64') };
  };
  const PLATFORMS = ['linux-64', 'linux-aarch64'];
  const shown = (r: ReturnType<typeof manifestGroups>) =>
    r.groups.map((g) => [g.tag, g.images.map((i) => `${i.platform}:${i.build}`)]);

  it("groups one package of several platforms under the primary platform's tag", () => {
    const r = manifestGroups(
      [
        at('linux-aarch64', 'foo-1.0-0.conda'),
        at('linux-64', 'foo-1.0-0.conda'),
        at('linux-64', 'data-1.0-0.conda', 'noarch'),
      ],
      PLATFORMS,
    );
    expect(shown(r)).toEqual([['ns/foo:1.0--0', ['linux-64:0', 'linux-aarch64:0']]]);
    expect(r.ambiguous).toEqual([]);
    expect(manifestGroups([at('linux-64', 'foo-1.0-0.conda')], ['linux-64']).groups).toEqual([]);
  });

  it("a compiled package's hash differs per platform: still one package (bioconda's bwa-mem2)", () => {
    const r = manifestGroups(
      [at('linux-64', 'bwa-mem2-2.2.1-he70b90d_8.conda'), at('linux-aarch64', 'bwa-mem2-2.2.1-h1e84f2d_8.conda')],
      PLATFORMS,
    );
    expect(shown(r)).toEqual([['ns/bwa-mem2:2.2.1--he70b90d_8', ['linux-64:he70b90d_8', 'linux-aarch64:h1e84f2d_8']]]);
    expect(buildWithoutHash('py38h1e95790_1')).toBe('py38_1');
    expect(buildWithoutHash('0')).toBe('0');
    // Variants stay apart: py38 and py39 are two packages.
    const variants = manifestGroups(
      [
        at('linux-64', 'x-1.0-py38h1111111_0.conda'),
        at('linux-64', 'x-1.0-py39h2222222_0.conda'),
        at('linux-aarch64', 'x-1.0-py38h3333333_0.conda'),
        at('linux-aarch64', 'x-1.0-py39h4444444_0.conda'),
      ],
      PLATFORMS,
    );
    expect(shown(variants).map(([tag]) => tag)).toEqual(['ns/x:1.0--py38h1111111_0', 'ns/x:1.0--py39h2222222_0']);
  });

  it('an aarch64-only package is a list of one; two of one platform in a group are ambiguous, not listed', () => {
    expect(shown(manifestGroups([at('linux-aarch64', 'arm-1.0-0.conda')], PLATFORMS))).toEqual([
      ['ns/arm:1.0--0', ['linux-aarch64:0']],
    ]);
    const r = manifestGroups(
      [
        at('linux-64', 'y-1.0-h1111111_0.conda'),
        at('linux-64', 'y-1.0-h2222222_0.conda'),
        at('linux-aarch64', 'y-1.0-h3333333_0.conda'),
      ],
      PLATFORMS,
    );
    expect(r.groups).toEqual([]);
    expect(r.ambiguous.map((g) => g.length)).toEqual([3]);
  });
});

describe('parseRegistryManifest: what a registry answered is data', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const entry = (digest: string, platform: Record<string, unknown>) => ({ digest, platform, size: 1 });
  const listOf = (manifests: unknown[], mediaType = 'application/vnd.docker.distribution.manifest.list.v2+json') =>
    JSON.stringify({ schemaVersion: 2, mediaType, manifests });

  it('reads a list (docker or OCI) and a single image', () => {
    expect(
      parseRegistryManifest(
        listOf([
          entry(d('a'), { os: 'linux', architecture: 'amd64' }),
          entry(d('b'), { os: 'linux', architecture: 'arm64', variant: 'v8' }),
        ]),
        'r/x:1',
      ),
    ).toEqual({
      kind: 'list',
      entries: [
        { digest: d('a'), platform: 'linux/amd64' },
        { digest: d('b'), platform: 'linux/arm64/v8' },
      ],
    });
    expect(parseRegistryManifest(listOf([], 'application/vnd.oci.image.index.v1+json'), 'r/x:1')).toEqual({
      kind: 'list',
      entries: [],
    });
    expect(parseRegistryManifest(JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }), 'r/x:1')).toEqual({
      kind: 'image',
    });
  });

  it.each<[string, string, string]>([
    ['text', 'not json', 'not JSON'],
    ['an array', '[]', 'not a JSON object'],
    ['an empty object', '{}', 'no schemaVersion'],
    [
      'a digest that is a path',
      listOf([entry('sha256:../../etc', { os: 'linux', architecture: 'amd64' })]),
      'no sha256 digest',
    ],
    ['control characters', listOf([entry(d('a'), { os: 'linux', architecture: 'amd64\u001b[2J' })]), 'no os/arch'],
    ['no platform', listOf([entry(d('a'), {})]), 'no os/arch'],
    ['another media type', listOf([], 'text/html'), 'unknown media type'],
    ['65 entries', listOf(Array.from({ length: 65 }, () => ({}))), 'at most 64'],
    ['1 MB and more', ' '.repeat(1024 * 1024 + 1), 'larger than'],
  ])('refuses %s', (_what, text, why) => {
    expect(() => parseRegistryManifest(text, 'r/x:1')).toThrow(why);
    expect(() => parseRegistryManifest(text, 'r/x:1')).toThrow("the registry's answer for r/x:1");
  });

  it('compares entries in any order; arm64 with or without its variant is one platform', () => {
    const a = { digest: d('a'), platform: 'linux/amd64' };
    const b = { digest: d('b'), platform: 'linux/arm64/v8' };
    expect(sameEntries([a, b], [b, a])).toBe(true);
    expect(sameEntries([a, b], [a])).toBe(false);
    expect(sameEntries([a], [{ ...a, platform: 'linux/arm64' }])).toBe(false);
    expect(samePlatform('linux/arm64/v8', 'linux/arm64')).toBe(true);
    expect(samePlatform('linux/amd64', 'linux/arm64')).toBe(false);
  });
});
