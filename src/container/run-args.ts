/**
 * `runArgs`: the engine flags a user may add to a build container. An
 * allow-list: each flag is parsed as the engine parses it (`--flag=value` or
 * `--flag value`, mount specs as CSV with case-insensitive keys and quoted
 * fields, relative host paths made absolute) and given back in one canonical
 * `--flag=value` form, so what was checked is exactly what the engine gets.
 * Anything else is refused with the reason.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, basename, join, posix, resolve } from 'node:path';
import { OptionError } from '../core/errors';

/** A hardening option (runArgs, memory, cpus, pidsLimit) is refused: a message for the user. */
export class HardeningError extends OptionError {
  constructor(message: string, option = 'runArgs') {
    super(option, message);
  }
}

type Check = (value: string, context: CheckContext) => string;
interface CheckContext {
  flag: string;
  cwd: string;
  environment: NodeJS.ProcessEnv;
  mounts: MountPolicy;
}

/**
 * Where bind mounts of runArgs may come from: the workspace, and the host
 * folders the user lists (recipe-build's `mountSources`). Whatever the list
 * says, never an engine socket or a folder holding a socket, a system folder
 * or a home (or a dot-folder of one).
 */
export interface MountPolicy {
  workspace: string;
  /** Host folders outside the workspace that bind mounts may come from (absolute, or relative to the workspace). */
  allowed?: string[];
}

const SIZE = /^[0-9]+(\.[0-9]+)?[bkmgt]?b?$/i;

function pattern(re: RegExp, what: string): Check {
  return (value, { flag }) => {
    if (!re.test(value)) throw new HardeningError(`runArgs --${flag}=${JSON.stringify(value)} is not ${what}.`);
    return value;
  };
}

/** Values of `--security-opt` that only tighten: no-new-privileges on. Anything else can loosen the confinement. */
const SECURITY_OPT = /^no-new-privileges(?:(?:=|:)(?:true|1))?$/i;

/**
 * The flags users need, with how each value is checked; the README and the
 * executor's schema list the same. `undefined`: a flag without a value.
 */
