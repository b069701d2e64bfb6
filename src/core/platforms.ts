/**
 * The conda platforms (subdirs) nx-conda knows by name: the values the
 * `platforms` plugin option and a recipe's `extra: additional-platforms`
 * may hold. conda's own list (conda/base/constants.py KNOWN_SUBDIRS) less
 * `noarch`, which is not a platform one builds for.
 */
export const CONDA_PLATFORMS: readonly string[] = [
  'emscripten-wasm32',
  'wasi-wasm32',
  'freebsd-64',
  'linux-32',
  'linux-64',
  'linux-aarch64',
  'linux-armv6l',
  'linux-armv7l',
  'linux-ppc64',
  'linux-ppc64le',
  'linux-riscv64',
  'linux-s390x',
  'osx-64',
  'osx-arm64',
  'win-32',
  'win-64',
  'win-arm64',
  'zos-z',
];

const KNOWN = new Set(CONDA_PLATFORMS);

export function isCondaPlatform(value: unknown): value is string {
  return typeof value === 'string' && KNOWN.has(value);
}

/** A platform whose packages a Linux container cannot build (no macOS or Windows in a container). */
export function needsOtherHost(platform: string): boolean {
  return !platform.startsWith('linux-');
}

/** A value as a person can read it in one line: JSON, cut short. */
export function shownValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
