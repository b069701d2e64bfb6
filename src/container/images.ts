/** Engine queries and removals: images, containers, the engine itself. */
import type { EngineName } from '../core/defaults';
import { adapterFor } from './adapter';
import {
  containerListArgv,
  imageListArgv,
  matchesReference,
  parseImageList,
  validateImageRef,
  validatePlatform,
} from './argv';
import { assertSpawned, EngineError, engineFailure, firstLine, socketNotOurs } from './errors';
import { capture } from './exec';
import type { ContainerFilter, ImageFilter } from './types';

const CHECK_TIMEOUT_MS = 4500;

/**
 * Missing binary, or a daemon that does not answer: EngineError within 5 s.
 */
export async function checkEngine(engine: EngineName): Promise<void> {
  const adapter = adapterFor(engine);
  const r = await capture(engine, adapter.probeArgs, { timeoutMs: CHECK_TIMEOUT_MS });
  assertSpawned(engine, r);
  if (r.timedOut) {
    throw new EngineError(
      `${engine} did not answer within ${CHECK_TIMEOUT_MS / 1000} s; is its daemon running? (start it, e.g. 'sudo systemctl start ${engine}')`,
    );
  }
  if (r.exitCode !== 0) {
    const detail = firstLine(r.stderr) || `exit code ${r.exitCode ?? r.signal}`;
    const notOurs = socketNotOurs(engine, detail);
    throw new EngineError(
      `${engine} is not usable: ${detail}` + (notOurs || '; start its daemon or check your permissions on its socket'),
    );
  }
}

/** The image id (`sha256:...`), or undefined when no such image exists. */
export async function imageId(engine: EngineName, ref: string): Promise<string | undefined> {
  const adapter = adapterFor(engine);
  const r = await capture(engine, ['image', 'inspect', '--format', '{{.Id}}', validateImageRef(ref)]);
  assertSpawned(engine, r);
  if (r.exitCode === 0) {
    const id = r.stdout.split(/\r?\n/)[0] ?? '';
    return id ? adapter.normalizeId(id) : undefined;
  }
  if (adapter.isNoSuchImage(r.stderr)) return undefined;
  throw engineFailure(engine, `image inspect ${ref}`, r.stderr);
}

/**
 * Whether a push or pull skips TLS verification: only when asked for
 * (`insecure`) or for a registry on loopback (`localhost`, `127.0.0.0/8`,
 * `[::1]`), which docker's daemon also treats as insecure by default. podman
 * gets `--tls-verify=false` then; docker has no such flag (its daemon's
 * `insecure-registries` decide), so nothing is passed to it.
 */
export function tlsFlags(engine: EngineName, ref: string, insecure = false): string[] {
  if (engine !== 'podman') return [];
  return insecure || isLoopbackRegistry(ref) ? ['--tls-verify=false'] : [];
}

/** Does `ref` (or a registry `host[:port][/path]`) start with `localhost`, `127.x.y.z` or `[::1]`, with or without a port? */
export function isLoopbackRegistry(ref: string): boolean {
  if (!ref.includes('/')) return false;
  const host = ref.split('/')[0].toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name === 'localhost' || name === '[::1]' || /^127(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/.test(name);
}

/** Pulls an image; an engine that cannot (no registry, no such image) throws an EngineError naming it. */
export async function pullImage(
  engine: EngineName,
  ref: string,
  opts: { insecureRegistry?: boolean; platform?: string } = {},
): Promise<void> {
  const tls = tlsFlags(engine, ref, opts.insecureRegistry);
  const platform = opts.platform ? [`--platform=${validatePlatform(opts.platform)}`] : [];
  const r = await capture(engine, ['image', 'pull', ...tls, ...platform, validateImageRef(ref)]);
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, `image pull ${ref}`, r.stderr);
}

/** 'missing' when the image was already gone; any other engine error throws. */
export async function removeImage(
  engine: EngineName,
  ref: string,
  opts: { force?: boolean } = {},
): Promise<'removed' | 'missing'> {
  const adapter = adapterFor(engine);
  const args = ['image', 'rm', ...(opts.force ? ['--force'] : []), validateImageRef(ref)];
  const r = await capture(engine, args);
  assertSpawned(engine, r);
  if (r.exitCode === 0) return 'removed';
  if (adapter.isNoSuchImage(r.stderr)) return 'missing';
  throw engineFailure(engine, `image rm ${ref}`, r.stderr);
}

/** Image refs (`repo:tag`; an untagged image by its id) matching every filter given. */
export async function listImages(engine: EngineName, filter: ImageFilter): Promise<string[]> {
  const adapter = adapterFor(engine);
  const r = await capture(engine, imageListArgv(filter));
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, 'image ls', r.stderr);
  const refs = parseImageList(r.stdout, (ref) => adapter.normalizeRef(ref));
  const reference = filter.reference;
  return reference ? refs.filter((ref) => matchesReference(ref, adapter.normalizeRef(reference))) : refs;
}