export const ALLOWED_RUN_FLAGS: ReadonlyMap<string, Check | undefined> = new Map<string, Check | undefined>([
  ['shm-size', pattern(SIZE, 'a size such as 2g')],
  ['memory-swap', pattern(/^(-1|[0-9]+(\.[0-9]+)?[bkmg]?)$/i, 'a size such as 16g or -1')],
  ['memory-reservation', pattern(SIZE, 'a size such as 4g')],
  ['cpu-shares', pattern(/^[0-9]+$/, 'a number')],
  ['cpuset-cpus', pattern(/^[0-9,-]+$/, 'a CPU list such as 0-3')],
  ['cpuset-mems', pattern(/^[0-9,-]+$/, 'a node list such as 0,1')],
  ['ulimit', pattern(/^[a-z]+=-?[0-9]+(:-?[0-9]+)?$/, 'a limit such as nofile=4096:8192')],
  ['cap-drop', pattern(/^[A-Za-z_]+$/, 'a capability name such as NET_RAW')],
  [
    'security-opt',
    (value) => {
      if (!SECURITY_OPT.test(value))
        throw new HardeningError(
          `runArgs cannot set --security-opt=${value}: only no-new-privileges may be added (other security options, such as seccomp=unconfined or apparmor=unconfined, loosen the build container's confinement; noNewPrivileges: false turns that one off).`,
        );
      return value;
    },
  ],
  ['read-only', undefined],
  ['tmpfs', pattern(/^\/[^\s,:]*(:[A-Za-z0-9=,]+)?$/, 'a container path with options such as /scratch:size=1g')],
  ['volume', (value, c) => volumeValue(value, c)],
  ['mount', (value, c) => mountValue(value, c)],
  ['workdir', pattern(/^\/[^\s]*$/, 'an absolute container path')],
  ['hostname', pattern(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'a host name')],
  ['add-host', pattern(/^[A-Za-z0-9][A-Za-z0-9.-]*:[0-9A-Fa-f.:[\]]+$/, 'host:ip')],
  ['dns', pattern(/^[0-9A-Fa-f.:]+$/, 'an IP address')],
  ['dns-search', pattern(/^[A-Za-z0-9.-]+$/, 'a domain')],
  ['dns-option', pattern(/^[A-Za-z0-9_.:-]+$/, 'a resolver option such as ndots:2')],
  ['platform', pattern(/^[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?$/, 'a platform such as linux/amd64')],
  ['pull', pattern(/^(never|missing|always|newer)$/, 'never, missing, always or newer')],
  ['stop-timeout', pattern(/^[0-9]+$/, 'a number of seconds')],
  ['stop-signal', pattern(/^[A-Z0-9]+$/, 'a signal such as SIGTERM')],
  ['log-driver', pattern(/^(none|json-file|local|journald|k8s-file|passthrough)$/, 'a local log driver')],
]);

/** Short options the engine takes for an allowed long one. */
const SHORT_FLAGS = new Map([
  ['v', 'volume'],
  ['w', 'workdir'],
  ['h', 'hostname'],
]);

/** Why a known flag is not on the list (the rest: "not on the list"). */
const REFUSED_WHY = new Map<string, string>([
  ['privileged', 'it hands the build container the host'],
  ['volumes-from', "it mounts another container's volumes"],
  ['cap-add', 'added capabilities (ALL, SYS_ADMIN, ...) let the build escape the container'],
  ['device', "a host device gives the build the host's hardware"],
  ['device-cgroup-rule', 'it opens host devices to the build'],
  ['gpus', 'it hands the build host devices'],
  ['pid', 'a host namespace hands the build container the host'],
  ['ipc', 'a host namespace hands the build container the host'],
  ['uts', 'a host namespace hands the build container the host'],
  ['userns', 'a host namespace hands the build container the host'],
  ['cgroupns', 'a host namespace hands the build container the host'],
  ['cgroup-parent', 'it moves the build out of its cgroup'],
  ['volume-driver', 'a volume driver can mount any host folder'],
  ['group-add', 'extra groups can open host files'],
]);
for (const own of [
  'rm',
  'init',
  'interactive',
  'tty',
  'detach',
  'name',
  'env',
  'env-file',
  'network',
  'net',
  'label',
  'user',
  'entrypoint',
])
  REFUSED_WHY.set(own, 'nx-conda sets it itself (use the network or env options where they apply)');

/**
 * Host paths that are, or hold, a container engine's socket: mounting one
 * gives the build container the engine, i.e. the host.
 */
export function isEngineSocketPath(path: string, environment: NodeJS.ProcessEnv = process.env): boolean {
  const p = posix.normalize(path).replace(/\/+$/, '') || '/';
  if (['/', '/var', '/run', '/var/run', '/var/lib', '/run/user'].includes(p)) return true;
  if (/(^|\/)(docker|podman|containerd|crio|buildkit)(\.sock)?$/.test(p) || /\.sock$/.test(p)) return true;
  if (
    /^\/(var\/)?run\/(docker|podman|containerd|crio|buildkit)(\/|$)/.test(p) ||
    /^\/var\/lib\/(docker|containers|containerd)(\/|$)/.test(p)
  )
    return true;
  if (/^\/run\/user\/[0-9]+(\/(podman|docker)(\/|$)|$)/.test(p)) return true;
  const runtime = environment.XDG_RUNTIME_DIR?.replace(/\/+$/, '');
  if (runtime && (p === runtime || p.startsWith(`${runtime}/podman`) || p.startsWith(`${runtime}/docker`))) return true;
  const dockerHost = environment.DOCKER_HOST ?? environment.CONTAINER_HOST;
  const socket = dockerHost?.startsWith('unix://') ? dockerHost.slice('unix://'.length) : undefined;
  if (socket && (p === socket || socket.startsWith(`${p}/`))) return true;
  return false;
}

/** Host folders whose content is the host itself (kernel, devices, every process's root, system config). */
const HOST_SYSTEM = /^\/(proc|sys|dev|boot|etc)(\/|$)/;

/**
 * System folders: the host's programs, libraries, services' state and
 * sockets (`/run`, `/var`: dbus, systemd, k3s, lxd, cron), root's home.
 * Refused as bind sources with everything inside them, except a workspace
 * that lives there (a CI's `/var/lib/<ci>/workspace`); `/tmp` itself too.
 */
const SYSTEM_FOLDER = /^\/(bin|boot|dev|etc|lib|lib32|lib64|libx32|proc|root|run|sbin|snap|sys|usr|var)(\/|$)/;
const SYSTEM_EXACT = new Set(['/', '/tmp', '/home', '/opt', '/srv', '/mnt', '/media']);

/** Most entries looked at in a bind source for a socket; a larger folder is refused (mount a narrower one). */
export const MAX_SCANNED_ENTRIES = 100_000;

function isInside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder === '/' ? '/' : `${folder}/`);
}

