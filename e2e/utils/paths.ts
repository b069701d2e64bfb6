import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository under test. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
/**
 * Scratch space of the end-to-end suite: the packed plugin, a template install, the test workspaces.
 * One per checkout, so two checkouts (git worktrees) can run their suites at once.
 */
export const E2E_ROOT =
  process.env.NX_CONDA_E2E_ROOT ??
  join(tmpdir(), `nx-conda-e2e-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8)}`);
export const STATE_FILE = join(E2E_ROOT, 'state.json');

/** Images made by `npm run e2e:images`; nothing can be pulled here. */
export const TEST_IMAGES = {
  base: 'nx-conda-e2e/base:bookworm',
  condaBuild: 'nx-conda-e2e/conda-build:latest',
  rattlerBuild: 'nx-conda-e2e/rattler-build:latest',
} as const;

export interface E2EState {
  tarball: string;
  templateDir: string;
}
