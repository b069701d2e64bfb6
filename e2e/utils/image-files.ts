import { spawnSync } from 'node:child_process';

/** Where a value was found in an image: a file of its file system, or its history or configuration. */
export interface Found {
  value: string;
  where: string;
}

/** The entries of a tar archive (name and content), following GNU long names and pax paths. */
function* tarEntries(tar: Buffer): Generator<{ name: string; header: Buffer; content: Buffer }> {
  let longName: string | undefined;
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156]);
    const content = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = content.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(content.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const name =
      longName ?? [prefix, header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '')].filter(Boolean).join('/');
    longName = undefined;
    yield { name, header, content };
  }
}

/**
 * Every place `values` occur in image `ref` of docker: each file of its file
 * system (a container created from it, exported, never started), link targets
 * included, and its history (`docker history --no-trunc`) and configuration
 * (`docker image inspect`: environment, labels, command).
 */
export function findInImage(ref: string, values: string[]): Found[] {
  const found: Found[] = [];
  const created = spawnSync('docker', ['create', ref, 'true'], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`e2e: docker create ${ref} failed: ${created.stderr}`);
  const id = created.stdout.trim();
  try {
    const exported = spawnSync('docker', ['export', id], { maxBuffer: 2 * 1024 ** 3 });
    if (exported.status !== 0) throw new Error(`e2e: docker export ${ref} failed: ${exported.stderr}`);
    for (const entry of tarEntries(exported.stdout))
      for (const value of values)
        if (entry.content.includes(value) || entry.header.includes(value) || entry.name.includes(value))
          found.push({ value, where: `file /${entry.name}` });
  } finally {
    spawnSync('docker', ['rm', '--force', id], { stdio: 'ignore' });
  }
  const history = spawnSync('docker', ['history', '--no-trunc', '--format', '{{.CreatedBy}}', ref], {
    encoding: 'utf8',
  }).stdout;
  const config = spawnSync('docker', ['image', 'inspect', ref], { encoding: 'utf8' }).stdout;
  for (const value of values) {
    if (history.includes(value)) found.push({ value, where: 'docker history' });
    if (config.includes(value)) found.push({ value, where: 'docker image inspect' });
  }
  return found;
}