/** The homes of this machine: the user's, root's, every `/home/<name>` and the homes of /etc/passwd. */
function homes(environment: NodeJS.ProcessEnv): string[] {
  const found = new Set<string>(['/root']);
  for (const h of [homedir(), environment.HOME]) if (h && h.startsWith('/')) found.add(posix.normalize(h));
  try {
    for (const name of readdirSync('/home')) found.add(`/home/${name}`);
  } catch {
    // no /home
  }
  try {
    const passwd = readFileSync('/etc/passwd', 'utf8').slice(0, 1024 * 1024);
    for (const line of passwd.split('\n')) {
      const home = line.split(':')[5];
      if (home && home.startsWith('/') && home !== '/') found.add(posix.normalize(home).replace(/\/+$/, ''));
    }
  } catch {
    // no /etc/passwd (not Linux)
  }
  return [...found];
}

/** A home, a folder holding one, or a dot-folder of one (`~/.ssh`, `~/.docker`): why, or undefined. */
function homeReason(p: string, environment: NodeJS.ProcessEnv, inWorkspace: boolean): string | undefined {
  for (const home of homes(environment)) {
    if (isInside(home, p)) return `it is or holds the home ${home}`;
    // A workspace that itself lives in a dot-folder (~/.local/src/ws) keeps its own folders.
    if (!inWorkspace && p.startsWith(`${home}/.`))
      return `it is a dot-folder of the home ${home} (credentials and sockets live there)`;
  }
  return undefined;
}

/** The first socket at or inside `path` (links not followed), or 'too many' past MAX_SCANNED_ENTRIES. */
function socketIn(path: string): string | 'too many' | undefined {
  let seen = 0;
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop() as string;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue; // gone, or not readable by us: the engine makes a missing source a folder
    }
    if (st.isSocket()) return p;
    if (!st.isDirectory()) continue;
    let names: string[];
    try {
      names = readdirSync(p);
    } catch {
      continue;
    }
    seen += names.length;
    if (seen > MAX_SCANNED_ENTRIES) return 'too many';
    for (const name of names) stack.push(posix.join(p, name));
  }
  return undefined;
}

/** The real path of `path`, links resolved as far as the path exists (the engine follows them too). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : posix.join(realPath(parent), basename(path));
  }
}

/**
 * A bind mount's host path, made absolute as the engine does (against the
 * client's folder) and checked: inside the workspace or a folder the user
 * allowed, never a socket or a folder holding one, a system folder or a home.
 */
