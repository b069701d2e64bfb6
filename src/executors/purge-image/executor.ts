import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../core/logger';
import { NX_CONDA_LABEL } from '../../core/defaults';
import { checkEngine, describeLeftovers, listImages, removeImage, removeLeftovers } from '../../container';
import { BUILDER_LABEL_VALUE, builderImageTagOf } from '../../image';
import { UserError } from '../../core/errors';
import { runExecutor } from '../run-executor';
import { planPurge } from './purge-plan';
import type { PurgeImageExecutorSchema } from './schema';

/**
 * nx-conda:purge-image — removes the images nx-conda makes: the builder
 * image of an image project (by its hash tag) and every builder image (by
 * label); also images given by ref, and bioconda's per-package images by
 * package spec or name (every tag); with `containers`, every container of
 * this workspace. Already gone is a warning; an engine
 * error fails the task (after trying the other images).
 */
export default async function purgeImageExecutor(
  options: PurgeImageExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    const plan = planPurge(options);
    await checkEngine(plan.engine);

    let removed = 0;
    const failures: string[] = [];
    if (plan.containers) {
      // Containers first: an image a container still uses cannot be removed.
      const found = await removeLeftovers(plan.engine, context.root, { all: true });
      if (found.containers.length > 0)
        logger.info(`removed this workspace's ${describeLeftovers(context.root, found)}`);
      else logger.info('no container of this workspace');
      removed += found.containers.length;
      failures.push(...found.failures);
    }

    const refs = [...plan.refs];
    if (plan.builderImageOf) {
      const { project, target } = plan.builderImageOf;
      refs.push(await builderImageTagOf(context.projectGraph, context.root, project, target, plan.engine));
    }
    let gone = 0;
    for (const repository of plan.repositories) {
      const found = await listImages(plan.engine, { reference: repository });
      if (found.length === 0) {
        logger.warn(`no image of ${repository}: already gone`);
        gone++;
      }
      refs.push(...found);
    }
    if (plan.builderImages) {
      const found = await listImages(plan.engine, { label: `${NX_CONDA_LABEL}=${BUILDER_LABEL_VALUE}` });
      if (found.length === 0) logger.warn(`no builder image (label ${NX_CONDA_LABEL}=${BUILDER_LABEL_VALUE})`);
      refs.push(...found);
    }

    for (const ref of [...new Set(refs)]) {
      try {
        const outcome = await removeImage(plan.engine, ref, { force: plan.force });
        if (outcome === 'removed') {
          removed++;
          logger.info(`removed ${ref}`);
        } else {
          gone++;
          logger.warn(`${ref}: already gone`);
        }
      } catch (e) {
        failures.push(`${ref}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const summary = `removed ${removed}, already gone ${gone}${failures.length ? `, failed ${failures.length}` : ''}`;
    if (failures.length > 0) {
      for (const f of failures) logger.error(f);
      throw new UserError(summary);
    }
    logger.info(summary);
  });
}
