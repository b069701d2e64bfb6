/**
 * HTTP(S) requests to servers nx-conda does not control (upstream channels,
 * S3-compatible buckets): every answer is bounded in bytes on the wire and
 * once decoded (a gzip or brotli bomb stops at the limit), in idle time and
 * by a deadline; a redirect to another origin carries no credential of any
 * kind. node:http rather than fetch: fetch decodes bodies on its own and
 * forwards headers across redirects as the Fetch standard says, which is not
 * what an untrusted server should get.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { UserError } from '../core/errors';
import { neutraliseControls } from '../text/terminal';

export class HttpError extends UserError {}

/**
 * A failure that a second try may not meet: the connection refused, reset
 * or broken off in the middle of an answer. Limits, deadlines and refused
 * redirects are plain HttpErrors: asking again gets the same answer.
 */
export class TransientHttpError extends HttpError {}

/** Connection failures worth one more try (a server restarting, a proxy dropping a connection). */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED']);

export interface HttpLimits {
  /** Most bytes taken off the wire for one answer (compressed, as sent). */
  maxBytes: number;
  /** Most bytes of one answer once decoded. */
  maxDecodedBytes: number;
  /** Fail when the server sends nothing for this long. */
  idleMs: number;
  /** Fail at this time (ms since the epoch), whatever the progress. */
  deadline: number;
}

export interface HttpRequest {
  method?: 'GET' | 'HEAD' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Redirects followed (0: a 3xx is given back as the answer). */
  maxRedirects?: number;
  /** How the URL is named in errors (credentials masked). */
  shown?: string;
  /** Takes a 2xx answer's decoded body chunk by chunk instead of keeping it (the response's body is then empty). */
  sink?: (chunk: Buffer) => void;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** Lower-case names. */
  headers: Map<string, string>;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

/** Headers that carry a credential: never sent to an origin other than the one they were meant for. */
export function isCredentialHeader(name: string): boolean {
  const n = name.toLowerCase();
  return (
    n === 'authorization' ||
    n === 'proxy-authorization' ||
    n === 'cookie' ||
    n.startsWith('x-amz-') ||
    n.startsWith('x-goog-') ||
    n === 'x-api-key' ||
    n.includes('token')
  );
}

const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};
const zstd = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
if (zstd) DECODERS.zstd = () => zstd();
/** What we ask for: only encodings we decode (bzip2 is never asked for, so never accepted). */
export const ACCEPT_ENCODING = Object.keys(DECODERS)
  .filter((e) => e !== 'x-gzip')
  .join(', ');

const MiB = 1024 * 1024;
function size(bytes: number): string {
  return bytes >= MiB ? `${Math.round((bytes / MiB) * 10) / 10} MiB` : `${bytes} bytes`;
}

/** IPv4 as a 32-bit number, or undefined. */
function ipv4(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) < 256)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

const INTERNAL_V4: [number, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
].map(([base, bits]) => [ipv4(base as string) as number, bits as number]);

/**
 * Is an IP address loopback, link-local, private (RFC 1918, unique local,
 * carrier-grade NAT), unspecified or benchmarking: an address of the
 * machine's own or its network's services (a metadata endpoint at
 * 169.254.169.254, an admin port on 127.0.0.1)? IPv4-mapped IPv6 as IPv4.
 */
export function isInternalAddress(address: string): boolean {
  let a = address.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(?:0:)?([0-9.]+)$/.exec(a);
  if (mapped) a = mapped[1];
  const v4 = ipv4(a);
  if (v4 !== undefined)
    return INTERNAL_V4.some(
      ([base, bits]) => Math.floor(v4 / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)),
    );
  if (isIP(a) !== 6) return false;
  if (a === '::' || a === '::1') return true;
  const first = parseInt(a.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80; // fc00::/7 unique local, fe80::/10 link-local
}

