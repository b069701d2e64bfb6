import { resolveEngine, type EngineName } from '../core/defaults';

/**
 * Everything that differs between docker and podman, in one place. The rest
 * of the module speaks docker's dialect and asks the adapter to normalize.
 */
export interface EngineAdapter {
  readonly name: EngineName;
  /** Arguments of a cheap command that needs the daemon (or podman's storage). */
  readonly probeArgs: string[];
  /** podman names local images `localhost/<name>`; we report them as docker does. */
  normalizeRef(ref: string): string;
  /** Image ids as `sha256:<hex>` whatever the engine prints. */
  normalizeId(id: string): string;
  /** Did a failed image command fail only because the image is absent? */
  isNoSuchImage(stderr: string): boolean;
  /** Did a failed container command fail only because the container is gone? */
  isNoSuchContainer(stderr: string): boolean;
}

const NO_SUCH_IMAGE = /no such image|image not known|image not found|unable to find .*image/i;
const NO_SUCH_CONTAINER = /no such container|no container with (?:name|id)|container not known/i;

function normalizeId(id: string): string {
  const trimmed = id.trim();
  if (!trimmed) return trimmed;
  return trimmed.includes(':') ? trimmed : `sha256:${trimmed}`;
}

const docker: EngineAdapter = {
  name: 'docker',
  probeArgs: ['version', '--format', '{{.Server.Version}}'],
  normalizeRef: (ref) => ref,
  normalizeId,
  isNoSuchImage: (stderr) => NO_SUCH_IMAGE.test(stderr),
  isNoSuchContainer: (stderr) => NO_SUCH_CONTAINER.test(stderr),
};

const podman: EngineAdapter = {
  name: 'podman',
  probeArgs: ['info', '--format', '{{.Version.Version}}'],
  normalizeRef: (ref) => (ref.startsWith('localhost/') ? ref.slice('localhost/'.length) : ref),
  normalizeId,
  isNoSuchImage: (stderr) => NO_SUCH_IMAGE.test(stderr),
  isNoSuchContainer: (stderr) => NO_SUCH_CONTAINER.test(stderr),
};

const ADAPTERS: Record<EngineName, EngineAdapter> = { docker, podman };

/** The adapter of an engine; throws (naming it) for anything but a known engine. */
export function adapterFor(engine: EngineName): EngineAdapter {
  return ADAPTERS[resolveEngine(engine)];
}

/**
 * The uid/gid that files made in a container must belong to so that the
 * invoking host user owns them. Rootless podman (podman run by a non-root
 * user) maps container root to that user: chowning to the host uid would
 * map to one of the user's subuids instead, leaving files they cannot
 * delete, so the owner is root in the container. Elsewhere (docker, rootful
 * podman) container ids are host ids.
 */
export function hostOwnerInContainer(engine: EngineName, uid: number, gid: number): { uid: number; gid: number } {
  if (engine === 'podman' && uid !== 0) return { uid: 0, gid: 0 };
  return { uid, gid };
}
