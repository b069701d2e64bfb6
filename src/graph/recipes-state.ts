/**
 * The recipes of the workspace as the plugin sees them: which file is the
 * recipe of which folder, what it says, and the project names. Computed by
 * createNodes and reused by createDependencies in the same process.
 */
import { dirname } from 'node:path';
import { formatOfFile } from '../core/formats';
import { loadRecipes, loadRecipesInParallel, type LoadStats, type ParseOutcome } from './cache';
import { recipeFilter } from './glob';
import { graphStats, warn } from './devkit';
import { assignProjectNames } from './naming';
import { isProjectFile, otherProjectNames } from './other-projects';
import { registrationKey, type NormalizedOptions } from './options';
import { readPlatformRecipes, type PlatformRecipes } from './platforms';

export interface RecipeEntry {
  /** Recipe folder, workspace-relative (`.` for the root). */
  root: string;
  /** The recipe file, workspace-relative. */
  file: string;
  outcome: ParseOutcome;
  /** Project name, for readable recipes. */
  projectName?: string;
}

export interface WorkspaceRecipes {
  workspaceRoot: string;
  /** The plugin registration's options, as a key (see registrationKey). */
  registration: string;
  /** By recipe folder. */
  byRoot: Map<string, RecipeEntry>;
  stats: LoadStats;
  /** The recipes read again for the other platforms built (see platforms.ts). */
  platforms: PlatformRecipes['byPlatform'];
}

function posixDirname(file: string): string {
  const d = dirname(file);
  return d === '' ? '.' : d;
}

/**
 * Picks one recipe file per folder: a folder holding both `recipe.yaml` and
 * `meta.yaml` is a rattler-build recipe (`recipe.yaml` wins; `meta.yaml` is
 * then ignored). Applies include/exclude to the folder path.
 */
export function selectRecipeFiles(files: readonly string[], opts: NormalizedOptions): Map<string, string> {
  const byRoot = new Map<string, string>();
  const selected = recipeFilter(opts.include, opts.exclude);
  for (const file of files) {
    if (!formatOfFile(file)) continue;
    const posix = file.replace(/\\/g, '/');
    const root = posixDirname(posix);
    if (!selected(root, posix)) continue;
    const existing = byRoot.get(root);
    if (existing && formatOfFile(existing) === 'recipe') continue;
    byRoot.set(root, file.replace(/\\/g, '/'));
  }
  return byRoot;
}

/** A name every plain JavaScript object has (`constructor`): Nx's maps of projects by name cannot hold it. */
export function isObjectPrototypeMember(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(Object.prototype, name);
}

let last: WorkspaceRecipes | undefined;

/**
 * Reads the recipes (through the caches) and names the projects. With
 * `report` (createNodes), warns about each broken recipe: on every graph
 * computation, so that under the Nx daemon a broken recipe is reported each
 * time the graph is computed again, not only the first time.
 */
export function readWorkspaceRecipes(
  workspaceRoot: string,
  files: readonly string[],
  opts: NormalizedOptions,
  report = true,
): WorkspaceRecipes {
  const registration = registrationKey(opts);
  const selected = selectRecipeFiles(files, opts);
  const loaded = loadRecipes(workspaceRoot, [...selected.values()].sort(), opts.platform, registration);
  return nameRecipes(workspaceRoot, files, opts, registration, selected, loaded, report);
}

/** readWorkspaceRecipes for createNodes: a cold read uses a second thread (parse-threads.ts). */
export async function readWorkspaceRecipesInParallel(
  workspaceRoot: string,
  files: readonly string[],
  opts: NormalizedOptions,
): Promise<WorkspaceRecipes> {
  const registration = registrationKey(opts);
  const selected = selectRecipeFiles(files, opts);
  const loaded = await loadRecipesInParallel(workspaceRoot, [...selected.values()].sort(), opts.platform, registration);
  return nameRecipes(workspaceRoot, files, opts, registration, selected, loaded, true);
}

function nameRecipes(
  workspaceRoot: string,
  files: readonly string[],
  opts: NormalizedOptions,
  registration: string,
  selected: Map<string, string>,
  { outcomes, stats }: { outcomes: Map<string, ParseOutcome>; stats: LoadStats },
  report: boolean,
): WorkspaceRecipes {
  const byRoot = new Map<string, RecipeEntry>();
  for (const [root, file] of selected) {
    const outcome = outcomes.get(file);
    if (outcome) byRoot.set(root, { root, file, outcome });
  }
  const others = otherProjectNames(
    workspaceRoot,
    files.filter((f) => isProjectFile(f)),
    new Set(byRoot.keys()),
  );
  const named = [...byRoot.values()].flatMap((e) =>
    e.outcome.ok ? [{ root: e.root, packageName: e.outcome.info.packageName }] : [],
  );
  // Nx keeps projects in plain objects: a project named `constructor` (a real conda package) makes it see two
  // projects of that name and refuse the whole graph, so such a recipe's project gets a suffixed name.
  const unholdable = named.map((r) => r.packageName).filter((n) => isObjectPrototypeMember(n));
  const names = assignProjectNames(named, new Set([...others.keys(), ...unholdable]));
  const warnings: string[] = [];
  for (const { root, packageName } of named) {
    if (isObjectPrototypeMember(packageName)) {
      warnings.push(
        `nx-conda: recipe ${byRoot.get(root)!.file} provides ${packageName}, a name Nx cannot give a project ` +
          `(a member of every JavaScript object): its project is named ${names.get(root)}`,
      );
      continue;
    }
    const other = others.get(packageName);
    if (other === undefined) continue;
    warnings.push(
      `nx-conda: recipe ${byRoot.get(root)!.file} provides ${packageName}, the name of another project (${other}): ` +
        `its project is named ${names.get(root)} instead (rename one of them to get the plain name back)`,
    );
  }
  for (const e of byRoot.values()) {
    if (e.outcome.ok) e.projectName = names.get(e.root);
    else {
      const { file, line, reason } = e.outcome.error;
      warnings.push(`nx-conda: skipping recipe ${file}${line !== undefined ? `:${line}` : ''}: ${reason}`);
    }
  }
  const platforms = readPlatformRecipes(workspaceRoot, byRoot.values(), opts, registration);
  warnings.push(...opts.platformProblems.map((p) => `nx-conda: ${p}`), ...platforms.warnings);
  if (report) for (const msg of warnings.sort()) warn(msg);
  if (report) {
    graphStats(
      `nx-conda: read ${stats.files} recipe(s): ${stats.parsed} parsed, ` +
        `${stats.fromMemory} from memory, ${stats.fromDisk} from the disk cache, ${stats.hashed} read and hashed` +
        (stats.inThread ? ` (${stats.inThread} of them in a second thread)` : ''),
    );
  }
  last = { workspaceRoot, registration, byRoot, stats, platforms: platforms.byPlatform };
  return last;
}

/** The recipes of the most recent createNodes in this process, if for this workspace and these options. */
export function lastWorkspaceRecipes(workspaceRoot: string, opts: NormalizedOptions): WorkspaceRecipes | undefined {
  return last && last.workspaceRoot === workspaceRoot && last.registration === registrationKey(opts) ? last : undefined;
}
