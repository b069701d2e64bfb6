import type { EngineName } from '../core/defaults';
import type { Hardening } from './hardening';

export type { EngineName };

export interface Mount {
  host: string;
  container: string;
  readOnly?: boolean;
}

export interface RunOptions {
  engine: EngineName;
  image: string;
  command: string[];
  mounts?: Mount[];
  /** Values never go on the command line nor into logs: `-e NAME` + the child's environment. */
  env?: Record<string, string>;
  /** e.g. 'host' */
  network?: string;
  /** Engine platform (`linux/arm64`) of a container of another architecture than the host's (emulated). */
  platform?: string;
  user?: string;
  workdir?: string;
  /** Added to the container; `nx-conda=<value>` is always set (default value `run`). */
  labels?: Record<string, string>;
  /** Container name is `${namePrefix}-${random}` (default prefix `nx-conda`). */
  namePrefix?: string;
  /** Each output line is written live to our stdout/stderr with this prefix (see linePrefix). */
  logPrefix?: string;
  /** 0/undefined: no limit. On timeout the container is removed. */
  timeoutSeconds?: number;
  /** Print the exact command (it never holds env values). */
  verbose?: boolean;
  /** Strings to mask in the output (such as the user's env values), besides URL credentials. */
  secrets?: string[];
  /** Limits, no-new-privileges (on unless false) and checked extra engine flags. */
  hardening?: Hardening;
  /**
   * Keep the container's stdout (at most this many bytes) instead of printing
   * it; more than that stops the container and sets `stdoutOverflow`.
   */
  captureStdoutBytes?: number;
}

export interface RunResult {
  exitCode: number;
  containerName: string;
  /** The last lines of the container's output (masked as printed), for the error message of a failed run. */
  tail: string[];
  /** Set when we were interrupted (SIGINT/SIGTERM) and removed the container. */
  signal?: string;
  timedOut?: boolean;
  /** The container's stdout, when captureStdoutBytes was set. */
  stdout?: Buffer;
  /** Its stdout went over captureStdoutBytes: the container was stopped. */
  stdoutOverflow?: boolean;
}

export interface BuildImageOptions {
  engine: EngineName;
  contextDir: string;
  /** Path of the Dockerfile; default `<contextDir>/Dockerfile`. */
  dockerfile?: string;
  tags: string[];
  network?: string;
  /** Engine platform (`linux/arm64`) of an image for another architecture than the host's. */
  platform?: string;
  /** Passed as `--build-arg NAME`, the value through the environment. */
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /**
   * The Dockerfile sets every label itself (one LABEL instruction): no
   * --label at all, as docker's legacy builder makes each one a step with a container.
   */
  labelledByDockerfile?: boolean;
  /** Build every layer again (`--no-cache`). */
  noCache?: boolean;
  /**
   * false: keep no intermediate image (podman `--layers=false`; docker's
   * legacy builder has no such switch). podman otherwise keeps every step of
   * every stage as an unnamed image, which removing the tag leaves behind.
   */
  keepLayers?: boolean;
  logPrefix?: string;
  verbose?: boolean;
  /** More strings to mask in the output, besides URL credentials and build arg values. */
  secrets?: string[];
}

export interface ImageFilter {
  /** `key` or `key=value`; several: every one must match. */
  label?: string | string[];
  /** docker's reference filter, e.g. `biocontainers/samtools` (every tag) */
  reference?: string;
}

export interface ContainerFilter {
  label?: string;
}
