import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../core/logger';
import { EXECUTORS, NX_CONDA_LABEL, type EngineName } from '../../core/defaults';
import {
  checkEngine,
  describeLeftovers,
  imageLabels,
  listImages,
  OWNER_LABELS,
  removeImage,
  removeLeftovers,
  workspaceId,
} from '../../container';
import { isOurPackageRef, PACKAGE_LABEL_VALUE, PACKAGE_LABELS } from '../../image/package-plan';
import { BUILDER_LABEL_VALUE, builderImageTagOf } from '../../image';
import { UserError } from '../../core/errors';
import { runExecutor } from '../run-executor';
import { planPurge } from './purge-plan';
import type { PurgeImageExecutorSchema } from './schema';

/** The docker-image targets `<target>-<platform>` of `project` (one per extra platform). */
function platformImageTargets(context: ExecutorContext, project: string, target: string): string[] {
  const targets = context.projectGraph?.nodes[project]?.data.targets ?? {};
  return Object.entries(targets)
    .filter(([name, config]) => name.startsWith(`${target}-`) && config.executor === EXECUTORS.dockerImage)
    .map(([name]) => name);
}

/**
 * nx-conda:purge-image — removes the images nx-conda makes: the package
 * images of package-image (by label: this workspace, and a project, a
 * package spec or a name when given; never another image of that
 * repository), the builder image of an image project (by its hash tag) and
 * every builder image (by label); also images given by ref; with
 * `containers`, every container of this workspace. Already gone is a warning; an engine
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
      // The builder images of the other platforms: `<target>-<platform>` targets of the same project.
      for (const other of platformImageTargets(context, project, target)) {
        try {
          refs.push(await builderImageTagOf(context.projectGraph, context.root, project, other, plan.engine));
        } catch (error) {
          logger.warn(`${project}:${other}: ${(error as Error).message}`);
        }
      }
    }
    let gone = 0;
    // Package images: only those package-image made in this workspace (labels), whatever the repository holds besides.
    const workspace = workspaceId(context.root);
    const ours = [`${NX_CONDA_LABEL}=${PACKAGE_LABEL_VALUE}`, `${OWNER_LABELS.workspace}=${workspace}`];
    for (const ref of plan.packageRefs) {
      const labels = await imageLabels(plan.engine, ref);
      if (!labels) {
        logger.warn(`${ref}: already gone`);
        gone++;
      } else if (isOurPackageRef(ref, labels, workspace)) refs.push(ref);
      else logger.warn(`${ref}: not made by package-image in this workspace; left alone`);
    }
    for (const repository of plan.repositories) {
      const found = await ourPackageRefs(
        plan.engine,
        await listImages(plan.engine, { reference: repository, label: ours }),
        workspace,
      );
      if (found.length === 0) {
        logger.warn(`no image of ${repository} made by package-image in this workspace: already gone`);
        gone++;
      }
      refs.push(...found);
    }
    if (plan.packageImages) {
      const project = 'project' in plan.packageImages ? plan.packageImages.project : undefined;
      const label = project ? [...ours, `${PACKAGE_LABELS.project}=${project}`] : ours;
      const found = await ourPackageRefs(plan.engine, await listImages(plan.engine, { label }), workspace, project);
      if (found.length === 0) logger.info(`no package image${project ? ` of ${project}` : ''} made in this workspace`);
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

/** The refs (from a label-filtered listing) that are names package-image gave (label and tag form). */
async function ourPackageRefs(
  engine: EngineName,
  refs: string[],
  workspace: string,
  project?: string,
): Promise<string[]> {
  const kept: string[] = [];
  for (const ref of refs) {
    if (isOurPackageRef(ref, await imageLabels(engine, ref), workspace, project)) kept.push(ref);
    else logger.warn(`${ref}: carries nx-conda's labels but is not a name package-image gave; left alone`);
  }
  return kept;
}
