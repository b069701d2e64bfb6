/**
 * Rewriting a recipe's version, checksums and build number in its text, as
 * a maintainer would by hand: only the values change, every other byte of
 * the file (comments, order, quoting, other Jinja, line endings) stays.
 * Works on lines, never on a re-serialised YAML document.
 */
import { UserError } from '../core/errors';
import { formatOfFile } from '../core/formats';

/** The recipe cannot be rewritten where the change belongs: the file is left as it is. */
export class RecipeRewriteError extends UserError {}

/** One value in the text: `line` (0-based) and its characters [start, end). */
export interface ValueSite {
  line: number;
  start: number;
  end: number;
  value: string;
}

export interface VersionSites {
  /** Where the version is written (several `{% set %}` lines under selectors may hold it). */
  sites: ValueSite[];
  /** The version as written there. */
  current: string;
  /** Written as a literal in package.version: the source URLs then hold it literally too. */
  literal: boolean;
}

interface Lines {
  /** Each line without its line break. */
  body: string[];
  /** Each line's break (`\n`, `\r\n`, or '' for the last). */
  breaks: string[];
}

function splitLines(text: string): Lines {
  const body: string[] = [];
  const breaks: string[] = [];
  for (const m of text.matchAll(/([^\r\n]*)(\r\n|\n|\r|$)/g)) {
    body.push(m[1]);
    breaks.push(m[2]);
    if (m[2] === '') break;
  }
  return { body, breaks };
}

function joinLines(lines: Lines): string {
  return lines.body.map((b, i) => b + lines.breaks[i]).join('');
}

/** A line that ends a top-level block: anything at column 0 but a comment or a Jinja statement. */
function endsBlock(line: string): boolean {
  return line !== '' && !/^\s/.test(line) && !/^(#|\{%|\{#)/.test(line);
}

/** The lines [from, to) of a top-level mapping `key:` (the first such key). */
function topLevelBlock(body: string[], key: string): [number, number] | undefined {
  const head = new RegExp(`^${key}:[ \\t]*(#.*)?$`);
  const at = body.findIndex((l) => head.test(l));
  if (at < 0) return undefined;
  let end = at + 1;
  while (end < body.length && !endsBlock(body[end])) end++;
  return [at + 1, end];
}

/** The line of the direct child `key:` of a block, at the block's first indentation. */
function childLine(body: string[], block: [number, number], key: string): number | undefined {
  let indent: string | undefined;
  for (let i = block[0]; i < block[1]; i++) {
    const line = body[i];
    if (/^\s*(#.*|\{[%#].*)?$/.test(line)) continue;
    const lead = /^[ \t]*/.exec(line)![0];
    indent ??= lead;
    if (lead !== indent) continue;
    if (line.slice(lead.length).startsWith(`${key}:`)) return i;
  }
  return undefined;
}

/** The value of a `key: value  # comment` line: its characters, quotes excluded. */
function valueOf(body: string[], line: number, key: string): ValueSite | undefined {
  const text = body[line];
  const at = text.indexOf(`${key}:`) + key.length + 1;
  let start = at;
  while (text[start] === ' ' || text[start] === '\t') start++;
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, start + 1);
    if (close < 0) return undefined;
    return { line, start: start + 1, end: close, value: text.slice(start + 1, close) };
  }
  let end = text.length;
  const comment = text.indexOf(' #', start);
  if (comment >= 0) end = comment;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (end <= start) return undefined;
  return { line, start, end, value: text.slice(start, end) };
}

/** `{% set name = "value" %}` lines (quoted or not). */
function setSites(body: string[], name: string): ValueSite[] {
  const out: ValueSite[] = [];
  const re = new RegExp(`^(\\s*\\{%-?\\s*set\\s+${name}\\s*=\\s*)(["']?)([^"'\\s%]+)\\2\\s*-?%\\}`);
  body.forEach((text, line) => {
    const m = re.exec(text);
    if (m)
      out.push({ line, start: m[1].length + m[2].length, end: m[1].length + m[2].length + m[3].length, value: m[3] });
  });
  return out;
}

/** recipe.yaml: `context:`'s entry `name`. */
function contextSites(body: string[], name: string): ValueSite[] {
  const block = topLevelBlock(body, 'context');
  const line = block && childLine(body, block, name);
  const site = line !== undefined ? valueOf(body, line, name) : undefined;
  return site ? [site] : [];
}

/** The name a value refers to when it is just `{{ name }}` (meta.yaml) or `${{ name }}` (recipe.yaml), filters allowed. */
function variableOf(value: string, v1: boolean): string | undefined {
  const m = (
    v1 ? /^\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\|[^}]*)?\}\}$/ : /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\|[^}]*)?\}\}$/
  ).exec(value.trim());
  return m?.[1];
}

