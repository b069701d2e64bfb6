/** The channels concern of recipe-build's options: the upstream channels and skipExisting, which looks in them. */
import { normalizeChannels } from '../../../channel/upstream';
import { OptionError } from '../../../core/errors';
import type { RecipeBuildOptions } from './types';

export interface ResolvedChannels {
  /** Upstream channels, after the staging channel, in priority order. */
  channels: string[];
  skipExisting: boolean;
}

export function resolveChannels(options: RecipeBuildOptions): ResolvedChannels {
  const channels = normalizeChannels(options.channels);
  if (options.skipExisting && channels.length === 0)
    throw new OptionError(
      'skipExisting',
      'skipExisting needs upstream channels to look in: set `channels` (plugin option or executor option).',
    );
  return { channels, skipExisting: options.skipExisting };
}
