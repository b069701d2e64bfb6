/**
 * The sources of a recipe as its builder reads them (after Jinja, selectors
 * and YAML, or recipe.yaml's context and `${{ }}`): URLs and checksums, for
 * every platform a recipe may select its sources by.
 */
import { formatOfFile } from '../core/formats';
import { asList, asText, isMapping } from './common';
import { isRecipeReadError, RecipeReadError } from './errors';
import { readerFor } from './meta';
import { applySelectors } from './selectors';
import { loadRecipeYaml } from './yaml';
import { oversizeReason } from './index';

export const CHECKSUM_KINDS = ['sha256', 'md5', 'sha1'] as const;
export type ChecksumKind = (typeof CHECKSUM_KINDS)[number];

export interface RecipeSource {
  /** The source's URL and its mirrors, in order. */
  urls: string[];
  checksums: Partial<Record<ChecksumKind, string>>;
}

export interface RecipeSources {
  /** The top-level package version, rendered (linux-64). */
  version?: string;
  /** Unique by URLs and checksums, over the platforms. */
  sources: RecipeSource[];
}

/** The platforms sources are read for: a recipe may select a source by any of them. */
export const SOURCE_PLATFORMS = ['linux-64', 'linux-aarch64', 'osx-64', 'osx-arm64', 'win-64'];

function renderDocument(
  file: string,
  contents: string,
  platform: string,
  globals: Record<string, unknown>,
): Record<string, unknown> {
  const flavour = `sources:${JSON.stringify(globals)}`;
  if (formatOfFile(file) === 'recipe') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const v1 = require('./v1') as typeof import('./v1');
    return v1.renderV1Document(file, contents, platform, flavour, () => globals);
  }
  const { ns, jinja } = readerFor(platform, flavour, () => globals);
  const rendered = /\{[{%#]/.test(contents) ? jinja.render(contents, {}) : contents;
  const doc = loadRecipeYaml(file, applySelectors(rendered, ns), '1.1');
  return isMapping(doc) ? doc : {};
}

function sourcesOf(doc: Record<string, unknown>): RecipeSource[] {
  const out: RecipeSource[] = [];
  for (const s of asList(doc.source)) {
    if (!isMapping(s)) continue;
    const urls = asList(s.url)
      .map((u) => asText(u))
      .filter((u): u is string => !!u);
    if (!urls.length) continue;
    const checksums: RecipeSource['checksums'] = {};
    for (const kind of CHECKSUM_KINDS) {
      const v = asText(s[kind]);
      if (v) checksums[kind] = v.trim();
    }
    out.push({ urls, checksums });
  }
  return out;
}

/**
 * The recipe's sources over SOURCE_PLATFORMS, with `globals` as extra Jinja
 * names (`cran_mirror`). Throws a RecipeReadError when the recipe cannot be
 * read for linux-64.
 */
export function readRecipeSources(
  file: string,
  contents: string,
  globals: Record<string, unknown> = {},
): RecipeSources {
  const oversize = oversizeReason(Buffer.byteLength(contents, 'utf8'));
  if (oversize) throw new RecipeReadError(file, oversize);
  const seen = new Set<string>();
  const sources: RecipeSource[] = [];
  let version: string | undefined;
  for (const platform of SOURCE_PLATFORMS) {
    let doc: Record<string, unknown>;
    try {
      doc = renderDocument(file, contents, platform, globals);
    } catch (e) {
      if (platform !== SOURCE_PLATFORMS[0]) continue;
      if (isRecipeReadError(e)) throw e;
      throw new RecipeReadError(file, e instanceof Error ? e.message : String(e));
    }
    if (platform === SOURCE_PLATFORMS[0]) version = asText(isMapping(doc.package) ? doc.package.version : undefined);
    for (const s of sourcesOf(doc)) {
      const key = JSON.stringify(s);
      if (seen.has(key)) continue;
      seen.add(key);
      sources.push(s);
    }
  }
  return { ...(version !== undefined ? { version } : {}), sources };
}
