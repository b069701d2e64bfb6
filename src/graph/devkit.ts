/**
 * @nx/devkit, loaded on first use. Its main entry costs about 0.1 s to load
 * in each plugin worker, which is most of this plugin's overhead on a warm
 * graph; the graph code needs it only to log warnings.
 */
type Devkit = typeof import('@nx/devkit');

let devkit: Devkit | undefined;

export function warn(message: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    devkit ??= require('@nx/devkit') as Devkit;
    devkit.logger.warn(message);
  } catch {
    // eslint-disable-next-line no-console
    console.warn(message);
  }
}
