import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ROOT, REPO_ROOT, STATE_FILE, TEST_IMAGES, type E2EState } from './paths';

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    throw new Error(`e2e setup: \`${command} ${args.join(' ')}\` failed in ${cwd} (exit ${result.status})`);
}

/**
 * Packs the plugin exactly as it would be published and installs it, with
 * the repository's own Nx version, into a template workspace that every
 * test workspace copies (by hard links) instead of installing again.
 */
export default async function globalSetup(): Promise<void> {
  const docker = spawnSync('docker', ['info'], { stdio: 'ignore' });
  if (docker.status !== 0)
    throw new Error(
      'e2e: the Docker engine is not answering; run `bash scripts/ensure-engine.sh` (or the README test command).',
    );
  for (const image of Object.values(TEST_IMAGES)) {
    if (spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status !== 0) {
      throw new Error(`e2e: test image ${image} is missing; run \`npm run e2e:images\`.`);
    }
  }

  mkdirSync(E2E_ROOT, { recursive: true });
  const packDir = join(E2E_ROOT, 'pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir);
  run('npm', ['pack', '--silent', '--pack-destination', packDir], REPO_ROOT);
  const tarballName = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!tarballName) throw new Error(`e2e: npm pack wrote no tarball into ${packDir}`);
  const tarball = join(packDir, tarballName);
  const digest = createHash('sha256').update(readFileSync(tarball)).digest('hex');

  const nxVersion = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'nx', 'package.json'), 'utf8')).version;
  const templateDir = join(E2E_ROOT, 'template');
  const marker = join(templateDir, '.installed');
  const wanted = `${digest} nx@${nxVersion}`;
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    rmSync(templateDir, { recursive: true, force: true });
    mkdirSync(templateDir, { recursive: true });
    // A copy of the tarball that stays put while later runs re-pack.
    const installed = join(templateDir, 'nx-conda.tgz');
    execFileSync('cp', [tarball, installed]);
    writeFileSync(
      join(templateDir, 'package.json'),
      JSON.stringify(
        { name: 'e2e-template', private: true, devDependencies: { nx: nxVersion, 'nx-conda': `file:${installed}` } },
        null,
        2,
      ),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], templateDir);
    writeFileSync(marker, wanted);
  }
  const state: E2EState = { tarball, templateDir };
  writeFileSync(STATE_FILE, JSON.stringify(state));
}
