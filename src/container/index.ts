/**
 * The only code of nx-conda that runs a container engine (docker or podman).
 */
export type { EngineName } from '../core/defaults';
export { EngineError, ImageBuildError } from './errors';
export type { Mount, RunOptions, RunResult, BuildImageOptions, ImageFilter, ContainerFilter } from './types';
export { runContainer, buildImage } from './run';
export {
  checkEngine,
  imageId,
  imageLabels,
  imagePlatform,
  inspectImage,
  parseInspectLine,
  pullImage,
  pushImage,
  removeImage,
  listImages,
  listContainers,
  removeContainer,
  tagImage,
} from './images';
export { adapterFor, hostOwnerInContainer, type EngineAdapter } from './adapter';
export {
  buildArgv,
  runArgv,
  containerName,
  formatCommand,
  maskCredentials,
  parseImageList,
  isReservedEnvName,
  ENV_NAME,
  IMAGE_REPOSITORY,
  IMAGE_REF,
  validateImageRef,
  validateNetwork,
  validatePlatform,
} from './argv';
export {
  assertCanRun,
  enginePlatform,
  foreignEnginePlatform,
  nativeSubdir,
  PlatformError,
  BINFMT_MISC,
  type EmulationProbe,
} from './platform';
export {
  forgetManifestList,
  localManifestList,
  manifestListArgv,
  registryManifest,
  runManifestStep,
  type ManifestListOptions,
} from './manifest';
export { hardeningArgs, validateRunArgs, isEngineSocketPath, HardeningError, type Hardening } from './hardening';
export { maskArgs, masker, MASK } from './secrets';
export { engineEnvironment } from './engine-env';
export { LineWriter, TailBuffer, bannerFilter, linePrefix } from './lines';
export { followClient } from './follow';
export {
  OWNER_LABELS,
  currentRun,
  ownerLabels,
  runState,
  scratchPaths,
  workspaceId,
  type RunIdentity,
  type RunState,
} from './owner';
export { workspaceContainers, type OwnedContainer } from './owned';
export { describeLeftovers, removeLeftovers, type Leftovers } from './leftovers';
export { recordRun, RUN_RECORDS_FOLDER } from './run-records';
