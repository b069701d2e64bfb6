/**
 * `nx g nx-conda:recipe NAME`: scaffolds `recipes/NAME` (or `--directory`)
 * with a meta.yaml (conda-build) or recipe.yaml (rattler-build, v1 format)
 * and a build.sh that installs one small file, so that the recipe builds as
 * generated with nothing but what the builder image holds (no compilers, no
 * python unless `--noarch=python`).
 *
 * The format comes from `--format`, else from the generator default in
 * nx.json (`generators['nx-conda:recipe'].format`, set by `init --builder`),
 * else meta. An existing recipe is never overwritten.
 */
import * as path from 'node:path';
import { formatFiles, generateFiles, logger, readNxJson, type Tree } from '@nx/devkit';
import { builderOf, FORMATS, isRecipeFormat, RECIPE_FILE_NAMES, RECIPE_FORMATS } from '../../core/formats';
import { isPackageName, matchSpecName, PACKAGE_NAME_RULE } from '../../recipes';
import {
  findPluginRegistration,
  normalizeDirectory,
  readDefaultRecipeFormat,
  splitList,
  yamlScalar,
  type RecipeFormat,
} from '../utils';
import type { NoarchOption, RecipeGeneratorSchema } from './schema';
import { schemaDefault, withSchemaDefaults } from '../../core/schema-defaults';
import schemaJson from './schema.json';
import { cranDraft, githubDraft, githubRepoOf, pipIndex, pypiDraft, UpstreamHttp } from '../../upstream';
import { githubBuildScript, githubRecipeText, pythonRecipeText, rRecipeText } from './from-upstream';

/** conda versions: no '-' (it separates version and build), no spaces. */
const VERSION_PATTERN = /^[A-Za-z0-9_.+!]+$/;

const NOARCH: readonly NoarchOption[] = ['generic', 'python', 'none'];
const SECTIONS = ['build', 'host', 'run'] as const;

export interface NormalizedRecipeOptions {
  name: string;
  directory: string;
  format: RecipeFormat;
  packageVersion: string;
  summary: string;
  license: string;
  source: { url?: string; sha256?: string; path?: string } | null;
  buildNumber: number;
  noarch: Exclude<NoarchOption, 'none'> | null;
  requirements: Record<(typeof SECTIONS)[number], string[]>;
  testCommands: string[];
  skipFormat: boolean;
}

export async function recipeGenerator(tree: Tree, schema: RecipeGeneratorSchema): Promise<void> {
  if (schema.from !== undefined) return recipeFromUpstream(tree, schema);
  const options = normalizeOptions(tree, schema);
  const recipeFile = path.posix.join(options.directory, RECIPE_FORMATS[options.format].file);

  for (const file of RECIPE_FILE_NAMES) {
    const existing = path.posix.join(options.directory, file);
    if (tree.exists(existing)) {
      throw new Error(
        `nx-conda:recipe: ${existing} already exists; an existing recipe is never overwritten. ` +
          `Choose another name or --directory.`,
      );
    }
  }
  if (findPluginRegistration(readNxJson(tree) ?? {}) < 0) {
    logger.warn(
      `nx-conda is not registered in nx.json: run 'nx add nx-conda' (or 'nx g nx-conda:init') so that ${recipeFile} becomes a project.`,
    );
  }

  const substitutions = templateSubstitutions(options);
  const buildScript = path.posix.join(options.directory, 'build.sh');
  if (tree.exists(buildScript)) {
    logger.warn(`nx-conda:recipe: ${buildScript} already exists and is kept.`);
  } else {
    generateFiles(tree, path.join(__dirname, 'files', 'common'), options.directory, substitutions);
    tree.changePermissions(buildScript, '755');
  }
  if (options.format === 'recipe') {
    generateFiles(tree, path.join(__dirname, 'files', 'recipe'), options.directory, substitutions);
  }

  if (!options.skipFormat) {
    await formatFiles(tree);
  }
  // Written after formatting: meta.yaml is Jinja before it is YAML, which a
  // YAML formatter cannot parse (and must not rewrite).
  if (options.format === 'meta') {
    generateFiles(tree, path.join(__dirname, 'files', 'meta'), options.directory, substitutions);
  }
}

export default recipeGenerator;

function refuseExisting(tree: Tree, directory: string): void {
  for (const file of RECIPE_FILE_NAMES) {
    const existing = path.posix.join(directory, file);
    if (tree.exists(existing))
      throw new Error(
        `nx-conda:recipe: ${existing} already exists; an existing recipe is never overwritten. Choose another name or --directory.`,
      );
  }
}

