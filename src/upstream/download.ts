/**
 * A source archive downloaded and hashed as it streams (never kept), checked
 * against what its upstream announced (size, sha256); each URL once per run.
 */
import { createHash } from 'node:crypto';
import type { UpstreamHttp } from './http';
import { UpstreamError } from './errors';
import type { Announced } from './releases';

export interface SourceHashes {
  /** The URL that served it (the first of a source's mirrors that did). */
  url: string;
  size: number;
  sha256: string;
  md5: string;
  sha1: string;
}

export class SourceDownloads {
  private readonly done = new Map<string, Promise<Omit<SourceHashes, 'url'>>>();

  constructor(private readonly http: UpstreamHttp) {}

  /** Hashes of the first of `urls` that downloads; every failure named when none does. */
  async hashFirst(urls: string[], announcedOf: (url: string) => Announced | undefined): Promise<SourceHashes> {
    const failures: string[] = [];
    for (const url of urls) {
      try {
        const hashes = await this.hash(url);
        const announced = announcedOf(url);
        if (announced?.size !== undefined && announced.size !== hashes.size)
          throw new UpstreamError(
            `${url}: downloaded ${hashes.size} bytes, but the upstream announces ${announced.size}; not taken.`,
          );
        if (announced?.sha256 !== undefined && announced.sha256 !== hashes.sha256)
          throw new UpstreamError(
            `${url}: the download's sha256 is ${hashes.sha256}, but the upstream announces ${announced.sha256}; not taken.`,
          );
        return { url, ...hashes };
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
    throw new UpstreamError(
      urls.length === 1 ? failures[0] : `no mirror of the source could be downloaded:\n  ${failures.join('\n  ')}`,
    );
  }

  private hash(url: string): Promise<Omit<SourceHashes, 'url'>> {
    let pending = this.done.get(url);
    if (!pending) {
      pending = (async () => {
        const sha256 = createHash('sha256');
        const md5 = createHash('md5');
        const sha1 = createHash('sha1');
        const size = await this.http.download(url, (chunk) => {
          sha256.update(chunk);
          md5.update(chunk);
          sha1.update(chunk);
        });
        return { size, sha256: sha256.digest('hex'), md5: md5.digest('hex'), sha1: sha1.digest('hex') };
      })();
      this.done.set(url, pending);
    }
    return pending;
  }
}

/** The most of an archive a recipe draft reads its metadata from; a larger one is hashed only. */
export const MAX_ARCHIVE_READ = 64 * 1024 * 1024;

/**
 * One archive downloaded for a new recipe: its sha256 as it streamed, and the
 * archive itself when it fits MAX_ARCHIVE_READ (undefined otherwise: a draft
 * then reads nothing from it).
 */
export async function downloadForDraft(http: UpstreamHttp, url: string): Promise<{ sha256: string; archive?: Buffer }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const sha = createHash('sha256');
  await http.download(url, (chunk) => {
    sha.update(chunk);
    size += chunk.length;
    if (size <= MAX_ARCHIVE_READ) chunks.push(chunk);
  });
  return { sha256: sha.digest('hex'), ...(size <= MAX_ARCHIVE_READ ? { archive: Buffer.concat(chunks) } : {}) };
}
