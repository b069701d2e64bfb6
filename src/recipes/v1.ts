/**
 * rattler-build's recipe.yaml (format v1): YAML first, then `context`
 * (evaluated in order, each value seeing the ones before it), `${{ ... }}`
 * expressions and `if/then/else` selectors for the platform.
 */
import { asList, asName, asText, buildNumberOf, checkPackageNames, isMapping, RequirementCollector } from './common';
import { ParseError, RecipeReadError } from './errors';
import { JinjaRenderer, rattlerBuildGlobals } from './jinja';
import { selectorNamespace } from './selectors';
import type { PackageIdentity, RecipeInfo } from './types';
import { loadRecipeYaml } from './yaml';

const renderers = new Map<string, JinjaRenderer>();

/** `extra`: globals over rattler-build's (the linter's named compilers); a renderer per platform and flavour. */
function rendererFor(platform: string, flavour = '', extra: () => Record<string, unknown> = () => ({})): JinjaRenderer {
  const key = `${flavour}:${platform}`;
  let r = renderers.get(key);
  if (!r) {
    const ns = selectorNamespace(platform);
    r = new JinjaRenderer(() => ({ ...ns, ...rattlerBuildGlobals(), ...extra() }));
    renderers.set(key, r);
  }
  return r;
}

/**
 * Bounds of if/then/else flattening: nesting depth, and list items visited
 * in the whole recipe (a real recipe has a few hundred at most).
 */
export const V1_LIMITS = { depth: 32, items: 100_000 };

const EXPR = /\$\{\{([\s\S]*?)\}\}/g;

function isTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

class V1Evaluator {
  constructor(
    private readonly file: string,
    private readonly jinja: JinjaRenderer,
    readonly ctx: Record<string, unknown>,
  ) {}

  private wrap<T>(fn: () => T, what: string): T {
    try {
      return fn();
    } catch (e) {
      const msg = e instanceof ParseError ? e.message : String(e);
      throw new RecipeReadError(this.file, `${what}: ${msg}`);
    }
  }

  /** Renders `${{ }}` in a string; other values are returned as they are. */
  value(v: unknown): unknown {
    if (typeof v !== 'string' || !v.includes('${{')) return v;
    const whole = /^\$\{\{([\s\S]*?)\}\}$/.exec(v.trim());
    if (whole && !whole[1].includes('}}')) {
      const r = this.wrap(() => this.jinja.evalExpr(whole[1], this.ctx), `expression ${v.trim()}`);
      return r === undefined || r === null ? '' : r;
    }
    return this.wrap(
      () =>
        this.jinja.render(
          v.replace(EXPR, (_m, e: string) => `{{${e}}}`),
          this.ctx,
        ),
      `template ${JSON.stringify(v)}`,
    );
  }

  condition(expr: unknown): boolean {
    if (typeof expr === 'boolean') return expr;
    if (typeof expr !== 'string') return isTruthy(expr);
    const src = expr.replace(EXPR, (_m, e: string) => `(${e})`);
    return isTruthy(this.wrap(() => this.jinja.evalExpr(src, this.ctx), `if: ${expr}`));
  }

  /** Items produced by `list` so far, across the recipe: aliases can make a small file a huge tree. */
  private items = 0;

  /** A list with `if/then/else` items flattened for the platform (bounded: see V1_LIMITS). */
  list(v: unknown, depth = 0): unknown[] {
    if (depth > V1_LIMITS.depth) {
      throw new RecipeReadError(this.file, `if/then/else nested more than ${V1_LIMITS.depth} deep`);
    }
    const out: unknown[] = [];
    for (const item of asList(v)) {
      if (++this.items > V1_LIMITS.items) {
        throw new RecipeReadError(
          this.file,
          `more than ${V1_LIMITS.items} list items after if/then/else (aliases expanding?)`,
        );
      }
      if (isMapping(item) && 'if' in item) {
        const branch = this.condition(item.if) ? item.then : item.else;
        for (const x of this.list(branch, depth + 1)) out.push(x);
      } else out.push(this.value(item));
    }
    return out;
  }
}

/** recipe.yaml parsed, with its context evaluated for the platform. */
function renderV1(
  file: string,
  contents: string,
  platform: string,
  renderer = rendererFor(platform),
): { doc: Record<string, unknown>; ev: V1Evaluator } {
  const doc = loadRecipeYaml(file, contents, '1.2');

  // Context keys are the recipe's: `__proto__` must be a variable, never the context's prototype.
  const ev = new V1Evaluator(file, renderer, Object.create(null) as Record<string, unknown>);
  if (isMapping(doc.context)) {
    for (const [k, v] of Object.entries(doc.context)) ev.ctx[k] = ev.value(v);
  }
  return { doc, ev };
}

