import type { ExecutorContext } from '@nx/devkit';
import { DEFAULT_CHANNEL_PATH } from '../../core/defaults';
import { logger } from '../../core/logger';
import { relative, resolve } from 'node:path';
import { destinationOf, publishChannel } from '../../channel/publish';
import { s3Config } from '../../channel/s3';
import { dataLimits } from '../../channel/package-check';
import { maskCredentials } from '../../container';
import { runExecutor } from '../run-executor';
import type { PublishExecutorSchema } from './schema';

export default async function publishExecutor(
  options: PublishExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return runExecutor(async () => {
    const channelDir = resolve(context.root, options.channelPath || DEFAULT_CHANNEL_PATH);
    const destination = destinationOf(options.destination ?? '', context.root, () =>
      s3Config({ region: options.region, endpoint: options.endpoint }),
    );
    // Nx hands `--dry-run` over as dryRun; accept the kebab form too.
    const dryRun = options.dryRun ?? (options as Record<string, unknown>)['dry-run'] === true;
    const where = maskCredentials(destination.describe);
    const plan = await publishChannel(channelDir, destination, {
      dryRun,
      log: (line) => logger.info(`  ${line}`),
      limits: dataLimits(options),
    });
    logger.info(
      `nx-conda: ${dryRun ? 'dry run: would publish' : 'published'} ${relative(context.root, channelDir)} to ${where}: ` +
        `${plan.upload.length} new package(s), ${plan.present.length} already there, ${plan.indexes.length} index file(s) ${dryRun ? 'to update' : 'updated'}`,
    );
  });
}
