/**
 * The records of an upstream channel's subdir (size and sha256 of each
 * file), which a package must match to enter the cache. Read once per
 * channel and subdir per process, with the bounds of any repodata download.
 */
import { fileURLToPath } from 'node:url';
import { boundedRequest, HttpError } from '../http';
import { REPODATA_LIMITS } from '../repodata-cache';
import { readRegularFile } from '../safe-fs';

/** The fields of a record the cache checks; the rest is kept for repodata_record.json. */
export interface VerifiableRecord {
  size: number;
  sha256: string;
  raw: Record<string, unknown>;
}

/** The records of one channel subdir, by file name. */
export interface SubdirRecords {
  get(fn: string): VerifiableRecord | undefined;
}

/** A channel URL that carries a credential (user:password@ or a /t/<token>/ part): never cached, never written down. */
export function hasCredential(base: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(base) || /\/t\/[^/]+/.test(base);
}

/** A record with a usable size and sha256 that is the package `fn` names, or undefined. */
export function verifiable(fn: string, value: unknown): VerifiableRecord | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  if (typeof raw.size !== 'number' || !Number.isSafeInteger(raw.size) || raw.size < 0) return undefined;
  if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(raw.sha256)) return undefined;
  if (fn.replace(/\.(conda|tar\.bz2)$/, '') !== `${String(raw.name)}-${String(raw.version)}-${String(raw.build)}`)
    return undefined;
  return { size: raw.size, sha256: raw.sha256.toLowerCase(), raw };
}

/** The index of the `}` closing the JSON object that starts at `start`, or -1 (within a bound). */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length && i < start + 1_000_000; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The record of `fn` in a repodata.json's text: the object after the key `"<fn>":`. */
function recordInText(text: string, fn: string): VerifiableRecord | undefined {
  const key = JSON.stringify(fn);
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + 1)) {
    let i = at + key.length;
    while (/\s/.test(text[i] ?? '')) i++;
    if (text[i] !== ':') continue; // the name as a value (`"fn": ...`, "removed"), not as a key
    i++;
    while (/\s/.test(text[i] ?? '')) i++;
    if (text[i] !== '{') continue;
    const end = objectEnd(text, i);
    if (end < 0) return undefined;
    try {
      return verifiable(fn, JSON.parse(text.slice(i, end + 1)));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The records of a repodata.json's text, looked up by file name without
 * parsing the whole text: a large channel's subdir is hundreds of MB, and a
 * build needs a few of its records.
 */
export function recordsInText(text: string): SubdirRecords {
  const found = new Map<string, VerifiableRecord | undefined>();
  return {
    get(fn) {
      if (!found.has(fn)) found.set(fn, recordInText(text, fn));
      return found.get(fn);
    },
  };
}

/** Reads `<base>/<subdir>/repodata.json` (http(s) or file://); an absent subdir has no records. */
export async function readSubdirRecords(base: string, subdir: string): Promise<SubdirRecords> {
  const url = `${base}/${subdir}/repodata.json`;
  let text: string;
  if (base.startsWith('file://')) {
    const body = readRegularFile(fileURLToPath(url), 'reading repodata', REPODATA_LIMITS.maxDecodedBytes);
    if (!body) return recordsInText('{}');
    text = body.toString('utf8');
  } else if (/^https?:\/\//.test(base)) {
    const { runTimeoutMs, ...bounds } = REPODATA_LIMITS;
    let response;
    try {
      response = await boundedRequest(
        { url, headers: { 'User-Agent': 'nx-conda' }, shown: `channel ${url}` },
        { ...bounds, deadline: Date.now() + runTimeoutMs },
      );
    } catch (e) {
      if (e instanceof HttpError) throw new Error(e.message, { cause: e });
      throw e;
    }
    if (response.status === 404) return recordsInText('{}');
    if (response.status < 200 || response.status >= 300)
      throw new Error(`${url} answered ${response.status} ${response.statusText}.`);
    text = response.body.toString('utf8');
  } else return recordsInText('{}');
  if (!/^\s*\{/.test(text)) throw new Error(`${url} is not a repodata.json (not a JSON object).`);
  return recordsInText(text);
}

/** readSubdirRecords, once per channel and subdir in `memo`. */
export function subdirRecordsOnce(
  memo: Map<string, Promise<SubdirRecords>>,
  base: string,
  subdir: string,
): Promise<SubdirRecords> {
  const key = `${base}\n${subdir}`;
  let got = memo.get(key);
  if (!got) {
    got = readSubdirRecords(base, subdir);
    memo.set(key, got);
  }
  return got;
}