/** Does `hostname` (an IP literal, or a name as the system resolves it) name an internal address? */
async function isInternalHost(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isInternalAddress(host);
  try {
    const addresses = await new Promise<LookupAddress[]>((done, fail) =>
      dnsLookup(host, { all: true }, (e, list) => (e ? fail(e) : done(list))),
    );
    return addresses.some((a) => isInternalAddress(a.address));
  } catch {
    return false; // unresolvable: the request itself says so
  }
}

/** A resolver for requests that must not reach an internal address (after a redirect from a URL that is not one). */
const externalOnly: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...(options as LookupOptions), all: true }, (error, list) => {
    if (error) return callback(error, '', 4);
    const internal = list.find((a) => isInternalAddress(a.address));
    if (internal) {
      const refused = Object.assign(new Error(`${hostname} resolves to an internal address`), { code: 'EINTERNAL' });
      return callback(refused, '', 4);
    }
    if ((options as LookupOptions).all)
      return (callback as unknown as (e: null, l: LookupAddress[]) => void)(null, list);
    return callback(null, list[0].address, list[0].family);
  });
};

function withoutUserinfo(url: URL): URL {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy;
}

/** One request, no redirect followed. */
function once(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  limits: HttpLimits,
  shown: string,
  sink?: (chunk: Buffer) => void,
  externalOnlyHost = false,
): Promise<HttpResponse> {
  return new Promise((resolvePromise, rejectPromise) => {
    let settled = false;
    const cleanups: (() => void)[] = [];
    const finish = (error: Error | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      for (const cleanup of cleanups) cleanup();
      if (error) rejectPromise(error);
      else resolvePromise(response!);
    };
    const left = limits.deadline - Date.now();
    if (left <= 0) return finish(new HttpError(`${shown}: the deadline for upstream requests of this run has passed.`));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const sentHeaders: Record<string, string> = { ...headers, 'accept-encoding': ACCEPT_ENCODING };
    if (body) sentHeaders['content-length'] = String(body.length);
    const req = send(url, { method, headers: sentHeaders, ...(externalOnlyHost ? { lookup: externalOnly } : {}) });
    const fail = (error: Error) => {
      req.destroy();
      finish(error);
    };
    const timer = setTimeout(
      () => fail(new HttpError(`${shown} did not answer in full within the deadline (${Math.round(left / 1000)} s).`)),
      left,
    );
    cleanups.push(() => clearTimeout(timer));
    req.setTimeout(limits.idleMs, () =>
      fail(new HttpError(`${shown} sent nothing for ${limits.idleMs / 1000} s (idle timeout).`)),
    );
    // Set once the answer began: a connection that fails after that broke the answer off.
    let answered = false;
    let wire = 0;
    req.on('error', (e: NodeJS.ErrnoException) =>
      fail(
        answered
          ? new TransientHttpError(`${shown}: the answer broke off after ${size(wire)} (${e.code ?? e.message}).`)
          : e.code === 'EINTERNAL'
            ? new HttpError(
                `${shown} redirected to ${url.host}, which resolves to an internal address (loopback, link-local or private); not followed.`,
              )
            : new (TRANSIENT_CODES.has(e.code ?? '') ? TransientHttpError : HttpError)(
                `cannot reach ${shown}: ${e.code ?? e.message}`,
              ),
      ),
    );
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      cleanups.push(() => res.destroy());
      const responseHeaders = new Map<string, string>();
      for (const [name, value] of Object.entries(res.headers))
        if (value !== undefined)
          responseHeaders.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
      const encoding = (responseHeaders.get('content-encoding') ?? 'identity').trim().toLowerCase();
      let decoder: Transform | undefined;
      if (encoding !== 'identity' && encoding !== '' && method !== 'HEAD') {
        const make = DECODERS[encoding];
        if (!make)
          return fail(
            new HttpError(
              `${shown} answered in content encoding ${JSON.stringify(encoding)}, which was not asked for.`,
            ),
          );
        decoder = make();
        cleanups.push(() => decoder!.destroy());
      }
      const declared = Number(responseHeaders.get('content-length'));
      if (method !== 'HEAD' && Number.isFinite(declared) && declared > limits.maxBytes)
        return fail(
          new HttpError(`${shown} announces ${size(declared)}, more than the limit of ${size(limits.maxBytes)}.`),
        );
      let decoded = 0;
      const chunks: Buffer[] = [];
      const status = res.statusCode ?? 0;
      const keep = sink && status >= 200 && status < 300 ? sink : (chunk: Buffer) => void chunks.push(chunk);
      const take = (chunk: Buffer) => {
        decoded += chunk.length;
        if (decoded > limits.maxDecodedBytes)
          return fail(
            new HttpError(
              `${shown} sent more than ${size(limits.maxDecodedBytes)} once decoded (the limit)${decoder ? `, from ${size(wire)} ${encoding}` : ''}; refused.`,
            ),
          );
        keep(chunk);
      };
      const done = () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          // The server's words: no control sequence, and short.
          statusText: neutraliseControls(res.statusMessage ?? '').slice(0, 100),
          headers: responseHeaders,
          body: Buffer.concat(chunks),
          url: url.toString(),
        });
      res.on('data', (chunk: Buffer) => {
        wire += chunk.length;
        if (wire > limits.maxBytes)
          return fail(new HttpError(`${shown} sent more than ${size(limits.maxBytes)} (the limit); refused.`));
        if (decoder) decoder.write(chunk);
        else take(chunk);
      });
      res.on('error', (e) =>
        fail(new TransientHttpError(`${shown}: the answer broke off after ${size(wire)} (${e.message}).`)),
      );
      res.on('aborted', () => fail(new TransientHttpError(`${shown}: the answer broke off after ${size(wire)}.`)));
      if (decoder) {
        decoder.on('data', take);
        decoder.on('error', (e) =>
          fail(new HttpError(`${shown}: cannot decode the ${encoding} answer (${e.message}).`)),
        );
        decoder.on('end', done);
        res.on('end', () => decoder!.end());
      } else res.on('end', done);
    });
    req.end(body);
  });
}

