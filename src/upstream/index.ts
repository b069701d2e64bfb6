/**
 * Upstreams of recipes: which one a source URL comes from, its releases,
 * conda's version order, and source downloads, all over one bounded client.
 */
export { UpstreamError } from './errors';
export {
  UpstreamHttp,
  githubApiUrl,
  withUpstreamOriginsForTests,
  UPSTREAM_HTTP_DEFAULTS,
  type UpstreamHttpOptions,
} from './http';
export { recogniseUpstream, versionInSlot, type Upstream, type UpstreamKind, type VersionSlot } from './recognise';
export { releasesOf, newestRelease, isNewer, upstreamLabel, type Announced, type Release } from './releases';
export { SourceDownloads, type SourceHashes } from './download';
export {
  asRecipeVersion,
  compareVersions,
  isOrderableVersion,
  isPreRelease,
  newestVersion,
  VERSION_SHAPE,
} from './version-order';
export { planBump, type BumpOptions, type BumpPlan, type BumpSession, type BumpStatus } from './bump';
export { pypiDraft, type PythonRecipeDraft } from './pypi-draft';
export { pipIndex, indexUrlOfConfig, type PipIndex } from './pip-index';
export { condaRequirement, condaNameOf, CONDA_NAMES } from './python-requirements';
export { sdistFacts, buildSystemRequires } from './sdist';
export { cranDraft, parseDcf, rRequirements, type RRecipeDraft } from './cran-draft';
export { tarGzFiles } from './sdist';
export { githubDraft, githubRepoOf, type BuildSystem, type GithubRecipeDraft } from './github-draft';
