/**
 * Jinja rendering of recipes with minijinja (the engine family rattler-build
 * uses), in Python-compatible mode, lenient on undefined names.
 *
 * minijinja-js runs in WebAssembly: an exception thrown inside a JS function
 * panics the module and breaks that Environment for good. So every stub below
 * is wrapped to never throw, and an Environment whose render failed with
 * anything other than a template error is thrown away and replaced.
 */
import type { Environment } from 'minijinja-js';
import { ParseError } from './errors';
import { jinjaEngine, JINJA_MEMORY_LIMIT_MB, reloadEngine } from './jinja-engine';

/**
 * Steps a render may take (minijinja's fuel). The public corpus needs at most
 * about 500; two nested `range(10000)` loops stop after this many.
 */
export const JINJA_FUEL = 100_000;

/** Characters a rendered template (or an evaluated expression) may have. */
export const JINJA_MAX_OUTPUT = 1_000_000;

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
 * A render stopped by a bound, in words for the user (`trapped`: by the
 * memory cap, which leaves the module not to be trusted); undefined for
 * other errors.
 */
function boundError(e: unknown): { error: ParseError; trapped: boolean } | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  if (/out of fuel/i.test(msg)) {
    const line = /\(in [^)]*?:(\d+)\)/.exec(msg);
    return {
      error: new ParseError(
        `the template did not finish within ${JINJA_FUEL} steps (a loop too long for a recipe?)`,
        line ? Number(line[1]) : undefined,
      ),
      trapped: false,
    };
  }
  if ((e instanceof Error && e.name === 'RuntimeError') || /unreachable/i.test(msg)) {
    return {
      error: new ParseError(
        `the template needs more than ${JINJA_MEMORY_LIMIT_MB} MB of memory to render (a value too large for a recipe?)`,
      ),
      trapped: true,
    };
  }
  return undefined;
}

/**
 * One Environment per set of globals, replaced when it breaks. Every render
 * runs with a fuel limit (JINJA_FUEL), in a module whose memory is capped
 * (see jinja-engine.ts), and its output is refused past JINJA_MAX_OUTPUT.
 */
export class JinjaRenderer {
  private env: Environment | undefined;
  private generation = 0;

  constructor(private readonly globals: () => Record<string, unknown>) {}

  private environment(): Environment {
    const engine = jinjaEngine();
    if (!this.env || this.generation !== engine.generation) {
      const env = new engine.mod.Environment();
      env.enablePyCompat();
      env.undefinedBehavior = 'chainable';
      env.keepTrailingNewline = true;
      env.fuel = JINJA_FUEL;
      for (const [k, v] of Object.entries(this.globals())) env.addGlobal(k, v);
      this.env = env;
      this.generation = engine.generation;
    }
    return this.env;
  }

  private fail(e: unknown): never {
    const bound = boundError(e);
    if (bound?.trapped) {
      // A trap (the memory cap): the module's state is not to be trusted; load it afresh.
      this.env = undefined;
      reloadEngine();
    }
    if (bound) throw bound.error;
    const je = toJinjaError(e);
    if (je) throw je;
    // Not a template error: the WASM module may have panicked. Start afresh.
    try {
      this.env?.free();
    } catch {
      // already broken
    }
    this.env = undefined;
    reloadEngine();
    throw new ParseError(`template engine failure: ${e instanceof Error ? e.message : String(e)}`);
  }

  private checkSize<T>(out: T): T {
    if (typeof out === 'string' && out.length > JINJA_MAX_OUTPUT) {
      throw new ParseError(`the rendered template is longer than ${JINJA_MAX_OUTPUT} characters`);
    }
    return out;
  }

  render(source: string, ctx: Record<string, unknown>): string {
    let out: string;
    try {
      out = this.environment().renderStr(source, ctx);
    } catch (e) {
      this.fail(e);
    }
    return this.checkSize(out);
  }

  evalExpr(expr: string, ctx: Record<string, unknown>): unknown {
    let out: unknown;
    try {
      out = this.environment().evalExpr(expr, ctx);
    } catch (e) {
      this.fail(e);
    }
    return this.checkSize(out);
  }
}
