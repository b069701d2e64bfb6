/** The containers of one workspace, with their owner labels, as the engine reports them. */
import type { EngineName } from '../core/defaults';
import { adapterFor } from './adapter';
import { assertSpawned, engineFailure } from './errors';
import { capture } from './exec';
import { OWNER_LABELS, workspaceId } from './owner';

export interface OwnedContainer {
  id: string;
  name: string;
  /** running, exited, created, ... */
  state: string;
  labels: Record<string, string>;
}

const INSPECT_FORMAT = '{{.Id}}\t{{.Name}}\t{{.State.Status}}\t{{json .Config.Labels}}';

/** Parses `container inspect --format INSPECT_FORMAT` output (one container a line). */
export function parseInspect(stdout: string): OwnedContainer[] {
  const found: OwnedContainer[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const [id, name, state, json] = line.split('\t');
    if (!id || json === undefined) continue;
    let labels: Record<string, string> = {};
    try {
      const parsed: unknown = JSON.parse(json);
      if (parsed && typeof parsed === 'object') labels = parsed as Record<string, string>;
    } catch {
      // a container whose labels we cannot read keeps none: it is never taken for ours
    }
    found.push({ id: id.trim(), name: (name ?? '').replace(/^\//, ''), state: state ?? '', labels });
  }
  return found;
}

/**
 * Every container (any state) labelled as started in the workspace at
 * `root`. A container that disappears while we look is left out.
 */
export async function workspaceContainers(engine: EngineName, root: string): Promise<OwnedContainer[]> {
  const adapter = adapterFor(engine);
  const filter = `label=${OWNER_LABELS.workspace}=${workspaceId(root)}`;
  const ls = await capture(engine, [
    'container',
    'ls',
    '--all',
    '--no-trunc',
    '--filter',
    filter,
    '--format',
    '{{.ID}}',
  ]);
  assertSpawned(engine, ls);
  if (ls.exitCode !== 0) throw engineFailure(engine, 'container ls', ls.stderr);
  const ids = ls.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (ids.length === 0) return [];
  const inspect = await capture(engine, ['container', 'inspect', '--format', INSPECT_FORMAT, ...ids]);
  assertSpawned(engine, inspect);
  if (inspect.exitCode !== 0) {
    // Gone between ls and inspect: the others are still printed.
    const otherErrors = inspect.stderr.split(/\r?\n/).filter((l) => l.trim() && !adapter.isNoSuchContainer(l));
    if (otherErrors.length > 0) throw engineFailure(engine, 'container inspect', otherErrors.join('\n'));
  }
  return parseInspect(inspect.stdout);
}
