/**
 * Filling the cache after a build, by nx-conda's host process only: the
 * packages the build's own (writable, throw-away) cache names are looked up
 * in the records of the build's upstream channels; a package enters only
 * when its file matches a record's size and sha256 (taken from the build's
 * cache when a copy there matches, else downloaded again from the channel),
 * once extracted by a trusted extractor and checked against its own
 * info/paths.json. Each entry is written in a temporary folder and renamed
 * into place: a concurrent filler never sees, nor leaves, half of one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { channelUrl } from '../upstream';
import { boundedRequest } from '../http';
import { copyRegularFile, digestRegularFile, readRegularFile } from '../safe-fs';
import {
  channelKey,
  ENTRY_MARKER,
  entryName,
  parseMarker,
  RATTLER_LOCK,
  rattlerLock,
  repodataRecord,
  TEMP_FOLDER,
  type EntryMarker,
} from './layout';
import { hasCredential, subdirRecordsOnce, type SubdirRecords, type VerifiableRecord } from './records';
import { markUsed } from './store';
import { checkPathsJson, checkTree } from './tree';

/** One verified package file to extract into an empty folder. */
export interface ExtractJob {
  file: string;
  outDir: string;
}

/**
 * Extracts verified package files, each into its empty folder (a trusted
 * extractor: no recipe code), all at once: one container start per fill,
 * not one per package. A job that fails leaves its folder incomplete (the
 * checks after it refuse it); a failure of the whole extractor throws.
 */
export type Extractor = (jobs: ExtractJob[]) => Promise<void>;

/** Downloads at once in one fill (a builder downloads in parallel too). */
export const PARALLEL_DOWNLOADS = 6;

export interface FillRequest {
  root: string;
  /** The build's upstream channels (names or URLs), in priority order. */
  channels: string[];
  /** The subdirs the build used: its platform and noarch. */
  subdirs: string[];
  /** Entry names (`name-version-build`) the build's own cache holds. */
  wanted: string[];
  /** Package files found in the build's own cache (untrusted: used only when they match a record), by file name. */
  localFiles: Map<string, string>;
  extract: Extractor;
  memo: Map<string, Promise<SubdirRecords>>;
  /** Bounds of one package: its file, and once extracted. */
  maxPackageBytes: number;
  maxExtractedBytes: number;
}

export interface FillReport {
  added: string[];
  alreadyThere: string[];
  /** Why a wanted package did not enter (not upstream, a mismatch, an extraction failure). */
  skipped: { name: string; why: string }[];
  /** Set when the disk filled up: the fill stopped there. */
  diskFull?: boolean;
}

interface Found {
  base: string;
  subdir: string;
  fn: string;
  record: VerifiableRecord;
}

/** The first record of `name` in the channels, preferring a file the build's cache has a copy of. */
async function findRecord(request: FillRequest, bases: string[], name: string): Promise<Found | undefined> {
  for (const base of bases) {
    for (const subdir of request.subdirs) {
      const records = await subdirRecordsOnce(request.memo, base, subdir);
      const candidates = [`${name}.conda`, `${name}.tar.bz2`]
        .map((fn) => ({ fn, record: records.get(fn) }))
        .filter((c): c is { fn: string; record: VerifiableRecord } => c.record !== undefined);
      const local = candidates.find((c) => request.localFiles.has(c.fn));
      const chosen = local ?? candidates[0];
      if (chosen) return { base, subdir, ...chosen };
    }
  }
  return undefined;
}

/** Downloads `url` into `file`, at most `size` bytes. */
async function download(url: string, file: string, size: number): Promise<void> {
  const fd = openSync(file, 'wx', 0o600);
  try {
    const response = await boundedRequest(
      {
        url,
        headers: { 'User-Agent': 'nx-conda', 'Accept-Encoding': 'identity' },
        shown: url,
        sink: (chunk) => {
          let offset = 0;
          while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
        },
      },
      { maxBytes: size, maxDecodedBytes: size, idleMs: 60_000, deadline: Date.now() + 30 * 60_000 },
    );
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  } finally {
    closeSync(fd);
  }
}

/** The package file in `work`, matching the record: the build's copy when it matches, else a fresh download. */
async function verifiedFile(request: FillRequest, found: Found, work: string): Promise<string> {
  const file = join(work, found.fn);
  const local = request.localFiles.get(found.fn);
  if (local) {
    try {
      copyRegularFile(local, file, 'copying a package from the build cache', { sync: false });
      const got = digestRegularFile(file);
      if (got && got.size === found.record.size && got.sha256 === found.record.sha256) return file;
    } catch {
      // not a regular file, vanished: download instead
    }
    rmSync(file, { force: true });
  }
  const url = `${found.base}/${found.subdir}/${found.fn}`;
  if (url.startsWith('file://'))
    copyRegularFile(fileURLToPath(url), file, 'copying a package from a local channel', { sync: false });
  else await download(url, file, found.record.size);
  const got = digestRegularFile(file);
  if (!got || got.size !== found.record.size || got.sha256 !== found.record.sha256)
    throw new Error(`the download of ${found.fn} does not match its record's size and sha256`);
  return file;
}

function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A package to add: its record, and its folder in the fill's work folder (the file, then `entry/`). */
interface Job {
  name: string;
  found: Found;
  dir: string;
  file?: string;
}

