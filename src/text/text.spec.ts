import { shellJoin } from './shell';
import { TemplateError, renderTemplate } from './template';
import { neutraliseControls } from './terminal';

describe('renderTemplate', () => {
  it('keeps lines by default (build scripts), drops empty placeholder-only lines on request (Dockerfiles)', () => {
    expect(renderTemplate('a\n  {{x}}\nb {{ y }}', { x: '', y: '1' }, 's')).toBe('a\n  \nb 1');
    expect(renderTemplate('a\n  {{x}}\nb {{ y }}', { x: '', y: '1' }, 's', { dropEmptyPlaceholderLines: true })).toBe(
      'a\nb 1',
    );
  });

  it('names every unknown placeholder with source and line, and lists the known ones', () => {
    expect(() => renderTemplate('ok\n{{nope}} {{x}}\n{{.Id}} {{typo}}', { x: '1' }, 'tpl.sh')).toThrow(
      new TemplateError(
        'tpl.sh:2: unknown placeholder {{nope}}; tpl.sh:3: unknown placeholder {{typo}}. Known placeholders: {{x}}.',
      ),
    );
  });
});

describe('shellJoin', () => {
  it('quotes only what needs it', () => {
    expect(shellJoin(['conda', 'install', 'samtools>=1.9', "it's", ''])).toBe(
      "conda install 'samtools>=1.9' 'it'\\''s' ''",
    );
  });
});

// Issue 31, point 4: output from a container or a server never drives the terminal.
describe('neutraliseControls', () => {
  it.each([
    ['window title (OSC 0, BEL)', 'a\u001b]0;pwned\u0007b', 'ab'],
    ['clipboard write (OSC 52, ST)', 'a\u001b]52;c;cm0gLXJmIH4=\u001b\\b', 'ab'],
    ['OSC never ended', 'a\u001b]52;c;cm0gLXJmIH4=', 'a'],
    ['hyperlink (OSC 8)', '\u001b]8;;http://x.invalid\u001b\\link\u001b]8;;\u001b\\', 'link'],
    ['DCS string', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['cursor movement and erase (CSI)', 'a\u001b[2J\u001b[1;1H\u001b[Kb\u001b[?25l', 'ab'],
    ['colours too (SGR)', '\u001b[31;1mred\u001b[0m', 'red'],
    ['8-bit CSI and OSC', 'a\u009b2Jb\u009d0;t\u009cc', 'abc'],
    ['two-byte escapes (RIS, charset)', 'a\u001bcb\u001b(0c', 'abc'],
    ['other control characters, tab kept', 'a\u0008\u0007\u0000b\tc\u007f', 'ab\tc'],
    ['bidi overrides', 'a\u202eevil\u202cb\u2066c\u2069', 'aevilbc'],
    ['carriage return: what a terminal shows last', '[foo] ok\r[bar] forged', '[bar] forged'],
    ['plain text unchanged', 'conda 24.1 ✓ — fine', 'conda 24.1 ✓ — fine'],
  ])('%s', (_, line, shown) => {
    expect(neutraliseControls(line)).toBe(shown);
  });

  it('never leaves an escape or control character, whatever the input', () => {
    const alphabet = [
      '\u001b',
      '[',
      ']',
      '\\',
      '\u0007',
      '\u009b',
      '\u009d',
      '\u009c',
      'P',
      '0',
      ';',
      'm',
      'a',
      '\r',
      '\u202e',
    ];
    let seed = 7;
    for (let n = 0; n < 2000; n++) {
      let line = '';
      for (let k = 0; k < 12; k++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        line += alphabet[seed % alphabet.length];
      }
      // eslint-disable-next-line no-control-regex
      expect(neutraliseControls(line)).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e]/);
    }
  });
});
