/**
 * Pushes the tested tags to a registry, as `<registry>/<namespace>/<name>:<version>--<build>`,
 * with the engine's own login, verifying TLS (see tlsFlags: only a loopback
 * registry or `insecureRegistry` goes without). A tag the registry already
 * holds is compared first (pulled, by image id): the same image is not pushed
 * again, another one is overwritten only with `force`. The registry-qualified
 * name is a local tag too: one held by an image package-image did not make
 * here is never moved (pulled over or retagged) without `force`.
 *
 * Several platforms (`platforms`): the images of one package on several
 * platforms are pushed each under `<tag>-<arch>` (`-amd64`, `-arm64`), then
 * one manifest list under the primary platform's plain tag names them (manifest.ts).
 */
import { logger } from '../../core/logger';
import {
  EngineError,
  foreignEnginePlatform,
  imageId,
  imageLabels,
  inspectImage,
  pullImage,
  pushImage,
  tagImage,
} from '../../container';
import { PackageImageError, tagHeldError, type ResolvedPackageImageOptions } from './options';
import { foreignHolder, PACKAGE_LABELS } from '../../image/package-plan';
import { archTag, manifestGroups, type PlatformImage } from '../../image/manifest-plan';
import { checkArchitectures, pushManifestList } from './manifest';

const NOT_IN_REGISTRY = /manifest unknown|not found|does not exist|no such/i;

/** Pushes every tested image, then, for a package with images of several platforms, its manifest list. */
export async function pushAll(
  o: ResolvedPackageImageOptions,
  images: PlatformImage[],
  workspace: string,
): Promise<string[]> {
  const { groups, ambiguous } = manifestGroups(images, o.platforms);
  for (const group of ambiguous)
    logger.warn(
      `nx-conda: ${group.map((i) => `${i.subdir}/${i.file}`).join(', ')} are one package on two platforms twice: ` +
        'no manifest list can choose between them; each image is pushed under its own tag only.',
    );
  const listed = new Set(groups.flatMap((g) => g.images));
  const remoteOf = (i: PlatformImage) => `${o.registry}/${listed.has(i) ? archTag(i.plainTag, i.platform) : i.tag}`;
  // An image of the wrong architecture would be pushed under another's name: checked before anything is pushed.
  if (groups.length) await checkArchitectures(o, groups);
  const { lines, inRegistry } = await pushTested(o, images, workspace, remoteOf);
  for (const group of groups) lines.push(await pushManifestList(o, group, remoteOf, inRegistry));
  return lines;
}

/** Pushes each tested image as `remoteOf` names it; says what happened, and which names the registry now holds. */
async function pushTested(
  o: ResolvedPackageImageOptions,
  images: PlatformImage[],
  workspace: string,
  remoteOf: (image: PlatformImage) => string,
): Promise<{ lines: string[]; inRegistry: Set<string> }> {
  const lines: string[] = [];
  const inRegistry = new Set<string>();
  const tls = { insecureRegistry: o.insecureRegistry };
  for (const image of images) {
    const remote = remoteOf(image);
    const labels = await imageLabels(o.engine, image.tag);
    if (labels?.get(PACKAGE_LABELS.tests) === 'skipped') {
      lines.push(`  ${remote}  not pushed: its tests were skipped`);
      continue;
    }
    const local = await imageId(o.engine, image.tag);
    if (!local) throw new PackageImageError(`${image.tag} is not in ${o.engine}: nothing to push`);
    const held = await inspectImage(o.engine, remote);
    const holder = held ? foreignHolder(held.labels, workspace, o.projectName) : undefined;
    if (held && holder && !o.force) throw tagHeldError(o, remote, held.id, holder);
    let there: string | undefined;
    try {
      // Another architecture's image is asked for as such (podman picks the host's from a list otherwise).
      await pullImage(o.engine, remote, { ...tls, platform: foreignEnginePlatform(image.platform) });
      there = await imageId(o.engine, remote);
    } catch (e) {
      if (!(e instanceof EngineError) || !NOT_IN_REGISTRY.test(e.message)) throw e;
    }
    if (there === local) {
      lines.push(`  ${remote}  already in the registry`);
      inRegistry.add(remote);
      continue;
    }
    if (there && !o.force) {
      // The pulled tag is put back on our image only when we push; leave the registry's copy named as it is.
      throw new PackageImageError(
        `${remote} exists in the registry with other content (${there}, ours is ${local}); not overwritten. Set force to replace it.`,
      );
    }
    await tagImage(o.engine, image.tag, remote);
    logger.info(`nx-conda: pushing ${remote}${there ? ' (force: replacing other content)' : ''}`);
    await pushImage(o.engine, remote, tls);
    lines.push(`  ${remote}  pushed`);
    inRegistry.add(remote);
  }
  return { lines, inRegistry };
}
