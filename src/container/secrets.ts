/**
 * Masking of secrets in everything we print (Nx caches a task's terminal
 * output, so a printed secret is a stored secret): credentials in URLs,
 * conda channel tokens, values of secret-looking build arguments and the
 * values of the environment a user gives a container.
 */

/** What a secret is replaced by. */
export const MASK = '***';

/** The end of a URL's authority: `@host[:port]` then a path, query, fragment, quote, separator or the end. */
const AT_HOST = String.raw`@(?=[A-Za-z0-9.\[\]-]+(?::\d+)?(?:[/?#\s'",;)]|$))`;
/** `user:` then anything but a port number: the start of a password. */
const USER_COLON = String.raw`[^\s/?#@:'"=,;(\[]+:(?!\d+(?:[/?#\s'",;)]|$))`;

const URL_USERINFO = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^\s/?#'"]*@/g;
const URL_PASSWORD = new RegExp(String.raw`([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)${USER_COLON}[^\s'"]*?${AT_HOST}`, 'g');
const BARE_PASSWORD = new RegExp(String.raw`(^|[\s=,;'"(\[])${USER_COLON}(?!\/\/)[^\s'"]*?${AT_HOST}`, 'g');
const CONDA_TOKEN = /\/t\/[^/\s'"]{4,}(?=\/|$|[\s'"])/g;

/**
 * - `scheme://user:pass@host` → `scheme://***@host`: the userinfo runs to
 *   the `@` before the host, so a password may hold `@`, `/`, `#` or `?`;
 * - `scheme://token@host` → `scheme://***@host`;
 * - `user:pass@host` without a scheme (proxy settings) → `***@host`;
 * - conda tokens `.../t/<token>/...` → `.../t/***` + `/...`.
 */
export function maskCredentials(text: string): string {
  return text
    .replace(URL_PASSWORD, `$1${MASK}@`)
    .replace(URL_USERINFO, (match, scheme: string) => (match === `${scheme}${MASK}@` ? match : `${scheme}${MASK}@`))
    .replace(BARE_PASSWORD, `$1${MASK}@`)
    .replace(CONDA_TOKEN, `/t/${MASK}`);
}

/** Options whose value is a secret: `--token X`, `--password=X`, `--api-key X`, ... */
const SECRET_FLAG = /^--?[A-Za-z0-9_-]*(token|passw(?:or)?d|secret|api[-_]?key|auth|credential)[A-Za-z0-9_-]*$/i;

/**
 * Arguments as they may be shown: URL credentials masked, and the value of
 * a secret-looking option (`--token X`, `--password=X`) replaced. Returns
 * the raw values it hid too, to mask them wherever else they appear.
 */
export function maskArgs(args: string[]): { shown: string[]; hidden: string[] } {
  const hidden: string[] = [];
  const shown = args.map((arg, i) => {
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0 && SECRET_FLAG.test(arg.slice(0, eq))) {
      hidden.push(arg.slice(eq + 1));
      return `${arg.slice(0, eq)}=${MASK}`;
    }
    if (i > 0 && SECRET_FLAG.test(args[i - 1]) && !args[i - 1].includes('=')) {
      hidden.push(arg);
      return MASK;
    }
    return maskCredentials(arg);
  });
  return { shown, hidden: hidden.filter((v) => v.length > 0) };
}

/** Values shorter than this are not masked on their own (masking every `1` of a log helps nobody). */
export const MIN_MASKED_LENGTH = 4;

/** A function that masks credentials and each of `values` (of MIN_MASKED_LENGTH characters or more) in a text. */
export function masker(values: Iterable<string> = []): (text: string) => string {
  const secrets = [...new Set(values)].filter((v) => v.length >= MIN_MASKED_LENGTH).sort((a, b) => b.length - a.length);
  return (text) => {
    let masked = text;
    for (const secret of secrets) masked = masked.split(secret).join(MASK);
    return maskCredentials(masked);
  };
}
