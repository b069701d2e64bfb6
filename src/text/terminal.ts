/**
 * Text from a container or a server, made safe to print and to store (Nx
 * keeps a task's terminal output): no escape sequence of any kind passes.
 * OSC (window title, OSC 52 clipboard writes, hyperlinks), DCS/SOS/PM/APC
 * strings, CSI sequences (cursor movement, erasing, and colours too: nx-conda
 * never runs a container with a TTY, so tools print no colours, and a colour
 * code inside a secret would split it past the masker) and their 8-bit C1
 * forms are removed whole; other control characters (but tab) and the bidi
 * controls that reorder what a line shows are removed. A carriage return
 * keeps what a terminal would show last: the text after it.
 */

const ESC = 0x1b;
/** C1 introducers of strings ended by ST: DCS, SOS, OSC, PM, APC. */
const C1_STRINGS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
const C1_CSI = 0x9b;
const BEL = 0x07;
const C1_ST = 0x9c;
/** Bidi embedding, override and isolate controls (the "Trojan source" characters) and the marks. */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Index after a CSI body starting at `i` (parameters, intermediates, one final byte); the end of text if unfinished. */
function skipCsi(text: string, i: number): number {
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x3f) i++;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  return i < text.length && text.charCodeAt(i) >= 0x40 && text.charCodeAt(i) <= 0x7e ? i + 1 : text.length;
}

/** Index after a control string starting at `i`, ended by BEL, ESC \ or C1 ST (or the end of the text). */
function skipString(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BEL || c === C1_ST) return i + 1;
    if (c === ESC) return text[i + 1] === '\\' ? i + 2 : i;
  }
  return i;
}

/** One line of untrusted output with every control sequence and control character removed (see above). */
export function neutraliseControls(line: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(line)) return line;
  const cr = line.lastIndexOf('\r');
  const text = cr >= 0 ? line.slice(cr + 1) : line;
  let out = '';
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c === ESC) {
      const next = text[i + 1];
      if (next === '[') i = skipCsi(text, i + 2);
      else if (next === ']' || next === 'P' || next === 'X' || next === '^' || next === '_')
        i = skipString(text, i + 2);
      else {
        i++;
        while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
        if (i < text.length) i++; // the final byte
      }
    } else if (c === C1_CSI) i = skipCsi(text, i + 1);
    else if (C1_STRINGS.has(c)) i = skipString(text, i + 1);
    else if ((c < 0x20 && c !== 0x09) || (c >= 0x7f && c <= 0x9f)) i++;
    else {
      out += text[i];
      i++;
    }
  }
  return out.replace(BIDI, '');
}

/** A text of many lines (an engine's error, a server's answer), each neutralised. */
export function neutraliseText(text: string): string {
  return text.split('\n').map(neutraliseControls).join('\n');
}
