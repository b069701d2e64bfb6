import type { ExecutorContext } from '@nx/devkit';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptionError, UserError } from '../../core/errors';
import { STAGING_FOLDER } from '../../core/defaults';
import { RECIPE_FILE_NAMES } from '../../core/formats';
import { logger } from '../../core/logger';
import { applyFixes, lintRecipe, type LintResult } from '../../lint/lint';
import { activeChecks } from '../../lint/registry';
import { REPOSITORY_CHECK_NAMES } from '../../lint/config';
import { summaryLine, sarifReport, textReport } from '../../lint/report';
import { knownSelectorNames } from '../../lint/checks/syntax';
import { PLUGIN_VERSION } from '../../core/version';
import { MAX_RECIPE_BYTES, oversizeReason } from '../../recipes';
import { runExecutor } from '../run-executor';
import { repositoryLookup } from './repository';
import { platformGaps } from './platform-gaps';
import type { LintRecipeExecutorSchema } from './schema';

/** Files of the recipe folder read by checks (build.sh, variant keys): bounded, regular files only, links not followed. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FOLDER_ENTRIES = 10_000;

function readRegular(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A regular file (links not followed) of this size, or undefined. */
function regularSize(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

function folderFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .slice(0, MAX_FOLDER_ENTRIES)
      .filter((e) => e.isFile())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** Top-level keys of the variant files: names a selector may use. */
function variantKeys(root: string, files: string[]): string[] {
  const keys: string[] = [];
  for (const f of files) {
    const text = readRegular(join(root, f));
    if (text === undefined) continue;
    for (const m of text.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\s*:/gm)) keys.push(m[1]);
  }
  return keys;
}

/**
 * nx-conda:lint-recipe — bioconda's recipe checks, without a container. The
 * findings go to the terminal (one line each, grouped by recipe) and to
 * `<outputPath>/lint.json`; errors fail the task.
 */
export default async function lintRecipeExecutor(
  options: LintRecipeExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  let failed = false;
  const result = await runExecutor(async () => {
    const projectName = context.projectName ?? '';
    const projectRoot = context.projectsConfigurations?.projects[projectName]?.root;
    if (projectRoot === undefined)
      throw new UserError(`lint-recipe: project ${projectName} has no root in the workspace.`);
    const format = options.format ?? 'text';
    if (!['text', 'json', 'sarif'].includes(format))
      throw new OptionError('format', `lint-recipe: --format=${format} is not one of text, json, sarif.`);
    const recipeFile =
      options.recipeFile ??
      RECIPE_FILE_NAMES.map((n) => (projectRoot === '.' ? n : `${projectRoot}/${n}`)).find(
        (f) => regularSize(join(context.root, f)) !== undefined,
      );
    if (!recipeFile) throw new UserError(`lint-recipe: no ${RECIPE_FILE_NAMES.join(' or ')} in ${projectRoot}.`);
    const recipePath = join(context.root, recipeFile);
    // Refused unread, as the graph refuses it: a recipe over the limit is too large, not missing.
    const oversize = oversizeReason(regularSize(recipePath) ?? 0);
    if (oversize) throw new UserError(`lint-recipe: ${recipeFile}: ${oversize}; nothing was linted.`);
    const dir = recipeFile.includes('/') ? recipeFile.slice(0, recipeFile.lastIndexOf('/')) : '.';
    const platform = options.platform ?? 'linux-64';
    const config = { rules: options.rules ?? {} };
    const { checks, problems } = activeChecks(config);
    for (const p of problems) logger.warn(`nx-conda: ${p}`);
    const usesRepo = checks.some((c) => REPOSITORY_CHECK_NAMES.includes(c.check.name));
    const repo = usesRepo
      ? repositoryLookup(options.channels ?? [], options.otherChannels ?? [], platform, {
          cacheRoot: join(context.root, STAGING_FOLDER, 'repodata'),
        })
      : undefined;
    const known = knownSelectorNames(platform, variantKeys(context.root, options.variantConfigFiles ?? []));
    const lint = async (): Promise<LintResult> => {
      const size = regularSize(recipePath);
      const contents = size !== undefined && !oversizeReason(size) ? readRegular(recipePath) : undefined;
      if (contents === undefined)
        throw new UserError(
          `lint-recipe: cannot read ${recipeFile} (missing, not a regular file, or over ${MAX_RECIPE_BYTES / 1024} KB).`,
        );
      return lintRecipe({
        file: recipeFile,
        contents,
        files: folderFiles(join(context.root, dir)),
        readFile: (name) => readRegular(join(context.root, dir, name)),
        platform,
        knownSelectors: known,
        config,
        ...(repo ? { repo } : {}),
        platformGaps: platformGaps(context.root, context.projectGraph, projectName, recipeFile, contents, platform),
      });
    };
    let outcome = await lint();
    if (options.fix && outcome.fixes.length) {
      const { text, applied } = applyFixes(readFileSync(recipePath, 'utf8'), outcome.fixes);
      if (applied.length) {
        writeFileSync(recipePath, text);
        for (const f of applied) logger.info(`nx-conda: fixed ${f.check} on ${recipeFile}:${f.line}`);
        outcome = await lint();
      }
    }
    const { findings } = outcome;
    for (const line of textReport(recipeFile, findings)) process.stdout.write(`${line}\n`);
    process.stdout.write(`${summaryLine(findings)}\n`);
    const outputPath = options.outputPath ?? `dist/lint/${projectRoot}`;
    const outDir = join(context.root, outputPath);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'lint.json'), `${JSON.stringify(findings, null, 2)}\n`);
    if (format === 'sarif')
      writeFileSync(join(outDir, 'lint.sarif'), `${JSON.stringify(sarifReport(findings, PLUGIN_VERSION), null, 2)}\n`);
    failed = findings.some((f) => f.severity === 'error');
    // Last, so that tools read the last line.
    if (format === 'json') process.stdout.write(`${JSON.stringify(findings)}\n`);
  });
  return { success: result.success && !failed };
}
