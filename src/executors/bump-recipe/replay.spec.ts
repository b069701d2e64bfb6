/**
 * Issue 32, point 5: real version bumps from bioconda's history
 * (../shared/bump-replay), replayed offline. One loopback server speaks each
 * upstream's API (PyPI's JSON, GitHub's releases, GitLab's tags, a plain
 * listing) in the shape those APIs answer, with the tags and file names the
 * real projects use (taken from the recipe's URL), older releases, a
 * pre-release and a draft around the real next version; it serves each new
 * source archive as other bytes than the real one. The bumped file must be
 * bioconda's next version of the recipe byte for byte, its checksums
 * replaced by those of what the server served (the set's README).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findVersion, withVersion } from '../../recipes/rewrite';
import { readRecipeSources } from '../../recipes/sources';
import { recogniseUpstream, withUpstreamOriginsForTests } from '../../upstream';
import { bytes, json, loopback, type Handler, type Loopback } from '../../upstream/loopback.test';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import bumpRecipeExecutor from './executor';

interface ReplayCase {
  recipe: string;
  upstream: string;
  old_version: string | null;
  new_version: string;
}

const replay = join(__dirname, '../../../../shared/bump-replay');
const cases: ReplayCase[] = existsSync(join(replay, 'cases.json'))
  ? JSON.parse(readFileSync(join(replay, 'cases.json'), 'utf8'))
  : [];
const GITHUB_API = 'https://api.github.example.invalid';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const pathOf = (url: string) => new URL(url).pathname;
const basename = (url: string) => url.slice(url.lastIndexOf('/') + 1);

/** The routes of one case's upstream, and the bytes it serves as the new source. */
function upstreamRoutes(
  c: ReplayCase,
  before: string,
): { routes: Map<string, Handler>; origins: Set<string>; served: Buffer } {
  const current = findVersion('meta.yaml', before).current;
  const oldUrl = readRecipeSources('meta.yaml', before).sources[0].urls[0];
  const newUrl = readRecipeSources('meta.yaml', withVersion(before, findVersion('meta.yaml', before), c.new_version))
    .sources[0].urls[0];
  const served = Buffer.from(`replayed source of ${c.recipe} ${c.new_version}\n`);
  const routes = new Map<string, Handler>([[pathOf(newUrl), bytes(served)]]);
  const origins = new Set([new URL(newUrl).origin]);
  const up = recogniseUpstream(oldUrl, current);
  if (!up) throw new Error(`${c.recipe}: no upstream recognised for ${oldUrl}`);
  switch (up.kind) {
    case 'pypi': {
      const file = (v: string, body?: Buffer) => ({
        filename: basename(newUrl).replace(c.new_version, v),
        packagetype: 'sdist',
        size: body?.length ?? 1000,
        digests: { sha256: body ? sha256(body) : '0'.repeat(64) },
        yanked: false,
      });
      routes.set(
        `/pypi/${up.name}/json`,
        json({
          info: { name: up.name, version: c.new_version },
          releases: {
            [current]: [file(current)],
            [c.new_version]: [file(c.new_version, served)],
            [`${c.new_version}rc1`]: [file(`${c.new_version}rc1`)],
            '0.0.1': [],
          },
        }),
      );
      origins.add(up.index);
      break;
    }
    case 'github': {
      const tag = (v: string) => `${up.tag?.prefix ?? ''}${v}${up.tag?.suffix ?? ''}`;
      const release = (v: string, extra: Record<string, unknown> = {}) => ({
        tag_name: tag(v),
        name: v,
        draft: false,
        prerelease: false,
        assets: up.fromReleases ? [{ name: basename(newUrl).replace(c.new_version, v), size: served.length }] : [],
        ...extra,
      });
      routes.set(
        `/repos/${up.owner}/${up.repo}/releases?per_page=100`,
        json([
          release('99.0.0', { draft: true }),
          release('98.0.0rc1', { prerelease: true }),
          release(c.new_version),
          release(current),
        ]),
      );
      origins.add(GITHUB_API);
      break;
    }
    case 'gitlab': {
      const tag = (v: string) => `${up.tag?.prefix ?? ''}${v}${up.tag?.suffix ?? ''}`;
      routes.set(
        `/api/v4/projects/${encodeURIComponent(up.project)}/repository/tags?per_page=100`,
        json([{ name: tag(c.new_version) }, { name: tag(current) }, { name: 'nightly' }]),
      );
      origins.add(up.origin);
      break;
    }
    case 'listing': {
      const name = (v: string) => `${up.file.prefix}${v}${up.file.suffix}`;
      const html = `<html><body><h1>Index</h1><a href="../">../</a>\n${[
        current,
        c.new_version,
        `${c.new_version}1-TRIAL`,
      ]
        .map((v) => `<a href="${name(v)}">${name(v)}</a>`)
        .join('\n')}\n<a href="CHECKSUMS">CHECKSUMS</a></body></html>`;
      routes.set(pathOf(up.folder), bytes(html, { 'content-type': 'text/html' }));
      origins.add(new URL(up.folder).origin);
      break;
    }
    default:
      throw new Error(`${c.recipe}: no replay server for ${up.kind}`);
  }
  return { routes, origins, served };
}

