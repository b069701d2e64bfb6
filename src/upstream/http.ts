/**
 * The one HTTP client of the upstream lookups: every request goes through
 * the channel client's boundedRequest (bounded bytes, idle time, deadline;
 * credentials dropped on a redirect to another origin), at most
 * `concurrency` at a time, and each API answer is asked once per run (a
 * shared promise per URL).
 */
import { boundedRequest, type HttpLimits, type HttpResponse } from '../channel/http';
import { UpstreamError } from './errors';

export interface UpstreamHttpOptions {
  /** Requests in flight at once. */
  concurrency?: number;
  /** Fail a request when the server sends nothing for this long. */
  idleMs?: number;
  /** Most time one API request may take. */
  apiTimeoutMs?: number;
  /** Most time one source download may take. */
  downloadTimeoutMs?: number;
  /** Most bytes of one API answer (JSON, listing). */
  maxApiBytes?: number;
  /** Most bytes of one source download. */
  maxDownloadBytes?: number;
  /** Where GITHUB_TOKEN / GH_TOKEN and GITHUB_API_URL are read. */
  env?: NodeJS.ProcessEnv;
  /**
   * Origins asked in place of others (`https://pypi.example.invalid` →
   * `http://127.0.0.1:8080`): loopback servers standing in for upstreams in
   * tests. Messages keep naming the original URL.
   */
  origins?: ReadonlyMap<string, string>;
}

const MiB = 1024 * 1024;
export const UPSTREAM_HTTP_DEFAULTS = {
  concurrency: 4,
  idleMs: 30_000,
  apiTimeoutMs: 60_000,
  downloadTimeoutMs: 600_000,
  maxApiBytes: 32 * MiB,
  maxDownloadBytes: 1024 * MiB,
};

/** GitHub's REST API unless GITHUB_API_URL (set by GitHub Actions, or a GitHub Enterprise server) says otherwise. */
export function githubApiUrl(env: NodeJS.ProcessEnv): string {
  const given = env.GITHUB_API_URL?.trim();
  return (given && /^https?:\/\/[^\s/]+/.test(given) ? given : 'https://api.github.com').replace(/\/+$/, '');
}

/**
 * The test-only seam: executor specs point the upstreams' origins at
 * loopback servers through withUpstreamOriginsForTests. Production code
 * never sets it.
 */
let originsForTests: ReadonlyMap<string, string> | undefined;

/** Runs `work` with every UpstreamHttp made meanwhile asking `origins` in place of the real ones (unit tests only). */
export async function withUpstreamOriginsForTests<T>(
  origins: ReadonlyMap<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  const before = originsForTests;
  originsForTests = origins;
  try {
    return await work();
  } finally {
    originsForTests = before;
  }
}

export class UpstreamHttp {
  readonly options: Required<Omit<UpstreamHttpOptions, 'origins' | 'env'>>;
  private readonly env: NodeJS.ProcessEnv;
  private readonly origins: ReadonlyMap<string, string>;
  private readonly answers = new Map<string, Promise<HttpResponse>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: UpstreamHttpOptions = {}) {
    const { env, origins, ...rest } = options;
    this.options = { ...UPSTREAM_HTTP_DEFAULTS, ...rest };
    this.env = env ?? process.env;
    this.origins = origins ?? originsForTests ?? new Map();
  }

  get githubApi(): string {
    return githubApiUrl(this.env);
  }

  /** A JSON API answer (asked once per run); `what` names the upstream in errors. */
  async json(url: string, what: string): Promise<unknown> {
    const response = await this.api(url, what, 'application/json');
    try {
      return JSON.parse(response.body.toString('utf8'));
    } catch {
      throw new UpstreamError(`${what}: ${url} answered with something that is not JSON.`);
    }
  }

  /** A text answer (a listing, a PACKAGES index), asked once per run. */
  async text(url: string, what: string): Promise<string> {
    return (await this.api(url, what, 'text/html, text/plain, */*')).body.toString('utf8');
  }

  /** Downloads `url`, handing each chunk to `sink`; gives the byte count. */
  async download(url: string, sink: (chunk: Buffer) => void): Promise<number> {
    let bytes = 0;
    const response = await this.limited(() =>
      boundedRequest(
        {
          url: this.asked(url),
          shown: url,
          headers: { accept: '*/*' },
          sink: (chunk) => {
            bytes += chunk.length;
            sink(chunk);
          },
        },
        this.limits(this.options.downloadTimeoutMs, this.options.maxDownloadBytes),
      ),
    );
    if (response.status !== 200)
      throw new UpstreamError(`downloading ${url}: the server answered ${response.status} ${response.statusText}.`);
    return bytes;
  }

  private api(url: string, what: string, accept: string): Promise<HttpResponse> {
    let answer = this.answers.get(url);
    if (!answer) {
      answer = this.fetchApi(url, what, accept);
      this.answers.set(url, answer);
    }
    return answer;
  }

  private async fetchApi(url: string, what: string, accept: string): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept };
    const token = this.env.GITHUB_TOKEN || this.env.GH_TOKEN;
    if (token && url.startsWith(`${this.githubApi}/`)) headers.authorization = `Bearer ${token}`;
    const asked = this.asked(url);
    const response = await this.limited(() =>
      boundedRequest(
        { url: asked, shown: url, headers },
        this.limits(this.options.apiTimeoutMs, this.options.maxApiBytes),
      ),
    );
    if (new URL(response.url).origin !== new URL(asked).origin)
      throw new UpstreamError(
        `${what}: ${url} redirected to another host (${new URL(response.url).host}); an upstream's API must answer from the host asked.`,
      );
    if (response.status !== 200)
      throw new UpstreamError(`${what}: ${url} answered ${response.status} ${response.statusText}.`, response.status);
    return response;
  }

  private asked(url: string): string {
    const parsed = new URL(url);
    const instead = this.origins.get(parsed.origin);
    return instead ? `${instead}${parsed.pathname}${parsed.search}` : url;
  }

  private limits(timeoutMs: number, maxBytes: number): HttpLimits {
    return { maxBytes, maxDecodedBytes: maxBytes, idleMs: this.options.idleMs, deadline: Date.now() + timeoutMs };
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.options.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
