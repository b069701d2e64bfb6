/**
 * One tag for the images of a package on several platforms: a manifest list
 * pushed under `<registry>/<namespace>/<name>:<version>--<build>`, naming the
 * per-architecture images push.ts pushed as `...--<build>-<platform>`.
 *
 * docker: the list is made from the images in the registry (`docker
 * manifest create` reads them there, so they are pushed first), each entry's
 * platform taken from its image's configuration and checked here; what the
 * registry holds under the tag is read first (`docker manifest inspect`): the
 * same list is not pushed again, other content is replaced only with force.
 * podman (4.3 cannot read a registry without TLS with `manifest inspect`):
 * the list is made and pushed each run.
 */
import { logger } from '../../core/logger';
import {
  EngineError,
  enginePlatform,
  forgetManifestList,
  imagePlatform,
  localManifestList,
  manifestListArgv,
  registryManifest,
  runManifestStep,
} from '../../container';
import {
  parseRegistryManifest,
  sameEntries,
  samePlatform,
  type ManifestGroup,
  type PlatformImage,
} from '../../image/manifest-plan';
import { PackageImageError, type ResolvedPackageImageOptions } from './options';

/** Each image is of its platform's architecture (a base or installer image of another one would make it lie). */
export async function checkArchitectures(o: ResolvedPackageImageOptions, groups: ManifestGroup[]): Promise<void> {
  for (const image of groups.flatMap((g) => g.images)) {
    const wanted = enginePlatform(image.platform) ?? '';
    const actual = await imagePlatform(o.engine, image.tag);
    if (actual !== undefined && !samePlatform(actual, wanted))
      throw new PackageImageError(
        `${image.tag} (${image.subdir}/${image.file}) is ${actual}, not ${wanted}: it cannot stand for ${image.platform} in ` +
          `the manifest list of ${image.plainTag}. Its base or installer image is of another architecture: give ` +
          `${image.platform} images of ${wanted} (platformBaseImages, platformImages) and run again with force.`,
      );
  }
}

/** Makes and pushes the manifest list of one package; a summary line. */
export async function pushManifestList(
  o: ResolvedPackageImageOptions,
  group: ManifestGroup,
  remoteOf: (image: PlatformImage) => string,
  inRegistry: Set<string>,
): Promise<string> {
  const list = `${o.registry}/${group.tag}`;
  const members = group.images.map(remoteOf);
  const absent = members.filter((m) => !inRegistry.has(m));
  if (absent.length) return `  ${list}  manifest list not pushed: ${absent.join(', ')} not pushed (tests skipped)`;
  const wanted = group.images.map((i) => enginePlatform(i.platform) ?? '');
  const tls = { insecureRegistry: o.insecureRegistry };
  const steps = manifestListArgv(o.engine, list, members, tls);
  // A run stopped half-way leaves a local list of that name; docker would also answer inspect from it.
  await forgetManifestList(o.engine, list);
  try {
    if (o.engine === 'podman') {
      for (const step of steps) await runManifestStep(o.engine, step);
      return `  ${list}  manifest list pushed (${wanted.join(', ')})`;
    }
    const answer = await registryManifest(o.engine, list, tls);
    const there = answer === undefined ? undefined : parseRegistryManifest(answer, list);
    const [create, push] = steps;
    await runManifestStep(o.engine, create);
    const ours = parseRegistryManifest(await localManifestList(o.engine, list), list);
    if (ours.kind !== 'list') throw new PackageImageError(`${o.engine} manifest create ${list} made no list`);
    const platforms = ours.entries.map((e) => e.platform);
    if (platforms.length !== wanted.length || !wanted.every((w) => platforms.some((p) => samePlatform(p, w))))
      throw new PackageImageError(
        `the manifest list of ${list} would name ${platforms.join(', ')}, not ${wanted.join(', ')}: ` +
          `an image in the registry is of another architecture than its tag (${members.join(', ')}) says. Run again with force.`,
      );
    if (there?.kind === 'list' && sameEntries(there.entries, ours.entries)) {
      await forgetManifestList(o.engine, list);
      return `  ${list}  manifest list already in the registry (${wanted.join(', ')})`;
    }
    if (there && !o.force) {
      await forgetManifestList(o.engine, list);
      throw new PackageImageError(
        `${list} exists in the registry with other content (${there.kind === 'list' ? `a manifest list of ${there.entries.map((e) => e.platform).join(', ')}` : 'an image, not a manifest list'}); ` +
          'not overwritten. Set force to replace it.',
      );
    }
    logger.info(
      `nx-conda: pushing the manifest list ${list} (${wanted.join(', ')})${there ? ' (force: replacing other content)' : ''}`,
    );
    await runManifestStep(o.engine, push);
    return `  ${list}  manifest list pushed (${wanted.join(', ')})`;
  } catch (e) {
    await forgetManifestList(o.engine, list).catch(() => undefined);
    if (!(e instanceof EngineError)) throw e;
    // docker manifest answers `no such manifest` when TLS fails too (checked with docker 28.2).
    const unreached = /no such manifest/i.test(e.message)
      ? ` (docker manifest says so also when TLS fails: a registry without TLS needs insecureRegistry)`
      : '';
    throw new PackageImageError(
      `the manifest list ${list} of ${members.join(', ')} could not be made or pushed: ${e.message}${unreached}. ` +
        `The per-architecture images are in the registry; check that ${o.registry} accepts manifest lists ` +
        `(a Docker distribution or OCI registry) and that you are logged in (${o.engine} login ${list.split('/')[0]}), then run again.`,
    );
  }
}
