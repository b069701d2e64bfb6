/**
 * Jinja rendering of recipes with minijinja (the engine family rattler-build
 * uses), in Python-compatible mode, lenient on undefined names.
 *
 * minijinja-js runs in WebAssembly: an exception thrown inside a JS function
 * panics the module and breaks that Environment for good. So every stub below
 * is wrapped to never throw, and an Environment whose render failed with
 * anything other than a template error is thrown away and replaced.
 */
import { Environment } from 'minijinja-js';
import { ParseError } from './errors';

type Stub = (...args: unknown[]) => unknown;

/** Wraps a stub so that it never throws into the WASM module. */
function safe(fn: Stub, fallback: unknown = ''): Stub {
  return (...args: unknown[]) => {
    try {
      return fn(...args);
    } catch {
      return fallback;
    }
  };
}

/** minijinja passes keyword arguments as a trailing plain object. */
function positional(args: unknown[]): unknown[] {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last)) return args.slice(0, -1);
  return args;
}

function kwargs(args: unknown[]): Record<string, unknown> {
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last)) return last as Record<string, unknown>;
  return {};
}

const firstArgAsName = safe((...args: unknown[]) => {
  const [name] = positional(args);
  return typeof name === 'string' ? name : name === undefined || name === null ? '' : String(name);
});

const empty = safe(() => '');

/** `environ.get(key, default)`: the build environment is never known here. */
const getDefault = safe((...args: unknown[]) => {
  const pos = positional(args);
  const kw = kwargs(args);
  if (pos.length > 1) return pos[1];
  if ('default' in kw) return kw.default;
  return '';
});

/** A mapping whose every key is missing: `.get(k, d)` gives `d`. */
function emptyMapping(): Record<string, unknown> {
  return { get: getDefault };
}

/** The functions both builders offer whose output never names a recipe dependency. */
function packagingFunctions(): Record<string, unknown> {
  return { compiler: empty, cdt: empty, stdlib: empty, pin_subpackage: firstArgAsName, pin_compatible: firstArgAsName };
}

/** The conda-build Jinja functions, as the reference graph renders them. */
export function condaBuildGlobals(): Record<string, unknown> {
  const environ = emptyMapping();
  const loaded = safe(() => emptyMapping(), {});
  return {
    ...packagingFunctions(),
    environ,
    os: { environ, sep: '/', getenv: getDefault, path: { join: safe((...a) => positional(a).join('/')) } },
    load_setup_py_data: loaded,
    load_setuptools: loaded,
    load_file_data: loaded,
    load_str_data: loaded,
    load_file_regex: safe(() => ({ group: empty, groups: safe(() => []) }), {}),
    installed: {},
    resolved_packages: safe(() => [], []),
    time: { time: safe(() => 0, 0) },
  };
}

/** The rattler-build (recipe.yaml v1) Jinja functions. */
export function rattlerBuildGlobals(): Record<string, unknown> {
  return {
    ...packagingFunctions(),
    env: { get: getDefault, exists: safe(() => false, false) },
    match: safe(() => false, false),
    is_linux: safe((p?: unknown) => String(p ?? '').startsWith('linux'), false),
  };
}

/** Parses minijinja's message: "syntax error: ... (in <string>:12)". */
/** A template error (syntax, undefined function, ...) with its line if known. */
function toJinjaError(e: unknown): ParseError | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  const m = /\(in [^)]*?:(\d+)\)/.exec(msg);
  if (!m && !/error|unknown|invalid|undefined/i.test(msg)) return undefined;
  const first = msg.split('\n')[0].replace(/\s*\(in [^)]*\)\s*$/, '');
  return new ParseError(first, m ? Number(m[1]) : undefined);
}

/**
 * One Environment per set of globals, replaced when it breaks.
 */
export class JinjaRenderer {
  private env: Environment | undefined;

  constructor(private readonly globals: () => Record<string, unknown>) {}

  private environment(): Environment {
    if (!this.env) {
      const env = new Environment();
      env.enablePyCompat();
      env.undefinedBehavior = 'chainable';
      env.keepTrailingNewline = true;
      for (const [k, v] of Object.entries(this.globals())) env.addGlobal(k, v);
      this.env = env;
    }
    return this.env;
  }

  private fail(e: unknown): never {
    const je = toJinjaError(e);
    if (je) throw je;
    // Not a template error: the WASM module may have panicked. Start afresh.
    try {
      this.env?.free();
    } catch {
      // already broken
    }
    this.env = undefined;
    throw new ParseError(`template engine failure: ${e instanceof Error ? e.message : String(e)}`);
  }

  render(source: string, ctx: Record<string, unknown>): string {
    try {
      return this.environment().renderStr(source, ctx);
    } catch (e) {
      this.fail(e);
    }
  }

  evalExpr(expr: string, ctx: Record<string, unknown>): unknown {
    try {
      return this.environment().evalExpr(expr, ctx);
    } catch (e) {
      this.fail(e);
    }
  }
}
