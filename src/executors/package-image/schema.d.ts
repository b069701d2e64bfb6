import type { EngineName } from '../../core/defaults';

export interface PackageImageExecutorSchema {
  /** The project's output folder (workspace-relative). Empty: dist/conda/<projectRoot>. */
  outputPath?: string;
  /** The conda subdir the packages were built for. Default linux-64. */
  platform?: string;
  /** More platforms (conda subdirs) whose packages get images too, each arch's beside the others; with registry, one tag for all (a manifest list). */
  platforms?: string[];
  /** Installer image of another platform (e.g. { "linux-aarch64": "builder:arm64" }); default: imageProject's `<imageTarget>-<platform>`, else image. */
  platformImages?: Record<string, string>;
  /** Base image of another platform; default packageBaseImage (which must then be that platform's image here). */
  platformBaseImages?: Record<string, string>;
  /** Installer image (conda on PATH). Empty: the builder image of imageProject. */
  image?: string;
  /** Project whose docker-image target made the builder image. */
  imageProject?: string;
  /** That target's name. Default docker-image. */
  imageTarget?: string;
  /** The small final base image. Default bioconda/base-glibc-busybox-bash:latest. */
  packageBaseImage?: string;
  /** `<namespace>/<name>:<version>--<build>`. Default biocontainers. */
  namespace?: string;
  /** Upstream channels for run requirements. */
  channels?: string[];
  /** Skip the package's tests (visibly). */
  skipTests?: boolean;
  /** Registry to push the tested tags to; empty: no push. */
  registry?: string;
  /** Push and pull without TLS verification (podman --tls-verify=false); loopback registries never verify. Default false. */
  insecureRegistry?: boolean;
  /** Rebuild existing images; push over a registry tag holding another image; take a tag held by an image not made here. */
  force?: boolean;
  /** Network of the install stage. */
  network?: string;
  /** Time limit of one package's tests (0: none). */
  testTimeoutSeconds?: number;
  /** Memory limit of the test container (--memory); empty: none. */
  testMemory?: string;
  /** CPU limit of the test container (--cpus); 0: none. */
  testCpus?: number;
  /** Most processes at once in the test container; 0: the engine's default. Default 4096. */
  testPidsLimit?: number;
  /** User the tests run as; empty: the image's own. */
  testUser?: string;
  engine?: EngineName;
  verbose?: boolean;
}
