/**
 * What a Python source archive (.tar.gz) says of itself, read in memory
 * with bounds: the build backend's requirements (`[build-system] requires`
 * of pyproject.toml) and its top-level import packages. The archive is data:
 * its names are only compared, never used as paths.
 */
import { gunzipSync } from 'node:zlib';

export interface SdistFacts {
  /** `[build-system] requires` of the root pyproject.toml, as written (PEP 508). */
  buildRequires: string[];
  /** Top-level packages (`pkg/__init__.py` or `src/pkg/__init__.py` under the archive's root folder), sorted. */
  packages: string[];
}

const MAX_UNPACKED = 256 * 1024 * 1024;
const MAX_ENTRIES = 100_000;
const MAX_PYPROJECT = 1024 * 1024;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

/** `[build-system]`'s `requires = [...]`, read without a TOML parser (strings of one array, comments skipped). */
export function buildSystemRequires(toml: string): string[] {
  const section = /^\[build-system\][ \t]*$/m.exec(toml);
  if (!section) return [];
  const rest = toml.slice(section.index + section[0].length);
  const next = /^\[/m.exec(rest);
  const body = next ? rest.slice(0, next.index) : rest;
  const requires = /^requires[ \t]*=[ \t]*\[([^\]]*)\]/m.exec(body);
  if (!requires) return [];
  const out: string[] = [];
  for (const line of requires[1].split('\n')) {
    const code = line.replace(/#.*$/, '');
    for (const m of code.matchAll(/"([^"\n]{1,200})"|'([^'\n]{1,200})'/g)) out.push((m[1] ?? m[2]).trim());
  }
  return out;
}

/**
 * The regular files of a gzipped tar archive whose names `wanted` accepts
 * (names as written, `./` dropped), read in memory within bounds; an archive
 * that cannot be read gives none.
 */
export function tarGzFiles(archive: Buffer, wanted: (name: string, size: number) => boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: MAX_UNPACKED });
  } catch {
    return out;
  }
  let longName: string | undefined;
  for (let offset = 0, entries = 0; offset + 512 <= tar.length && entries < MAX_ENTRIES; entries++) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) break;
    const type = String.fromCharCode(header[156] || 48);
    const prefix = field(header, 345, 155);
    const name = (longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100))).replace(
      /^\.\//,
      '',
    );
    longName = undefined;
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') longName = field(body, 0, body.length);
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    else if ((type === '0' || type === '\0') && wanted(name, size)) out.set(name, Buffer.from(body));
  }
  return out;
}

/** The facts of a gzipped tar sdist; an archive that cannot be read gives none (the generator falls back). */
export function sdistFacts(archive: Buffer): SdistFacts {
  const packages = new Set<string>();
  let buildRequires: string[] = [];
  const files = tarGzFiles(archive, (name, size) => {
    const parts = name.split('/');
    if (parts.length === 2 && parts[1] === 'pyproject.toml') return size <= MAX_PYPROJECT;
    const pkg =
      parts.length === 3 && parts[2] === '__init__.py'
        ? parts[1]
        : parts.length === 4 && parts[1] === 'src' && parts[3] === '__init__.py'
          ? parts[2]
          : undefined;
    if (pkg && /^[A-Za-z_][A-Za-z0-9_]*$/.test(pkg) && !/^(tests?|docs?|examples?)$/.test(pkg)) packages.add(pkg);
    return false;
  });
  for (const body of files.values()) buildRequires = buildSystemRequires(body.toString('utf8'));
  return { buildRequires, packages: [...packages].sort() };
}
