/**
 * Edges per platform. Nx has one project graph, but a recipe's requirements
 * differ by platform (`samtools  # [x86_64]`). So:
 *
 * - the project graph holds the union of every platform's edges (so that
 *   `nx affected` sees a dependency that exists on one platform only);
 * - a target whose platform's edges (read through dependencies that have no
 *   target there, as Nx reads `^`) are what `^target` would give keeps the
 *   short `^target`; only where they differ does it name its dependencies'
 *   projects (`{ projects, target }`): for bioconda, a few dozen recipes.
 * - a recipe built on another platform P needs its noarch dependencies'
 *   packages, which only the primary `build-recipe` makes: its P target
 *   depends on those projects' primary target.
 */
import type { RecipeInfo } from '../recipes';
import type { ParseOutcome } from './cache';
import type { NormalizedOptions } from './options';
import { requestedPlatforms } from './platforms';

/** A dependsOn entry naming projects explicitly. */
export interface ProjectsDependency {
  projects: string[];
  target: string;
}

export type DependsOnEntry = string | ProjectsDependency;

/** What one recipe's project gets beyond the primary target (see targets.ts). */
export interface PlatformPlan {
  /** Replaces the primary target's `^<buildTargetName>` (the union of edges holds one it must not wait for). */
  primaryDependencies?: DependsOnEntry[];
  /** One target per other platform: the platform and the recipe dependencies of its task. */
  targets: { platform: string; dependencies: DependsOnEntry[] }[];
}

/** The recipes as the edge code needs them: by folder, the primary outcome and the other platforms' ones. */
export interface RecipesByPlatform {
  byRoot: Map<string, { root: string; file: string; outcome: ParseOutcome; projectName?: string }>;
  platforms: Map<string, Map<string, ParseOutcome>>;
}

type Edges = Map<string, Set<string>>;

/** Which recipe provides each package name, for one platform's readings. */
function providersOf(infoOf: Map<string, RecipeInfo>): Map<string, string[]> {
  const providers = new Map<string, string[]>();
  for (const [root, info] of infoOf) {
    for (const n of info.names) {
      const list = providers.get(n);
      if (list) list.push(root);
      else providers.set(n, [root]);
    }
  }
  return providers;
}

function edgesOf(root: string, info: RecipeInfo, providers: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  const { build, host, run } = info.requirements;
  for (const req of [...build, ...host, ...run]) {
    for (const r of providers.get(req) ?? []) if (r !== root) out.add(r);
  }
  return out;
}

/**
 * Every recipe folder's edges on each platform, and their union (the
 * project graph's). Only the recipes read for another platform (about one
 * in ten) get edges computed here; any other recipe's edges are its primary
 * ones, computed when a walk reaches it.
 */
export class PlatformEdges {
  /** Readable recipes (those with a project) by folder, read on the primary platform. */
  private readonly primaryInfo = new Map<string, RecipeInfo>();
  private readonly primaryProviders: Map<string, string[]>;
  private readonly primaryMemo: Edges = new Map();
  /** By other platform: the edges of the recipes that have a task there. */
  private readonly byPlatform = new Map<string, Edges>();
  /** By other platform: the recipes that have a task there, read for it. */
  private readonly infoOn = new Map<string, Map<string, RecipeInfo>>();
  /** The recipes with a task on another platform. */
  private readonly withPlatformTask = new Set<string>();

  /** The project names createNodes gave (planOf names projects with them). */
  private readonly nameOf = new Map<string, string>();

  constructor(
    state: RecipesByPlatform,
    readonly opts: NormalizedOptions,
  ) {
    for (const e of state.byRoot.values()) {
      if (!e.outcome.ok || e.projectName === undefined) continue;
      this.primaryInfo.set(e.root, e.outcome.info);
      this.nameOf.set(e.root, e.projectName);
    }
    this.primaryProviders = providersOf(this.primaryInfo);
    for (const platform of opts.extraPlatforms) {
      const info = new Map<string, RecipeInfo>();
      for (const [root, outcome] of state.platforms.get(platform) ?? []) {
        const primary = this.primaryInfo.get(root);
        // A recipe skipped there (`build: skip`) has no task there.
        if (
          primary &&
          outcome.ok &&
          !outcome.info.skip &&
          requestedPlatforms({ ok: true, info: primary }, opts).includes(platform)
        )
          info.set(root, outcome.info);
      }
      this.infoOn.set(platform, info);
      // On P, a recipe read for P provides its P names; any other (noarch, or not built there) its primary names.
      const own = providersOf(info);
      const edges: Edges = new Map();
      for (const [root, i] of info) {
        const out = new Set<string>();
        for (const req of [...i.requirements.build, ...i.requirements.host, ...i.requirements.run]) {
          for (const r of this.primaryProviders.get(req) ?? []) if (!info.has(r) && r !== root) out.add(r);
          for (const r of own.get(req) ?? []) if (r !== root) out.add(r);
        }
        edges.set(root, out);
        this.withPlatformTask.add(root);
      }
      this.byPlatform.set(platform, edges);
    }
  }

