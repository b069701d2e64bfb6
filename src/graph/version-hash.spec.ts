import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nxHashesPluginVersion } from './version-hash';

describe('nxHashesPluginVersion', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'version-hash-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is true with a package.json and a lockfile Nx reads', () => {
    writeFileSync(join(root, 'package.json'), '{}');
    for (const lock of ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock']) {
      writeFileSync(join(root, lock), '');
      expect(nxHashesPluginVersion(root, {})).toBe(true);
      rmSync(join(root, lock));
    }
  });

  it('is false without a lockfile, or when nx.json turns lockfile reading off', () => {
    writeFileSync(join(root, 'package.json'), '{}');
    expect(nxHashesPluginVersion(root, {})).toBe(false);
    writeFileSync(join(root, 'package-lock.json'), '{}');
    expect(nxHashesPluginVersion(root, { pluginsConfig: { '@nx/js': { analyzeLockfile: false } } })).toBe(false);
  });

  it('is false with a lockfile but no package.json (Nx then reads no lockfile)', () => {
    writeFileSync(join(root, 'package-lock.json'), '{}');
    expect(nxHashesPluginVersion(root, undefined)).toBe(false);
  });

  it('is true when nx.json names the installed plugin version (nx init without package.json)', () => {
    expect(nxHashesPluginVersion(root, { installation: { version: '24.0.6', plugins: { 'nx-conda': '0.1.0' } } })).toBe(
      true,
    );
    expect(nxHashesPluginVersion(root, { installation: { plugins: { 'nx-conda': 1 } } })).toBe(false);
  });
});
