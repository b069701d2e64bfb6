import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger, type ExecutorContext } from '@nx/devkit';
import { NX_CONDA_LABEL } from '../../defaults';
import { buildImage, checkEngine, EngineError, imageId, maskCredentials } from '../../container';
import { runExecutor } from '../run-executor';
import { BUILDER_LABEL_VALUE, findProxySettings, proxyBuildArgs, resolveBuilderImage, resolveImageOptions } from '../../image';
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
    const spec = resolveBuilderImage(options, context.root);
    await checkEngine(o.engine);

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
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    logger.info(`${reused ? 'Reused' : 'Built'} ${spec.tag} (${id}) in ${seconds} s`);
  });
}
