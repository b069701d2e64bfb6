/**
 * A build container follows its client: it stops by itself, within about a
 * second, once the process that started it is gone, whatever killed it
 * (SIGKILL of the whole process group, the OOM killer, a CI runner).
 *
 * How: the container runs with `--interactive`, and its stdin is a pipe
 * whose only writer is our own process (Node opens its pipes close-on-exec,
 * so no other child inherits it); we never write to it. The container's
 * first command is the small POSIX sh script below: it runs the build with
 * stdin from /dev/null, and waits for end-of-file on the real stdin. That
 * end-of-file comes in every way the run can die:
 * - our process dies: the kernel closes the pipe, the engine client reads
 *   EOF and closes the container's stdin (docker: CloseWrite on the attach
 *   connection; podman: closes conmon's stdin);
 * - the engine client dies too (or alone): the engine closes the stdin of
 *   a container whose attached client went away (docker's StdinOnce, which
 *   `run -i` sets; conmon does the same unless told --leave-stdin-open).
 * On EOF the script sends SIGTERM to itself; it is the main process of the
 * container's init (`--init`: tini or catatonit), which then exits, and the
 * kernel kills every other process of the container's PID namespace. The
 * container stops and `--rm` removes it (on docker the daemon does that, on
 * podman conmon's exit command), with no client left to ask.
 *
 * A heartbeat (the client touching a file that the container watches) was
 * the other way: it needs a mount, polling and a grace time, and a suspended
 * laptop looks dead. EOF on a pipe needs none of that and works the same on
 * docker and podman, rootful and rootless (conmon runs as the user).
 */

/** The watcher (arguments: the build command). Its exit status is the build's. */
export const FOLLOW_SCRIPT = [
  // fd 3 keeps the client's stdin; everything else reads /dev/null.
  'exec 3<&0 </dev/null',
  '"$@" 3<&- &',
  'build=$!',
  // EOF on the client's stdin: end this shell, so that init and the whole container end. The shell's own
  // `read`, not cat: a fork costs nothing, an exec of another binary about 30 ms under qemu emulation.
  '(while read -r line; do :; done <&3; kill -TERM $$) &',
  'exec 3<&-',
  'wait "$build"',
].join('\n');

/** `$0` of the watcher, as `ps` in the container shows it. */
export const FOLLOW_NAME = 'nx-conda-follow-client';

/** The command the container runs so that it follows its client. */
export function followClient(command: string[]): string[] {
  return ['sh', '-c', FOLLOW_SCRIPT, FOLLOW_NAME, ...command];
}
