import { DEFAULT_OUTPUT_ROOT, DEFAULT_PLATFORM, DEFAULT_TARGETS, type EngineName } from '../core/defaults';
import type { Builder } from '../core/formats';
import type { LintConfig } from '../lint/config';
import { isCondaPlatform, needsOtherHost, shownValue } from '../core/platforms';

/** Options of the nx-conda inference plugin (the `options` of its entry in nx.json `plugins`). */
export interface NxCondaPluginOptions {
  /** Name of the inferred build target. Default `build-recipe`. */
  buildTargetName?: string;
  /**
   * Name of the per-recipe purge target; inferred only when set (`purge-image`). Every inferred target
   * is paid by every Nx command at 10,000 recipes, so only build-recipe is inferred by default.
   */
  purgeTargetName?: string;
  /** Name of the per-recipe package image target; inferred only when set (`package-image`; init sets it). */
  packageImageTargetName?: string;
  /** Name of the per-recipe lint target; inferred only when set (`lint-recipe`; init sets it). */
  lintTargetName?: string;
  /** Name of the per-recipe bump target (nx-conda:bump-recipe); inferred only when set (`bump-recipe`). */
  bumpTargetName?: string;
  /** Registry that package-image pushes the tested images to (`host[:port][/path]`); none by default. */
  registry?: string;
  /** The small base image of package images. Default: package-image's packageBaseImage. */
  packageBaseImage?: string;
  /** Namespace of package images (`<namespace>/<name>:<version>--<build>`), for package-image and purge-image. */
  namespace?: string;
  /** Each project's packages land in `<outputRoot>/<projectRoot>`. Default `dist/conda`. */
  outputRoot?: string;
  /** Platform for selectors and builds, e.g. `linux-64` (default), `linux-aarch64`, `osx-arm64`. */
  platform?: string;
  /**
   * The platforms this workspace builds (conda subdirs). Default: `platform` only. A recipe gets a
   * `<buildTargetName>-<P>` target for each other platform P listed here and in its
   * `extra: additional-platforms` (bioconda's rule), unless it is noarch.
   */
  platforms?: string[];
  /** Globs on recipe folder paths (workspace-relative): only matching recipes become projects. */
  include?: string[];
  /** Globs on recipe folder paths (workspace-relative): matching recipes are ignored. */
  exclude?: string[];
  /** Project with a `docker-image` target that builds the builder image; build-recipe depends on it. */
  imageProject?: string;
  /** An explicit image reference passed to the executor. */
  image?: string;
  /** An image per builder, e.g. `{ "rattler-build": "my/rattler:1" }`, for workspaces mixing meta.yaml and recipe.yaml; wins over `image` and `imageProject` for that builder. */
  images?: Partial<Record<Builder, string>>;
  /** Container engine passed to the executors. */
  engine?: EngineName;
  /** Upstream channels (names or URLs), searched after the staging channel, in priority order. */
  channels?: string[];
  /** Skip a build when the upstream channels already have every package the recipe makes. */
  skipExisting?: boolean;
  /** The machine-wide package cache folder, or false for none (README: The package cache). Read by the executor. */
  packageCache?: string | boolean;
  /** Size limit of the package cache, in megabytes. Read by the executor. */
  packageCacheMegabytes?: number;
  /** conda-build `-m` / rattler-build `--variant-config` files (workspace-relative), passed to every build and hashed as inputs. Default: the workspace's conda_build_config.yaml or variants.yaml when present. */
  variantConfigFiles?: string[];
  /** conda-build `-e` files (workspace-relative), passed to every conda-build build and hashed as inputs. */
  exclusiveConfigFiles?: string[];
  /** A build script template (workspace-relative) for every build, hashed as an input. */
  buildScriptTemplate?: string;
  /** lint-recipe's checks: `{ rules: { <check>: 'off' | 'info' | 'warning' | 'error' } }`. */
  lint?: LintConfig;
  /** build-recipe depends on lint-recipe (a recipe with a lint error is not built). Default false. */
  lintBeforeBuild?: boolean;
  /** Channels in which lint-recipe's in_other_channels looks for a package of the same name. */
  lintOtherChannels?: string[];
}

export interface NormalizedOptions {
  buildTargetName: string;
  /** Undefined: not inferred. */
  purgeTargetName?: string;
  packageImageTargetName?: string;
  lintTargetName?: string;
  bumpTargetName?: string;
  registry?: string;
  packageBaseImage?: string;
  namespace?: string;
  outputRoot: string;
  platform: string;
  /** The other platforms built (from `platforms`: known, buildable in a Linux container, not `platform`). */
  extraPlatforms: string[];
  /** What is wrong with the `platforms` option, as warnings for the user (the option's bad values are ignored). */
  platformProblems: string[];
  include: string[];
  exclude: string[];
  imageProject?: string;
  image?: string;
  images: Partial<Record<Builder, string>>;
  engine?: EngineName;
  channels: string[];
  skipExisting: boolean;
  packageCache?: string | boolean;
  packageCacheMegabytes?: number;
  variantConfigFiles: string[];
  exclusiveConfigFiles: string[];
  buildScriptTemplate?: string;
  lint: LintConfig;
  lintBeforeBuild: boolean;
  lintOtherChannels: string[];
}

