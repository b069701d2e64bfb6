/**
 * What a builder's solve-only run (BuilderDefinition.solveCommand) says the
 * build will install: the package file names of its resolved environments.
 * Its output comes from a container, so it is data: only file names that are
 * package file names come out, at most MAX_SOLVED of them, and the caller
 * takes a name only when an upstream channel's record lists it.
 */
import { isValidPackageFile } from '../channel/repodata';

/** Most file names taken from one solve (a build environment is tens to hundreds of packages). */
export const MAX_SOLVED = 20_000;
/** Deepest nesting walked in the solve's JSON. */
const MAX_DEPTH = 64;

/** The JSON value printed on stdout: the whole text, else from the first line that opens an array or object. */
function parseOutput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const start = text.search(/^[[{]/m);
    if (start < 0) return undefined;
    try {
      return JSON.parse(text.slice(start));
    } catch {
      return undefined;
    }
  }
}

/** A resolved record's file name: its `fn`, else the last part of its `url`. */
function fileNameOf(record: unknown): string | undefined {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const r = record as Record<string, unknown>;
  let name: string | undefined;
  if (typeof r.fn === 'string') name = r.fn;
  else if (typeof r.url === 'string')
    try {
      name = decodeURIComponent(r.url.replace(/[?#].*$/, '').replace(/^.*\//, ''));
    } catch {
      name = undefined;
    }
  return name !== undefined && isValidPackageFile(name) ? name : undefined;
}

/**
 * The package file names of every `resolved` list in rattler-build's
 * `--render-only --with-solve` output (the build and host environments of
 * each output), sorted, without duplicates; empty when it is not that JSON.
 */
export function solvedPackageFiles(stdout: string): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, depth: number) => {
    if (depth > MAX_DEPTH || found.size >= MAX_SOLVED || !value || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'resolved' && Array.isArray(child)) {
        for (const record of child) {
          const name = fileNameOf(record);
          if (name && found.size < MAX_SOLVED) found.add(name);
        }
      } else walk(child, depth + 1);
    }
  };
  walk(parseOutput(stdout), 0);
  return [...found].sort();
}
