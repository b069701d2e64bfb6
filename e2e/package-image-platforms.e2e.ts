import { randomBytes } from 'node:crypto';
import { TEST_IMAGES } from './utils/paths';
import { registryAvailable, startRegistry, type TestRegistry } from './utils/registry';
import { createWorkspace, docker, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 27, point 4: package-image in a linux-64 + linux-aarch64 workspace,
 * with the real engine, the arm64 test images (emulated) and a real registry
 * on loopback (Debian's docker-registry): one image per architecture, side by
 * side here, pushed each under `<tag>-<arch>` and under the plain tag as one
 * manifest list, read back from the registry over HTTP.
 */
const NAMESPACE = `e2e-pkgplat-${randomBytes(4).toString('hex')}`;
const ARM64 = { condaBuild: 'nx-conda-e2e/conda-build:arm64', base: 'nx-conda-e2e/base:bookworm-arm64' };
const AARCH64 = 'linux-aarch64';
const TAG = `${NAMESPACE}/tool:1.0--0`;

const present = (image: string) => docker(['image', 'inspect', image]).code === 0;
const ready = registryAvailable() && present(ARM64.condaBuild) && present(ARM64.base);
if (!ready)
  console.warn(
    'package-image platforms test skipped: it needs docker-registry (scripts/ensure-registry.sh) and the arm64 test images (npm run e2e:images with a qemu-aarch64 handler: scripts/ensure-emulation.sh)',
  );

const arch = (ref: string) => docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ref]).stdout.trim();
const refs = (reference: string) =>
  docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${reference}`])
    .stdout.split('\n')
    .filter((r) => r && !r.endsWith(':<none>'));

const LIST_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];
const IMAGE_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
];

/** GET from the registry's HTTP API, as JSON. */
async function registryGet(host: string, path: string, accept: string[]): Promise<{ type: string; body: any }> {
  const r = await fetch(`http://${host}/v2/${path}`, { headers: { Accept: accept.join(', ') } });
  if (r.status !== 200) throw new Error(`GET /v2/${path}: ${r.status} ${await r.text()}`);
  return { type: r.headers.get('content-type') ?? '', body: await r.json() };
}

(ready ? describe : describe.skip)('package-image on linux-64 and linux-aarch64, pushed as one tag', () => {
  let ws: Workspace;
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    ws = createWorkspace('pkgplat', {
      plugins: [
        {
          plugin: 'nx-conda',
          options: {
            image: TEST_IMAGES.condaBuild,
            packageBaseImage: TEST_IMAGES.base,
            namespace: NAMESPACE,
            packageImageTargetName: 'package-image',
            platforms: ['linux-64', AARCH64],
          },
        },
      ],
      // Each architecture's images under tags of their own (the engine keeps one image per tag).
      targetDefaults: {
        [`build-recipe-${AARCH64}`]: { options: { image: ARM64.condaBuild } },
        'package-image': {
          options: { platformImages: { [AARCH64]: ARM64.condaBuild }, platformBaseImages: { [AARCH64]: ARM64.base } },
        },
      },
    });
    // Compile-free: emulated work is slow. The same build string (0) on both platforms: one tag.
    ws.write(
      'recipes/tool/meta.yaml',
      [
        'package:\n  name: tool\n  version: "1.0"',
        'build:\n  number: 0\n  script: mkdir -p $PREFIX/bin && printf \'#!/bin/sh\\necho "tool on $(uname -m)"\\n\' > $PREFIX/bin/tool && chmod +x $PREFIX/bin/tool',
        'test:\n  commands:\n    - tool | grep "tool on"',
        `extra:\n  additional-platforms:\n    - ${AARCH64}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    if (registry) {
      for (const ref of [...refs(`${NAMESPACE}/*`), ...refs(`${registry.host}/${NAMESPACE}/*`)])
        docker(['image', 'rm', '--force', ref]);
      await registry.stop();
    }
  });

  it('infers package-image on both builds, with both platforms', () => {
    const project = JSON.parse(ws.nx(['show', 'project', 'tool', '--json']).stdout);
    expect(project.targets['package-image']).toMatchObject({
      dependsOn: ['build-recipe', `build-recipe-${AARCH64}`],
      options: { platforms: ['linux-64', AARCH64], platformImages: { [AARCH64]: ARM64.condaBuild } },
    });
  });

  it('makes and tests an image per architecture, side by side, and pushes them under one tag as a manifest list', async () => {
    const result = ws.nx(['run', 'tool:package-image', `--registry=${registry.host}`]);
    expectSuccess(result);
    const remote = `${registry.host}/${TAG}`;
    expect(result.output).toContain(`${remote}-amd64  pushed`);
    expect(result.output).toContain(`${remote}-arm64  pushed`);
    expect(result.output).toContain(`${remote}  manifest list pushed (linux/amd64, linux/arm64)`);
    // Each image was tested in itself (the arm64 one emulated) before it got its tag.
    expect(result.output).toContain(`${TAG}  built, 1 test step(s) passed`);
    expect(result.output).toContain(`${TAG}-arm64  built, 1 test step(s) passed`);

    // Here: the primary platform's image under the plain tag, the arm64 one beside it; each tested in itself.
    expect(arch(TAG)).toBe('linux/amd64');
    expect(arch(`${TAG}-arm64`)).toBe('linux/arm64');
    expect(docker(['run', '--rm', '--network', 'none', TAG, 'tool']).stdout).toBe('tool on x86_64');
    expect(
      docker(['run', '--rm', '--network', 'none', '--platform', 'linux/arm64', `${TAG}-arm64`, 'tool']).stdout,
    ).toBe('tool on aarch64');

    // The registry: a list under the plain tag, an entry per architecture, each a manifest whose config says it.
    const repository = `${NAMESPACE}/tool`;
    const list = await registryGet(registry.host, `${repository}/manifests/1.0--0`, LIST_TYPES);
    expect(LIST_TYPES).toContain(list.type);
    const entries: { digest: string; platform: { os: string; architecture: string } }[] = list.body.manifests;
    expect(entries.map((e) => `${e.platform.os}/${e.platform.architecture}`).sort()).toEqual([
      'linux/amd64',
      'linux/arm64',
    ]);
    for (const entry of entries) {
      const manifest = await registryGet(registry.host, `${repository}/manifests/${entry.digest}`, IMAGE_TYPES);
      expect(IMAGE_TYPES).toContain(manifest.type);
      const config = await registryGet(registry.host, `${repository}/blobs/${manifest.body.config.digest}`, ['*/*']);
      expect({ os: config.body.os, architecture: config.body.architecture }).toEqual({
        os: entry.platform.os,
        architecture: entry.platform.architecture,
      });
    }
  });

  it('a second run reuses both images and leaves the registry as it is', () => {
    const result = ws.nx(['run', 'tool:package-image', `--registry=${registry.host}`]);
    expectSuccess(result);
    const remote = `${registry.host}/${TAG}`;
    expect(result.output).toContain(`${TAG}-arm64  reused`);
    expect(result.output).toContain(`${remote}-arm64  already in the registry`);
    expect(result.output).toContain(`${remote}  manifest list already in the registry (linux/amd64, linux/arm64)`);
    expect(result.output).not.toMatch(/nx-conda: building |manifest list pushed/);
  });
});