/** Runs `work` on each item, at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Checks an extracted package and renames it into place as an entry; false when another filler put it there first. */
function placeEntry(request: FillRequest, job: Job): boolean {
  const { found, name } = job;
  const entry = join(job.dir, 'entry');
  const bytes = checkTree(entry, { maxBytes: request.maxExtractedBytes, maxEntries: 1_000_000 });
  checkPathsJson(entry);
  writeFileSync(
    join(entry, 'info', 'repodata_record.json'),
    JSON.stringify(repodataRecord(found.record.raw, found.base, found.subdir, found.fn), null, 2),
  );
  writeFileSync(join(entry, RATTLER_LOCK), rattlerLock(found.record.sha256));
  const marker: EntryMarker = {
    fn: found.fn,
    subdir: found.subdir,
    size: found.record.size,
    sha256: found.record.sha256,
    bytes,
  };
  writeFileSync(join(entry, ENTRY_MARKER), JSON.stringify(marker));
  const channelDir = join(request.root, channelKey(found.base));
  mkdirSync(channelDir, { recursive: true });
  writeFileSync(join(channelDir, 'urls.txt'), '', { flag: 'a' });
  try {
    renameSync(entry, join(channelDir, name));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  }
  return true;
}

/**
 * Adds the jobs' packages: downloads and checks their files (a few at
 * once) and, while the others download, extracts those already there with
 * one extractor call per batch (a call takes whatever finished meanwhile),
 * checks each and renames it into place. So the fill takes about as long
 * as its downloads, as a builder's own streaming download and extraction
 * does. Fills `report`; returns false when the disk filled up.
 */
async function addEntries(request: FillRequest, jobs: Job[], report: FillReport): Promise<boolean> {
  const work = join(request.root, TEMP_FOLDER, `fill-${randomBytes(8).toString('hex')}`);
  mkdirSync(work, { recursive: true });
  const skip = (job: Job, e: unknown) => report.skipped.push({ name: job.name, why: (e as Error).message });
  let diskFull = false;
  const downloaded: Job[] = [];
  let downloading = true;
  let wake: (() => void) | undefined;
  const woken = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const extracting = (async () => {
    while (!diskFull) {
      if (downloaded.length === 0) {
        if (!downloading) return;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (!(await extractAndPlace(request, downloaded.splice(0), report, skip))) diskFull = true;
    }
  })();
  try {
    jobs.forEach((job, i) => (job.dir = join(work, String(i))));
    try {
      await eachLimited(jobs, PARALLEL_DOWNLOADS, async (job) => {
        if (diskFull) return;
        try {
          mkdirSync(job.dir);
          job.file = await verifiedFile(request, job.found, job.dir);
          mkdirSync(join(job.dir, 'entry'));
          downloaded.push(job);
          woken();
        } catch (e) {
          if (isDiskFull(e)) diskFull = true;
          else skip(job, e);
        }
      });
    } finally {
      downloading = false;
      woken();
      await extracting;
    }
    return !diskFull;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Extracts a batch of verified files, checks each entry and renames it into place; false when the disk is full. */
async function extractAndPlace(
  request: FillRequest,
  batch: Job[],
  report: FillReport,
  skip: (job: Job, e: unknown) => void,
): Promise<boolean> {
  try {
    await request.extract(batch.map((job) => ({ file: job.file as string, outDir: join(job.dir, 'entry') })));
  } catch (e) {
    if (isDiskFull(e)) return false;
    for (const job of batch) skip(job, e);
    return true;
  }
  for (const job of batch) {
    try {
      rmSync(job.file as string, { force: true });
      if (placeEntry(request, job)) report.added.push(job.name);
      else report.alreadyThere.push(job.name);
    } catch (e) {
      if (isDiskFull(e)) return false;
      skip(job, e);
    }
  }
  return true;
}

/** Fills the cache with what the build needed from its upstream channels; never throws for one package. */
export async function fillPackageCache(request: FillRequest): Promise<FillReport> {
  const report: FillReport = { added: [], alreadyThere: [], skipped: [] };
  const bases = request.channels
    .map((c) => channelUrl(c))
    .filter((b) => /^(https?|file):\/\//.test(b) && !hasCredential(b));
  const jobs: Job[] = [];
  for (const name of [...new Set(request.wanted)].sort()) {
    if (entryName(`${name}.conda`) !== name) continue;
    let found: Found | undefined;
    try {
      found = await findRecord(request, bases, name);
    } catch (e) {
      report.skipped.push({ name, why: `its channel's records could not be read: ${(e as Error).message}` });
      continue;
    }
    if (!found) {
      report.skipped.push({ name, why: 'no upstream channel of the build lists it (a workspace package, or gone)' });
      continue;
    }
    const existing = join(request.root, channelKey(found.base), name);
    if (entryMatches(existing, name, found.record.sha256)) {
      markUsed(existing);
      report.alreadyThere.push(name);
      continue;
    }
    if (found.record.size > request.maxPackageBytes) {
      report.skipped.push({ name, why: `larger than ${request.maxPackageBytes} bytes` });
      continue;
    }
    jobs.push({ name, found, dir: '' });
  }
  if (jobs.length > 0) {
    try {
      if (!(await addEntries(request, jobs, report))) report.diskFull = true;
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      report.diskFull = true;
    }
  }
  report.added.sort();
  return report;
}

/** Whether a complete entry of this sha256 is there (fully checked when it entered; only nx-conda writes the cache). */
function entryMatches(entry: string, name: string, sha256: string): boolean {
  try {
    const text = readRegularFile(join(entry, ENTRY_MARKER), 'reading', 64 * 1024);
    return text !== undefined && parseMarker(text.toString('utf8'), name)?.sha256 === sha256;
  } catch {
    return false;
  }
}
