/**
 * The minijinja WebAssembly module, loaded with a cap on its memory.
 *
 * A template can ask for a huge value in one step (`"x" * 1000000000`, a
 * string doubled in a loop): fuel counts steps, not bytes, so it does not stop
 * that. WebAssembly memory can have a maximum, but minijinja-js declares none
 * and grows until the process runs out. So the module's own code is run here
 * with its `.wasm` given a maximum: an allocation past it traps inside the
 * module (a `RuntimeError`), the render fails, and the instance is dropped and
 * loaded afresh (`reloadEngine`), which also gives its memory back.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';

type MinijinjaModule = typeof import('minijinja-js');

/** 64 KiB pages: the module's memory cap. Rendering a real recipe needs about 1.2 MB. */
export const JINJA_MEMORY_LIMIT_MB = 64;
const MAX_PAGES = (JINJA_MEMORY_LIMIT_MB * 1024 * 1024) / 65536;

function readLeb(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = buf[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80 && shift < 35);
  return [result, pos];
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/**
 * The module's bytes with its one (32-bit, unshared) memory given a maximum
 * of `maxPages`; the bytes unchanged when the module is not of that form.
 */
export function capWasmMemory(bytes: Uint8Array, maxPages: number): { bytes: Uint8Array; capped: boolean } {
  const unchanged = { bytes, capped: false };
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    return unchanged;
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, start] = readLeb(bytes, pos + 1);
    const end = start + size;
    if (id === 5) {
      const [count, p] = readLeb(bytes, start);
      const flags = bytes[p];
      if (count !== 1 || (flags !== 0 && flags !== 1)) return unchanged;
      const [min, afterMin] = readLeb(bytes, p + 1);
      const [max] = flags === 1 ? readLeb(bytes, afterMin) : [Infinity];
      const cap = Math.max(min, Math.min(max, maxPages));
      const body = [...leb(1), 1, ...leb(min), ...leb(cap)];
      const section = Uint8Array.from([5, ...leb(body.length), ...body]);
      const out = new Uint8Array(pos + section.length + (bytes.length - end));
      out.set(bytes.subarray(0, pos), 0);
      out.set(section, pos);
      out.set(bytes.subarray(end), pos + section.length);
      return { bytes: out, capped: true };
    }
    pos = end;
  }
  return unchanged;
}

let engine: { mod: MinijinjaModule; generation: number; capped: boolean } | undefined;
let generation = 0;

/**
 * Runs minijinja-js's Node entry (its wasm-bindgen glue) as a fresh module
 * whose `fs.readFileSync` of the `.wasm` returns the capped bytes. Falls back
 * to the package as Node loads it (no cap) if that fails.
 */
function load(): { mod: MinijinjaModule; capped: boolean } {
  let capped = false;
  try {
    const main = require.resolve('minijinja-js');
    const code = fs.readFileSync(main, 'utf8');
    const cappedFs = {
      ...fs,
      readFileSync: (path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
        const data = (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
        if (typeof path === 'string' && path.endsWith('.wasm') && data instanceof Uint8Array) {
          const r = capWasmMemory(data, MAX_PAGES);
          capped = r.capped;
          return r.bytes;
        }
        return data;
      },
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const req = (id: string): unknown => (id === 'fs' || id === 'node:fs' ? cappedFs : require(id));
    const module = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', 'require', '__dirname', '__filename', code)(
      module,
      module.exports,
      req,
      dirname(main),
      main,
    );
    if (typeof module.exports.Environment === 'function')
      return { mod: module.exports as unknown as MinijinjaModule, capped };
  } catch {
    // below
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { mod: require('minijinja-js') as MinijinjaModule, capped: false };
}

/** The current engine and its generation (an Environment of an older generation is stale). */
export function jinjaEngine(): { mod: MinijinjaModule; generation: number; capped: boolean } {
  if (!engine) {
    const { mod, capped } = load();
    engine = { mod, generation: ++generation, capped };
  }
  return engine;
}

/** Drops the engine (after a trap): the next jinjaEngine() loads a fresh instance with fresh memory. */
export function reloadEngine(): void {
  engine = undefined;
}
