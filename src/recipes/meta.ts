/**
 * conda-build's meta.yaml, read as conda-build reads it: Jinja first, then
 * line selectors for the platform, then YAML.
 */
import {
  asList,
  asName,
  asText,
  buildNumberOf,
  checkPackageNames,
  isMapping,
  isTrueSkip,
  RequirementCollector,
} from './common';
import { readError, RecipeReadError } from './errors';
import { JinjaRenderer, condaBuildGlobals } from './jinja';
import { applySelectors, selectorNamespace, type SelectorValue } from './selectors';
import type { PackageIdentity, RecipeInfo } from './types';
import { loadRecipeYaml } from './yaml';

interface PlatformReader {
  ns: Record<string, SelectorValue>;
  jinja: JinjaRenderer;
}

const readers = new Map<string, PlatformReader>();

function readerFor(platform: string): PlatformReader {
  let r = readers.get(platform);
  if (!r) {
    const ns = selectorNamespace(platform);
    // The selector names are Jinja variables too, as conda-build makes them.
    r = { ns, jinja: new JinjaRenderer(() => ({ ...ns, ...condaBuildGlobals() })) };
    readers.set(platform, r);
  }
  return r;
}

function hasJinja(text: string): boolean {
  return text.includes('{{') || text.includes('{%') || text.includes('{#');
}

/** meta.yaml after Jinja, selectors and YAML, as a mapping. */
function renderMeta(file: string, contents: string, platform: string): Record<string, unknown> {
  const { ns, jinja } = readerFor(platform);
  let rendered: string;
  try {
    // Without Jinja syntax, rendering gives the text back: skip the engine.
    rendered = hasJinja(contents) ? jinja.render(contents, {}) : contents;
  } catch (e) {
    throw readError(file, 'Jinja', e);
  }
  const selected = applySelectors(rendered, ns);
  return loadRecipeYaml(file, selected, '1.1');
}

export function readMetaYaml(file: string, contents: string, platform: string): RecipeInfo {
  const doc = renderMeta(file, contents, platform);
  const pkg = isMapping(doc.package) ? doc.package : {};
  const names: string[] = [];
  const top = asName(pkg.name);
  if (top) names.push(top);
  const reqs = new RequirementCollector();
  addRequirements(reqs, doc.requirements);
  for (const out of asList(doc.outputs)) {
    if (!isMapping(out)) continue;
    const n = asName(out.name);
    if (n && !names.includes(n)) names.push(n);
    addRequirements(reqs, out.requirements);
  }
  if (names.length === 0) throw new RecipeReadError(file, 'no package.name (and no named outputs)');
  checkPackageNames(file, names);
  const version = asText(pkg.version);
  const skip = isMapping(doc.build) && isTrueSkip(doc.build.skip);
  return {
    format: 'meta',
    packageName: names[0],
    ...(version !== undefined ? { version } : {}),
    names,
    requirements: reqs.result(),
    ...(skip ? { skip: true as const } : {}),
  };
}

/** `requirements:` is a mapping of build/host/run lists; an output's flat list counts as run. */
function addRequirements(reqs: RequirementCollector, r: unknown): void {
  if (Array.isArray(r)) {
    reqs.add('run', r);
    return;
  }
  if (!isMapping(r)) return;
  reqs.add('build', asList(r.build));
  reqs.add('host', asList(r.host));
  reqs.add('run', asList(r.run));
}

/**
 * The packages conda-build makes of a meta.yaml: each output (its own
 * version and build number, else the top level's), or the top-level package
 * when there are no outputs.
 */
export function metaPackages(file: string, contents: string, platform: string): PackageIdentity[] {
  const doc = renderMeta(file, contents, platform);
  const pkg = isMapping(doc.package) ? doc.package : {};
  const build = isMapping(doc.build) ? doc.build : {};
  const top: PackageIdentity = {
    name: asName(pkg.name) ?? '',
    version: asText(pkg.version),
    buildNumber: buildNumberOf(build.number),
  };
  const outputs: PackageIdentity[] = [];
  for (const out of asList(doc.outputs)) {
    if (!isMapping(out)) continue;
    const name = asName(out.name);
    if (!name) continue;
    const outBuild = isMapping(out.build) ? out.build : {};
    outputs.push({
      name,
      version: asText(out.version) ?? top.version,
      buildNumber: outBuild.number !== undefined ? buildNumberOf(outBuild.number) : top.buildNumber,
    });
  }
  if (outputs.length) return checkPackageNames(file, outputs);
  if (!top.name) throw new RecipeReadError(file, 'no package.name (and no named outputs)');
  return checkPackageNames(file, [top]);
}
