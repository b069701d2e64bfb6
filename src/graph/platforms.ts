/**
 * The recipes read again for each other platform the workspace builds
 * (`platforms`): only those that opt in with `extra: additional-platforms`
 * and are not noarch, so a second platform costs a read of the recipes that
 * list it (about one in ten in bioconda), not of the whole tree.
 */
import { isCondaPlatform, shownValue } from '../core/platforms';
import { loadRecipes, type ParseOutcome } from './cache';
import type { NormalizedOptions } from './options';

/** What readPlatformRecipes needs of a recipe entry (see recipes-state.ts). */
export interface PrimaryEntry {
  root: string;
  file: string;
  outcome: ParseOutcome;
}

export interface PlatformRecipes {
  /** By other platform, by recipe folder: the recipe read for that platform (recipes that list it only). */
  byPlatform: Map<string, Map<string, ParseOutcome>>;
  /** Warnings for the user: bad `additional-platforms` values, recipes unreadable on a platform. */
  warnings: string[];
}

/** The other platforms of `opts` that a recipe read on the primary platform asks to be built for. */
export function requestedPlatforms(outcome: ParseOutcome, opts: NormalizedOptions): string[] {
  if (!outcome.ok || outcome.info.noarch || !outcome.info.additionalPlatforms) return [];
  return opts.extraPlatforms.filter((p) => outcome.info.additionalPlatforms!.includes(p));
}

/**
 * Reads, for each platform of `opts.extraPlatforms`, the recipes that list
 * it, through the parse caches (a cache file per platform). A recipe that
 * cannot be read on a platform (selectors leave it without a name there)
 * is reported and gets no task there; its primary project is unchanged.
 */
export function readPlatformRecipes(
  workspaceRoot: string,
  entries: Iterable<PrimaryEntry>,
  opts: NormalizedOptions,
  registration: string,
): PlatformRecipes {
  const byPlatform = new Map<string, Map<string, ParseOutcome>>();
  const warnings: string[] = [];
  const wanted = new Map<string, PrimaryEntry[]>(opts.extraPlatforms.map((p) => [p, []]));
  for (const e of entries) {
    if (!e.outcome.ok) continue;
    for (const value of e.outcome.info.additionalPlatforms ?? []) {
      if (!isCondaPlatform(value))
        warnings.push(
          `nx-conda: recipe ${e.file}: extra: additional-platforms holds ${shownValue(value)}, which is not a conda ` +
            `platform (linux-aarch64, osx-arm64, ...): ignored`,
        );
    }
    for (const p of requestedPlatforms(e.outcome, opts)) wanted.get(p)!.push(e);
  }
  for (const [platform, list] of wanted) {
    const outcomes = new Map<string, ParseOutcome>();
    byPlatform.set(platform, outcomes);
    if (list.length === 0) continue;
    const files = list.map((e) => e.file).sort();
    const read = loadRecipes(workspaceRoot, files, platform, `${registration}\0${platform}`).outcomes;
    for (const e of list) {
      const outcome = read.get(e.file);
      if (!outcome) continue;
      outcomes.set(e.root, outcome);
      if (!outcome.ok) {
        const { line, reason } = outcome.error;
        warnings.push(
          `nx-conda: recipe ${e.file}${line !== undefined ? `:${line}` : ''} cannot be read for ${platform}: ${reason}; ` +
            `it gets no ${platform} task`,
        );
      }
    }
  }
  return { byPlatform, warnings };
}