function bindSource(source: string, { cwd, environment, mounts }: CheckContext): string {
  if (source === '') throw new HardeningError('runArgs: a bind mount has an empty source.');
  if (/[\0\n,"':]/.test(source))
    throw new HardeningError(`runArgs: bind source ${JSON.stringify(source)} holds , " ' : or a control character.`);
  const absolute = resolve(cwd, source);
  const real = realPath(absolute);
  const workspace = realPath(resolve(mounts.workspace));
  const inWorkspace = isInside(real, workspace);
  const control = join(workspace, 'tmp', 'nx-conda');
  for (const p of new Set([absolute, real])) {
    if (isEngineSocketPath(p, environment))
      throw new HardeningError(
        `runArgs cannot mount ${p}: it is (or holds) a container engine socket, which would give the build container the host.`,
      );
    if (HOST_SYSTEM.test(p))
      throw new HardeningError(
        `runArgs cannot mount ${p}: /proc, /sys, /dev, /boot and /etc are the host itself (/proc/1/root is its whole file system).`,
      );
    if (SYSTEM_EXACT.has(p) || (SYSTEM_FOLDER.test(p) && !inWorkspace))
      throw new HardeningError(
        `runArgs cannot mount ${p}: it is a system folder (programs, libraries, services' state and sockets), whatever mountSources says.`,
      );
    const home = homeReason(p, environment, inWorkspace);
    if (home) throw new HardeningError(`runArgs cannot mount ${p}: ${home}, whatever mountSources says.`);
    if (isInside(control, p) || isInside(p, control))
      throw new HardeningError(
        `runArgs cannot mount ${p}: it is or holds tmp/nx-conda, nx-conda's own control files (the workspace's secret, run records).`,
      );
  }
  const allowed = (mounts.allowed ?? []).map((a) => realPath(resolve(mounts.workspace, a)));
  if (!inWorkspace && !allowed.some((a) => isInside(real, a)))
    throw new HardeningError(
      `runArgs cannot mount ${real}: it is outside the workspace; list it (or a folder holding it) in mountSources to allow it.`,
    );
  const socket = socketIn(real);
  if (socket === 'too many')
    throw new HardeningError(
      `runArgs cannot mount ${real}: it holds more than ${MAX_SCANNED_ENTRIES} entries, too many to check for sockets; mount a narrower folder.`,
    );
  if (socket)
    throw new HardeningError(
      `runArgs cannot mount ${real}: it is or holds the socket ${socket}, which would give the build container the service behind it.`,
    );
  return absolute;
}

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const CONTAINER_PATH = /^\/[^\0\n,"':]*$/;

function containerPath(target: string): string {
  if (!CONTAINER_PATH.test(target))
    throw new HardeningError(`runArgs: mount target ${JSON.stringify(target)} is not an absolute container path.`);
  return target;
}

/** `-v`/`--volume`: `[source:]target[:options]`; a source starting with `/` or `.` is a host path, else a volume name. */
function volumeValue(value: string, c: CheckContext): string {
  const parts = value.split(':');
  if (parts.length === 1) return containerPath(parts[0]);
  if (parts.length > 3)
    throw new HardeningError(`runArgs --volume=${value}: a path holds ':', which nx-conda refuses.`);
  const [source, target, options] = parts;
  if (
    options !== undefined &&
    !/^(ro|rw|z|Z|nocopy|consistent|cached|delegated)(,(ro|rw|z|Z|nocopy|consistent|cached|delegated))*$/.test(options)
  )
    throw new HardeningError(
      `runArgs --volume=${value}: options ${JSON.stringify(options)} are not among ro, rw, z, Z, nocopy (mount propagation is refused).`,
    );
  const isPath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  if (source.startsWith('~')) throw new HardeningError(`runArgs --volume=${value}: write the home folder's path out.`);
  const from = isPath ? bindSource(source, c) : source;
  if (!isPath && !VOLUME_NAME.test(source))
    throw new HardeningError(`runArgs --volume=${value}: ${JSON.stringify(source)} is not a volume name.`);
  // A bind mount is read-only unless the user asks for rw.
  const modes = options === undefined ? [] : options.split(',');
  if (isPath && !modes.includes('rw') && !modes.includes('ro')) modes.push('ro');
  return [from, containerPath(target), ...(modes.length ? [modes.join(',')] : [])].join(':');
}

/** A CSV line as the engine reads `--mount` (Go's encoding/csv): fields may be quoted, `""` is a quote. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new HardeningError(`runArgs --mount=${line}: a quoted field is not closed.`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',')
        throw new HardeningError(`runArgs --mount=${line}: text after a closing quote.`);
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end < 0 ? line.length : end);
      if (field.includes('"')) throw new HardeningError(`runArgs --mount=${line}: a quote inside a field.`);
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

const MOUNT_KEYS = new Map([
  ['type', 'type'],
  ['source', 'source'],
  ['src', 'source'],
  ['target', 'target'],
  ['destination', 'target'],
  ['dst', 'target'],
  ['readonly', 'readonly'],
  ['ro', 'readonly'],
  ['volume-nocopy', 'volume-nocopy'],
  ['tmpfs-size', 'tmpfs-size'],
  ['tmpfs-mode', 'tmpfs-mode'],
  ['consistency', 'consistency'],
]);
const MOUNT_REFUSED = new Map([
  ['volume-driver', 'a volume driver can mount any host folder'],
  ['volume-opt', 'volume options (type=none, o=bind, device=/) make a volume a mount of any host folder'],
  ['bind-propagation', 'shared propagation lets the build mount into the host'],
  ['bind-recursive', 'it changes what the host sees of the mount'],
  ['bind-nonrecursive', 'it changes what the host sees of the mount'],
]);

/** `--mount`: `type=bind|volume|tmpfs` with known keys (case-insensitive, as the engine reads them). */
function mountValue(value: string, c: CheckContext): string {
  const got = new Map<string, string>();
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const rawKey = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const fieldValue = eq < 0 ? '' : field.slice(eq + 1);
    const refused = MOUNT_REFUSED.get(rawKey);
    if (refused) throw new HardeningError(`runArgs --mount cannot set ${rawKey}: ${refused}.`);
    const key = MOUNT_KEYS.get(rawKey);
    if (!key) throw new HardeningError(`runArgs --mount: unknown key ${JSON.stringify(rawKey)}.`);
    if (got.has(key)) throw new HardeningError(`runArgs --mount: ${key} given twice.`);
    got.set(key, fieldValue);
  }
  const type = (got.get('type') ?? 'volume').toLowerCase();
  const target = containerPath(got.get('target') ?? '');
  const out = [`type=${type}`];
  const source = got.get('source');
  if (type === 'bind') {
    out.push(`source=${bindSource(source ?? '', c)}`);
  } else if (type === 'volume') {
    if (source !== undefined && source !== '' && !VOLUME_NAME.test(source))
      throw new HardeningError(`runArgs --mount: ${JSON.stringify(source)} is not a volume name.`);
    if (source) out.push(`source=${source}`);
  } else if (type === 'tmpfs') {
    if (source) throw new HardeningError('runArgs --mount: a tmpfs mount has no source.');
  } else {
    throw new HardeningError(`runArgs --mount: type ${JSON.stringify(type)} is not bind, volume or tmpfs.`);
  }
  out.push(`target=${target}`);
  const readonly = got.get('readonly');
  if (readonly !== undefined) {
    if (!/^(|true|false|1|0)$/i.test(readonly))
      throw new HardeningError(`runArgs --mount: readonly=${JSON.stringify(readonly)} is not true or false.`);
    if (!/^(false|0)$/i.test(readonly)) out.push('readonly');
  } else if (type === 'bind') out.push('readonly'); // read-only unless the user asks for readonly=false
  for (const key of ['volume-nocopy', 'tmpfs-size', 'tmpfs-mode', 'consistency']) {
    const v = got.get(key);
    if (v === undefined) continue;
    if (!/^[A-Za-z0-9.]*$/.test(v))
      throw new HardeningError(`runArgs --mount: ${key}=${JSON.stringify(v)} is refused.`);
    out.push(v === '' ? key : `${key}=${v}`);
  }
  return out.join(',');
}

/**
 * Checks runArgs against the allow-list and returns them in canonical form
 * (`--flag=value`, host paths absolute, bind mounts read-only unless asked
 * otherwise; bind sources as `mounts` allows). Throws a HardeningError with the
 * reason for the first item refused.
 */
export function validateRunArgs(
  runArgs: unknown,
  environment: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
  mounts: MountPolicy = { workspace: cwd },
): string[] {
  if (runArgs === undefined) return [];
  if (!Array.isArray(runArgs) || !runArgs.every((a) => typeof a === 'string'))
    throw new HardeningError('runArgs must be a list of strings');
  const items = runArgs as string[];
  const out: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const arg = items[i];
    const match = /^(?:--([A-Za-z][A-Za-z0-9-]*)|-([A-Za-z]))(?:=(.*))?$/s.exec(arg);
    if (!match) {
      throw new HardeningError(
        `runArgs item ${JSON.stringify(arg)} is not an engine option (--name, --name=value, or --name then its value as the next item).`,
      );
    }
    const flag = match[1] ?? SHORT_FLAGS.get(match[2]) ?? match[2];
    if (!ALLOWED_RUN_FLAGS.has(flag)) {
      const why = REFUSED_WHY.get(flag) ?? 'it is not on the list of flags nx-conda allows (see runArgs in the README)';
      throw new HardeningError(`runArgs cannot set --${flag}: ${why}.`);
    }
    const check = ALLOWED_RUN_FLAGS.get(flag);
    let value = match[3];
    if (check === undefined) {
      if (value !== undefined && !/^(true|false)$/.test(value))
        throw new HardeningError(`runArgs --${flag} takes no value (or =true/=false).`);
      out.push(value === undefined ? `--${flag}` : `--${flag}=${value}`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= items.length) throw new HardeningError(`runArgs --${flag} needs a value.`);
      value = items[++i];
    }
    if (/[\0\n\r]/.test(value)) throw new HardeningError(`runArgs item --${flag} holds a control character`);
    out.push(`--${flag}=${check(value, { flag, cwd, environment, mounts })}`);
  }
  return out;
}
