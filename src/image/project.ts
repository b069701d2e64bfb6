import type { ProjectGraph } from '@nx/devkit';
import { imageId, type EngineName } from '../container';
import { ImageSpecError, resolveBuilderImage, resolveImageOptions } from './spec';

/**
 * The tag of the builder image that `project`'s `target` (a docker-image
 * target) makes, from that target's options in the project graph and the id
 * of its base image in the engine (the tag covers it, as docker-image
 * computes it). Used by recipe-build (the image to build in) and
 * purge-image (the image to remove).
 */
export async function builderImageTagOf(
  graph: ProjectGraph,
  workspaceRoot: string,
  project: string,
  target: string,
  engine: EngineName,
): Promise<string> {
  const targetConfig = graph.nodes[project]?.data.targets?.[target];
  if (!targetConfig) {
    throw new ImageSpecError(
      `imageProject ${project} has no ${target} target; create it with \`nx g nx-conda:init\` or set \`image\` instead.`,
    );
  }
  const { baseImage } = resolveImageOptions(targetConfig.options ?? {});
  const baseImageId = await imageId(engine, baseImage);
  if (!baseImageId) {
    throw new ImageSpecError(
      `The base image ${baseImage} of ${project}:${target} is not in ${engine}, so the builder image's tag cannot be computed. ` +
        `Build the builder image with \`nx run ${project}:${target}\`.`,
    );
  }
  return resolveBuilderImage(targetConfig.options ?? {}, workspaceRoot, process.env, baseImageId).tag;
}
