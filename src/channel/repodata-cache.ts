/**
 * Upstream repodata, fetched at most once per channel and subdir per Nx run
 * and kept on disk between runs, refreshed with conditional requests (ETag,
 * Last-Modified). What the lookups read is a compact index of it (name →
 * version and build number of every record), written beside it, so 500
 * tasks neither download nor parse a large repodata.json 500 times.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-write';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors';
import { boundedRequest, HttpError, TransientHttpError, type HttpLimits, type HttpResponse } from './http';
import { withLock } from './lock';
import { secretIn } from './secret';
import { channelUrl } from './upstream';

export class RepodataFetchError extends UserError {}

/**
 * name → `version#build_number` of every record of one channel subdir. Its
 * keys are upstream names (`constructor` is a real conda-forge package,
 * `__proto__` a possible one): always a null-prototype object (see
 * emptyCompactIndex), read with own-property lookups only.
 */
export type CompactIndex = Record<string, string[]>;

export function emptyCompactIndex(): CompactIndex {
  return Object.create(null) as CompactIndex;
}

/** The versions an index lists for `name` (its own entry only: never Object.prototype's `constructor`). */
export function versionsOf(index: CompactIndex, name: string): string[] | undefined {
  if (!Object.prototype.hasOwnProperty.call(index, name)) return undefined;
  const list = index[name];
  return Array.isArray(list) ? list : undefined;
}

/** A compact index read back from its JSON file: a null-prototype copy holding only lists of strings. */
function asCompactIndex(parsed: unknown): CompactIndex | undefined {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const index = emptyCompactIndex();
  for (const [name, list] of Object.entries(parsed)) {
    if (Array.isArray(list)) index[name] = list.filter((v): v is string => typeof v === 'string');
  }
  return index;
}

export interface SubdirIndex {
  channel: string;
  subdir: string;
  index: CompactIndex;
  /** How this run got it: a download, a 304, the copy this run already fetched, or absent at the channel (404). */
  how: 'downloaded' | 'not-modified' | 'this-run' | 'absent';
  /** Bytes of the repodata.json behind the index (0 when absent). */
  bytes: number;
}

interface CacheMeta {
  url: string;
  runId: string;
  etag?: string;
  lastModified?: string;
  absent?: boolean;
  bytes: number;
}

/** One Nx invocation: the outermost nx process (with its start time, as pids are reused), or NX_CONDA_RUN_ID. */
export function currentRunId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NX_CONDA_RUN_ID) return env.NX_CONDA_RUN_ID;
  const pid = (env.NX_INVOCATION_ANCESTOR_PIDS ?? '').split(',')[0] || String(process.pid);
  let started = '';
  try {
    // Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (after the command name, which may hold spaces).
    started = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
  } catch {
    // Not Linux: the pid alone.
  }
  return `${pid}-${started}`;
}

/** Turns the records of a repodata.json into the compact index; throws on anything that is not repodata. */
export function compactIndex(text: string, where: string): CompactIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Never the parser's message: it quotes the answer's first bytes (a server's secret, escape sequences).
    throw new RepodataFetchError(`${where} is not JSON; is this a conda channel?`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new RepodataFetchError(`${where} is not a repodata.json (not a JSON object).`);
  const index = emptyCompactIndex();
  for (const key of ['packages', 'packages.conda'] as const) {
    const records = (parsed as Record<string, unknown>)[key];
    if (!records || typeof records !== 'object') continue;
    for (const record of Object.values(
      records as Record<string, { name?: unknown; version?: unknown; build_number?: unknown }>,
    )) {
      if (!record || typeof record.name !== 'string' || typeof record.version !== 'string') continue;
      const entry = `${record.version}#${Number(record.build_number ?? 0)}`;
      const list = versionsOf(index, record.name);
      if (!list) index[record.name] = [entry];
      else if (!list.includes(entry)) list.push(entry);
    }
  }
  return index;
}

/** The cache folder is ours (tmp/nx-conda, never mounted into a container); a cache needs no fsync. */
function writeAtomic(file: string, text: string): void {
  writeFileAtomic(file, text, { sync: false, trustedFolder: true });
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A URL with `user:password@` turned into a Basic Authorization header (fetch refuses credentials in URLs). */
function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return { url, headers: {} };
  const auth = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString(
    'base64',
  );
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), headers: { Authorization: `Basic ${auth}` } };
}

