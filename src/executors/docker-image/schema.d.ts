/** The docker-image options are the builder image's: image/options.ts (image/spec.ts checks and defaults them). */
export type { DockerImageOptions as DockerImageExecutorSchema } from '../../image/options';
