import type { RecipeFormat } from '../../core/formats';

export type RecipeFormatOption = RecipeFormat;
export type NoarchOption = 'generic' | 'python' | 'none';

export interface RecipeGeneratorSchema {
  /** Conda package name. */
  name: string;
  /** One-line summary; default 'The <name> package'. */
  summary?: string;
  /** Recipe folder; default 'recipes/<name>'. */
  directory?: string;
  /** Default: nx.json generator default, else 'meta'. */
  format?: RecipeFormatOption;
  /** Default '0.1.0'. */
  packageVersion?: string;
  /** Default 'MIT'. */
  license?: string;
  sourceUrl?: string;
  sha256?: string;
  sourcePath?: string;
  /** Default 0. */
  buildNumber?: number;
  /** Default 'generic'. */
  noarch?: NoarchOption;
  /** Comma-separated match specs (or a list, from repeated flags). */
  build?: string | string[];
  host?: string | string[];
  run?: string | string[];
  /** Comma-separated commands (or a list). */
  testCommands?: string | string[];
  skipFormat?: boolean;
  /** Write the recipe from an upstream package: `pypi`, `cran` or `github:<owner>/<repo>`. */
  from?: string;
  /** The package index for --from=pypi (default: PIP_INDEX_URL, then pip's config). */
  indexUrl?: string;
  /** The CRAN mirror for --from=cran (conda-build's cran_mirror). */
  cranMirror?: string;
}