/** Container names, in every state, matching the filter. */
export async function listContainers(engine: EngineName, filter: ContainerFilter): Promise<string[]> {
  const r = await capture(engine, containerListArgv(filter));
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, 'container ls', r.stderr);
  return r.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Force-removes a container; quiet when it is already gone. */
export async function removeContainer(engine: EngineName, name: string): Promise<void> {
  const adapter = adapterFor(engine);
  const r = await capture(engine, ['container', 'rm', '--force', name]);
  assertSpawned(engine, r);
  if (r.exitCode === 0 || adapter.isNoSuchContainer(r.stderr)) return;
  throw engineFailure(engine, `container rm ${name}`, r.stderr);
}

/** An image's `os/arch` (as `--platform` names it), or undefined when no such image exists. */
export async function imagePlatform(engine: EngineName, ref: string): Promise<string | undefined> {
  const adapter = adapterFor(engine);
  const r = await capture(engine, ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', validateImageRef(ref)]);
  assertSpawned(engine, r);
  if (r.exitCode === 0) return (r.stdout.split(/\r?\n/)[0] ?? '').trim().slice(0, 100);
  if (adapter.isNoSuchImage(r.stderr)) return undefined;
  throw engineFailure(engine, `image inspect ${ref}`, r.stderr);
}

/** The labels of an image, or undefined when no such image exists. */
export async function imageLabels(engine: EngineName, ref: string): Promise<Map<string, string> | undefined> {
  const adapter = adapterFor(engine);
  const r = await capture(engine, ['image', 'inspect', '--format', '{{json .Config.Labels}}', validateImageRef(ref)]);
  assertSpawned(engine, r);
  if (r.exitCode !== 0) {
    if (adapter.isNoSuchImage(r.stderr)) return undefined;
    throw engineFailure(engine, `image inspect ${ref}`, r.stderr);
  }
  const parsed = parseInspectLine(`id ${r.stdout.split(/\r?\n/)[0] || 'null'}`);
  if (!parsed) throw new EngineError(`${engine} image inspect ${ref}: labels are not JSON`);
  return parsed.labels;
}

/** An image's id and labels, from one `image inspect`; undefined when no such image exists. */
export async function inspectImage(
  engine: EngineName,
  ref: string,
  opts: { timeoutMs?: number } = {},
): Promise<{ id: string; labels: Map<string, string> } | undefined> {
  const adapter = adapterFor(engine);
  const r = await capture(
    engine,
    ['image', 'inspect', '--format', '{{.Id}} {{json .Config.Labels}}', validateImageRef(ref)],
    opts,
  );
  assertSpawned(engine, r);
  if (r.timedOut) throw new EngineError(`${engine} image inspect ${ref} did not answer within ${opts.timeoutMs} ms`);
  if (r.exitCode !== 0) {
    if (adapter.isNoSuchImage(r.stderr)) return undefined;
    throw engineFailure(engine, `image inspect ${ref}`, r.stderr);
  }
  const parsed = parseInspectLine(r.stdout);
  if (!parsed) throw new EngineError(`${engine} image inspect ${ref}: no id and labels in its answer`);
  return { id: adapter.normalizeId(parsed.id), labels: parsed.labels };
}

/** `<id> <labels as JSON>` (the first line): undefined when it is not that. Label values that are not strings are left out. */
export function parseInspectLine(stdout: string): { id: string; labels: Map<string, string> } | undefined {
  const line = stdout.split(/\r?\n/)[0] ?? '';
  const space = line.indexOf(' ');
  if (space <= 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(space + 1));
  } catch {
    return undefined;
  }
  const labels = new Map<string, string>();
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') labels.set(k, v);
  } else if (parsed !== null) return undefined;
  return { id: line.slice(0, space), labels };
}

/** Gives an image another name (`image tag source target`). */
export async function tagImage(engine: EngineName, source: string, target: string): Promise<void> {
  const r = await capture(engine, ['image', 'tag', validateImageRef(source), validateImageRef(target, 'tag')]);
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, `image tag ${source} ${target}`, r.stderr);
}

/**
 * Pushes a tag with the engine's own login (credentials never pass through
 * us), verifying TLS except as tlsFlags says.
 */
export async function pushImage(
  engine: EngineName,
  ref: string,
  opts: { insecureRegistry?: boolean } = {},
): Promise<void> {
  const args = ['image', 'push', ...tlsFlags(engine, ref, opts.insecureRegistry), validateImageRef(ref)];
  const r = await capture(engine, args, { timeoutMs: 30 * 60 * 1000 });
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, `image push ${ref}`, r.stderr);
}
