/**
 * Masking of secrets in everything we print (Nx caches a task's terminal
 * output, so a printed secret is a stored secret): credentials in URLs,
 * conda channel tokens, values of secret-looking build arguments and the
 * values of the environment a user gives a container.
 */

/** What a secret is replaced by. */
export const MASK = '***';

/**
 * The end of a URL's authority: `@host[:port]` then a path, query, fragment,
 * quote, separator or the end. A host may hold `_` (a compose service or
 * container name such as `proxy_host`, which resolvers take).
 */
const AT_HOST = String.raw`@(?=[A-Za-z0-9._\[\]-]+(?::\d+)?(?:[/?#\s'",;)>\]]|[.:!](?:\s|$)|$))`;
/** `user:` then anything but a port number: the start of a password. */
const USER_COLON = String.raw`[^\s/?#@:'"=,;(\[<]+:(?!\d+(?:[/?#\s'",;)]|$))`;

const URL_USERINFO = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)[^\s/?#'"]*@/g;
const URL_PASSWORD = new RegExp(String.raw`([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)${USER_COLON}[^\s'"]*?${AT_HOST}`, 'g');
const BARE_PASSWORD = new RegExp(String.raw`(^|[\s=,;'"(\[<])${USER_COLON}(?!\/\/)[^\s'"]*?${AT_HOST}`, 'g');
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
/** Lines of a multi-line value, and encoded forms, shorter than this are not masked on their own. */
const MIN_FORM_LENGTH = 8;

/** The base64 text of `value` wherever it sits in the encoded bytes: one form per alignment (0, 1, 2 bytes before it). */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Drop the characters that also hold the bytes before the value, and the last, incomplete group.
    const first = offset === 0 ? 0 : 4;
    const last = Math.floor((offset + bytes.length) / 3) * 4;
    const core = encoded.slice(first, last);
    if (core.length >= MIN_FORM_LENGTH) forms.push(core);
  }
  return forms;
}

/**
 * Every form in which a value may be printed: as is, each line of a
 * multi-line value (a PEM key printed line by line), JSON-escaped, quoted as
 * `bash -x` quotes it (`'\''` for a quote, `$'...'` escapes for control
 * characters) and base64-encoded.
 */
export function secretForms(value: string): string[] {
  if (value.length < MIN_MASKED_LENGTH) return [];
  const forms = new Set([value]);
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_FORM_LENGTH) forms.add(line.trim());
  forms.add(JSON.stringify(value).slice(1, -1));
  if (value.includes("'")) forms.add(value.replace(/'/g, `'\\''`));
  if (/[\\'\p{Cc}]/u.test(value)) {
    const escapes: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\t': '\\t', '\r': '\\r' };
    forms.add(
      value.replace(/[\\'\p{Cc}]/gu, (c) => escapes[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`),
    );
  }
  for (const form of base64Forms(value)) forms.add(form);
  return [...forms].filter((f) => f.length >= MIN_MASKED_LENGTH);
}

/** A form of a secret begun at the end of the previous line: `at` characters of it already seen. */
interface Pending {
  form: string;
  at: number;
}

/** Ranges [start, end) of `line` to mask, merged, replaced by MASK. */
function applyRanges(line: string, ranges: [number, number][]): string {
  if (ranges.length === 0) return line;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    if (start > at) out += line.slice(at, start);
    else if (out.endsWith(MASK)) {
      at = end;
      continue;
    }
    out += MASK;
    at = end;
  }
  return out + line.slice(at);
}

/**
 * A masker for one stream of lines (stdout or stderr of one process): each
 * form of each value is masked where it appears whole, and where it is split
 * across lines (a line that ends with its start and the next that goes on
 * with it, or a line that is part of it), so a wrapped value or base64 output
 * is caught too. Credentials in URLs are masked in every line.
 */
export function lineMasker(values: Iterable<string> = []): (line: string) => string {
  const forms = [...new Set([...values].flatMap((v) => secretForms(v)))].sort((a, b) => b.length - a.length);
  let pending: Pending[] = [];
  return (line) => {
    if (forms.length === 0) return maskCredentials(line);
    const ranges: [number, number][] = [];
    const next: Pending[] = [];
    for (const { form, at } of pending) {
      const rest = form.slice(at);
      if (line.startsWith(rest)) ranges.push([0, rest.length]);
      else if (line.length > 0 && rest.startsWith(line)) {
        ranges.push([0, line.length]);
        next.push({ form, at: at + line.length });
      }
    }
    const trimmed = line.trim();
    for (const form of forms) {
      if (trimmed.length >= MIN_FORM_LENGTH && trimmed.length < form.length && form.includes(trimmed))
        ranges.push([0, line.length]);
      for (let i = line.indexOf(form); i >= 0; i = line.indexOf(form, i + form.length))
        ranges.push([i, i + form.length]);
      // The line starts with the end of a form begun on the line before.
      for (let k = Math.min(line.length, form.length - 1); k >= MIN_MASKED_LENGTH; k--) {
        if (line.charCodeAt(k - 1) === form.charCodeAt(form.length - 1) && form.endsWith(line.slice(0, k))) {
          ranges.push([0, k]);
          break;
        }
      }
      // The line ends with the start of a form that goes on on the next line.
      for (let k = Math.min(line.length, form.length - 1); k >= MIN_MASKED_LENGTH; k--) {
        if (line.charCodeAt(line.length - k) === form.charCodeAt(0) && form.startsWith(line.slice(line.length - k))) {
          ranges.push([line.length - k, line.length]);
          next.push({ form, at: k });
          break;
        }
      }
    }
    pending = next;
    return maskCredentials(applyRanges(line, ranges));
  };
}

/** A function that masks credentials and each of `values` (of MIN_MASKED_LENGTH characters or more, in any of their forms) in a text. */
export function masker(values: Iterable<string> = []): (text: string) => string {
  const list = [...values];
  return (text) => {
    const mask = lineMasker(list);
    return text.split('\n').map(mask).join('\n');
  };
}
