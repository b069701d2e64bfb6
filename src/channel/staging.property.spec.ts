/**
 * Property-based tests of what is taken out of a staging channel (issue 18):
 * a generated hostile staging folder (odd names, links, folders named like
 * packages, records of any shape) is collected or refused with our own
 * error, and what is taken is only valid package files with checked records.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../core/errors';
import { checkedRecord } from './package-check';
import { emptyRepodata, isValidPackageFile, writeRepodata, type PackageRecord } from './repodata';
import { collectNewPackages, snapshotChannel } from './staging';

const nameChars = fc.constantFrom(...'ab1-_.+!~ \t%/\\:é'.split(''), '..', '.conda', '.tar.bz2', '\u0001');
const fileName = fc
  .array(nameChars, { minLength: 1, maxLength: 12 })
  .map((p) => p.join(''))
  .filter((n) => !n.includes('/') && n !== '.' && n !== '..' && !n.includes('\0'));
const entry = fc.record({
  name: fc.oneof(fileName, fc.constantFrom('a-1-0.conda', 'b-2-h1_0.tar.bz2', 'repodata.json')),
  kind: fc.constantFrom('file', 'file', 'link', 'dir'),
  subdir: fc.constantFrom('linux-64', 'noarch', 'src_cache', 'osx-64'),
  record: fc.oneof(fc.constant(undefined), fc.constant('matching'), fc.anything({ maxDepth: 2 })),
});

const ALLOWED_KEYS = new Set([
  'name',
  'version',
  'build',
  'build_number',
  'depends',
  'constrains',
  'license',
  'license_family',
  'subdir',
  'noarch',
  'platform',
  'arch',
  'track_features',
  'features',
  'python_site_packages_path',
  'timestamp',
  'size',
  'sha256',
  'md5',
]);

describe('properties of collecting from a hostile staging channel', () => {
  it('takes only valid package files with checked records, or fails with our own error', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        const root = mkdtempSync(join(tmpdir(), 'nx-conda-prop-'));
        try {
          const staging = join(root, 'staging');
          mkdirSync(staging);
          const before = snapshotChannel(staging);
          const indexes = new Map<string, ReturnType<typeof emptyRepodata>>();
          for (const e of entries) {
            const dir = join(staging, e.subdir);
            mkdirSync(dir, { recursive: true });
            const path = join(dir, e.name);
            try {
              if (e.kind === 'file') writeFileSync(path, 'content');
              else if (e.kind === 'link') symlinkSync('/etc/passwd', path);
              else mkdirSync(path);
            } catch {
              continue; // the name exists already
            }
            if (e.record === undefined || !['linux-64', 'noarch'].includes(e.subdir)) continue;
            const index = indexes.get(e.subdir) ?? emptyRepodata(e.subdir);
            indexes.set(e.subdir, index);
            const [n, v, b] = e.name.replace(/\.(conda|tar\.bz2)$/, '').split('-');
            index[e.name.endsWith('.conda') ? 'packages.conda' : 'packages'][e.name] = (
              e.record === 'matching' ? { name: n, version: v, build: b } : e.record
            ) as PackageRecord;
          }
          for (const [subdir, index] of indexes) {
            try {
              writeRepodata(join(staging, subdir), index);
            } catch {
              // repodata.json is a folder or a link here: collection must refuse that itself.
            }
          }
          const out = join(root, 'out');
          let taken: { subdir: string; file: string }[] = [];
          try {
            taken = collectNewPackages(staging, before, out, ['noarch', 'linux-64']).packages;
          } catch (e) {
            if (!(e instanceof UserError)) throw e;
            return;
          }
          for (const { subdir, file } of taken) {
            expect(isValidPackageFile(file)).toBe(true);
            expect(readdirSync(join(out, subdir))).toContain(file);
            const record = JSON.parse(readFileSync(join(out, subdir, 'repodata.json'), 'utf8'))[
              file.endsWith('.conda') ? 'packages.conda' : 'packages'
            ][file];
            for (const key of Object.keys(record)) expect(ALLOWED_KEYS.has(key)).toBe(true);
            expect(record.size).toBe('content'.length);
          }
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  });

  it('checkedRecord gives a record of known fields or a PackageCheckError for any value', () => {
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 3 }),
        fc.dictionary(fc.constantFrom(...ALLOWED_KEYS, 'fn'), fc.anything({ maxDepth: 1 })),
        (any, partial) => {
          for (const value of [any, { name: 'a', version: '1', build: '0', ...partial }]) {
            try {
              const record = checkedRecord(value as PackageRecord, 'x', 'a-1-0.conda', 'noarch', {
                size: 3,
                sha256: 'f'.repeat(64),
              });
              for (const key of Object.keys(record)) expect(ALLOWED_KEYS.has(key)).toBe(true);
              expect(record).toMatchObject({ name: 'a', version: '1', build: '0', size: 3, subdir: 'noarch' });
            } catch (e) {
              if (!(e instanceof UserError)) throw e;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
