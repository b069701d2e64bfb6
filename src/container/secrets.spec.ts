import { generateKeyPairSync } from 'node:crypto';
import { LineWriter, MAX_LINE } from './lines';
import { MASK, lineMasker, maskCredentials, masker } from './secrets';

/** What a stream of chunks looks like once it has gone through a LineWriter with a per-stream masker. */
function streamed(secrets: string[], chunks: string[]): string {
  let out = '';
  const writer = new LineWriter((s) => (out += s), '', undefined, lineMasker(secrets));
  for (const chunk of chunks) writer.push(chunk);
  writer.flush();
  return out;
}

// Issue 18, point 8: each form below was printed in clear before.
describe('masking secrets in every form they are printed in', () => {
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const rsaLike = [
    '-----BEGIN PRIVATE KEY-----',
    'A'.repeat(20) + 'b1c2d3e4f5g6h7i8j9k0',
    'Zm9vYmFyYmF6cXV4',
    '-----END PRIVATE KEY-----',
  ].join('\n');

  it('masks every line of a multi-line value (a PEM key printed line by line)', () => {
    for (const key of [pem, rsaLike]) {
      const lines = key.trim().split('\n');
      const out = streamed([key], [`cat key.pem\n`, ...lines.map((l) => `${l}\n`)]);
      for (const line of lines) expect(out).not.toContain(line);
      expect(out.split('\n').slice(1, -1)).toEqual(lines.map(() => MASK));
    }
  });

  it('masks a value split across two lines, and across three', () => {
    const secret = 'hunter2-correct-horse-battery';
    expect(streamed([secret], ['token is hunter2-corr', 'ect\nhorse-battery and more\n'])).toBe(
      `token is ${MASK}\n${MASK} and more\n`,
    );
    const out = streamed([secret], ['x hunter2-co\nrrect-horse-b\nattery y\n']);
    expect(out).not.toMatch(/hunter2-co|rrect-horse-b|attery/);
    expect(out).toBe(`x ${MASK}\n${MASK}\n${MASK} y\n`);
  });

  it('masks its base64 form, wherever it sits in the encoded text', () => {
    const secret = 's3cr3t-token-value!';
    for (const before of ['', 'a', 'ab', 'abc', 'user:']) {
      const encoded = Buffer.from(`${before}${secret}\n`).toString('base64');
      const out = masker([secret])(`Authorization: Basic ${encoded}`);
      expect(out).toContain(MASK);
      // What is left of the encoded text is at most the group before and the group after the value.
      const left = out.replace('Authorization: Basic ', '').replace(MASK, '');
      expect(left.length).toBeLessThanOrEqual(12);
      expect(Buffer.from(left, 'base64').toString('latin1')).not.toContain(secret.slice(0, 6));
    }
  });

  it("masks bash -x quoting of a value holding ' and a newline", () => {
    const secret = "it's-a-secret";
    expect(masker([secret])(`+ curl -H 'X-Token: it'\\''s-a-secret' https://x`)).toBe(
      `+ curl -H 'X-Token: ${MASK}' https://x`,
    );
    const multi = 'line-one\nline-two';
    expect(masker([multi])(`+ echo $'line-one\\nline-two'`)).toBe(`+ echo $'${MASK}'`);
  });

  it('masks JSON-escaped values', () => {
    const secret = 'pa"ss\\word/with\tcontrol';
    const json = JSON.stringify({ password: secret });
    expect(masker([secret])(json)).toBe(`{"password":"${MASK}"}`);
  });

  it('masks a scheme-less user:p@ss:word@proxy:3128 wherever it ends', () => {
    for (const [text, want] of [
      ['user:p@ss:word@proxy:3128', `${MASK}@proxy:3128`],
      ['using proxy user:p@ss:word@proxy:3128.', `using proxy ${MASK}@proxy:3128.`],
      ['(user:p@ss:word@proxy:3128)', `(${MASK}@proxy:3128)`],
      ['proxy=user:p@ss:word@proxy:3128: refused', `proxy=${MASK}@proxy:3128: refused`],
      ['<user:p@ss:word@proxy.example.org:3128>', `<${MASK}@proxy.example.org:3128>`],
      // Issue 31, point 7: a host with `_` (a compose service name).
      ['bob:p@ss:w0rd-123@proxy_host:3128', `${MASK}@proxy_host:3128`],
      ['https_proxy=bob:p@ss:w0rd-123@proxy_host:3128', `https_proxy=${MASK}@proxy_host:3128`],
      ['via bob:p@ss:w0rd-123@proxy_host:3128.', `via ${MASK}@proxy_host:3128.`],
      ['http://bob:p@ss:w0rd-123@proxy_host:3128/', `http://${MASK}@proxy_host:3128/`],
    ]) {
      expect(maskCredentials(text)).toBe(want);
    }
  });

  it('still masks whole values, values split across chunks, and URL credentials', () => {
    expect(streamed(['s3cr3t-value'], ['echo s3cr', '3t-value ', 'http://u:p@h\n'])).toBe(
      `echo ${MASK} http://${MASK}@h\n`,
    );
  });

  it('leaves ordinary text alone', () => {
    const mask = lineMasker([pem, 'hunter2-correct-horse-battery']);
    for (const line of ['building foo 1.0', 'ok', '', '   done   ', 'http://example.org/path'])
      expect(mask(line)).toBe(line);
  });
});

describe('output without end of line is bounded', () => {
  it('writes a line longer than MAX_LINE in pieces instead of keeping it all', () => {
    const pieces: string[] = [];
    const writer = new LineWriter((s) => pieces.push(s), '', undefined, lineMasker(['a-secret-value']));
    for (let i = 0; i < 50; i++) writer.push('x'.repeat(10_000));
    expect(pieces.length).toBeGreaterThanOrEqual(7);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MAX_LINE + 1);
    writer.flush();
    expect(pieces.join('').replace(/\n/g, '')).toHaveLength(500_000);
  });
});
