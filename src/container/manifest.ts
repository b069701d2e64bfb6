/**
 * Multi-architecture tags: a manifest list made from images already in a
 * registry, and pushed under one tag, with the engine's own tooling and login.
 *
 * docker: `docker manifest create` reads each image's manifest from the
 * registry (the images must be pushed first) and fills each entry's platform
 * from the image's configuration; `docker manifest push --purge` pushes the
 * list and forgets the local copy. These commands talk to the registry from
 * the client, not through the daemon, and the client reaches a registry
 * without TLS only with `--insecure`, loopback included (unlike the daemon;
 * checked with docker 28.2): they get it for a loopback registry or with
 * insecureRegistry (as podman gets --tls-verify=false, see tlsFlags).
 *
 * podman: `podman manifest create` (a local list), `podman manifest add`
 * of each pushed image (`docker://`), `podman manifest push --all --rm`.
 */
import type { EngineName } from '../core/defaults';
import { validateImageRef } from './argv';
import { assertSpawned, engineFailure } from './errors';
import { capture } from './exec';
import { isLoopbackRegistry } from './images';

const PUSH_TIMEOUT_MS = 10 * 60 * 1000;
const QUERY_TIMEOUT_MS = 2 * 60 * 1000;

/** What the registry said when it has no such tag. */
const NO_SUCH_MANIFEST = /no such manifest|manifest unknown|not found/i;

function insecure(engine: EngineName, ref: string, insecureRegistry: boolean): string[] {
  if (!insecureRegistry && !isLoopbackRegistry(ref)) return [];
  return engine === 'podman' ? ['--tls-verify=false'] : ['--insecure'];
}

export interface ManifestListOptions {
  insecureRegistry?: boolean;
}

/** The command lines that make and push the list `list` of `images` (all in a registry already), in order. */
export function manifestListArgv(
  engine: EngineName,
  list: string,
  images: string[],
  opts: ManifestListOptions = {},
): string[][] {
  validateImageRef(list, 'manifest list');
  for (const image of images) validateImageRef(image);
  const tls = insecure(engine, list, opts.insecureRegistry ?? false);
  if (engine === 'podman')
    return [
      ['manifest', 'create', list],
      ...images.map((image) => ['manifest', 'add', ...tls, list, `docker://${image}`]),
      ['manifest', 'push', '--all', '--rm', ...tls, list, `docker://${list}`],
    ];
  return [
    ['manifest', 'create', ...tls, list, ...images],
    ['manifest', 'push', '--purge', ...tls, list],
  ];
}

/** Forgets a local manifest list of that name (a run stopped half-way leaves one); quiet when there is none. */
export async function forgetManifestList(engine: EngineName, list: string): Promise<void> {
  await capture(engine, ['manifest', 'rm', validateImageRef(list, 'manifest list')], { timeoutMs: QUERY_TIMEOUT_MS });
}

/**
 * What the registry holds under `ref` (docker manifest inspect's JSON, to be
 * parsed and checked by the caller), or undefined when it has no such tag.
 * Run after forgetManifestList: docker answers from its local lists first.
 */
export async function registryManifest(
  engine: EngineName,
  ref: string,
  opts: ManifestListOptions = {},
): Promise<string | undefined> {
  const args = ['manifest', 'inspect', ...insecure(engine, ref, opts.insecureRegistry ?? false), validateImageRef(ref)];
  const r = await capture(engine, args, { timeoutMs: QUERY_TIMEOUT_MS });
  assertSpawned(engine, r);
  if (r.exitCode === 0) return r.stdout;
  if (NO_SUCH_MANIFEST.test(r.stderr)) return undefined;
  throw engineFailure(engine, `manifest inspect ${ref}`, r.stderr);
}

/** The local list's JSON (docker manifest inspect of a list just created), for the caller to check. */
export async function localManifestList(engine: EngineName, list: string): Promise<string> {
  const r = await capture(engine, ['manifest', 'inspect', validateImageRef(list, 'manifest list')], {
    timeoutMs: QUERY_TIMEOUT_MS,
  });
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, `manifest inspect ${list}`, r.stderr);
  return r.stdout;
}

/** Runs one step of manifestListArgv; a failure names the command and the engine's first line. */
export async function runManifestStep(engine: EngineName, args: string[]): Promise<void> {
  const r = await capture(engine, args, { timeoutMs: args[1] === 'push' ? PUSH_TIMEOUT_MS : QUERY_TIMEOUT_MS });
  assertSpawned(engine, r);
  if (r.exitCode !== 0) throw engineFailure(engine, args.join(' '), r.stderr);
}
