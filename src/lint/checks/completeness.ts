/** Completeness: what every recipe needs (bioconda's check_completeness). */
import { asText, isMapping } from '../../recipes/common';
import type { Check, Hit } from '../types';
import type { LintRecipe } from '../model';

const filled = (v: unknown) => asText(v) !== undefined || (Array.isArray(v) && v.length > 0);

/** The key the home page lives under: `home` (meta.yaml), `homepage` (recipe.yaml). */
const homeKey = (r: LintRecipe) => (r.format === 'recipe' ? 'homepage' : 'home');
const pkgKey = (r: LintRecipe) => (r.format === 'recipe' && !isMapping(r.doc.package) ? 'recipe' : 'package');

export const missingVersionOrName: Check = {
  name: 'missing_version_or_name',
  severity: 'error',
  message: 'add package: name: and version:',
  run(r) {
    if (r.format === 'recipe' && r.outputs.length > 0) {
      // A multi-output recipe.yaml names its outputs; the version may come from `recipe:`.
      const named = r.outputs.every((o) => isMapping(o.node.package) && filled(o.node.package.name));
      const versioned =
        filled(r.pkg.version) || r.outputs.every((o) => isMapping(o.node.package) && filled(o.node.package.version));
      return named && versioned ? [] : [{ path: [pkgKey(r)] }];
    }
    return filled(r.pkg.name) && filled(r.pkg.version) ? [] : [{ path: [pkgKey(r)] }];
  },
};

export const missingBuildNumber: Check = {
  name: 'missing_build_number',
  severity: 'error',
  message: 'add build: number: 0 (and raise it for each rebuild of the same version)',
  run(r) {
    if (filled(r.build.number)) return [];
    // Outputs that all give their own build number are fine too.
    if (r.outputs.length && r.outputs.every((o) => isMapping(o.node.build) && filled(o.node.build.number))) return [];
    return [{ path: ['build'] }];
  },
};

export const missingHome: Check = {
  name: 'missing_home',
  severity: 'error',
  message: 'add about: home: <URL of the project> (recipe.yaml: about: homepage:)',
  run: (r) => (filled(r.about[homeKey(r)]) ? [] : [{ path: ['about'] }]),
};

/** Each output inherits the top-level `about` when it has none of its own (bioconda's rule). */
function inheritedAbout(r: LintRecipe, key: string): Hit[] {
  if (filled(r.about[key])) return [];
  const missing = r.outputs.filter((o) => !(isMapping(o.node.about) && filled(o.node.about[key])));
  if (r.outputs.length && missing.length === 0) return [];
  return r.outputs.length ? missing.map((o) => ({ path: o.path })) : [{ path: ['about'] }];
}

export const missingSummary: Check = {
  name: 'missing_summary',
  severity: 'error',
  message: 'add about: summary: <one line saying what the package is>',
  run: (r) => inheritedAbout(r, 'summary'),
};

export const missingLicense: Check = {
  name: 'missing_license',
  severity: 'error',
  message: 'add about: license: <SPDX identifier>',
  run: (r) => inheritedAbout(r, 'license'),
};

export const missingLicenseFile: Check = {
  name: 'missing_license_file',
  severity: 'info',
  message: 'add about: license_file: <the license text in the source> so the package ships its license',
  run: (r) => inheritedAbout(r, 'license_file'),
};

const TEST_FILES = ['run_test.py', 'run_test.sh', 'run_test.pl'];

function hasTests(node: Record<string, unknown>, format: LintRecipe['format']): boolean {
  if (format === 'recipe') return Array.isArray(node.tests) && node.tests.length > 0;
  const t = node.test;
  return isMapping(t) && (filled(t.commands) || filled(t.imports));
}

export const missingTests: Check = {
  name: 'missing_tests',
  severity: 'error',
  message: 'add test: commands: or imports: (recipe.yaml: tests:), or a run_test.sh/.py/.pl file',
  run(r) {
    if (r.format === 'meta' && TEST_FILES.some((f) => r.files.includes(f))) return [];
    // With outputs, each output needs its own tests (top-level ones do not reach them).
    const parts = r.outputs.length ? r.outputs : [{ node: r.doc, path: [] as const }];
    return parts
      .filter((p) => !hasTests(p.node, r.format))
      .map((p) => ({ path: [...p.path, r.format === 'recipe' ? 'tests' : 'test'] }));
  },
};

const CHECKSUMS = ['md5', 'sha1', 'sha256'];
const VCS_KEYS = ['git_url', 'svn_url', 'hg_url', 'git'];

export const missingHash: Check = {
  name: 'missing_hash',
  severity: 'error',
  message: 'add sha256: <checksum> to each url source',
  run: (r) =>
    r.sources
      .filter((s) => filled(s.node.url) && !CHECKSUMS.some((c) => filled(s.node[c])))
      .map((s) => ({ path: [...s.path, 'url'] })),
};

export const usesVcsUrl: Check = {
  name: 'uses_vcs_url',
  severity: 'warning',
  message: 'use a release archive (url: with sha256:) instead of a version-control checkout',
  run(r) {
    const hits: Hit[] = [];
    for (const s of r.sources) {
      const key = VCS_KEYS.find((k) => filled(s.node[k]));
      if (key) hits.push({ path: [...s.path, key] });
    }
    return hits;
  },
};

export const completenessChecks: Check[] = [
  missingVersionOrName,
  missingBuildNumber,
  missingHome,
  missingSummary,
  missingLicense,
  missingLicenseFile,
  missingTests,
  missingHash,
  usesVcsUrl,
];
