/**
 * Publishing a channel folder (dist/channel) to a destination: a folder
 * (a path or file:// URL: a mounted share) or an S3-compatible bucket
 * (s3://bucket/prefix). Packages first, then each subdir's repodata.json, so
 * a reader never sees a record whose file is missing. Only new packages are
 * written; one that exists there with other content is a conflict, never
 * overwritten, and any conflict stops the publish before anything is written.
 * The destination's index keeps the records it had (packages published
 * before, from this machine or another); the local channel's are added.
 */
import { createHash } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors';
import {
  emptyRepodata,
  isValidPackageFile,
  readRepodata,
  repodataKey,
  SUBDIR_PATTERN,
  type Repodata,
} from './repodata';
import {
  digestRegularFile,
  ensureRealDir,
  isRealDir,
  kindOf,
  listEntries,
  pathExists,
  readRegularFile,
  UnsafeFileError,
  writeFileAtomic,
} from './safe-fs';
import { checkedRecord, checkPackageStat, DEFAULT_DATA_LIMITS, type DataLimits } from './package-check';
import { S3Client, type S3Config, parseS3Url } from './s3';

export class PublishError extends UserError {}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** One place a channel can be published to. Paths are `<subdir>/<file>`. */
export interface Destination {
  describe: string;
  /** The file's content, or undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>;
  /** Whether the file there has exactly this content (cheaply where the destination can tell); undefined when absent. */
  matches(path: string, content: Buffer): Promise<boolean | undefined>;
  /** Writes the file whole (a reader sees the old or the new content, never a part). */
  write(path: string, content: Buffer, contentType: string): Promise<void>;
}

/**
 * A folder (a mounted share): not ours, and possibly written by others, so
 * nothing in it is followed. Its subdirs must be real folders and its files
 * regular files, read with O_NOFOLLOW|O_NONBLOCK (a link to a credentials
 * file is refused, a FIFO cannot block) and written through a temporary name
 * renamed into place (see safe-fs.ts). Errors name the file, never quote it.
 */
