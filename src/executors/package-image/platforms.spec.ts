import type { ProjectGraph } from '@nx/devkit';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceId } from '../../container';
import { FakeEngine } from '../../container/fake-engine.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import packageImageExecutor from './executor';
import type { PackageImageExecutorSchema } from './schema';

/**
 * Issue 27, point 4: package-image on several platforms, against a recorded
 * engine. The images are up to date here (their labels name the package
 * files), so what is recorded is the push: each architecture's image under
 * `<tag>-<platform>`, then one manifest list under the plain tag.
 */
const TAG = 'biocontainers/foo:1.0--0';
const CONTENT: Record<string, string> = { 'linux-64': 'amd64 package', 'linux-aarch64': 'arm64 package' };
const sha = (platform: string) => createHash('sha256').update(CONTENT[platform]).digest('hex');
const DIGEST = { amd64: `sha256:${'a'.repeat(64)}`, arm64: `sha256:${'b'.repeat(64)}` };
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const list = (entries: [string, string][]) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifests: entries.map(([digest, arch]) => ({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      size: 528,
      digest,
      platform: { architecture: arch, os: 'linux', ...(arch === 'arm64' ? { variant: 'v8' } : {}) },
    })),
  });
const OURS = list([
  [DIGEST.amd64, 'amd64'],
  [DIGEST.arm64, 'arm64'],
]);

