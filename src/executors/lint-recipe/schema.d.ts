import type { RuleSetting } from '../../lint/types';

export interface LintRecipeExecutorSchema {
  /** The recipe file, workspace-relative. Default: recipe.yaml or meta.yaml in the project's root. */
  recipeFile?: string;
  /** Folder (workspace-relative) of lint.json and lint.sarif. */
  outputPath?: string;
  platform?: string;
  format?: 'text' | 'json' | 'sarif';
  fix?: boolean;
  rules?: Record<string, RuleSetting>;
  channels?: string[];
  otherChannels?: string[];
  variantConfigFiles?: string[];
}