/**
 * A request with its answer read in full within `limits`. Redirects (up to
 * `maxRedirects`, default 5) are followed; one to another origin (scheme,
 * host or port) drops every credential header and the URL's userinfo, and
 * one to a loopback, link-local or private address (by literal, or as the
 * name resolves when connecting) is refused unless the configured URL is
 * internal itself.
 */
export async function boundedRequest(request: HttpRequest, limits: HttpLimits): Promise<HttpResponse> {
  let url = new URL(request.url);
  let method = request.method ?? 'GET';
  let body = request.body;
  let headers: Record<string, string> = { ...(request.headers ?? {}) };
  const shown = request.shown ?? withoutUserinfo(url).toString();
  const origin = url.origin;
  const maxRedirects = request.maxRedirects ?? 5;
  // A redirect may lead to an internal address only when the configured URL is one itself (a mirror on the LAN).
  let internalAllowed: boolean | undefined;
  for (let hop = 0; ; hop++) {
    const guarded = hop > 0 && !internalAllowed;
    const response = await once(withoutUserinfo(url), method, headers, body, limits, shown, request.sink, guarded);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || response.status === 304 || !location || maxRedirects === 0)
      return response;
    if (hop >= maxRedirects) throw new HttpError(`${shown} redirected more than ${maxRedirects} times.`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new HttpError(`${shown} redirected to something that is not a URL.`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw new HttpError(`${shown} redirected to a ${next.protocol} URL, which is not followed.`);
    internalAllowed ??= await isInternalHost(new URL(request.url).hostname);
    const literal = next.hostname.replace(/^\[|\]$/g, '');
    if (!internalAllowed && isIP(literal) && isInternalAddress(literal))
      throw new HttpError(
        `${shown} redirected to ${next.host}, an internal address (loopback, link-local or private); not followed.`,
      );
    if (next.origin !== origin)
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !isCredentialHeader(name)));
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method !== 'HEAD')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    url = withoutUserinfo(next);
  }
}
