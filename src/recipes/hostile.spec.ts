/**
 * Hostile recipes: each is refused with a reason (and a line where known) by
 * a bound on the work or memory it may take, and reading goes on normally
 * afterwards. No assertion on time: a recipe past its bound that still ran
 * unbounded would exceed the test's timeout.
 */
import { MAX_RECIPE_BYTES, readRecipe, RecipeReadError } from './index';
import { JINJA_FUEL, JINJA_MAX_OUTPUT } from './jinja';
import { jinjaEngine } from './jinja-engine';
import { V1_LIMITS } from './v1';

function refusal(file: string, text: string): RecipeReadError {
  try {
    readRecipe(file, text, 'linux-64');
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeReadError);
    return e as RecipeReadError;
  }
  throw new Error(`${file} was read, not refused`);
}

const normal = 'package:\n  name: fine\nrequirements:\n  run:\n    - dep  # [linux]\n';

function stillReadsNormally(): void {
  expect(readRecipe('fine/meta.yaml', normal, 'linux-64').requirements.run).toEqual(['dep']);
}

describe('hostile recipes are bounded', () => {
  it('a 20 KB selector line (catastrophic backtracking for the old regex) is read in one pass', () => {
    const long = `    - dep  # ${'[a '.repeat(7000)}[linux]`;
    const info = readRecipe('long/meta.yaml', `package:\n  name: long\nrequirements:\n  run:\n${long}\n`, 'linux-64');
    expect(long.length).toBeGreaterThan(20000);
    expect(info.requirements.run).toEqual(['dep']);
  });

  it('two nested range(10000) loops stop at the fuel limit, with the line', () => {
    const text =
      'package:\n  name: loop\n{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}\n';
    const e = refusal('loop/meta.yaml', text);
    expect(e.reason).toBe(
      `Jinja: the template did not finish within ${JINJA_FUEL} steps (a loop too long for a recipe?)`,
    );
    expect(e.line).toBe(3);
    stillReadsNormally();
  });

  it('"x" * 1000000000 stops at the memory cap, and the next recipe renders in a fresh engine', () => {
    expect(jinjaEngine().capped).toBe(true);
    const before = jinjaEngine().generation;
    const e = refusal('big/meta.yaml', 'package:\n  name: big\nabout:\n  summary: {{ "x" * 1000000000 }}\n');
    expect(e.reason).toMatch(/^Jinja: the template needs more than 64 MB of memory to render/);
    expect(readRecipe('fine/meta.yaml', '{% set n = "fine" %}package:\n  name: {{ n }}\n', 'linux-64').names).toEqual([
      'fine',
    ]);
    expect(jinjaEngine().generation).toBeGreaterThan(before);
  });

  it('a string doubled in a loop stops at the memory cap or the output limit', () => {
    const text =
      '{% set ns = namespace(s="xxxxxxxxxx") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}package:\n  name: {{ ns.s }}\n';
    const e = refusal('double/meta.yaml', text);
    expect(e.reason).toMatch(/more than 64 MB of memory|longer than 1000000 characters/);
    stillReadsNormally();
  });

  it('a rendered template over the output limit is refused', () => {
    const text = `package:\n  name: {{ "y" * ${JINJA_MAX_OUTPUT + 10} }}\n`;
    expect(refusal('out/meta.yaml', text).reason).toBe(
      `Jinja: the rendered template is longer than ${JINJA_MAX_OUTPUT} characters`,
    );
  });

  it('a file over the size limit is refused unread', () => {
    const text = `package:\n  name: huge\n# ${'z'.repeat(MAX_RECIPE_BYTES)}\n`;
    expect(refusal('huge/meta.yaml', text).reason).toMatch(
      /^the file is \d+ KB, over nx-conda's limit of 512 KB for a recipe$/,
    );
  });

  it('recipe.yaml: nested aliases under if/then fail at the alias limit instead of expanding', () => {
    const lines = [
      'package:',
      '  name: bomb',
      'defs:',
      '  a0: &a0 [{if: linux, then: [x, x]}, {if: linux, then: [x, x]}]',
    ];
    for (let i = 1; i < 40; i++)
      lines.push(`  a${i}: &a${i} [{if: linux, then: *a${i - 1}}, {if: linux, then: *a${i - 1}}]`);
    lines.push('requirements:', '  run: *a39', '');
    const text = lines.join('\n');
    expect(text.length).toBeLessThan(3000);
    expect(refusal('bomb/recipe.yaml', text).reason).toBe(
      'YAML: Excessive alias count indicates a resource exhaustion attack',
    );
  });

  it('recipe.yaml: if/then flattening stops at its item limit under the alias limit', () => {
    // Two aliases of one long list: within yaml's alias limit, past V1_LIMITS.items once flattened.
    const long = Array.from({ length: V1_LIMITS.items / 2 + 10 }, () => 'x').join(', ');
    const text = `package:\n  name: wide\ndefs:\n  a: &a [${long}]\nrequirements:\n  run: [{if: linux, then: *a}, {if: linux, then: *a}]\n`;
    expect(refusal('wide/recipe.yaml', text).reason).toBe(
      `more than ${V1_LIMITS.items} list items after if/then/else (aliases expanding?)`,
    );
  });

  it('recipe.yaml: if/then nested too deep is refused', () => {
    let item = 'x';
    for (let i = 0; i < V1_LIMITS.depth + 5; i++) item = `{if: linux, then: [${item}]}`;
    const text = `package:\n  name: deep\nrequirements:\n  run: [${item}]\n`;
    expect(refusal('deep/recipe.yaml', text).reason).toBe(`if/then/else nested more than ${V1_LIMITS.depth} deep`);
  });

  it("meta.yaml: merge keys past js-yaml's limit, and nesting past its depth, are YAML errors with a line", () => {
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}: v`).join(', ');
    const merges = Array.from({ length: 100 }, (_, i) => `  m${i}: {<<: *base}`).join('\n');
    const e = refusal('merge/meta.yaml', `package:\n  name: merge\nbase: &base {${keys}}\nmore:\n${merges}\n`);
    expect(e.reason).toMatch(/^YAML: .*merge/i);
    expect(e.line).toBeGreaterThan(3);
    const deep = `package:\n  name: deep\nx: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    expect(refusal('deep/meta.yaml', deep).reason).toMatch(/^YAML: .*depth/i);
  });
});