export function readRecipeV1(file: string, contents: string, platform: string): RecipeInfo {
  const { doc, ev } = renderV1(file, contents, platform);
  const pkg = isMapping(doc.package) ? doc.package : isMapping(doc.recipe) ? doc.recipe : {};
  const names: string[] = [];
  const top = asName(ev.value(pkg.name));
  if (top) names.push(top);
  const reqs = new RequirementCollector();
  const addReqs = (r: unknown) => {
    if (!isMapping(r)) return;
    reqs.add('build', ev.list(r.build));
    reqs.add('host', ev.list(r.host));
    reqs.add('run', ev.list(r.run));
  };
  addReqs(doc.requirements);
  for (const out of ev.list(doc.outputs)) {
    if (!isMapping(out)) continue;
    const opkg = isMapping(out.package) ? out.package : {};
    const n = asName(ev.value(opkg.name));
    if (n && !names.includes(n)) names.push(n);
    addReqs(out.requirements);
  }
  if (names.length === 0) throw new RecipeReadError(file, 'no package.name or recipe.name (and no named outputs)');
  checkPackageNames(file, names);
  const version = asText(ev.value(pkg.version));
  // rattler-build: `skip` is one condition or a list of them; any that holds skips the recipe.
  const skip = isMapping(doc.build) && asList(doc.build.skip).some((c) => ev.condition(c));
  return {
    format: 'recipe',
    packageName: names[0],
    ...(version !== undefined ? { version } : {}),
    names,
    requirements: reqs.result(),
    ...(skip ? { skip: true as const } : {}),
  };
}

/**
 * The packages rattler-build makes of a recipe.yaml: each output (its own
 * version and build number, else the recipe's), or the package when there
 * are no outputs.
 */
export function v1Packages(file: string, contents: string, platform: string): PackageIdentity[] {
  const { doc, ev } = renderV1(file, contents, platform);
  const pkg = isMapping(doc.package) ? doc.package : isMapping(doc.recipe) ? doc.recipe : {};
  const build = isMapping(doc.build) ? doc.build : {};
  const top: PackageIdentity = {
    name: asName(ev.value(pkg.name)) ?? '',
    version: asText(ev.value(pkg.version)),
    buildNumber: buildNumberOf(ev.value(build.number)),
  };
  const outputs: PackageIdentity[] = [];
  for (const out of ev.list(doc.outputs)) {
    if (!isMapping(out)) continue;
    const opkg = isMapping(out.package) ? out.package : {};
    const name = asName(ev.value(opkg.name));
    if (!name) continue;
    const outBuild = isMapping(out.build) ? out.build : {};
    outputs.push({
      name,
      version: asText(ev.value(opkg.version)) ?? top.version,
      buildNumber: outBuild.number !== undefined ? buildNumberOf(ev.value(outBuild.number)) : top.buildNumber,
    });
  }
  if (outputs.length) return checkPackageNames(file, outputs);
  if (!top.name) throw new RecipeReadError(file, 'no package.name or recipe.name (and no named outputs)');
  return checkPackageNames(file, [top]);
}

/**
 * The whole recipe.yaml rendered for the platform (every `${{ }}` evaluated,
 * every `if/then/else` list item flattened), with `globals` over
 * rattler-build's functions under the name `flavour`: the linter's view.
 */
export function renderV1Document(
  file: string,
  contents: string,
  platform: string,
  flavour: string,
  globals: () => Record<string, unknown>,
): Record<string, unknown> {
  const { doc, ev } = renderV1(file, contents, platform, rendererFor(platform, flavour, globals));
  const render = (v: unknown, depth: number): unknown => {
    if (depth > V1_LIMITS.depth) throw new RecipeReadError(file, `nested more than ${V1_LIMITS.depth} deep`);
    if (Array.isArray(v)) return ev.list(v).map((x) => render(x, depth + 1));
    if (isMapping(v)) {
      // Keys are the recipe's: `__proto__` must stay a key, never become the prototype.
      const out = Object.create(null) as Record<string, unknown>;
      for (const [k, x] of Object.entries(v)) if (k !== 'context') out[k] = render(x, depth + 1);
      return out;
    }
    return ev.value(v);
  };
  return render(doc, 0) as Record<string, unknown>;
}
