/** The linter's vocabulary: severities, findings, checks. */
import type { LintRecipe } from './model';

export type Severity = 'error' | 'warning' | 'info';
export type RuleSetting = Severity | 'off';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** One finding, as printed and as written to lint.json. */
export interface Finding {
  check: string;
  severity: Severity;
  message: string;
  /** Workspace-relative file. */
  file: string;
  /** 1-based line. */
  line: number;
}

/** What a check reports: the file defaults to the recipe file, the line to 1. */
export interface Hit {
  message?: string;
  /** A key path in the rendered recipe whose line is reported (e.g. ['build', 'number']). */
  path?: readonly (string | number)[];
  line?: number;
  /** A file of the recipe folder other than the recipe (e.g. `build.sh`). */
  file?: string;
  /** Data for --fix. */
  fix?: { line: number; replace: string; with: string };
}

/** What a check may read beyond the recipe: the upstream channels' packages. */
export interface RepositoryLookup {
  /** Versions (`version#build`) of `name` in the upstream channels, or undefined when none is configured. */
  published(name: string): Promise<string[] | undefined>;
  /** The other channels (lintOtherChannels) that have a package `name`. */
  otherChannelsWith(name: string): Promise<string[]>;
}

export interface Check {
  name: string;
  severity: Severity;
  /** Off unless the configuration turns it on. */
  optIn?: true;
  /** One line that says what to do. */
  message: string;
  /** The checks whose finding makes this one quiet (bioconda's `requires`). */
  after?: string[];
  run(recipe: LintRecipe, repo?: RepositoryLookup): Hit[] | Promise<Hit[]>;
}
