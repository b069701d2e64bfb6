/**
 * A minimal S3 client (HEAD, GET, PUT of one object) with AWS Signature
 * Version 4, for publishing a channel to an S3-compatible bucket. Credentials
 * come from the standard AWS environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never from options.
 */
import { createHash, createHmac } from 'node:crypto';
import { UserError } from '../core/errors';
import { boundedRequest, HttpError, type HttpLimits } from './http';

export class S3Error extends UserError {}

/** The origin of a URL from a server, for a message (never its path, query or userinfo). */
function safeOrigin(location: string): string {
  try {
    return new URL(location).origin;
  } catch {
    return 'an invalid URL';
  }
}

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash ('' for the bucket's root). */
  prefix: string;
}

export interface S3Config {
  region: string;
  /** e.g. http://127.0.0.1:9000 for a local server; undefined for AWS (virtual-hosted style). */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** `s3://bucket/prefix` → bucket and prefix. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new S3Error(`${url} is not an s3://bucket/prefix URL with a valid bucket name.`);
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** The S3 settings from options and the standard AWS environment; throws naming what is missing. */
export function s3Config(
  options: { region?: string; endpoint?: string },
  env: NodeJS.ProcessEnv = process.env,
): S3Config {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new S3Error(
      'publishing to S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment (and AWS_SESSION_TOKEN for temporary credentials).',
    );
  }
  const endpoint =
    (options.endpoint || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || '').replace(/\/+$/, '') || undefined;
  if (endpoint && !/^https?:\/\/[^/\s]+$/.test(endpoint))
    throw new S3Error(`endpoint must be http(s)://host[:port], got "${endpoint}".`);
  return {
    region: options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    endpoint,
    accessKeyId,
    secretAccessKey,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  };
}

/** S3's URI encoding: every byte but unreserved characters, '/' kept between segments. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

export interface S3Response {
  status: number;
  /** Lower-case names. */
  headers: Map<string, string>;
  body: Buffer;
}

/** Bounds of one S3 answer: a channel index or an error document, never a package (those are only sent). */
export const S3_LIMITS = {
  maxBytes: 512 * 1024 * 1024,
  maxDecodedBytes: 512 * 1024 * 1024,
  idleMs: 60_000,
  timeoutMs: 600_000,
};

export class S3Client {
  constructor(
    private readonly config: S3Config,
    readonly location: S3Location,
    private readonly limits: typeof S3_LIMITS = S3_LIMITS,
  ) {}

  /** Where a key lives: path style on a custom endpoint, virtual-hosted on AWS. */
  private url(key: string): URL {
    const path = encodeKey(key);
    if (this.config.endpoint) return new URL(`${this.config.endpoint}/${this.location.bucket}/${path}`);
    return new URL(`https://${this.location.bucket}.s3.${this.config.region}.amazonaws.com/${path}`);
  }

  key(relative: string): string {
    return this.location.prefix ? `${this.location.prefix}/${relative}` : relative;
  }

  async request(
    method: 'HEAD' | 'GET' | 'PUT',
    relative: string,
    body?: Buffer,
    contentType?: string,
  ): Promise<S3Response> {
    const url = this.url(this.key(relative));
    const now = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const date = now.slice(0, 8);
    const payloadHash = sha256(body ?? '');
    const headers: Record<string, string> = {
      host: url.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': now,
    };
    if (this.config.sessionToken) headers['x-amz-security-token'] = this.config.sessionToken;
    if (contentType) headers['content-type'] = contentType;
    const names = Object.keys(headers).sort();
    const canonical = [
      method,
      url.pathname,
      '',
      ...names.map((n) => `${n}:${headers[n].trim()}`),
      '',
      names.join(';'),
      payloadHash,
    ].join('\n');
    const scope = `${date}/${this.config.region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
    let key: Buffer = hmac(`AWS4${this.config.secretAccessKey}`, date);
    for (const part of [this.config.region, 's3', 'aws4_request']) key = hmac(key, part);
    const signature = createHmac('sha256', key).update(toSign).digest('hex');
    const authorization = `AWS4-HMAC-SHA256 Credential=${this.config.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    const { host: _host, ...sent } = headers;
    const limits: HttpLimits = { ...this.limits, deadline: Date.now() + this.limits.timeoutMs };
    try {
      // No redirect is followed: a signed request is only valid for its own URL, and must not carry its
      // signature, session token or x-amz headers to another server. A 3xx is reported by fail().
      const response = await boundedRequest(
        {
          method,
          url: url.toString(),
          headers: { ...sent, authorization },
          body,
          maxRedirects: 0,
          shown: `${url.origin} (s3://${this.location.bucket})`,
        },
        limits,
      );
      return { status: response.status, headers: response.headers, body: response.body };
    } catch (e) {
      if (e instanceof HttpError) throw new S3Error(e.message);
      throw e;
    }
  }

  /** Fails with a one-line message naming the bucket, the key and S3's error code. */
  fail(method: string, relative: string, response: S3Response): never {
    // Only an error code's shape is taken from the body (never its other text).
    const code = /<Code>([A-Za-z0-9.]{1,64})<\/Code>/.exec(response.body.toString('utf8'))?.[1] ?? '';
    const location = response.headers.get('location');
    const hint =
      response.status >= 300 && response.status < 400
        ? `: a redirect${location ? ` to ${safeOrigin(location)}` : ''}, which nx-conda does not follow with signed requests; check endpoint and region`
        : response.status === 403
          ? ': permission denied; check the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket policy'
          : response.status === 404 && code === 'NoSuchBucket'
            ? ': no such bucket'
            : '';
    throw new S3Error(
      `${method} s3://${this.location.bucket}/${this.key(relative)} answered ${response.status}${code ? ` ${code}` : ''}${hint}.`,
    );
  }
}