/** Workspace-relative paths of an option, as Nx inputs write them (no `./`, forward slashes). */
function workspacePaths(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((p): p is string => typeof p === 'string' && p.trim() !== '')
    .map((p) => p.replace(/\\/g, '/').replace(/^\.\//, ''));
}

export function normalizeOptions(o: NxCondaPluginOptions | undefined): NormalizedOptions {
  const opts = o ?? {};
  const out: NormalizedOptions = {
    buildTargetName: opts.buildTargetName || DEFAULT_TARGETS.buildRecipe,
    outputRoot: (opts.outputRoot || DEFAULT_OUTPUT_ROOT).replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, ''),
    platform: opts.platform || DEFAULT_PLATFORM,
    extraPlatforms: [],
    platformProblems: [],
    include: Array.isArray(opts.include) ? opts.include : [],
    exclude: Array.isArray(opts.exclude) ? opts.exclude : [],
    images: opts.images && typeof opts.images === 'object' ? { ...opts.images } : {},
    // Checked by the executor, which reports a bad entry as a task error, not a graph error.
    channels: Array.isArray(opts.channels) ? opts.channels.filter((c) => typeof c === 'string') : [],
    skipExisting: opts.skipExisting === true,
    // Checked by the executor (a bad value fails the task, not the graph).
    packageCache: opts.packageCache,
    packageCacheMegabytes: opts.packageCacheMegabytes,
    variantConfigFiles: workspacePaths(opts.variantConfigFiles),
    exclusiveConfigFiles: workspacePaths(opts.exclusiveConfigFiles),
    // Checked by the executor, which warns about an unknown rule instead of failing the graph.
    lint:
      opts.lint && typeof opts.lint === 'object' && opts.lint.rules && typeof opts.lint.rules === 'object'
        ? { rules: { ...opts.lint.rules } }
        : {},
    lintBeforeBuild: opts.lintBeforeBuild === true,
    lintOtherChannels: Array.isArray(opts.lintOtherChannels)
      ? opts.lintOtherChannels.filter((c) => typeof c === 'string')
      : [],
  };
  Object.assign(out, extraPlatformsOf(opts.platforms, out.platform));
  // Building after the lint needs the lint target.
  if (out.lintBeforeBuild) out.lintTargetName ??= DEFAULT_TARGETS.lintRecipe;
  const [template] = workspacePaths([opts.buildScriptTemplate]);
  if (template) out.buildScriptTemplate = template;
  if (opts.imageProject) out.imageProject = opts.imageProject;
  if (opts.image) out.image = opts.image;
  if (opts.engine) out.engine = opts.engine;
  for (const key of [
    'registry',
    'packageBaseImage',
    'namespace',
    'purgeTargetName',
    'packageImageTargetName',
    'lintTargetName',
    'bumpTargetName',
  ] as const) {
    const value = opts[key];
    if (typeof value === 'string' && value) out[key] = value;
  }
  return out;
}

/**
 * The `platforms` option read: the platforms built besides the primary one,
 * and a warning per bad value. A bad value is left out (a non-list: the whole
 * option), so the rest of the graph is what it would be without it.
 */
export function extraPlatformsOf(
  value: unknown,
  primary: string,
): { extraPlatforms: string[]; platformProblems: string[] } {
  const where = 'nx.json: the nx-conda plugin option "platforms"';
  if (value === undefined) return { extraPlatforms: [], platformProblems: [] };
  if (!Array.isArray(value))
    return {
      extraPlatforms: [],
      platformProblems: [
        `${where} must be a list of conda platforms such as ["linux-64", "linux-aarch64"], got ${shownValue(value)}: ` +
          `only ${primary} is built`,
      ],
    };
  const extraPlatforms: string[] = [];
  const platformProblems: string[] = [];
  for (const p of value) {
    if (!isCondaPlatform(p)) {
      platformProblems.push(
        `${where} holds ${shownValue(p)}, which is not a conda platform (linux-64, linux-aarch64, osx-arm64, ...): ignored`,
      );
    } else if (needsOtherHost(p)) {
      platformProblems.push(
        `${where} holds ${p}: ${p} packages cannot be built in a Linux container, so no ${p} tasks are made ` +
          `(build them on a ${p.startsWith('osx') ? 'macOS' : 'Windows'} machine with the builder itself)`,
      );
    } else if (p !== primary && !extraPlatforms.includes(p)) extraPlatforms.push(p);
  }
  return { extraPlatforms, platformProblems };
}

function stable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stable);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, stable((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/**
 * A key for everything a plugin registration's options change: two
 * registrations have the same key only when their normalized options are
 * equal (whatever the order of their keys).
 */
export function registrationKey(opts: NormalizedOptions): string {
  return JSON.stringify(stable(opts));
}
