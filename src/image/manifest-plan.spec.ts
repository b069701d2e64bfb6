import {
  archTag,
  manifestGroups,
  parseRegistryManifest,
  platformTag,
  sameEntries,
  samePlatform,
  type PlatformImage,
} from './manifest-plan';

const img = (platform: string, plainTag: string, subdir = platform): PlatformImage => ({
  name: 'foo',
  version: '1.0',
  build: '0',
  subdir,
  file: 'foo-1.0-0.conda',
  platform,
  plainTag,
  tag: platformTag(plainTag, platform, 'linux-64'),
});

describe('platform tags', () => {
  it('keeps the primary platform plain; another gets -<platform>', () => {
    expect(platformTag('ns/foo:1.0--0', 'linux-64', 'linux-64')).toBe('ns/foo:1.0--0');
    expect(platformTag('ns/foo:1.0--0', 'linux-aarch64', 'linux-64')).toBe('ns/foo:1.0--0-linux-aarch64');
    expect(archTag('reg:5000/ns/foo:1.0--0', 'linux-64')).toBe('reg:5000/ns/foo:1.0--0-linux-64');
  });

  it('refuses a tag the suffix makes longer than an engine takes', () => {
    const long = `ns/foo:${'1'.repeat(120)}--0`;
    expect(() => archTag(long, 'linux-aarch64')).toThrow(/longer than 128 characters/);
  });
});

describe('manifestGroups', () => {
  it('groups a package of several platforms; leaves primary-only images (noarch, own build strings) alone', () => {
    const images = [
      img('linux-aarch64', 'ns/foo:1.0--0'),
      img('linux-64', 'ns/foo:1.0--0'),
      img('linux-64', 'ns/foo-data:1.0--0', 'noarch'),
      img('linux-aarch64', 'ns/bar:1.0--h2_0'),
      img('linux-64', 'ns/bar:1.0--h1_0'),
    ];
    const groups = manifestGroups(images, ['linux-64', 'linux-aarch64']);
    expect(groups.map((g) => [g.tag, g.images.map((i) => i.platform)])).toEqual([
      ['ns/foo:1.0--0', ['linux-64', 'linux-aarch64']],
      ['ns/bar:1.0--h2_0', ['linux-aarch64']],
    ]);
    expect(manifestGroups([img('linux-64', 'ns/foo:1.0--0')], ['linux-64'])).toEqual([]);
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