function variableSites(body: string[], name: string, v1: boolean): ValueSite[] {
  return v1 ? contextSites(body, name) : setSites(body, name);
}

/** Where `file`'s version is written. Throws a RecipeRewriteError when it cannot tell. */
export function findVersion(file: string, text: string): VersionSites {
  const { body } = splitLines(text);
  const v1 = formatOfFile(file) === 'recipe';
  const block = topLevelBlock(body, 'package') ?? (v1 ? topLevelBlock(body, 'recipe') : undefined);
  const line = block && childLine(body, block, 'version');
  const site = line !== undefined ? valueOf(body, line, 'version') : undefined;
  if (!site) {
    const context = v1 ? contextSites(body, 'version') : setSites(body, 'version');
    if (context.length) return { sites: context, current: context[0].value, literal: false };
    throw new RecipeRewriteError(`${file}: no package version found (package: version:).`);
  }
  const name = variableOf(site.value, v1);
  if (name === undefined) {
    if (/[{}%$]/.test(site.value))
      throw new RecipeRewriteError(
        `${file}:${site.line + 1}: the version is written as ${JSON.stringify(site.value)}; nx-conda rewrites a literal, {% set name = "..." %} or context: name: only.`,
      );
    return { sites: [site], current: site.value, literal: true };
  }
  const sites = variableSites(body, name, v1);
  if (!sites.length)
    throw new RecipeRewriteError(
      `${file}:${site.line + 1}: the version is ${site.value.trim()}, but ${v1 ? `context: ${name}:` : `{% set ${name} = "..." %}`} is not written in the file.`,
    );
  const current = sites[0].value;
  if (sites.some((s) => s.value !== current))
    throw new RecipeRewriteError(
      `${file}: ${name} is set to different versions (${[...new Set(sites.map((s) => s.value))].join(', ')}); bump it by hand.`,
    );
  return { sites, current, literal: false };
}

function replaceSites(lines: Lines, sites: ValueSite[], value: string): void {
  // Right to left within a line, so that earlier positions stay right.
  for (const s of [...sites].sort((a, b) => b.line - a.line || b.start - a.start))
    lines.body[s.line] = lines.body[s.line].slice(0, s.start) + value + lines.body[s.line].slice(s.end);
}

/**
 * The text with the version `to` where `found` says it is written; a literal
 * version is also replaced in the source URLs (the lines of `source:` that
 * hold a URL).
 */
export function withVersion(text: string, found: VersionSites, to: string): string {
  const lines = splitLines(text);
  replaceSites(lines, found.sites, to);
  if (found.literal) {
    const block = topLevelBlock(lines.body, 'source');
    if (block)
      for (let i = block[0]; i < block[1]; i++)
        if (lines.body[i].includes('://')) lines.body[i] = lines.body[i].split(found.current).join(to);
  }
  return joinLines(lines);
}

/** What happened to the build number. */
export type BuildNumberChange = 'reset' | 'already 0' | 'not found';

/** The text with the top-level build number set to 0 (a literal, or the `{% set %}` / context value it names). */
export function withBuildNumberReset(file: string, text: string): { text: string; change: BuildNumberChange } {
  const lines = splitLines(text);
  const v1 = formatOfFile(file) === 'recipe';
  const block = topLevelBlock(lines.body, 'build');
  const line = block && childLine(lines.body, block, 'number');
  const site = line !== undefined ? valueOf(lines.body, line, 'number') : undefined;
  if (!site) return { text, change: 'not found' };
  const name = variableOf(site.value, v1);
  const sites = name === undefined ? [site] : variableSites(lines.body, name, v1);
  const numbers = sites.filter((s) => /^[0-9]+$/.test(s.value));
  if (!numbers.length) return { text, change: 'not found' };
  if (numbers.every((s) => Number(s.value) === 0)) return { text, change: 'already 0' };
  replaceSites(lines, numbers, '0');
  return { text: joinLines(lines), change: 'reset' };
}

/**
 * The text with each old checksum (a key of `replacements`, any case)
 * replaced by its new one wherever it is written: a `sha256:` line, a
 * `{% set sha256 = %}`, a context entry. Throws when one is not written
 * literally.
 */
export function withChecksums(file: string, text: string, replacements: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [from, to] of replacements) {
    const re = new RegExp(`(?<![0-9a-fA-F])${from.replace(/[^0-9a-fA-F]/g, '')}(?![0-9a-fA-F])`, 'gi');
    if (!/^[0-9a-fA-F]{32,128}$/.test(from) || !re.test(out))
      throw new RecipeRewriteError(
        `${file}: the checksum ${from} is not written literally in the file; update it by hand to ${to}.`,
      );
    out = out.replace(re, to);
  }
  return out;
}