describe('package-image on several platforms, against a recorded engine', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let out: ReturnType<typeof captureOutput>;
  let engine: FakeEngine;
  let graph: ProjectGraph;
  const write = (platform: string) => {
    const subdir = join(ws.root, 'dist', 'conda', 'recipes', 'foo', platform);
    mkdirSync(subdir, { recursive: true });
    writeFileSync(join(subdir, 'foo-1.0-0.tar.bz2'), CONTENT[platform]);
    writeFileSync(
      join(subdir, 'repodata.json'),
      JSON.stringify({
        info: { subdir: platform },
        packages: { 'foo-1.0-0.tar.bz2': { name: 'foo', version: '1.0', build: '0', build_number: 0 } },
      }),
    );
  };
  const labels = (platform: string) =>
    JSON.stringify({
      'nx-conda': 'package',
      'nx-conda.workspace': workspaceId(ws.root),
      'nx-conda.project': 'foo',
      'nx-conda.package-file': 'foo-1.0-0.tar.bz2',
      'nx-conda.package-sha256': sha(platform),
      'nx-conda.tests': 'passed',
    });
  /** The local image of `platform` under `tag`: ours, up to date, of `arch`. */
  const image = (tag: string, platform: string, arch: string) =>
    engine
      .on(new RegExp(`^image inspect --format \\{\\{\\.Id\\}\\} \\{\\{json \\.Config\\.Labels\\}\\} ${esc(tag)}$`), {
        stdout: `sha256:${arch} ${labels(platform)}`,
      })
      .on(new RegExp(`^image inspect --format \\{\\{json \\.Config\\.Labels\\}\\} ${esc(tag)}$`), {
        stdout: labels(platform),
      })
      .on(new RegExp(`^image inspect --format \\{\\{\\.Id\\}\\} ${esc(tag)}$`), { stdout: `sha256:${arch}` })
      .on(new RegExp(`^image inspect --format \\{\\{\\.Os\\}\\}/\\{\\{\\.Architecture\\}\\} ${esc(tag)}$`), {
        stdout: `linux/${arch}`,
      });

  beforeEach(() => {
    ws = tempWorkspace('package-image-platforms');
    out = captureOutput();
    write('linux-64');
    write('linux-aarch64');
    graph = {
      nodes: { foo: { name: 'foo', type: 'lib', data: { root: 'recipes/foo', targets: {} } } },
      dependencies: {},
    };
    engine = new FakeEngine()
      .on(/^image inspect /, { exitCode: 1, stderr: 'Error: No such image' })
      .on(/^image pull /, { exitCode: 1, stderr: 'manifest unknown' })
      .on(/^manifest inspect --insecure /, { exitCode: 1, stderr: 'no such manifest: 127.0.0.1:5000/x' })
      .on(/^manifest inspect 127/, { stdout: OURS });
    image(TAG, 'linux-64', 'amd64');
    image(`${TAG}-arm64`, 'linux-aarch64', 'arm64');
  });
  afterEach(() => {
    out.restore();
    ws.remove();
  });
  const run = (options: PackageImageExecutorSchema = {}) =>
    engine.run(() =>
      packageImageExecutor(
        { image: 'lab/conda:1', platforms: ['linux-64', 'linux-aarch64'], ...options },
        executorContext(ws.root, 'foo', graph),
      ),
    );
  const registryCalls = () => engine.lines().filter((l) => /^(image (tag|push)|manifest) /.test(l));

  it('keeps each platform image under its own local tag: the primary plain, another with -<arch>', async () => {
    await expect(run()).resolves.toEqual({ success: true });
    expect(out.info.at(-1)).toContain(`${TAG}  reused (linux-64/foo-1.0-0.tar.bz2 unchanged)`);
    expect(out.info.at(-1)).toContain(`${TAG}-arm64  reused (linux-aarch64/foo-1.0-0.tar.bz2 unchanged)`);
    expect(registryCalls()).toEqual([]);
  });

  it('pushes each architecture under <tag>-<arch>, then one manifest list under the plain tag (docker, loopback)', async () => {
    await expect(run({ registry: '127.0.0.1:5000' })).resolves.toEqual({ success: true });
    const remote = `127.0.0.1:5000/${TAG}`;
    expect(registryCalls()).toEqual([
      `image tag ${TAG} ${remote}-amd64`,
      `image push ${remote}-amd64`,
      `image tag ${TAG}-arm64 ${remote}-arm64`,
      `image push ${remote}-arm64`,
      // A list left by a stopped run is forgotten; the registry is asked what it holds; the list is made from
      // the pushed images, read back and checked, then pushed. docker's manifest commands talk to the registry
      // from the client (not the daemon): --insecure for a loopback registry.
      `manifest rm ${remote}`,
      `manifest inspect --insecure ${remote}`,
      `manifest create --insecure ${remote} ${remote}-amd64 ${remote}-arm64`,
      `manifest inspect ${remote}`,
      `manifest push --purge --insecure ${remote}`,
    ]);
    expect(out.info.at(-1)).toContain(`${remote}  manifest list pushed (linux/amd64, linux/arm64)`);
  });

  it('does not push the same list again; refuses a tag holding other content unless force', async () => {
    const remote = `127.0.0.1:5000/${TAG}`;
    engine.on(/^manifest inspect --insecure /, { stdout: OURS });
    await expect(run({ registry: '127.0.0.1:5000' })).resolves.toEqual({ success: true });
    expect(out.info.at(-1)).toContain(`${remote}  manifest list already in the registry`);
    expect(registryCalls().filter((l) => l.startsWith('manifest push'))).toEqual([]);

    engine.on(/^manifest inspect --insecure /, { stdout: list([[DIGEST.amd64, 'amd64']]) });
    await expect(run({ registry: '127.0.0.1:5000' })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(
      `${remote} exists in the registry with other content (a manifest list of linux/amd64); not overwritten. Set force to replace it.`,
    );
    expect(registryCalls().filter((l) => l.startsWith('manifest push'))).toEqual([]);
    // The local list is forgotten after a refusal.
    expect(registryCalls().at(-1)).toBe(`manifest rm ${remote}`);
  });

  it('refuses an image of another architecture than its platform, before anything is pushed', async () => {
    image(`${TAG}-arm64`, 'linux-aarch64', 'amd64');
    await expect(run({ registry: '127.0.0.1:5000' })).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(
      `${TAG}-arm64 (linux-aarch64/foo-1.0-0.tar.bz2) is linux/amd64, not linux/arm64`,
    );
    expect(registryCalls()).toEqual([]);
  });

  it('a registry refusing the list: says which list, that the images are there, and what to check', async () => {
    engine.on(/^manifest push /, { exitCode: 1, stderr: 'manifest blob unknown: blob unknown to registry' });
    await expect(run({ registry: '127.0.0.1:5000' })).resolves.toEqual({ success: false });
    const error = out.error.join('\n');
    expect(error).toContain(`the manifest list 127.0.0.1:5000/${TAG} of 127.0.0.1:5000/${TAG}-amd64, `);
    expect(error).toContain('manifest blob unknown');
    expect(error).toMatch(
      /per-architecture images are in the registry; check that 127\.0\.0\.1:5000 accepts manifest lists/,
    );
  });

  it('podman: the list is made locally from the pushed images and pushed with them (--tls-verify=false on loopback)', async () => {
    await expect(run({ registry: '127.0.0.1:5000', engine: 'podman' })).resolves.toEqual({ success: true });
    const remote = `127.0.0.1:5000/${TAG}`;
    expect(registryCalls().filter((l) => l.startsWith('manifest'))).toEqual([
      `manifest rm ${remote}`,
      `manifest create ${remote}`,
      `manifest add --tls-verify=false ${remote} docker://${remote}-amd64`,
      `manifest add --tls-verify=false ${remote} docker://${remote}-arm64`,
      `manifest push --all --rm --tls-verify=false ${remote} docker://${remote}`,
    ]);
  });

  it('a platform without packages fails, naming its folder and the build to run', async () => {
    ws.remove();
    ws = tempWorkspace('package-image-platforms');
    write('linux-64');
    await expect(run()).resolves.toEqual({ success: false });
    expect(out.error.join('\n')).toContain(
      'dist/conda/recipes/foo/linux-aarch64 holds no package, but foo gets images for linux-64, linux-aarch64 (platforms): ' +
        'build nx run foo:build-recipe-linux-aarch64 first',
    );
    expect(engine.lines()).toEqual([]);
  });

  it('one platform: as before (no suffix, no list, the plain tag pushed)', async () => {
    await expect(run({ registry: '127.0.0.1:5000', platforms: [] })).resolves.toEqual({ success: true });
    const remote = `127.0.0.1:5000/${TAG}`;
    expect(registryCalls()).toEqual([`image tag ${TAG} ${remote}`, `image push ${remote}`]);
  });
});
