/**
 * The environment of the engine client (docker, podman): only what it needs
 * from ours, plus the values of the variables it passes on by name
 * (`--env NAME`, `--build-arg NAME`). Nothing else of our environment (CI
 * tokens, NX_* settings, LD_PRELOAD, ...) reaches the engine program.
 */

/** Variables of ours the engine client may read: where and how to reach the engine, who we are, locale, proxies. */
const ENGINE_VARIABLES =
  /^(PATH|HOME|USER|LOGNAME|LANG|LC_[A-Z]+|TZ|TMPDIR|TERM|NO_COLOR|XDG_(RUNTIME|CONFIG|DATA|CACHE)_(DIR|HOME)|DBUS_SESSION_BUS_ADDRESS|SSH_AUTH_SOCK|SSL_CERT_(FILE|DIR)|DOCKER_[A-Z0-9_]+|BUILDKIT_[A-Z0-9_]+|BUILDX_[A-Z0-9_]+|CONTAINER_(HOST|CONNECTION|SSHKEY|PASSPHRASE)|CONTAINERS_[A-Z0-9_]+|REGISTRY_AUTH_FILE|BUILDAH_[A-Z0-9_]+|STORAGE_(DRIVER|OPTS)|(http|https|no|all|ftp)_proxy|(HTTP|HTTPS|NO|ALL|FTP)_PROXY)$/;

/**
 * Names a container's env (or a build arg) cannot take: their value would
 * also be the engine client's own setting (where the engine is, which
 * libraries the client loads, where its config is). Locale and proxy
 * variables are allowed: the client uses them as the build does.
 */
const CLIENT_SETTINGS =
  /^(PATH|HOME|TMPDIR|XDG_[A-Z_]+|DBUS_SESSION_BUS_ADDRESS|SSH_AUTH_SOCK|SSL_CERT_(FILE|DIR)|DOCKER_[A-Z0-9_]*|BUILDKIT_[A-Z0-9_]*|BUILDX_[A-Z0-9_]*|CONTAINER_[A-Z0-9_]*|CONTAINERS_[A-Z0-9_]*|REGISTRY_AUTH_FILE|BUILDAH_[A-Z0-9_]*|STORAGE_[A-Z0-9_]*|LD_[A-Z0-9_]*|DYLD_[A-Z0-9_]*|GODEBUG|GOGC|GOMAXPROCS|GOMEMLIMIT|GOTRACEBACK)$/;

export function isReservedEnvName(name: string): boolean {
  return CLIENT_SETTINGS.test(name);
}

/** The engine client's environment: the allowed variables of `ours`, then `passed` (already checked by isReservedEnvName). */
export function engineEnvironment(
  ours: NodeJS.ProcessEnv,
  passed: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(ours)) {
    if (value !== undefined && ENGINE_VARIABLES.test(name)) env[name] = value;
  }
  return { ...env, ...passed };
}