function masked(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

export interface FetchOptions {
  /** Workspace folder for the cache, e.g. tmp/nx-conda/repodata. */
  cacheRoot: string;
  runId?: string;
  userAgent?: string;
  /** Give up waiting for another task's fetch of the same index after this many seconds (0: wait). */
  lockTimeoutSeconds?: number;
  /** Told who holds the index's lock when this task has to wait for it. */
  onWait?: (holder: string) => void;
  /** Told why, when a request failed in a way that may pass and is tried once more. */
  onRetry?: (why: string) => void;
  /** The wait before that one retry (default RETRY_DELAY_MS). */
  retryDelayMs?: number;
  /** Bounds of each answer; the deadline is shared by every request of this process (see runDeadline). */
  limits?: Partial<Omit<HttpLimits, 'deadline'>> & { runTimeoutMs?: number };
}

/** Bounds of one upstream repodata answer, by default: what conda-forge's largest subdir needs, with room. */
export const REPODATA_LIMITS = {
  maxBytes: 256 * 1024 * 1024,
  // Under V8's longest string (~512 MiB), which JSON.parse needs the text in.
  maxDecodedBytes: 500 * 1024 * 1024,
  idleMs: 60_000,
  runTimeoutMs: 600_000,
};

/** The wait before the one retry of an upstream request that failed in a way that may pass. */
export const RETRY_DELAY_MS = 1_000;

/** A status a server gives while it is overloaded or restarting. */
const isTransientStatus = (status: number) => status >= 500 || status === 429;

/**
 * One request, tried once more after `delayMs` when the connection failed,
 * the answer broke off or the server answered 5xx or 429; never more than
 * twice, so a broken channel costs one short wait.
 */
async function requestWithOneRetry(
  request: Parameters<typeof boundedRequest>[0],
  limits: HttpLimits,
  delayMs: number,
  onRetry: (why: string) => void,
): Promise<HttpResponse> {
  let first: string;
  try {
    const response = await boundedRequest(request, limits);
    if (!isTransientStatus(response.status)) return response;
    first = `${request.shown} answered ${response.status} ${response.statusText}`.trim();
  } catch (e) {
    if (!(e instanceof TransientHttpError)) throw e;
    first = e.message.replace(/\.$/, '');
  }
  onRetry(`${first}; trying once more in ${delayMs / 1000} s`);
  await new Promise((r) => setTimeout(r, delayMs));
  try {
    return await boundedRequest(request, limits);
  } catch (e) {
    if (e instanceof TransientHttpError)
      throw new TransientHttpError(`${e.message.replace(/\.$/, '')} (tried twice, ${delayMs / 1000} s apart).`);
    throw e;
  }
}

const deadlines = new Map<string, number>();
/**
 * One deadline for all the upstream requests of a run: set by the first
 * request of the run, kept in memory (a batch of tasks is one process) and
 * in `cacheRoot` (tasks in processes of their own).
 */
export function runDeadline(runId: string, runTimeoutMs: number, cacheRoot: string): number {
  let deadline = deadlines.get(runId);
  if (deadline !== undefined) return deadline;
  const file = join(cacheRoot, 'run-deadline.json');
  const kept = readJson<{ runId: string; deadline: number }>(file);
  deadline =
    kept && kept.runId === runId && typeof kept.deadline === 'number' ? kept.deadline : Date.now() + runTimeoutMs;
  if (!kept || kept.runId !== runId) writeAtomic(file, JSON.stringify({ runId, deadline }));
  deadlines.set(runId, deadline);
  return deadline;
}

/** Channels that failed in this process: not asked again (the failure is also kept on disk for the rest of the run). */
const failedThisRun = new Map<string, string>();

interface FailedRecord {
  runId: string;
  url: string;
  message: string;
}

/**
 * The compact index of `channel`'s `subdir`, from this run's copy when there
 * is one, else refreshed with a conditional request. Concurrent tasks wait
 * for one another on a lock, so one of them fetches and the rest reuse.
 */
export async function upstreamIndex(channel: string, subdir: string, options: FetchOptions): Promise<SubdirIndex> {
  const base = channelUrl(channel);
  const url = `${base}/${subdir}/repodata.json`;
  const dir = join(options.cacheRoot, createHash('sha256').update(base).digest('hex').slice(0, 16), subdir);
  mkdirSync(dir, { recursive: true });
  const runId = options.runId ?? currentRunId();
  return withLock(
    `repodata:${dir}`,
    async () => {
      const metaFile = join(dir, 'meta.json');
      const indexFile = join(dir, 'index.json');
      const failedFile = join(dir, 'failed.json');
      const failed = failedThisRun.get(`${runId} ${url}`) ?? readJson<FailedRecord>(failedFile);
      if (failed && (typeof failed === 'string' || (failed.runId === runId && failed.url === url)))
        throw new RepodataFetchError(
          `${typeof failed === 'string' ? failed : failed.message} (failed earlier in this run: not asked again until the next run)`,
        );
      const meta = readJson<CacheMeta>(metaFile);
      const cached = meta && meta.url === url ? asCompactIndex(readJson<unknown>(indexFile)) : undefined;
      if (meta && cached && meta.runId === runId)
        return { channel, subdir, index: cached, how: meta.absent ? 'absent' : 'this-run', bytes: meta.bytes };

      let got: Got;
      try {
        got = base.startsWith('file://')
          ? readLocal(url, meta && cached ? meta : undefined, { ...REPODATA_LIMITS, ...(options.limits ?? {}) })
          : await fetchRemote(url, meta && cached ? meta : undefined, options, runId);
      } catch (e) {
        if (e instanceof RepodataFetchError) {
          // Remembered for the rest of the run, so the next tasks fail at once instead of waiting again.
          failedThisRun.set(`${runId} ${url}`, e.message);
          writeAtomic(failedFile, JSON.stringify({ runId, url, message: e.message } satisfies FailedRecord));
        }
        throw e;
      }
      if (got.kind === 'not-modified') {
        writeAtomic(metaFile, JSON.stringify({ ...meta, runId }));
        return {
          channel,
          subdir,
          index: cached as CompactIndex,
          how: meta!.absent ? 'absent' : 'not-modified',
          bytes: meta!.bytes,
        };
      }
      const index = got.kind === 'absent' ? emptyCompactIndex() : compactIndex(got.text, `${masked(url)}`);
      writeAtomic(indexFile, JSON.stringify(index));
      const next: CacheMeta = { url, runId, bytes: got.kind === 'absent' ? 0 : Buffer.byteLength(got.text) };
      if (got.kind === 'absent') next.absent = true;
      else {
        if (got.etag) next.etag = got.etag;
        if (got.lastModified) next.lastModified = got.lastModified;
      }
      writeAtomic(metaFile, JSON.stringify(next));
      rmSync(failedFile, { force: true });
      return { channel, subdir, index, how: got.kind === 'absent' ? 'absent' : 'downloaded', bytes: next.bytes };
    },
    {
      what: `the repodata cache of ${masked(url)}`,
      holder: `a skipExisting lookup (run ${runId})`,
      onWait: options.onWait ?? (() => undefined),
      timeoutSeconds: options.lockTimeoutSeconds,
      // Its name is made with a secret beside the cache (never mounted): a build cannot squat it in advance.
      secret: secretIn(options.cacheRoot),
    },
  );
}

type Got =
  { kind: 'body'; text: string; etag?: string; lastModified?: string } | { kind: 'not-modified' } | { kind: 'absent' };

function readLocal(url: string, meta: CacheMeta | undefined, limits: { maxDecodedBytes: number }): Got {
  const file = fileURLToPath(url);
  if (!existsSync(file)) return { kind: 'absent' };
  const stat = statSync(file);
  if (!stat.isFile()) throw new RepodataFetchError(`${file} is not a regular file.`);
  if (stat.size > limits.maxDecodedBytes)
    throw new RepodataFetchError(
      `${file} holds ${stat.size} bytes, more than the limit of ${limits.maxDecodedBytes} for a repodata.json.`,
    );
  const validator = `${stat.size}-${stat.mtimeMs}`;
  if (meta?.etag === validator) return { kind: 'not-modified' };
  return { kind: 'body', text: readFileSync(file, 'utf8'), etag: validator };
}

async function fetchRemote(
  url: string,
  meta: CacheMeta | undefined,
  options: FetchOptions,
  runId: string,
): Promise<Got> {
  if (!/^https?:\/\//.test(url)) {
    throw new RepodataFetchError(
      `skipExisting reads repodata over http(s) or file:// only, not ${masked(url)}; give the channel's https URL.`,
    );
  }
  const { url: plain, headers } = splitCredentials(url);
  headers['User-Agent'] = options.userAgent ?? 'nx-conda';
  if (meta?.etag) headers['If-None-Match'] = meta.etag;
  if (meta?.lastModified) headers['If-Modified-Since'] = meta.lastModified;
  const { runTimeoutMs, ...bounds } = { ...REPODATA_LIMITS, ...(options.limits ?? {}) };
  const limits: HttpLimits = { ...bounds, deadline: runDeadline(runId, runTimeoutMs, options.cacheRoot) };
  let response;
  try {
    response = await requestWithOneRetry(
      { url: plain, headers, shown: `channel ${masked(url)}` },
      limits,
      options.retryDelayMs ?? RETRY_DELAY_MS,
      options.onRetry ?? (() => undefined),
    );
  } catch (e) {
    if (e instanceof HttpError) throw new RepodataFetchError(e.message);
    throw e;
  }
  if (response.status === 304) return { kind: 'not-modified' };
  if (response.status === 404) return { kind: 'absent' };
  if (response.status < 200 || response.status >= 300) {
    throw new RepodataFetchError(
      `channel ${masked(url)} answered ${response.status} ${response.statusText}${isTransientStatus(response.status) ? ` (tried twice, ${(options.retryDelayMs ?? RETRY_DELAY_MS) / 1000} s apart)` : ''}${response.status === 401 || response.status === 403 ? ' (check the credentials in the channel URL)' : ''}.`,
    );
  }
  return {
    kind: 'body',
    text: response.body.toString('utf8'),
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
  };
}
