import type { EngineName } from '../defaults';

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

export function adapterFor(engine: EngineName): EngineAdapter {
  switch (engine) {
    case 'docker':
      return docker;
    case 'podman':
      return podman;
    default:
      throw new Error(`unknown container engine '${String(engine)}': use 'docker' or 'podman'`);
  }
}

export const ENGINES: readonly EngineName[] = ['docker', 'podman'];
