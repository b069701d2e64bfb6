/**
 * Upstream channels: the channels a build searches after its staging channel
 * (plugin option `channels`, executor option `channels`), in priority order.
 */
import { OptionError } from '../core/errors';

/** A channel name as conda takes it (`conda-forge`, `bioconda`, `my-org/label/dev`). */
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9_.-]+)*$/;
/** A channel URL: http(s), file or s3, with a non-empty rest. */
const CHANNEL_URL = /^(https?|file|s3):\/\/\S+$/;

/** A `channels` option (plugin or executor) that is not a list of channel names or URLs. */
export class ChannelOptionError extends OptionError {}

/**
 * The `channels` option checked and normalized (trailing slashes dropped,
 * duplicates removed, order kept). Throws a ChannelOptionError naming the
 * bad entry.
 */
export function normalizeChannels(channels: unknown, option = 'channels'): string[] {
  if (channels === undefined || channels === null) return [];
  // From the command line (`--channels=a,b`) a list arrives as one string.
  if (typeof channels === 'string')
    channels = channels
      .split(',')
      .filter((c) => c.trim() !== '')
      .map((c) => c.trim());
  if (!Array.isArray(channels))
    throw new ChannelOptionError(
      option,
      `${option} must be a list of channel names or URLs, got ${JSON.stringify(channels)}.`,
    );
  const out: string[] = [];
  for (const entry of channels) {
    if (typeof entry !== 'string' || !(CHANNEL_NAME.test(entry) || CHANNEL_URL.test(entry))) {
      throw new ChannelOptionError(
        option,
        `${option}: ${JSON.stringify(entry)} is not a channel name (conda-forge, my-org/label/dev) nor a URL (https://..., file://..., s3://...).`,
      );
    }
    const channel = entry.replace(/\/+$/, '');
    if (!out.includes(channel)) out.push(channel);
  }
  return out;
}

/** Where conda looks for a channel name: anaconda.org's channel URL, as conda's default channel_alias does. */
export const DEFAULT_CHANNEL_ALIAS = 'https://conda.anaconda.org';

/** The base URL of a channel (a name is resolved against `channelAlias`). */
export function channelUrl(channel: string, channelAlias = DEFAULT_CHANNEL_ALIAS): string {
  if (CHANNEL_URL.test(channel)) return channel.replace(/\/+$/, '');
  return `${channelAlias.replace(/\/+$/, '')}/${channel}`;
}
