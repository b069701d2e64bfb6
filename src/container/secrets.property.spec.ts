/**
 * Property-based tests of the masker (issue 18): for generated secrets and
 * surrounding text, no printed line holds the secret in any form it was
 * given in, however the output is cut into chunks; and hostile text never
 * makes it throw.
 */
import fc from 'fast-check';
import { LineWriter } from './lines';
import { lineMasker, masker, maskCredentials } from './secrets';

/** Secrets of one line: printable, with quotes, backslashes, @ and : among them. */
const secret = fc
  .string({ unit: fc.constantFrom(...'abcXYZ019+/=_-@:\'"\\$ !'.split('')), minLength: 4, maxLength: 40 })
  .filter((s) => s.trim().length >= 4);
const text = fc.string({ maxLength: 60 }).map((s) => s.replace(/\n/g, ' '));

function streamed(secrets: string[], chunks: string[]): string {
  let out = '';
  const writer = new LineWriter((s) => (out += s), '', undefined, lineMasker(secrets));
  for (const chunk of chunks) writer.push(chunk);
  writer.flush();
  return out;
}

/** `text` cut at `cuts` (positions taken modulo its length). */
function cut(whole: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => (whole.length ? c % whole.length : 0)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const c of at) {
    chunks.push(whole.slice(from, c));
    from = c;
  }
  chunks.push(whole.slice(from));
  return chunks;
}

describe('properties of the masker', () => {
  it('no line shows the secret, its JSON form, its bash -x form or its base64, however the output is chunked', () => {
    fc.assert(
      fc.property(secret, text, text, fc.array(fc.nat(), { maxLength: 6 }), (s, before, after, cuts) => {
        const forms = [
          s,
          JSON.stringify(s).slice(1, -1),
          s.replace(/'/g, `'\\''`),
          ...(s.length >= 6 ? [Buffer.from(s).toString('base64')] : []),
        ];
        const output = forms.map((form) => `${before}${form}${after}`).join('\n') + '\n';
        const shown = streamed([s], cut(output, cuts));
        for (const form of forms) expect(shown).not.toContain(form);
      }),
      { numRuns: 200 },
    );
  });

  it('a secret wrapped across two lines shows at most three characters of it on either side', () => {
    fc.assert(
      fc.property(
        secret.filter((s) => s.length >= 8),
        fc.nat(),
        (s, k) => {
          const at = 1 + (k % (s.length - 1));
          const shown = masker([s])(`${s.slice(0, at)}\n${s.slice(at)}`);
          const [first, second] = shown.split('\n');
          expect(first.replace('***', '').length).toBeLessThanOrEqual(3);
          expect(second.replace('***', '').length).toBeLessThanOrEqual(3);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws on hostile text and keeps text without secrets or credentials as it is', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 400 }),
        fc.array(fc.string({ maxLength: 50 }), { maxLength: 4 }),
        (t, secrets) => {
          expect(typeof masker(secrets)(t)).toBe('string');
          expect(typeof maskCredentials(t)).toBe('string');
          if (!/[@/]/.test(t)) expect(masker([])(t)).toBe(t);
        },
      ),
      { numRuns: 200 },
    );
  });
});