export class FolderDestination implements Destination {
  readonly describe: string;
  constructor(readonly dir: string) {
    this.describe = dir;
  }
  /** `<subdir>/<file>` inside the folder, after checking that the subdir, if there, is a real folder. */
  private place(path: string): string {
    const target = join(this.dir, path);
    const parent = dirname(target);
    if (pathExists(parent) && !isRealDir(parent))
      throw new PublishError(
        `${parent} is a ${kindOf(lstatSync(parent))}, not a folder: refused (publishing there); nothing was read or written through it. ` +
          'Replace it with a real folder.',
      );
    return target;
  }
  private regular(path: string): Stats | undefined {
    const target = this.place(path);
    const stat = lstatOrUndefined(target);
    if (stat && !stat.isFile())
      throw new PublishError(
        `${target} is a ${kindOf(stat)}, not a regular file: refused (publishing there); nothing was read or written through it. ` +
          'Remove it from the destination.',
      );
    return stat;
  }
  async read(path: string): Promise<Buffer | undefined> {
    this.regular(path);
    try {
      return readRegularFile(join(this.dir, path), 'publishing there');
    } catch (e) {
      if (e instanceof UnsafeFileError) throw new PublishError(`${join(this.dir, path)}: changed while read; refused.`);
      throw new PublishError(`cannot read ${join(this.dir, path)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  async matches(path: string, content: Buffer): Promise<boolean | undefined> {
    const stat = this.regular(path);
    if (!stat) return undefined;
    if (stat.size !== content.length) return false;
    return (await this.read(path))?.equals(content);
  }
  async write(path: string, content: Buffer): Promise<void> {
    const target = this.place(path);
    try {
      ensureRealDir(dirname(target));
      writeFileAtomic(target, content);
    } catch (e) {
      throw new PublishError(`cannot write ${target}: ${(e as Error).message}`);
    }
  }
}

export class S3Destination implements Destination {
  readonly describe: string;
  private readonly client: S3Client;
  constructor(url: string, config: S3Config) {
    this.client = new S3Client(config, parseS3Url(url));
    this.describe = `s3://${this.client.location.bucket}${this.client.location.prefix ? `/${this.client.location.prefix}` : ''}${config.endpoint ? ` (${config.endpoint})` : ''}`;
  }
  async read(path: string): Promise<Buffer | undefined> {
    const response = await this.client.request('GET', path);
    if (response.status === 404 && !/NoSuchBucket/.test(response.body.toString('utf8'))) return undefined;
    if (response.status !== 200) this.client.fail('GET', path, response);
    return response.body;
  }
  async matches(path: string, content: Buffer): Promise<boolean | undefined> {
    const response = await this.client.request('HEAD', path);
    if (response.status === 404) return undefined;
    if (response.status !== 200) this.client.fail('HEAD', path, response);
    if (Number(response.headers.get('content-length')) !== content.length) return false;
    const etag = (response.headers.get('etag') ?? '').replace(/"/g, '');
    // A single-part upload's ETag is the MD5 of its content; a multipart one's is not: compare the bytes.
    if (/^[0-9a-f]{32}$/.test(etag)) return etag === createHash('md5').update(content).digest('hex');
    return (await this.read(path))?.equals(content) ?? false;
  }
  async write(path: string, content: Buffer, contentType: string): Promise<void> {
    const response = await this.client.request('PUT', path, content, contentType);
    if (response.status !== 200) this.client.fail('PUT', path, response);
  }
}

/** The destination of a `destination` option: s3://..., file://... or a path (relative to `root`). */
export function destinationOf(destination: string, root: string, s3: () => S3Config): Destination {
  if (!destination)
    throw new PublishError(
      'publish needs a destination: a folder, a file:// URL or s3://bucket/prefix (the `destination` option).',
    );
  if (destination.startsWith('s3://')) return new S3Destination(destination, s3());
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(destination) && !destination.startsWith('file://')) {
    throw new PublishError(`destination ${destination}: only folders, file:// URLs and s3:// buckets are supported.`);
  }
  return new FolderDestination(
    destination.startsWith('file://') ? fileURLToPath(destination) : resolve(root, destination),
  );
}

export interface PublishPlan {
  /** Packages to write (absent at the destination). */
  upload: string[];
  /** Packages already there with the same content. */
  present: string[];
  /** repodata.json files whose content changes. */
  indexes: string[];
}

interface LocalSubdir {
  subdir: string;
  index: Repodata;
  packages: string[];
}

function localChannel(channelDir: string, limits: DataLimits): LocalSubdir[] {
  if (!isRealDir(channelDir))
    throw new PublishError(`channel folder ${channelDir} does not exist; run the channel target first.`);
  const subdirs: LocalSubdir[] = [];
  for (const { name: subdir, stat } of listEntries(channelDir)) {
    if (!stat.isDirectory() || !SUBDIR_PATTERN.test(subdir)) continue;
    const index = readRepodata(join(channelDir, subdir), subdir, limits.maxIndexBytes);
    const packages = [...Object.keys(index.packages), ...Object.keys(index['packages.conda'])]
      .filter(isValidPackageFile)
      .sort();
    const present = new Map(
      listEntries(join(channelDir, subdir))
        .filter((e) => e.stat.isFile())
        .map((e) => [e.name, e.stat]),
    );
    for (const file of packages) {
      const stat = present.get(file);
      if (!stat) {
        throw new PublishError(
          `${join(channelDir, subdir, 'repodata.json')} lists ${file}, which is not in the folder; run the channel target again.`,
        );
      }
      // What is published is what the file is: its record is checked against it, and rebuilt.
      const path = join(channelDir, subdir, file);
      checkPackageStat(path, stat, limits);
      const facts = digestRegularFile(path, 'publishing it');
      if (!facts) throw new PublishError(`${path} is gone; run the channel target again.`);
      const key = repodataKey(file);
      index[key][file] = checkedRecord(index[key][file], `${subdir}/${file}`, file, subdir, facts);
    }
    // Records of files that are not packages are not published.
    for (const key of ['packages', 'packages.conda'] as const)
      for (const file of Object.keys(index[key])) if (!isValidPackageFile(file)) delete index[key][file];
    subdirs.push({ subdir, index, packages });
  }
  if (!subdirs.some((s) => s.subdir === 'noarch'))
    throw new PublishError(
      `${channelDir} has no noarch/repodata.json: it is not a channel; run the channel target first.`,
    );
  return subdirs;
}

/** A package of the local channel, read without following links (listed as a regular file above, it must still be one). */
function readPackage(channelDir: string, path: string, limits: DataLimits): Buffer {
  const content = readRegularFile(join(channelDir, path), 'publishing it', limits.maxPackageBytes);
  if (!content) throw new PublishError(`${join(channelDir, path)} is gone; run the channel target again.`);
  return content;
}

function parseRemoteIndex(content: Buffer | undefined, subdir: string, where: string): Repodata {
  if (!content) return emptyRepodata(subdir);
  try {
    const parsed = JSON.parse(content.toString('utf8'));
    return {
      ...emptyRepodata(subdir),
      ...parsed,
      packages: { ...(parsed.packages ?? {}) },
      'packages.conda': { ...(parsed['packages.conda'] ?? {}) },
    };
  } catch {
    // Never the parser's message: it quotes the file's first bytes (a link to a credentials file would show them).
    throw new PublishError(`${where} is not JSON; fix or remove it before publishing there.`);
  }
}

/**
 * Publishes `channelDir` to `destination`. With `dryRun`, only tells what
 * would change. `log` gets one line per file written (or to be written).
 */
export async function publishChannel(
  channelDir: string,
  destination: Destination,
  options: { dryRun?: boolean; log: (line: string) => void; limits?: DataLimits },
): Promise<PublishPlan> {
  const limits = options.limits ?? DEFAULT_DATA_LIMITS;
  const local = localChannel(channelDir, limits);
  const plan: PublishPlan = { upload: [], present: [], indexes: [] };
  const conflicts: string[] = [];
  for (const { subdir, packages } of local) {
    for (const file of packages) {
      const path = `${subdir}/${file}`;
      const same = await destination.matches(path, readPackage(channelDir, path, limits));
      if (same === undefined) plan.upload.push(path);
      else if (same) plan.present.push(path);
      else conflicts.push(path);
    }
  }
  if (conflicts.length) {
    throw new PublishError(
      `${destination.describe} already has ${conflicts.join(', ')} with other content; a published package is never overwritten ` +
        '(bump the build number and rebuild). Nothing was published.',
    );
  }

  const indexes: { path: string; content: Buffer }[] = [];
  for (const { subdir, index } of local) {
    const path = `${subdir}/repodata.json`;
    const before = await destination.read(path);
    const merged = parseRemoteIndex(before, subdir, `${destination.describe}/${path}`);
    for (const key of ['packages', 'packages.conda'] as const) Object.assign(merged[key], index[key]);
    merged.info = { ...(merged.info ?? {}), subdir };
    merged.repodata_version = 1;
    const content = Buffer.from(JSON.stringify(merged, null, 1) + '\n');
    if (!before || !before.equals(content)) {
      indexes.push({ path, content });
      plan.indexes.push(path);
    }
  }

  const verb = options.dryRun ? 'would write' : 'wrote';
  for (const path of plan.upload) {
    const file = path.slice(path.indexOf('/') + 1);
    if (!options.dryRun)
      await destination.write(
        path,
        readPackage(channelDir, path, limits),
        file.endsWith('.conda') ? 'application/octet-stream' : 'application/x-bzip2',
      );
    options.log(`${verb} ${path}`);
  }
  // The indexes last: every record they add points to a file already there.
  for (const { path, content } of indexes) {
    if (!options.dryRun) await destination.write(path, content, 'application/json');
    options.log(`${verb} ${path}`);
  }
  return plan;
}
