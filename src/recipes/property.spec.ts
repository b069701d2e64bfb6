/**
 * Property-based tests (issue 18): generated hostile recipe text, match specs
 * and selectors. Whatever the input, reading ends in bounded time with a
 * result or our own error (RecipeReadError), never another exception.
 * numRuns is modest: the unit suite stays fast.
 */
import fc from 'fast-check';
import { readRecipe, RecipeReadError } from './index';
import { isPackageName, matchSpecName, packageNameOfSpec } from './match-spec';
import { applySelectors, evalSelector, matchSelector, selectorNamespace } from './selectors';

/** Pieces recipes are made of, and pieces an attacker adds. */
const TOKENS = [
  '{{',
  '}}',
  '{%',
  '%}',
  '{#',
  '#}',
  '${{',
  'set x = ',
  'for i in range(99999) ',
  'endfor',
  'if ',
  'endif',
  ' # [',
  ']',
  '[',
  'linux',
  'not ',
  ' and ',
  '(',
  ')',
  ':',
  '- ',
  '\n',
  '  ',
  '\t',
  '"',
  "'",
  '&a ',
  '*a',
  '<<: ',
  '!!python/object ',
  '__proto__',
  'constructor',
  'package:\n  name: ',
  'requirements:\n  run:\n    - ',
  'outputs:\n  - name: ',
  'context:\n  ',
  'if: linux\nthen: ',
  'x',
  '\u0000',
  '\u001b]0;t\u0007',
  '\u202e',
  '💥',
];
const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 })), { maxLength: 120 })
  .map((parts) => parts.join(''));

/** Runs `read`; only our own error may come out of it. */
function ownErrorOnly(read: () => unknown): void {
  try {
    read();
  } catch (e) {
    if (!(e instanceof RecipeReadError)) throw e;
    expect(typeof e.message).toBe('string');
  }
}

describe('properties of reading hostile recipes', () => {
  it('readRecipe gives a recipe or a RecipeReadError for any meta.yaml text', () => {
    fc.assert(
      fc.property(hostileText, (text) => ownErrorOnly(() => readRecipe('r/meta.yaml', text, 'linux-64'))),
      { numRuns: 150 },
    );
  });

  it('readRecipe gives a recipe or a RecipeReadError for any recipe.yaml text', () => {
    fc.assert(
      fc.property(hostileText, (text) => ownErrorOnly(() => readRecipe('r/recipe.yaml', text, 'linux-64'))),
      { numRuns: 150 },
    );
  });

  it('a valid recipe around hostile requirement text still reads or is refused, never throws otherwise', () => {
    fc.assert(
      fc.property(hostileText, fc.constantFrom('linux-64', 'osx-arm64', 'win-64', 'noarch'), (dep, platform) =>
        ownErrorOnly(() =>
          readRecipe(
            'r/meta.yaml',
            `package:\n  name: p\n  version: "1"\nrequirements:\n  run:\n    - ${dep}\n`,
            platform,
          ),
        ),
      ),
      { numRuns: 100 },
    );
  });
});

describe('properties of match specs', () => {
  it('the name of any value is undefined or a non-empty string without spaces or operators, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.anything()), (spec) => {
        const name = matchSpecName(spec);
        if (name === undefined) return;
        expect(name.length).toBeGreaterThan(0);
        expect(name).not.toMatch(/[\s<>=!~]/);
        const lower = packageNameOfSpec(spec);
        expect(lower).toBe(name.toLowerCase());
      }),
      { numRuns: 300 },
    );
  });

  it('a package name with any version constraint gives back that name', () => {
    const name = fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,30}$/);
    const constraint = fc.constantFrom(
      '',
      ' >=1.0',
      '=1.2=h0',
      '>=1,<2',
      ' 1.2.*',
      "[version='>=1']",
      ' [build_number=2]',
    );
    const channel = fc.constantFrom('', 'conda-forge::', 'conda-forge/linux-64::');
    fc.assert(
      fc.property(channel, name, constraint, (c, n, v) => {
        expect(isPackageName(n)).toBe(true);
        expect(matchSpecName(`${c}${n}${v}`)).toBe(n);
      }),
      { numRuns: 300 },
    );
  });
});

describe('properties of selectors', () => {
  const ns = selectorNamespace('linux-64');
  const expr = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'linux',
          'osx',
          'win',
          'py',
          '>=',
          '==',
          '38',
          'not',
          'and',
          'or',
          '(',
          ')',
          '"',
          "'",
          '[',
          ']',
          'x.y',
          '__class__',
          '1e9999',
          ' ',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 60 },
    )
    .map((p) => p.join(' '));

  it('evalSelector gives true, false or undefined for any expression, never throws', () => {
    fc.assert(
      fc.property(expr, (e) => {
        expect([true, false, undefined]).toContain(evalSelector(e, ns));
      }),
      { numRuns: 300 },
    );
  });

  it('matchSelector and applySelectors take any line or text without throwing', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        for (const line of text.split('\n')) matchSelector(line);
        expect(typeof applySelectors(text, ns)).toBe('string');
      }),
      { numRuns: 150 },
    );
  });

  it('a line with a selector that is false is dropped, one that is true kept', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9 _.:-]{0,40}$/), (head) => {
        expect(applySelectors(`${head}  # [osx]\n`, ns).trim()).toBe('');
        expect(applySelectors(`${head}  # [linux]\n`, ns)).toContain(head.trim());
      }),
      { numRuns: 200 },
    );
  });
});
