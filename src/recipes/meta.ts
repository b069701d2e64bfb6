/**
 * conda-build's meta.yaml, read as conda-build reads it: Jinja first, then
 * line selectors for the platform, then YAML.
 */
import { asList, asName, asText, buildNumberOf, isMapping, isTrueSkip, requirementNames } from './common';
import { readError } from './errors';
import { JinjaRenderer, condaBuildGlobals } from './jinja';
import { applySelectors, selectorNamespace, type SelectorValue } from './selectors';
import { additionalPlatformsOf, evaluated, isNoarchValue, type RenderedPackage, type RenderedRecipe } from './rendered';
import { loadRecipeYaml } from './yaml';

export interface PlatformReader {
  ns: Record<string, SelectorValue>;
  jinja: JinjaRenderer;
}

const readers = new Map<string, PlatformReader>();

/** `extra`: globals over conda-build's (the linter's named compilers); a reader per platform and flavour. */
export function readerFor(
  platform: string,
  flavour = '',
  extra: () => Record<string, unknown> = () => ({}),
): PlatformReader {
  const key = `${flavour}:${platform}`;
  let r = readers.get(key);
  if (!r) {
    const ns = selectorNamespace(platform);
    // The selector names are Jinja variables too, as conda-build makes them.
    r = { ns, jinja: new JinjaRenderer(() => ({ ...ns, ...condaBuildGlobals(), ...extra() })) };
    readers.set(key, r);
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

/** meta.yaml rendered for the platform: after Jinja, selectors and YAML, every value is plain data. */
export function renderMetaRecipe(file: string, contents: string, platform: string): RenderedRecipe {
  const doc = renderMeta(file, contents, platform);
  const pkg = isMapping(doc.package) ? doc.package : {};
  const build = isMapping(doc.build) ? doc.build : undefined;
  const outputs: RenderedPackage[] = [];
  for (const out of asList(doc.outputs)) {
    if (isMapping(out)) outputs.push(metaPackage(out.name, out.version, out.build, out.requirements));
  }
  return {
    file,
    format: 'meta',
    top: metaPackage(pkg.name, pkg.version, build, doc.requirements),
    outputs: evaluated(outputs),
    skip: evaluated(build !== undefined && isTrueSkip(build.skip)),
    noarch: evaluated(build !== undefined && isNoarchValue(build.noarch)),
    additionalPlatforms: evaluated(additionalPlatformsOf(doc.extra)),
  };
}

function metaPackage(name: unknown, version: unknown, build: unknown, requirements: unknown): RenderedPackage {
  const b = isMapping(build) ? build : {};
  return {
    name: evaluated(asName(name)),
    version: evaluated(asText(version)),
    ...(b.number !== undefined ? { buildNumber: evaluated(buildNumberOf(b.number)) } : {}),
    buildString: evaluated(asText(b.string)),
    requirements: metaRequirements(requirements),
  };
}

/** `requirements:` is a mapping of build/host/run lists; an output's flat list counts as run. */
function metaRequirements(r: unknown): RenderedPackage['requirements'] {
  if (Array.isArray(r)) return { build: evaluated([]), host: evaluated([]), run: evaluated(requirementNames(r)) };
  const m = isMapping(r) ? r : {};
  return {
    build: evaluated(requirementNames(asList(m.build))),
    host: evaluated(requirementNames(asList(m.host))),
    run: evaluated(requirementNames(asList(m.run))),
  };
}
