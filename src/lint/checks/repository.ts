/**
 * What the published channels say about a recipe (bioconda's check_repo):
 * off by default, as they read the network; the executor looks the
 * packages up through the same cached, bounded repodata as skipExisting.
 */
import { asText, buildNumberOf, isMapping } from '../../recipes/common';
import type { Check, Hit } from '../types';
import type { LintRecipe } from '../model';

function identity(r: LintRecipe): { name?: string; version?: string; build: number } {
  return {
    name: asText(r.pkg.name)?.toLowerCase(),
    version: asText(r.pkg.version),
    build: buildNumberOf(r.build.number),
  };
}

const versionOf = (entry: string) => entry.slice(0, entry.lastIndexOf('#'));
const buildOf = (entry: string) => Number(entry.slice(entry.lastIndexOf('#') + 1));

export const buildNumberNeedsBump: Check = {
  name: 'build_number_needs_bump',
  severity: 'error',
  optIn: true,
  message: 'this version is already published with this build number: raise build: number:',
  async run(r, repo) {
    const { name, version, build } = identity(r);
    if (!repo || !name || !version || Number.isNaN(build)) return [];
    const published = (await repo.published(name)) ?? [];
    const same = published.filter((e) => versionOf(e) === version).map(buildOf);
    if (same.length === 0 || build > Math.max(...same)) return [];
    return [
      {
        path: ['build', 'number'],
        message: `${name} ${version} is already published with build number ${Math.max(...same)}: raise build: number: to ${Math.max(...same) + 1}`,
      },
    ];
  },
};

export const buildNumberNeedsReset: Check = {
  name: 'build_number_needs_reset',
  severity: 'error',
  optIn: true,
  message: 'a new version starts at build number 0: set build: number: 0 (--fix does it)',
  async run(r, repo) {
    const { name, version, build } = identity(r);
    if (!repo || !name || !version || Number.isNaN(build) || build === 0) return [];
    const published = await repo.published(name);
    if (published === undefined || published.some((e) => versionOf(e) === version)) return [];
    const line = r.lineOf(['build', 'number']);
    const raw = r.lines[line - 1] ?? '';
    const hit: Hit = { path: ['build', 'number'] };
    const m = /^(\s*number\s*:\s*)(\d+)(\s*(#.*)?)$/.exec(raw);
    if (m) hit.fix = { line, replace: raw, with: `${m[1]}0${m[3]}` };
    return [hit];
  },
};

export const inOtherChannels: Check = {
  name: 'in_other_channels',
  severity: 'error',
  optIn: true,
  message: 'a package of this name exists in another channel: use it, or rename this one',
  async run(r, repo) {
    if (!repo) return [];
    const names = [
      asText(r.pkg.name),
      ...r.outputs.map((o) => asText(isMapping(o.node.package) ? o.node.package.name : o.node.name)),
    ]
      .filter((n): n is string => n !== undefined)
      .map((n) => n.toLowerCase());
    const hits: Hit[] = [];
    for (const name of [...new Set(names)]) {
      const channels = await repo.otherChannelsWith(name);
      if (channels.length)
        hits.push({
          path: ['package', 'name'],
          message: `${name} exists in ${channels.join(', ')}: use it from there, or rename this one`,
        });
    }
    return hits;
  },
};

export const repositoryChecks: Check[] = [buildNumberNeedsBump, buildNumberNeedsReset, inOtherChannels];
