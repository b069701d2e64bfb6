/**
 * Which engine platform (`linux/arm64`) a conda subdir (`linux-aarch64`) is
 * built in, and whether this host can run it: natively, or through a
 * registered binfmt_misc handler (qemu user emulation).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors';

/** A platform this host or a Linux container cannot build. */
export class PlatformError extends UserError {}

/** conda subdir -> the engine's `os/arch`, and the name of qemu's binfmt handler for that architecture. */
const LINUX_PLATFORMS = new Map([
  ['linux-64', { engine: 'linux/amd64', qemu: 'qemu-x86_64' }],
  ['linux-aarch64', { engine: 'linux/arm64', qemu: 'qemu-aarch64' }],
  ['linux-ppc64le', { engine: 'linux/ppc64le', qemu: 'qemu-ppc64le' }],
  ['linux-s390x', { engine: 'linux/s390x', qemu: 'qemu-s390x' }],
]);

/** Node's process.arch -> the conda subdir a Linux container of this host has natively. */
const NATIVE_SUBDIR = new Map([
  ['x64', 'linux-64'],
  ['arm64', 'linux-aarch64'],
  ['ppc64', 'linux-ppc64le'],
  ['s390x', 'linux-s390x'],
]);

export const BINFMT_MISC = '/proc/sys/fs/binfmt_misc';

/** The engine's architecture names of the Linux platforms nx-conda builds (amd64, arm64, ...). */
export const ENGINE_ARCHES: readonly string[] = [...LINUX_PLATFORMS.values()].map((p) => p.engine.split('/')[1]);

/** The engine's architecture of a Linux conda subdir (linux-aarch64 -> arm64); throws as enginePlatform does. */
export function engineArch(subdir: string): string {
  const platform = enginePlatform(subdir);
  if (!platform) throw new PlatformError('noarch has no architecture of its own');
  return platform.split('/')[1];
}

/** The conda subdir of this host's own containers (linux-64 on x86_64, linux-aarch64 on arm64). */
export function nativeSubdir(arch: string = process.arch): string {
  return NATIVE_SUBDIR.get(arch) ?? 'linux-64';
}

/**
 * The engine platform of a conda subdir, or undefined for noarch (built on
 * the host's own platform). osx-* and win-* cannot be built in a Linux container.
 */
export function enginePlatform(subdir: string): string | undefined {
  if (subdir === 'noarch') return undefined;
  const known = LINUX_PLATFORMS.get(subdir);
  if (known) return known.engine;
  if (/^(osx|win)-/.test(subdir))
    throw new PlatformError(
      `${subdir} cannot be built in a Linux container: nx-conda builds only linux-* platforms (build ${subdir} packages on a ${subdir.startsWith('osx') ? 'macOS' : 'Windows'} runner with conda-build or rattler-build directly).`,
    );
  throw new PlatformError(
    `${subdir} is not a platform nx-conda can build in a container; use one of ${[...LINUX_PLATFORMS.keys()].join(', ')} or noarch.`,
  );
}

/**
 * The `--platform` value to give the engine for `subdir`: undefined when it is
 * the host's own (or noarch), so native builds run exactly as before.
 */
export function foreignEnginePlatform(subdir: string, arch: string = process.arch): string | undefined {
  const platform = enginePlatform(subdir);
  if (platform === undefined || platform === enginePlatform(nativeSubdir(arch))) return undefined;
  return platform;
}

export interface EmulationProbe {
  arch?: string;
  binfmtDir?: string;
}

/**
 * Throws a PlatformError saying what to install when this host cannot run
 * containers of `subdir`: another architecture needs a binfmt_misc handler
 * (with the F flag, so containers find the interpreter), else the build would
 * fail deep inside with `exec format error`.
 */
export function assertCanRun(subdir: string, probe: EmulationProbe = {}): void {
  const foreign = foreignEnginePlatform(subdir, probe.arch);
  if (!foreign) return;
  const qemu = LINUX_PLATFORMS.get(subdir)?.qemu ?? '';
  const dir = probe.binfmtDir ?? BINFMT_MISC;
  const handler = join(dir, qemu);
  const install =
    `On Debian/Ubuntu, as root: apt-get install -y qemu-user-static binfmt-support, then, if ${dir} is empty, ` +
    `mount -t binfmt_misc binfmt_misc ${dir} && update-binfmts --enable ${qemu} (scripts/ensure-emulation.sh does all of it). ` +
    `Or build ${subdir} on a native ${foreign.split('/')[1]} runner.`;
  if (!existsSync(join(dir, 'register')) && !existsSync(join(dir, 'status')))
    throw new PlatformError(
      `cannot build ${subdir} (${foreign}) on this ${nativeSubdir(probe.arch)} host: binfmt_misc is not mounted on ${dir}, so no emulator can run ${foreign} programs. ${install}`,
    );
  if (!handlerEnabled(handler))
    throw new PlatformError(
      `cannot build ${subdir} (${foreign}) on this ${nativeSubdir(probe.arch)} host: no enabled ${qemu} handler in ${dir}. ${install}`,
    );
}

function handlerEnabled(file: string): boolean {
  try {
    // A kernel pseudo-file of a few lines: the first says enabled/disabled.
    return readFileSync(file, 'utf8').slice(0, 4096).split('\n')[0].trim() === 'enabled';
  } catch {
    return false;
  }
}
