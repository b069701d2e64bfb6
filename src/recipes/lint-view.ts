/**
 * A recipe as the linter reads it: the same stages as the graph's reader
 * (meta.yaml: Jinja, line selectors for the platform, YAML 1.1; recipe.yaml:
 * YAML 1.2, context, `${{ }}`, if/then/else), with two differences a linter
 * needs: `compiler('c')` renders as `compiler_c` (and `stdlib('c')` as
 * `stdlib_c`, as bioconda's linter renders them) so checks can see compilers,
 * and the text the YAML was read from is also parsed with positions (lines
 * of keys, keys written twice).
 */
import { formatOfFile, type RecipeFormat } from '../core/formats';
import { isRecipeReadError, ParseError } from './errors';
import { positionsOf, type PositionIndex } from './positions';
import { readerFor } from './meta';
import { applySelectors, matchSelector } from './selectors';
import { loadRecipeYaml } from './yaml';
import { oversizeReason } from './index';

/** The stage a recipe failed in: bioconda's names for those failures are `jinja_render_failure` and `yaml_load_failure`. */
export type ReadStage = 'jinja' | 'yaml' | 'recipe';

export interface LintReadFailure {
  stage: ReadStage;
  reason: string;
  line?: number;
}

export interface LineSelector {
  /** 1-based line. */
  line: number;
  expr: string;
}

export interface RecipeView {
  format: RecipeFormat;
  /** The source text, split in lines. */
  lines: string[];
  /** Every line selector of a meta.yaml (`# [expr]`), whatever its value on this platform. */
  selectors: LineSelector[];
  /** The rendered recipe for the platform; undefined when it could not be read (see failure). */
  doc?: Record<string, unknown>;
  positions: PositionIndex;
  failure?: LintReadFailure;
}

function namedStub(prefix: string) {
  return (...args: unknown[]) => {
    const lang = typeof args[0] === 'string' ? args[0] : '';
    return `${prefix}_${lang}`;
  };
}

/** The linter's Jinja functions over the builders': compilers keep their names. */
function lintGlobals(): Record<string, unknown> {
  return { compiler: namedStub('compiler'), stdlib: namedStub('stdlib') };
}

const NO_POSITIONS: PositionIndex = { lineOf: () => undefined, duplicates: [] };

function failureOf(stage: ReadStage, e: unknown): LintReadFailure {
  if (isRecipeReadError(e)) {
    const m = /^(Jinja|YAML): /.exec(e.reason);
    return {
      stage: m ? (m[1] === 'Jinja' ? 'jinja' : 'yaml') : stage,
      reason: m ? e.reason.slice(m[0].length) : e.reason,
      ...(e.line !== undefined ? { line: e.line } : {}),
    };
  }
  if (e instanceof ParseError) return { stage, reason: e.message, ...(e.line !== undefined ? { line: e.line } : {}) };
  return { stage, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) };
}

function lineSelectors(lines: string[]): LineSelector[] {
  const out: LineSelector[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (!line.includes('#') || line.trimStart().startsWith('#')) return;
    const m = matchSelector(line);
    if (m?.inComment) out.push({ line: i + 1, expr: m.expr.trim() });
  });
  return out;
}

/** Reads a recipe for the linter. Never throws: a recipe that cannot be read has a `failure`. */
export function readRecipeView(file: string, contents: string, platform: string): RecipeView {
  const format = formatOfFile(file) ?? 'meta';
  const lines = contents.split(/\r?\n/);
  const base = { format, lines, selectors: format === 'meta' ? lineSelectors(lines) : [] };
  const oversize = oversizeReason(Buffer.byteLength(contents, 'utf8'));
  if (oversize) return { ...base, positions: NO_POSITIONS, failure: { stage: 'recipe', reason: oversize } };
  if (format === 'recipe') {
    const positions = positionsOf(contents, '1.2');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const v1 = require('./v1') as typeof import('./v1');
      return { ...base, positions, doc: v1.renderV1Document(file, contents, platform, 'lint', lintGlobals) };
    } catch (e) {
      return {
        ...base,
        positions,
        failure: failureOf(/^YAML: /.test(String((e as Error)?.message)) ? 'yaml' : 'jinja', e),
      };
    }
  }
  const { ns, jinja } = readerFor(platform, 'lint', lintGlobals);
  let rendered: string;
  try {
    rendered = /\{[{%#]/.test(contents) ? jinja.render(contents, {}) : contents;
  } catch (e) {
    return { ...base, positions: NO_POSITIONS, failure: failureOf('jinja', e) };
  }
  const selected = applySelectors(rendered, ns);
  const positions = positionsOf(selected, '1.1');
  try {
    return { ...base, positions, doc: loadRecipeYaml(file, selected, '1.1') };
  } catch (e) {
    if (isRecipeReadError(e) && e.reason === 'the recipe is not a YAML mapping') return { ...base, positions, doc: {} };
    return { ...base, positions, failure: failureOf('yaml', e) };
  }
}
