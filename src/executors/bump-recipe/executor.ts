import type { ExecutorContext } from '@nx/devkit';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write';
import { OptionError, UserError } from '../../core/errors';
import { RECIPE_FILE_NAMES } from '../../core/formats';
import { MAX_RECIPE_BYTES } from '../../recipes';
import { findVersion } from '../../recipes/rewrite';
import { planBump, SourceDownloads, UpstreamHttp, type BumpPlan, type BumpSession } from '../../upstream';
import { writeOutput } from '../../core/logger';
import { failureMessage, runExecutor } from '../run-executor';
import { lineDiff } from './diff';
import type { BumpRecipeExecutorSchema } from './schema';

export interface BumpSummary {
  /** The Nx project, when the executor runs for one. */
  project?: string;
  file: string;
  status: BumpPlan['status'] | 'error';
  current?: string;
  newest?: string;
  upstream?: string;
  error?: string;
}

function readRecipe(path: string, shown: string): string {
  let size: number;
  try {
    const st = lstatSync(path);
    if (!st.isFile()) throw new UserError(`bump-recipe: ${shown} is not a regular file.`);
    size = st.size;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`bump-recipe: cannot read ${shown} (${(e as NodeJS.ErrnoException).code ?? String(e)}).`);
  }
  if (size > MAX_RECIPE_BYTES)
    throw new UserError(
      `bump-recipe: ${shown} is over nx-conda's limit of ${MAX_RECIPE_BYTES / 1024} KB for a recipe.`,
    );
  return readFileSync(path, 'utf8');
}

function recipeFileOf(options: BumpRecipeExecutorSchema, context: ExecutorContext): string {
  if (options.recipeFile) return options.recipeFile;
  const projectName = context.projectName ?? '';
  const root = context.projectsConfigurations?.projects[projectName]?.root;
  if (root === undefined) throw new UserError(`bump-recipe: project ${projectName} has no root in the workspace.`);
  const found = RECIPE_FILE_NAMES.map((n) => (root === '.' ? n : `${root}/${n}`)).find((f) => {
    try {
      return lstatSync(join(context.root, f)).isFile();
    } catch {
      return false;
    }
  });
  if (!found) throw new UserError(`bump-recipe: no ${RECIPE_FILE_NAMES.join(' or ')} in ${root}.`);
  return found;
}

function lineOf(file: string, plan: BumpPlan, options: BumpRecipeExecutorSchema): string {
  const from = plan.upstream ? ` (${plan.upstream})` : '';
  switch (plan.status) {
    case 'no-upstream':
      return `${file}: no known upstream${plan.url ? ` for ${plan.url}` : ' (no source URL)'}${plan.reason ? ` (${plan.reason})` : ''}; not checked.`;
    case 'up-to-date':
      return `${file}: ${plan.current} is up to date${from}.`;
    case 'outdated':
      return `${file}: ${plan.current} -> ${plan.newest}${from}`;
    case 'bumped': {
      const sources = plan.downloads?.length ?? 0;
      const done = options.dryRun ? 'would bump' : 'bumped';
      return `${file}: ${done} ${plan.current} -> ${plan.newest}${from}; checksums of ${sources} source${sources === 1 ? '' : 's'}; build number ${plan.buildNumber}.`;
    }
  }
}

/** A fresh client and download cache: one per task, or one for every task of a batch. */
export function newBumpSession(): BumpSession {
  const http = new UpstreamHttp();
  return { http, downloads: new SourceDownloads(http) };
}

/**
 * nx-conda:bump-recipe — the recipe's version, checksums and build number
 * updated to its upstream's newest release (or a given version). One line
 * for the recipe; with `format: json` a summary as the last line.
 */
export default function bumpRecipeExecutor(
  options: BumpRecipeExecutorSchema,
  context: ExecutorContext,
): Promise<{ success: boolean }> {
  return bumpRecipe(options, context, newBumpSession());
}

/** One recipe's bump with `session`'s client (whose answers the tasks of a batch share). */
export async function bumpRecipe(
  options: BumpRecipeExecutorSchema,
  context: ExecutorContext,
  session: BumpSession,
): Promise<{ success: boolean }> {
  let summary: BumpSummary | undefined;
  let outdated = false;
  let error: string | undefined;
  const format = options.format ?? 'text';
  const result = await runExecutor(async () => {
    try {
      await bump();
    } catch (e) {
      error = failureMessage(e);
      throw e;
    }
  });
  async function bump(): Promise<void> {
    if (!['text', 'json'].includes(format))
      throw new OptionError('format', `bump-recipe: --format=${format} is not one of text, json.`);
    const file = recipeFileOf(options, context);
    const project = context.projectName ? { project: context.projectName } : {};
    summary = { ...project, file, status: 'error' };
    const path = join(context.root, file);
    const contents = readRecipe(path, file);
    summary = { ...project, file, status: 'error', current: findVersion(file, contents).current };
    const plan = await planBump(
      file,
      contents,
      {
        ...(options.newVersion !== undefined ? { newVersion: String(options.newVersion) } : {}),
        check: options.check ?? false,
        includePrerelease: options.includePrerelease ?? false,
        keepBuildNumber: options.keepBuildNumber ?? false,
        ...(options.cranMirror ? { cranMirror: options.cranMirror } : {}),
      },
      session,
    );
    summary = {
      ...project,
      file,
      status: plan.status,
      current: plan.current,
      ...(plan.newest !== undefined ? { newest: plan.newest } : {}),
      ...(plan.upstream ? { upstream: plan.upstream } : {}),
    };
    outdated = plan.status === 'outdated';
    if (plan.status === 'bumped' && plan.text !== undefined) {
      if (options.dryRun) for (const line of lineDiff(file, contents, plan.text)) writeOutput('stdout', `${line}\n`);
      else {
        if (readRecipe(path, file) !== contents)
          throw new UserError(`bump-recipe: ${file} changed while it was being bumped; nothing written. Run it again.`);
        writeFileAtomic(path, plan.text);
      }
    }
    writeOutput('stdout', `${lineOf(file, plan, options)}\n`);
  }
  if (!result.success && summary) summary = { ...summary, status: 'error', ...(error ? { error } : {}) };
  // Last, so that tools read the last line.
  if (format === 'json' && summary) writeOutput('stdout', `${JSON.stringify(summary)}\n`);
  return { success: result.success && !outdated };
}