/** after.meta.yaml with every checksum value replaced by that of `served` (the set's README). */
function expected(after: string, served: Buffer): string {
  return after
    .replace(/\b[0-9a-f]{64}\b/g, sha256(served))
    .replace(/(md5:\s*['"]?)[0-9a-f]{32}\b/g, `$1${md5(served)}`);
}

const servers: Loopback[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

describe('replay of bioconda version bumps', () => {
  const env = { api: process.env.GITHUB_API_URL, token: process.env.GITHUB_TOKEN, gh: process.env.GH_TOKEN };
  beforeAll(() => {
    process.env.GITHUB_API_URL = GITHUB_API;
    delete process.env.GITHUB_TOKEN;
    delete process.env.GH_TOKEN;
  });
  afterAll(() => {
    for (const [name, value] of [
      ['GITHUB_API_URL', env.api],
      ['GITHUB_TOKEN', env.token],
      ['GH_TOKEN', env.gh],
    ] as const)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  });

  it('has the replay set', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  (cases.length ? it : it.skip).each(cases.map((c) => [c.recipe, c.upstream, c.new_version, c]))(
    '%s (%s) bumps to %s as bioconda did',
    async (_name, _kind, _to, c) => {
      const before = readFileSync(join(replay, c.recipe, 'before.meta.yaml'), 'utf8');
      const after = readFileSync(join(replay, c.recipe, 'after.meta.yaml'), 'utf8');
      const { routes, origins, served } = upstreamRoutes(c, before);
      const server = await loopback(routes);
      servers.push(server);
      const ws = tempWorkspace('replay');
      try {
        mkdirSync(join(ws.root, 'recipes', c.recipe), { recursive: true });
        writeFileSync(join(ws.root, 'recipes', c.recipe, 'meta.yaml'), before);
        const context = executorContext(ws.root, c.recipe, {
          nodes: { [c.recipe]: { name: c.recipe, type: 'lib', data: { root: `recipes/${c.recipe}` } } },
          dependencies: {},
        });
        const out = captureOutput();
        let result: { success: boolean };
        try {
          result = await withUpstreamOriginsForTests(new Map([...origins].map((o) => [o, server.origin])), () =>
            bumpRecipeExecutor({ format: 'json' }, context),
          );
        } finally {
          out.restore();
        }
        const lines = out.streamed.join('').split('\n').filter(Boolean);
        expect({ success: result.success, errors: out.error }).toEqual({ success: true, errors: [] });
        expect(JSON.parse(lines[lines.length - 1])).toMatchObject({ status: 'bumped', newest: c.new_version });
        expect(readFileSync(join(ws.root, 'recipes', c.recipe, 'meta.yaml'), 'utf8')).toBe(expected(after, served));
      } finally {
        ws.remove();
      }
    },
  );
});
