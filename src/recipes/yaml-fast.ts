/**
 * A fast reader for the plain block YAML most recipes are written in, giving
 * the same result as `loadYaml` (yaml.ts) or `undefined` when the text uses
 * anything outside its small subset. `loadYaml` then reads the file with the
 * `yaml` package, which also reports errors with their line: this reader never
 * reports an error, it only declines.
 *
 * The subset: block mappings with simple plain keys, block sequences (also at
 * the indentation of their key, and `- key: value` compact mappings), plain
 * scalars (also folded over more indented lines), one-line quoted scalars
 * without escapes, literal block scalars (`|`, `|-`, `|+`), comments and
 * blank lines. Scalars resolve as in yaml.ts: `null`/`~`/empty are null,
 * `true`/`false` booleans, all else (numbers too) strings. Anything else
 * (tabs, CR, flow collections, anchors, tags, folded block scalars, odd
 * indentation, document markers, ...) declines.
 */

class Decline extends Error {}
const DECLINE = new Decline();

/** `key:` followed by a space or the end of the line; key a simple plain word. */
const KEY = /^([A-Za-z0-9_][A-Za-z0-9_.\-/]*):(?: +|$)/;
const NULL = /^(?:~|null|Null|NULL)?$/;
const TRUE = /^(?:true|True|TRUE)$/;
const FALSE = /^(?:false|False|FALSE)$/;
const DOUBLE = /^"([^"\\]*)"(?: +#.*)? *$/;
const SINGLE = /^'((?:[^']|'')*)'(?: +#.*)? *$/;
const BLOCK = /^\|([+-]?)(?: +#.*)? *$/;
/** Characters a continuation line of a plain scalar may not start with here. */
const CONTINUATION_START = '[]{},&*!|>\'"%@`?:#-';
// eslint-disable-next-line no-control-regex
const UNSUPPORTED_CHARS = /[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]/;

interface Line {
  indent: number;
  /** Text after the indentation (not blank, not a comment). */
  text: string;
  /** Index in the raw lines (for block scalars). */
  raw: number;
}

class Reader {
  private readonly lines: Line[] = [];
  private i = 0;

  constructor(private readonly raw: string[]) {
    for (let r = 0; r < raw.length; r++) {
      const s = raw[r];
      let indent = 0;
      while (indent < s.length && s.charCodeAt(indent) === 32) indent++;
      if (indent === s.length || s.charCodeAt(indent) === 35 /* # */) continue;
      this.lines.push({ indent, text: s.slice(indent), raw: r });
    }
  }

  parseDocument(): unknown {
    if (this.lines.length === 0) throw DECLINE;
    const first = this.lines[0];
    if (first.indent !== 0) throw DECLINE;
    const t = first.text;
    if (t.startsWith('---') || t.startsWith('...') || t.startsWith('%')) throw DECLINE;
    const v = this.block(0);
    if (this.i !== this.lines.length) throw DECLINE;
    return v;
  }

  private peek(): Line | undefined {
    return this.lines[this.i];
  }

  /** A block node (mapping or sequence) whose lines are at exactly `indent`. */
  private block(indent: number): unknown {
    const l = this.peek();
    if (!l || l.indent !== indent) throw DECLINE;
    if (isSeqItem(l.text)) return this.sequence(indent);
    if (KEY.test(l.text)) return this.mapping(indent, l.text, l.raw);
    throw DECLINE;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    for (let l = this.peek(); l && l.indent === indent && isSeqItem(l.text); l = this.peek()) {
      this.i++;
      let col = indent + 1;
      while (col - indent < l.text.length && l.text.charCodeAt(col - indent) === 32) col++;
      const rest = l.text.slice(col - indent);
      if (rest === '') out.push(this.nested(indent, false));
      else if (KEY.test(rest)) out.push(this.mapping(col, rest, l.raw));
      else if (isSeqItem(rest)) throw DECLINE;
      else out.push(this.value(rest, indent, l.raw));
    }
    const next = this.peek();
    if (next && next.indent > indent) throw DECLINE;
    return out;
  }

  /**
   * A mapping at `indent` whose first entry's text is `firstText` (it may sit
   * after a `- `, so it is passed in rather than read from the lines).
   */
  private mapping(indent: number, firstText: string, firstRaw: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    let text: string | undefined = firstText;
    let raw = firstRaw;
    for (;;) {
      const m = KEY.exec(text);
      if (!m) throw DECLINE;
      const key = m[1];
      if (key === '__proto__' || NULL.test(key) || key.length > 1000) throw DECLINE;
      const rest = text.slice(m[0].length);
      out[key] = rest === '' || rest.charCodeAt(0) === 35 ? this.nested(indent, true) : this.value(rest, indent, raw);
      const l = this.peek();
      if (!l || l.indent < indent) break;
      if (l.indent > indent) throw DECLINE;
      this.i++;
      text = l.text;
      raw = l.raw;
    }
    return out;
  }

  /** The value of a key or `-` with nothing after it on its line. */
  private nested(indent: number, ofKey: boolean): unknown {
    const l = this.peek();
    if (!l) return null;
    if (l.indent > indent) return this.block(l.indent);
    // A sequence may sit at its key's indentation.
    if (ofKey && l.indent === indent && isSeqItem(l.text)) return this.sequence(indent);
    return null;
  }

  /** A scalar written after `key: ` or `- ` on a line at `indent`. */
  private value(text: string, indent: number, raw: number): unknown {
    const c = text.charCodeAt(0);
    let v: unknown;
    if (c === 34 /* " */) {
      const m = DOUBLE.exec(text);
      if (!m) throw DECLINE;
      v = m[1];
    } else if (c === 39 /* ' */) {
      const m = SINGLE.exec(text);
      if (!m) throw DECLINE;
      v = m[1].replace(/''/g, "'");
    } else if (c === 124 /* | */) {
      const m = BLOCK.exec(text);
      if (!m) throw DECLINE;
      return this.literal(indent, raw, m[1]);
    } else {
      v = plain(text);
      if (typeof v === 'string' && !text.includes(' #')) v = this.plainContinued(v, indent, raw);
    }
    // A scalar has no children: a more indented line would continue it.
    const next = this.peek();
    if (next && next.indent > indent) throw DECLINE;
    return v;
  }

  /**
   * A plain scalar `first` on raw line `raw`, continued on the more indented
   * lines that follow: lines are folded into one with spaces, each blank line
   * between them gives a line break. Declines on continuation lines that
   * could mean something else (indicators, `: `, comments).
   */
  private plainContinued(first: string, indent: number, raw: number): unknown {
    const rawLines = this.raw;
    let out = first;
    let blanks = 0;
    let end = raw + 1;
    let consumed = raw + 1;
    for (; end < rawLines.length; end++) {
      const s = rawLines[end];
      let sp = 0;
      while (sp < s.length && s.charCodeAt(sp) === 32) sp++;
      if (sp === s.length) {
        blanks++;
        continue;
      }
      if (sp <= indent) break;
      const t = s.slice(sp).trimEnd();
      if (CONTINUATION_START.includes(t[0]) || t.includes(': ') || t.includes(' #') || t.endsWith(':')) throw DECLINE;
      out += blanks > 0 ? '\n'.repeat(blanks) : ' ';
      out += t;
      blanks = 0;
      consumed = end + 1;
    }
    if (consumed === raw + 1) return first;
    while (this.i < this.lines.length && this.lines[this.i].raw < consumed) this.i++;
    return out;
  }

  /** A literal block scalar starting after raw line `raw`, its parent at `indent`. */
  private literal(indent: number, raw: number, chomp: string): string {
    const rawLines = this.raw;
    let contentIndent = -1;
    let end = raw + 1;
    let maxLeadingBlank = 0;
    const body: string[] = [];
    for (; end < rawLines.length; end++) {
      const s = rawLines[end];
      let sp = 0;
      while (sp < s.length && s.charCodeAt(sp) === 32) sp++;
      if (sp === s.length) {
        // blank (spaces only)
        if (contentIndent < 0) maxLeadingBlank = Math.max(maxLeadingBlank, sp);
        else if (sp > contentIndent) throw DECLINE;
        body.push('');
        continue;
      }
      if (contentIndent < 0) {
        if (sp <= indent || sp < maxLeadingBlank) break;
        contentIndent = sp;
      } else if (sp < contentIndent) break;
      body.push(s.slice(contentIndent));
    }
    if (contentIndent < 0) throw DECLINE;
    // Skip the lines read here in the line list.
    while (this.i < this.lines.length && this.lines[this.i].raw < end) this.i++;
    let last = body.length;
    while (last > 0 && body[last - 1] === '') last--;
    const text = body.slice(0, last).join('\n');
    if (chomp === '-') return text;
    if (chomp === '+') return text + '\n'.repeat(body.length - last + 1);
    return text + '\n';
  }
}

function isSeqItem(text: string): boolean {
  return text.charCodeAt(0) === 45 /* - */ && (text.length === 1 || text.charCodeAt(1) === 32);
}

/** A one-line plain scalar (comment removed), resolved to null, a boolean or a string. */
function plain(text: string): unknown {
  const c = text[0];
  if ('[]{},&*!|>\'"%@`?:#'.includes(c) || (c === '-' && (text.length === 1 || text[1] === ' '))) throw DECLINE;
  const hash = text.indexOf(' #');
  const s = (hash >= 0 ? text.slice(0, hash) : text).trimEnd();
  if (s.includes(': ') || s.endsWith(':')) throw DECLINE;
  if (NULL.test(s)) return null;
  if (TRUE.test(s)) return true;
  if (FALSE.test(s)) return false;
  return s;
}

/** The document as plain data, or undefined when the text is outside the subset. */
export function loadYamlFast(text: string): unknown {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    const lines = text.split('\n');
    // After a final line break there is no line.
    if (lines[lines.length - 1] === '') lines.pop();
    return new Reader(lines).parseDocument();
  } catch (e) {
    if (e === DECLINE) return undefined;
    throw e;
  }
}
