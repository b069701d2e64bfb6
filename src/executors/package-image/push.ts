/**
 * Pushes the tested tags to a registry, as `<registry>/<namespace>/<name>:<version>--<build>`,
 * with the engine's own login. A tag the registry already holds is compared
 * first (pulled, by image id): the same image is not pushed again, another
 * one is overwritten only with `force`.
 */
import { logger } from '../../core/logger';
import { EngineError, imageId, imageLabels, pullImage, pushImage, tagImage } from '../../container';
import { PackageImageError, type ResolvedPackageImageOptions } from './options';
import { PACKAGE_LABELS, type PackageImage } from '../../image/package-plan';

const NOT_IN_REGISTRY = /manifest unknown|not found|does not exist|no such/i;

export async function pushTested(o: ResolvedPackageImageOptions, images: PackageImage[]): Promise<string[]> {
  const lines: string[] = [];
  for (const image of images) {
    const remote = `${o.registry}/${image.tag}`;
    const labels = await imageLabels(o.engine, image.tag);
    if (labels?.get(PACKAGE_LABELS.tests) === 'skipped') {
      lines.push(`  ${remote}  not pushed: its tests were skipped`);
      continue;
    }
    const local = await imageId(o.engine, image.tag);
    if (!local) throw new PackageImageError(`${image.tag} is not in ${o.engine}: nothing to push`);
    let there: string | undefined;
    try {
      await pullImage(o.engine, remote);
      there = await imageId(o.engine, remote);
    } catch (e) {
      if (!(e instanceof EngineError) || !NOT_IN_REGISTRY.test(e.message)) throw e;
    }
    if (there === local) {
      lines.push(`  ${remote}  already in the registry`);
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
    await pushImage(o.engine, remote, { tlsVerify: false });
    lines.push(`  ${remote}  pushed`);
  }
  return lines;
}