/** `--from=pypi|cran|github:<owner>/<repo>`: the recipe written from the package's upstream metadata. */
async function recipeFromUpstream(tree: Tree, schema: RecipeGeneratorSchema): Promise<void> {
  const from = (schema.from ?? '').trim();
  const github = githubRepoOf(from);
  if (from !== 'pypi' && from !== 'cran' && !github)
    throw new Error(`nx-conda:recipe: --from=${from} is not one of pypi, cran, github:<owner>/<repo>.`);
  const name = (schema.name ?? '').trim();
  if (github ? !isPackageName(name) : !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new Error(
      `nx-conda:recipe: '${name}' is not a ${github ? `conda package name (${PACKAGE_NAME_RULE})` : from === 'pypi' ? 'PyPI project name' : 'CRAN package name'}.`,
    );
  const format = schema.format ?? readDefaultRecipeFormat(readNxJson(tree) ?? {}) ?? 'meta';
  if (!isRecipeFormat(format)) throw new Error(`nx-conda:recipe: --format must be meta or recipe, got '${format}'.`);
  const http = new UpstreamHttp();
  let text: string;
  let conda: string;
  let origin: string;
  const notes: string[] = [];
  let buildScript: string | undefined;
  if (github) {
    const draft = await githubDraft(http, github.owner, github.repo);
    [text, conda, origin] = [
      githubRecipeText(draft, format, name),
      name,
      `${github.owner}/${github.repo} ${draft.version} (build system: ${draft.buildSystem})`,
    ];
    buildScript = githubBuildScript(draft, name);
    if (draft.buildSystem === 'unknown')
      notes.push('the build: the archive shows no build system; build.sh says so and fails');
  } else if (from === 'pypi') {
    const index = pipIndex(schema.indexUrl, process.env);
    const draft = await pypiDraft(http, index.base, name);
    [text, conda, origin] = [
      pythonRecipeText(draft, format),
      draft.name,
      `${draft.pypiName} ${draft.version} from ${index.base} (the index of ${index.from})`,
    ];
    notes.push(...draft.notes);
  } else {
    const mirror = schema.cranMirror?.trim();
    if (!mirror || !/^https?:\/\/\S+$/.test(mirror))
      throw new Error(
        "nx-conda:recipe: --from=cran needs --cranMirror=<the URL of your CRAN mirror> (conda-build's cran_mirror); nx-conda assumes none.",
      );
    const draft = await cranDraft(http, mirror, name);
    [text, conda, origin] = [
      rRecipeText(draft, format, mirror),
      draft.name,
      `${draft.cranName} ${draft.version} from ${mirror}`,
    ];
  }
  const directory = normalizeDirectory(schema.directory ?? `recipes/${conda}`);
  refuseExisting(tree, directory);
  const recipeFile = path.posix.join(directory, RECIPE_FORMATS[format].file);
  tree.write(recipeFile, text);
  const script = path.posix.join(directory, 'build.sh');
  if (buildScript !== undefined && tree.exists(script))
    logger.warn(`nx-conda:recipe: ${script} already exists and is kept.`);
  else if (buildScript !== undefined) {
    tree.write(script, buildScript);
    tree.changePermissions(script, '755');
  }
  logger.info(`nx-conda:recipe: ${recipeFile}: ${origin}.`);
  for (const note of notes) logger.warn(`nx-conda:recipe: ${recipeFile}: not carried over: ${note}`);
}

export function normalizeOptions(tree: Tree, given: RecipeGeneratorSchema): NormalizedRecipeOptions {
  // The defaults are those of schema.json (Nx applies them on the command line; a direct call gets them here).
  const schema = withSchemaDefaults(schemaJson, given);
  const name = (schema.name ?? '').trim();
  if (!isPackageName(name)) {
    throw new Error(`nx-conda:recipe: invalid package name '${schema.name ?? ''}': ${PACKAGE_NAME_RULE}.`);
  }

  const format = schema.format ?? readDefaultRecipeFormat(readNxJson(tree) ?? {}) ?? 'meta';
  if (!isRecipeFormat(format)) {
    const choices = FORMATS.map((f) => `${f} (${RECIPE_FORMATS[f].file}, ${builderOf(f)})`).join(' or ');
    throw new Error(`nx-conda:recipe: --format must be ${choices}, got '${format}'.`);
  }

  const packageVersion = String(schema.packageVersion).trim();
  if (!VERSION_PATTERN.test(packageVersion)) {
    throw new Error(
      `nx-conda:recipe: invalid --packageVersion '${packageVersion}': a conda version uses letters, digits, ` +
        `'.', '_', '+' and '!' only (no '-' or spaces).`,
    );
  }

  const buildNumber = Number(schema.buildNumber);
  if (!Number.isInteger(buildNumber) || buildNumber < 0) {
    throw new Error(`nx-conda:recipe: --buildNumber must be a whole number >= 0 (got '${schema.buildNumber}').`);
  }

  const noarchOption = schema.noarch;
  if (!NOARCH.includes(noarchOption)) {
    throw new Error(`nx-conda:recipe: --noarch must be one of ${NOARCH.join(', ')} (got '${noarchOption}').`);
  }
  const noarch = noarchOption === 'none' ? null : noarchOption;

  const directory = normalizeDirectory(schema.directory ?? `recipes/${name}`);
  const source = normalizeSource(schema, directory);

  const requirements = {} as NormalizedRecipeOptions['requirements'];
  for (const section of SECTIONS) {
    requirements[section] = splitList(schema[section], true);
    for (const spec of requirements[section]) validateMatchSpec(spec, section);
  }
  if (noarch === 'python') {
    // conda-build and rattler-build both require python in host and run of a
    // noarch: python package.
    for (const section of ['host', 'run'] as const) {
      if (!requirements[section].some((spec) => matchSpecName(spec) === 'python')) {
        requirements[section].push('python');
      }
    }
  }

  const testCommands = splitList(schema.testCommands);
  if (testCommands.length === 0) {
    testCommands.push(`test -f $PREFIX/share/${name}/README`);
  }

  const summary = (schema.summary ?? '').trim() || `The ${name} package`;
  const license = schema.license.trim() || schemaDefault<string>(schemaJson, 'license');

  return {
    name,
    directory,
    format,
    packageVersion,
    summary,
    license,
    source,
    buildNumber,
    noarch,
    requirements,
    testCommands,
    skipFormat: schema.skipFormat,
  };
}

function normalizeSource(schema: RecipeGeneratorSchema, directory: string): NormalizedRecipeOptions['source'] {
  const url = schema.sourceUrl?.trim() || undefined;
  const sha256 = schema.sha256?.trim().toLowerCase() || undefined;
  const sourcePath = schema.sourcePath?.trim() || undefined;
  if (url && sourcePath) {
    throw new Error('nx-conda:recipe: give either --sourceUrl (with --sha256) or --sourcePath, not both.');
  }
  if (sha256 && !url) {
    throw new Error('nx-conda:recipe: --sha256 is the checksum of --sourceUrl; give --sourceUrl too.');
  }
  if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new Error(`nx-conda:recipe: --sha256 must be 64 hexadecimal digits (got '${schema.sha256}').`);
  }
  if (url && !sha256) {
    logger.warn(
      'nx-conda:recipe: --sourceUrl without --sha256: add source.sha256 to the recipe before publishing it (rattler-build requires a checksum).',
    );
  }
  if (url) return { url, ...(sha256 ? { sha256 } : {}) };
  if (sourcePath) {
    assertInsideRecipe(sourcePath, directory);
    return { path: sourcePath };
  }
  return null;
}

