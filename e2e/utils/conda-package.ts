import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Package files of a channel folder, as `<subdir>/<file>`. */
export function channelPackages(channelDir: string): string[] {
  if (!existsSync(channelDir)) return [];
  const found: string[] = [];
  for (const subdir of readdirSync(channelDir)) {
    const dir = join(channelDir, subdir);
    if (!existsSync(join(dir, 'repodata.json'))) continue;
    for (const file of readdirSync(dir))
      if (file.endsWith('.conda') || file.endsWith('.tar.bz2')) found.push(`${subdir}/${file}`);
  }
  return found.sort();
}

export function repodata(
  channelDir: string,
  subdir: string,
): { packages: Record<string, any>; 'packages.conda': Record<string, any> } {
  return JSON.parse(readFileSync(join(channelDir, subdir, 'repodata.json'), 'utf8'));
}

/**
 * Reads one member of a conda package with the base test image's own tools
 * (Debian's conda-package-handling), so the test checks the real archive.
 */
export function readPackageMember(packageFile: string, member: string): string {
  const dir = join(packageFile, '..');
  const file = packageFile.split('/').pop() as string;
  const script = [
    'set -e',
    'mkdir -p /tmp/x',
    `cph x --dest /tmp/x /pkg/${file} >/dev/null`,
    `cat "/tmp/x/${member}"`,
  ].join('\n');
  return execFileSync(
    'docker',
    ['run', '--rm', '--network', 'none', '-v', `${dir}:/pkg:ro`, 'nx-conda-e2e/base:bookworm', 'bash', '-c', script],
    {
      encoding: 'utf8',
    },
  );
}
