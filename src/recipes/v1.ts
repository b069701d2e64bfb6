/**
 * rattler-build's recipe.yaml (format v1): YAML first, then `context`
 * (evaluated in order, each value seeing the ones before it), `${{ ... }}`
 * expressions and `if/then/else` selectors for the platform.
 */
import { asList, asName, asText, buildNumberOf, isMapping, requirementNames } from './common';
import { ParseError, RecipeReadError } from './errors';
import { JinjaRenderer, rattlerBuildGlobals } from './jinja';
import { selectorNamespace } from './selectors';
import {
  additionalPlatformsOf,
  evaluate,
  evaluated,
  isNoarchValue,
  type RenderedPackage,
  type RenderedRecipe,
} from './rendered';
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

/**
 * recipe.yaml rendered for the platform. Each value is evaluated once; one
 * whose expression fails keeps its error (see rendered.ts). Lists are
 * flattened in the order the graph reads them, which V1_LIMITS.items counts.
 */
export function renderV1Recipe(file: string, contents: string, platform: string): RenderedRecipe {
  const { doc, ev } = renderV1(file, contents, platform);
  const pkg = isMapping(doc.package) ? doc.package : isMapping(doc.recipe) ? doc.recipe : {};
  return {
    file,
    format: 'recipe',
    top: v1Package(file, ev, pkg, doc.build, doc.requirements),
    outputs: evaluate(file, () =>
      ev
        .list(doc.outputs)
        .filter(isMapping)
        .map((out) => v1Package(file, ev, isMapping(out.package) ? out.package : {}, out.build, out.requirements)),
    ),
    // rattler-build: `skip` is one condition or a list of them; any that holds skips the recipe.
    skip: evaluate(file, () => isMapping(doc.build) && asList(doc.build.skip).some((c) => ev.condition(c))),
    noarch: evaluate(file, () => isMapping(doc.build) && isNoarchValue(ev.value(doc.build.noarch))),
    additionalPlatforms: evaluate(file, () => additionalPlatformsOf(doc.extra, (v) => ev.value(v))),
  };
}

function v1Package(
  file: string,
  ev: V1Evaluator,
  pkg: Record<string, unknown>,
  build: unknown,
  requirements: unknown,
): RenderedPackage {
  const b = isMapping(build) ? build : {};
  const r = isMapping(requirements) ? requirements : undefined;
  const names = (specs: unknown) => (r ? evaluate(file, () => requirementNames(ev.list(specs))) : evaluated([]));
  return {
    name: evaluate(file, () => asName(ev.value(pkg.name))),
    version: evaluate(file, () => asText(ev.value(pkg.version))),
    ...(b.number !== undefined ? { buildNumber: evaluate(file, () => buildNumberOf(ev.value(b.number))) } : {}),
    buildString: evaluate(file, () => asText(ev.value(b.string))),
    requirements: { build: names(r?.build), host: names(r?.host), run: names(r?.run) },
  };
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
