import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { writeFileAtomic } from '../../core/atomic-write';
import { logger } from '../../core/logger';
import { IMAGE_IDENTITY_FILE, imageIdentityFolder, NX_CONDA_LABEL, type EngineName } from '../../core/defaults';
import {
  assertCanRun,
  buildImage,
  checkEngine,
  EngineError,
  imageId,
  imagePlatform,
  maskCredentials,
  pullImage,
} from '../../container';
import { runExecutor } from '../run-executor';
import {
  BUILDER_LABEL_VALUE,
  findProxySettings,
  proxyBuildArgs,
  resolveBuilderImage,
  resolveImageOptions,
} from '../../image';
import type { DockerImageExecutorSchema } from './schema';

/**
 * nx-conda:docker-image — builds the builder image when no image with its
 * hash tag exists (or when forced), and prints tag, id, built/reused, time.
 */
export default async function dockerImageExecutor(
  options: DockerImageExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  const started = Date.now();
  return runExecutor(async () => {
    const o = resolveImageOptions(options);
    // Reads the template and requirements files: a bad option fails before any engine call.
    resolveBuilderImage(options, context.root);
    // Another architecture needs an emulator: say what to install now, not `exec format error` from a RUN step.
    assertCanRun(o.platform);
    await checkEngine(o.engine);
    const baseImageId = await baseIdentity(o.engine, o.baseImage, o.enginePlatform);
    const spec = resolveBuilderImage(options, context.root, process.env, baseImageId);

    if (o.verbose) {
      logger.info(`Dockerfile for ${spec.tag}:\n${maskCredentials(spec.dockerfile)}`);
    }

    let id = o.force ? undefined : await imageId(o.engine, spec.tag);
    const reused = id !== undefined;
    if (!reused) {
      logger.info(`Building ${spec.tag} from ${spec.baseImage}${o.force ? ' (forced)' : ''}`);
      const contextDir = mkdtempSync(join(tmpdir(), 'nx-conda-image-'));
      try {
        writeFileSync(join(contextDir, 'Dockerfile'), spec.dockerfile, { mode: 0o600 });
        for (const [name, content] of Object.entries(spec.contextFiles)) {
          writeFileSync(join(contextDir, name), content, { mode: 0o600 });
        }
        await buildImage({
          engine: o.engine,
          contextDir,
          tags: [spec.tag],
          network: o.network,
          platform: o.enginePlatform,
          // Proxies as Docker's predefined build args: used by the build, never stored in the image.
          buildArgs: { ...proxyBuildArgs(findProxySettings(process.env)), ...o.buildArgs },
          labels: {
            [NX_CONDA_LABEL]: BUILDER_LABEL_VALUE,
            [`${NX_CONDA_LABEL}.hash`]: spec.hash,
          },
          noCache: o.force,
          verbose: o.verbose,
        });
      } finally {
        rmSync(contextDir, { recursive: true, force: true });
      }
      id = await imageId(o.engine, spec.tag);
      if (!id) throw new EngineError(`${o.engine} reported success but image ${spec.tag} is not there`);
    }
    if (context.projectName)
      writeIdentity(context.root, imageIdentityFolder(context.projectName, options.platform || undefined), {
        tag: spec.tag,
        id: id ?? '',
        baseImage: spec.baseImage,
        baseImageId,
        platform: o.platform,
      });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    logger.info(`${reused ? 'Reused' : 'Built'} ${spec.tag} (${id}) in ${seconds} s`);
  });
}

/**
 * The base image's id in the engine, pulled first when the engine does not
 * have it. For another architecture (`platform`), the local image must be of
 * it: the engine keeps one image per tag, so a multi-architecture base
 * pulled for the host is pulled again for `platform`.
 */
async function baseIdentity(engine: EngineName, baseImage: string, platform?: string): Promise<string> {
  const present = await imageId(engine, baseImage);
  if (present && (!platform || (await imagePlatform(engine, baseImage)) === platform)) return present;
  logger.info(`Pulling base image ${baseImage}${platform ? ` for ${platform}` : ''}`);
  await pullImage(engine, baseImage, { platform });
  const pulled = await imageId(engine, baseImage);
  if (!pulled) throw new EngineError(`${engine} pulled ${baseImage} but has no image of that name`);
  const pulledPlatform = platform && (await imagePlatform(engine, baseImage));
  if (platform && pulledPlatform !== platform)
    throw new EngineError(
      `base image ${baseImage} is ${pulledPlatform}, not ${platform}: give this platform's docker-image target a baseImage built for ${platform} (a tag per architecture, or a multi-architecture image in a registry).`,
    );
  return pulled;
}

/**
 * The image's identity, in this target's output folder: build-recipe hashes
 * it, so builds follow the image itself, not just the files that describe it.
 * Written atomically: a reader never sees half of it.
 */
function writeIdentity(root: string, folder: string, identity: Record<string, string>): void {
  const file = join(root, folder, IMAGE_IDENTITY_FILE);
  writeFileAtomic(file, `${JSON.stringify(identity, null, 2)}\n`, { sync: false, trustedFolder: true });
}