/**
 * Only the recipe folder is mounted in the build container, so a source
 * path leading out of it (`../src`, `/abs`) could never be read there.
 */
function assertInsideRecipe(sourcePath: string, directory: string): void {
  const relative = sourcePath.replace(/\\/g, '/');
  const resolved = path.posix.normalize(path.posix.join(directory, relative));
  const inside = resolved === directory || resolved.startsWith(`${directory}/`);
  if (path.posix.isAbsolute(relative) || /^[A-Za-z]:/.test(relative) || !inside) {
    throw new Error(
      `nx-conda:recipe: --sourcePath '${sourcePath}': sourcePath must be inside the recipe folder ${directory}: ` +
        'only that folder is mounted in the build container.',
    );
  }
}

function validateMatchSpec(spec: string, section: string): void {
  // Jinja (conda-build `{{ compiler('c') }}`, rattler-build `${{ ... }}`) is
  // the builder's business.
  if (spec.startsWith('{{') || spec.startsWith('${{')) return;
  const name = matchSpecName(spec);
  if (!name || !isPackageName(name)) {
    throw new Error(
      `nx-conda:recipe: invalid match spec '${spec}' in --${section}: it must start with a package name (${PACKAGE_NAME_RULE}).`,
    );
  }
}

function templateSubstitutions(options: NormalizedRecipeOptions): Record<string, unknown> {
  const source = options.source && {
    url: options.source.url && yamlScalar(options.source.url),
    sha256: options.source.sha256,
    path: options.source.path && yamlScalar(options.source.path),
  };
  return {
    tmpl: '',
    name: options.name,
    packageVersion: options.packageVersion,
    quotedName: JSON.stringify(options.name),
    quotedVersion: JSON.stringify(options.packageVersion),
    builder: builderOf(options.format),
    summary: yamlScalar(options.summary),
    license: yamlScalar(options.license),
    source,
    buildNumber: options.buildNumber,
    noarch: options.noarch,
    requirements: SECTIONS.filter((section) => options.requirements[section].length > 0).map((section) => ({
      name: section,
      specs: options.requirements[section].map(yamlScalar),
    })),
    testCommands: options.testCommands.map(yamlScalar),
  };
}
