import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureOutput, executorContext, tempWorkspace } from '../executor-spec.test';
import packageCacheExecutor from './executor';

describe('package-cache executor', () => {
  it('shows the packages of the cache, and purge empties it', async () => {
    const ws = tempWorkspace('package-cache');
    const out = captureOutput();
    try {
      const root = join(mkdtempSync(join(tmpdir(), 'nx-conda-pc-exec-')), 'pkgs');
      const entry = join(root, '0123456789abcdef', 'dep-1.0-0');
      mkdirSync(join(entry, 'info'), { recursive: true });
      writeFileSync(join(entry, 'info', 'repodata_record.json'), '{}');
      writeFileSync(join(entry, '.nx-conda-rattler.lock'), '');
      writeFileSync(
        join(entry, '.nx-conda-entry.json'),
        JSON.stringify({ fn: 'dep-1.0-0.conda', subdir: 'noarch', size: 1, sha256: 'a'.repeat(64), bytes: 2097152 }),
      );
      const context = executorContext(ws.root, 'tools', { nodes: {}, dependencies: {} }, 'package-cache');
      expect(await packageCacheExecutor({ packageCache: root }, context)).toEqual({ success: true });
      expect(out.info.join('\n')).toContain(`package cache ${root}: 1 package(s), 2.0 MB`);
      expect(out.info.join('\n')).toContain('0123456789abcdef/dep-1.0-0  (2.0 MB');
      // No info/paths.json to check it against: verify removes it.
      expect(await packageCacheExecutor({ packageCache: root, verify: true }, context)).toEqual({ success: true });
      expect(out.info.join('\n')).toContain('verified, 1 entry removed');
      expect(out.info.join('\n')).toContain(`package cache ${root}: 0 package(s)`);
      expect(await packageCacheExecutor({ packageCache: root, purge: true }, context)).toEqual({ success: true });
      expect(out.info.join('\n')).toContain('removed 0 package(s)');
      expect(readdirSync(root)).toEqual([]);
    } finally {
      out.restore();
      ws.remove();
    }
  });
});
