/**
 * Lints one recipe folder: reads the recipe through the reading layer, runs
 * the active checks, drops what `extra: skip-lints:` names, and returns the
 * findings (file:line, severity, one-line message). A check that throws is
 * a finding (`linter_failure`), never a crash.
 */
import { readRecipeView } from '../recipes/lint-view';
import { asList, asText } from '../recipes/common';
import { lintRecipeOf, type LintRecipe, type PlatformGap } from './model';
import { activeChecks, type LintConfig } from './registry';
import type { Finding, Hit, RepositoryLookup } from './types';

export interface LintInput {
  /** Workspace-relative recipe file. */
  file: string;
  contents: string;
  /** Names of the files in the recipe folder. */
  files: string[];
  readFile(name: string): string | undefined;
  platform: string;
  knownSelectors: ReadonlySet<string>;
  config?: LintConfig;
  repo?: RepositoryLookup;
  /** See LintRecipe.platformGaps. */
  platformGaps?: readonly PlatformGap[];
}

export interface LintResult {
  findings: Finding[];
  /** Fixes --fix can make in the recipe file: on `line`, `replace` becomes `with`. */
  fixes: { check: string; line: number; replace: string; with: string }[];
  /** Configuration problems (unknown rules), for a warning. */
  problems: string[];
}

export function skipLintsOf(recipe: LintRecipe): Set<string> {
  return new Set(asList(recipe.extra['skip-lints']).map((x) => asText(x) ?? ''));
}

export async function lintRecipe(input: LintInput): Promise<LintResult> {
  const dir = input.file.includes('/') ? input.file.slice(0, input.file.lastIndexOf('/')) : '.';
  const view = readRecipeView(input.file, input.contents, input.platform);
  const recipe = lintRecipeOf(input.file, dir, view, input.files, input.readFile, input.knownSelectors);
  if (input.platformGaps?.length) recipe.platformGaps = input.platformGaps;
  const { checks, problems } = activeChecks(input.config);
  const skipped = skipLintsOf(recipe);
  const findings: Finding[] = [];
  const fixes: LintResult['fixes'] = [];
  const fired = new Set<string>();
  for (const { check, severity } of checks) {
    if (skipped.has(check.name)) continue;
    // A recipe that cannot be read gets only the checks that need no reading.
    if (
      view.failure &&
      !['jinja_render_failure', 'yaml_load_failure', 'has_windows_bat_file', 'unknown_selector'].includes(check.name)
    )
      continue;
    if (check.after?.some((n) => fired.has(n))) continue;
    let hits: Hit[];
    try {
      hits = await check.run(recipe, input.repo);
    } catch (e) {
      const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
      findings.push({
        check: 'linter_failure',
        severity: 'error',
        message: `check ${check.name} failed (${reason}): please report this`,
        file: input.file,
        line: 1,
      });
      continue;
    }
    if (hits.length) fired.add(check.name);
    for (const hit of hits) {
      findings.push({
        check: check.name,
        severity,
        message: hit.message ?? check.message,
        file: hit.file ?? input.file,
        line: hit.line ?? (hit.path ? recipe.lineOf(hit.path) : 1),
      });
      if (hit.fix) fixes.push({ check: check.name, ...hit.fix });
    }
  }
  return { findings, fixes, problems };
}

/** The recipe text with fixes applied (each line at most once per fix); the fixes that applied. */
export function applyFixes(
  contents: string,
  fixes: LintResult['fixes'],
): { text: string; applied: LintResult['fixes'] } {
  const lines = contents.split('\n');
  const applied: LintResult['fixes'] = [];
  for (const f of fixes) {
    const i = f.line - 1;
    if (i < 0 || i >= lines.length || !lines[i].includes(f.replace)) continue;
    lines[i] = lines[i].replace(f.replace, f.with);
    applied.push(f);
  }
  return { text: lines.join('\n'), applied };
}
