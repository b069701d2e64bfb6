/**
 * HTTP(S) requests to servers nx-conda does not control (upstream channels,
 * S3-compatible buckets): every answer is bounded in bytes on the wire and
 * once decoded (a gzip or brotli bomb stops at the limit), in idle time and
 * by a deadline; a redirect to another origin carries no credential of any
 * kind. node:http rather than fetch: fetch decodes bodies on its own and
 * forwards headers across redirects as the Fetch standard says, which is not
 * what an untrusted server should get.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { UserError } from '../core/errors';

export class HttpError extends UserError {}

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
    const req = send(url, { method, headers: sentHeaders });
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
    req.on('error', (e: NodeJS.ErrnoException) => fail(new HttpError(`cannot reach ${shown}: ${e.code ?? e.message}`)));
    req.on('response', (res: IncomingMessage) => {
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
      let wire = 0;
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
          statusText: res.statusMessage ?? '',
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
      res.on('error', (e) => fail(new HttpError(`${shown}: the answer broke off (${e.message}).`)));
      res.on('aborted', () => fail(new HttpError(`${shown}: the answer broke off.`)));
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
 * host or port) drops every credential header and the URL's userinfo.
 */
export async function boundedRequest(request: HttpRequest, limits: HttpLimits): Promise<HttpResponse> {
  let url = new URL(request.url);
  let method = request.method ?? 'GET';
  let body = request.body;
  let headers: Record<string, string> = { ...(request.headers ?? {}) };
  const shown = request.shown ?? withoutUserinfo(url).toString();
  const origin = url.origin;
  const maxRedirects = request.maxRedirects ?? 5;
  for (let hop = 0; ; hop++) {
    const response = await once(withoutUserinfo(url), method, headers, body, limits, shown, request.sink);
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
    if (next.origin !== origin)
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !isCredentialHeader(name)));
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method !== 'HEAD')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    url = withoutUserinfo(next);
  }
}
