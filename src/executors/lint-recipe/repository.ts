/**
 * The repository checks' view of the channels: the same cached, bounded
 * repodata indexes as skipExisting (one fetch per channel and subdir per
 * Nx run), looked up by package name.
 */
import { normalizeChannels } from '../../channel/upstream';
import { upstreamIndex, type FetchOptions, type SubdirIndex } from '../../channel/repodata-cache';
import type { RepositoryLookup } from '../../lint/types';

export function repositoryLookup(
  channels: string[],
  otherChannels: string[],
  platform: string,
  options: FetchOptions,
): RepositoryLookup {
  const upstream = normalizeChannels(channels);
  const others = normalizeChannels(otherChannels, 'lintOtherChannels');
  const subdirs = platform === 'noarch' ? ['noarch'] : [platform, 'noarch'];
  const loaded = new Map<string, Promise<SubdirIndex[]>>();
  const indexesOf = (channel: string) => {
    let p = loaded.get(channel);
    if (!p) loaded.set(channel, (p = Promise.all(subdirs.map((s) => upstreamIndex(channel, s, options)))));
    return p;
  };
  const entriesIn = async (channel: string, name: string) => {
    const out: string[] = [];
    for (const index of await indexesOf(channel))
      if (Object.prototype.hasOwnProperty.call(index.index, name)) out.push(...index.index[name]);
    return out;
  };
  return {
    async published(name) {
      if (upstream.length === 0) return undefined;
      const all: string[] = [];
      for (const c of upstream) all.push(...(await entriesIn(c, name)));
      return all;
    },
    async otherChannelsWith(name) {
      const found: string[] = [];
      for (const c of others) if ((await entriesIn(c, name)).length) found.push(c);
      return found;
    },
  };
}