  private primary(root: string): Set<string> {
    let edges = this.primaryMemo.get(root);
    if (!edges) {
      const info = this.primaryInfo.get(root);
      edges = info ? edgesOf(root, info, this.primaryProviders) : new Set();
      this.primaryMemo.set(root, edges);
    }
    return edges;
  }

  /** The project graph's edges of a recipe: its primary ones and those of every platform it has a task on. */
  private union(root: string): Set<string> {
    if (!this.withPlatformTask.has(root)) return this.primary(root);
    const all = new Set(this.primary(root));
    for (const edges of this.byPlatform.values()) for (const r of edges.get(root) ?? []) all.add(r);
    return all;
  }

  /**
   * Edges on the other platforms only (those the primary reading lacks), as
   * project names: those of the graph being built (`projectNameOf`), which a
   * project.json beside a recipe may have changed.
   */
  extraEdges(projectNameOf: (root: string) => string | undefined): { source: string; target: string; root: string }[] {
    const out: { source: string; target: string; root: string }[] = [];
    for (const root of [...this.withPlatformTask].sort()) {
      const primary = this.primary(root);
      const source = projectNameOf(root);
      if (source === undefined) continue;
      const extra: string[] = [];
      for (const r of this.union(root)) {
        const target = primary.has(r) ? undefined : projectNameOf(r);
        if (target !== undefined) extra.push(target);
      }
      for (const target of extra.sort()) out.push({ source, target, root });
    }
    return out;
  }

  /**
   * The tasks that `starts` lead to on `platform`, read as Nx reads `^`: a
   * dependency with a task there is one; any other is walked through (its
   * project graph edges), and when noarch, its primary task is one too.
   */
  private reach(platform: string, starts: Iterable<string>): { onPlatform: Set<string>; noarch: Set<string> } {
    const has = this.infoOn.get(platform)!;
    const onPlatform = new Set<string>();
    const noarch = new Set<string>();
    const seen = new Set<string>();
    const queue = [...starts];
    while (queue.length) {
      const root = queue.pop()!;
      if (seen.has(root)) continue;
      seen.add(root);
      if (has.has(root)) {
        onPlatform.add(root);
        continue;
      }
      if (this.primaryInfo.get(root)?.noarch) noarch.add(root);
      for (const next of this.union(root)) queue.push(next);
    }
    return { onPlatform, noarch };
  }

  private names(roots: Iterable<string>): string[] {
    return [...roots].map((r) => this.nameOf.get(r)!).sort();
  }

  /** The plan of one recipe folder, or undefined when it has nothing beyond today's primary target. */
  planOf(root: string): PlatformPlan | undefined {
    // Without a task on another platform, a recipe's edges are its primary ones: nothing changes.
    if (!this.withPlatformTask.has(root)) return undefined;
    const build = this.opts.buildTargetName;
    const primary = this.primary(root);
    const union = this.union(root);
    const plan: PlatformPlan = { targets: [] };
    if (union.size !== primary.size)
      plan.primaryDependencies = primary.size ? [{ projects: this.names(primary), target: build }] : [];
    for (const platform of this.opts.extraPlatforms) {
      const own = this.byPlatform.get(platform)!.get(root);
      if (!own) continue;
      const target = `${build}-${platform}`;
      const wanted = this.reach(platform, own);
      const byCaret = this.reach(platform, union).onPlatform;
      const same = byCaret.size === wanted.onPlatform.size && [...byCaret].every((r) => wanted.onPlatform.has(r));
      const dependencies: DependsOnEntry[] = [];
      if (same) dependencies.push(`^${target}`);
      else if (wanted.onPlatform.size) dependencies.push({ projects: this.names(wanted.onPlatform), target });
      if (wanted.noarch.size) dependencies.push({ projects: this.names(wanted.noarch), target: build });
      plan.targets.push({ platform, dependencies });
    }
    return plan.targets.length || plan.primaryDependencies ? plan : undefined;
  }
}

/** One per reading of the recipes: createNodes and createDependencies of one graph share it. */
const built = new WeakMap<RecipesByPlatform, PlatformEdges>();

/** The edges per platform, or undefined when the workspace builds one platform (nothing to add: no cost). */
export function platformEdges(state: RecipesByPlatform, opts: NormalizedOptions): PlatformEdges | undefined {
  if (!opts.extraPlatforms.length) return undefined;
  const known = built.get(state);
  if (
    known &&
    known.opts.buildTargetName === opts.buildTargetName &&
    known.opts.extraPlatforms.join() === opts.extraPlatforms.join()
  )
    return known;
  const edges = new PlatformEdges(state, opts);
  built.set(state, edges);
  return edges;
}
