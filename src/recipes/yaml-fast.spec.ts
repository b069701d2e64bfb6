import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadYaml, loadYamlFull } from './yaml';
import { loadYamlFast } from './yaml-fast';
import { applySelectors, selectorNamespace } from './selectors';
import { JinjaRenderer, condaBuildGlobals } from './jinja';

/** The fast reader must either decline or agree with the `yaml` package. */
function agrees(text: string): 'fast' | 'declined' {
  const fast = loadYamlFast(text);
  if (fast === undefined) return 'declined';
  expect(fast).toEqual(loadYamlFull(text));
  return 'fast';
}

describe('loadYamlFast', () => {
  it('reads plain block YAML as the yaml package does', () => {
    const accepted = [
      'package:\n  name: foo\n  version: 1.10\n',
      'a:\n- x\n- y  # comment\nb: c#d\n',
      'a:\n  - name: x\n    requirements:\n      run:\n      - y\n  - name: z\n',
      'a: ~\nb:\nc: null\nd: True\ne: false\nf: "1.0"\ng: \'it\'\'s\'\nh: 0x10\ni: .inf\n',
      'a: |\n  line 1\n\n  line 2\n\nb: |-\n  x\nc: |+\n  y\n\n',
      'about:\n  summary: a long\n    summary over\n\n    lines\n  license: MIT\n',
      '- a\n-\n- - \n'.replace('- - \n', '- b\n'),
      'x:\n  # a comment\n  y: https://example.org/a:b\n',
      '# only\nk: v # c\n',
      'build:\n  script: ${{ python }} -m pip install . -vv\n',
    ];
    for (const t of accepted) expect(agrees(t)).toBe('fast');
  });

  it('declines what it does not know, never disagreeing', () => {
    const texts = [
      'a: [1, 2]\n',
      'a: {b: c}\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: >\n  folded\n  text\n',
      'a: "esc\\n"\n',
      '---\na: 1\n',
      'a:\n\tb: 1\n',
      'a: 1\r\nb: 2\r\n',
      'a:\n    b: 1\n  c: 2\n',
      'a: b: c\n',
      'a: 1\n  b: 2\n',
      'a: 1\n- b\n',
      '"a": 1\n',
      'a: |\n\n      x\n    y\n',
      'a:\n  - x\n    - y\n',
      'a: text\n  # comment\n  more\n',
      'a: text\n  - more\n',
      '__proto__: 1\n',
      '',
      'a:b\n',
    ];
    for (const t of texts) {
      const fast = loadYamlFast(t);
      if (fast !== undefined) {
        let full: unknown;
        expect(() => (full = loadYamlFull(t))).not.toThrow();
        expect(fast).toEqual(full);
      }
    }
  });

  it('leaves errors to the yaml package, with their line', () => {
    expect(() => loadYaml('a: 1\n  b: [\n')).toThrow();
    try {
      loadYaml('a:\n  b: 1\n c: 2\n');
    } catch (e) {
      expect((e as { line?: number }).line).toBe(3);
    }
  });

  const corpus = resolve(__dirname, '..', '..', '..', 'shared', 'corpus', 'conda-recipes');
  (existsSync(corpus) ? it : it.skip)('agrees with the yaml package on every corpus recipe', () => {
    const ns = selectorNamespace('linux-64');
    const jinja = new JinjaRenderer(() => ({ ...ns, ...condaBuildGlobals() }));
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n === 'meta.yaml' ? [join(d, n)] : []));
    let fast = 0;
    for (const f of walk(corpus)) {
      let text: string;
      try {
        text = applySelectors(jinja.render(readFileSync(f, 'utf8'), {}), ns);
      } catch {
        continue;
      }
      if (loadYamlFast(text) === undefined) continue;
      let full: unknown;
      try {
        full = loadYamlFull(text);
      } catch (e) {
        throw new Error(`${f}: fast reader accepted what yaml rejects: ${String(e)}`);
      }
      expect({ f, v: loadYamlFast(text) }).toEqual({ f, v: full });
      fast++;
    }
    expect(fast).toBeGreaterThan(1000);
  });
});
