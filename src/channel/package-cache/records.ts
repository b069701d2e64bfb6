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

export type SubdirRecords = Map<string, VerifiableRecord>;

/** A channel URL that carries a credential (user:password@ or a /t/<token>/ part): never cached, never written down. */
export function hasCredential(base: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(base) || /\/t\/[^/]+/.test(base);
}

/** The records of a parsed repodata.json with a usable size and sha256, by file name. */
export function verifiableRecords(parsed: unknown): SubdirRecords {
  const out: SubdirRecords = new Map();
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return out;
  for (const key of ['packages', 'packages.conda']) {
    const records = (parsed as Record<string, unknown>)[key];
    if (!records || typeof records !== 'object' || Array.isArray(records)) continue;
    for (const [fn, value] of Object.entries(records as Record<string, unknown>)) {
      if (!value || typeof value !== 'object') continue;
      const raw = value as Record<string, unknown>;
      if (typeof raw.size !== 'number' || !Number.isSafeInteger(raw.size) || raw.size < 0) continue;
      if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(raw.sha256)) continue;
      out.set(fn, { size: raw.size, sha256: raw.sha256.toLowerCase(), raw });
    }
  }
  return out;
}

/** Reads `<base>/<subdir>/repodata.json` (http(s) or file://); an absent subdir has no records. */
export async function readSubdirRecords(base: string, subdir: string): Promise<SubdirRecords> {
  const url = `${base}/${subdir}/repodata.json`;
  let text: string;
  if (base.startsWith('file://')) {
    const body = readRegularFile(fileURLToPath(url), 'reading repodata', REPODATA_LIMITS.maxDecodedBytes);
    if (!body) return new Map();
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
    if (response.status === 404) return new Map();
    if (response.status < 200 || response.status >= 300)
      throw new Error(`${url} answered ${response.status} ${response.statusText}.`);
    text = response.body.toString('utf8');
  } else return new Map();
  try {
    return verifiableRecords(JSON.parse(text));
  } catch {
    throw new Error(`${url} is not JSON.`);
  }
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
