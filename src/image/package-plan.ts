/**
 * Pure parts of package-image: what a package file is called as an image,
 * the labels that say an image is ours, and the Dockerfile that installs it.
 * Nothing here touches the engine or the file system.
 */
import { NX_CONDA_LABEL } from '../core/defaults';
import { OWNER_LABELS } from '../container/owner';
import { UserError } from '../core/errors';
import { ENGINE_ARCHES } from '../container/platform';
import { isPackageName, PACKAGE_NAME_RULE } from '../recipes';

/** A package spec (`name=version--build`) that names no package image. */
export class PackageSpecError extends UserError {}

export interface PackageSpec {
  name: string;
  version: string;
  build: string;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `name=version--build` (the build after the last `--`, the version after the last `=`). */
export function parsePackageSpec(spec: string): PackageSpec {
  const bad = (why: string) => new PackageSpecError(`package spec '${spec}' is not name=version--build: ${why}`);
  if (typeof spec !== 'string' || /\s/.test(spec)) throw bad('it must be one word');
  const dashes = spec.lastIndexOf('--');
  if (dashes < 0) throw bad("no '--' before the build string");
  const build = spec.slice(dashes + 2);
  const nameVersion = spec.slice(0, dashes);
  const eq = nameVersion.lastIndexOf('=');
  if (eq < 0) throw bad("no '=' between name and version");
  const name = nameVersion.slice(0, eq);
  const version = nameVersion.slice(eq + 1);
  if (!name) throw bad('empty name');
  if (!version) throw bad('empty version');
  if (!build) throw bad('empty build string');
  if (!isPackageName(name)) throw bad(`'${name}' is not a package name: ${PACKAGE_NAME_RULE}`);
  const tag = `${version}--${build}`;
  if (!TAG.test(tag)) throw bad(`'${tag}' is not a valid image tag`);
  return { name, version, build };
}

export function packageImageRef(namespace: string, p: PackageSpec): string {
  return `${namespace}/${p.name}:${p.version}--${p.build}`;
}

/** Value of the nx-conda label on an image package-image made. */
export const PACKAGE_LABEL_VALUE = 'package';

export const PACKAGE_LABELS = {
  /** sha256 of the package file the image holds. */
  sha256: `${NX_CONDA_LABEL}.package-sha256`,
  /** The package file's name. */
  file: `${NX_CONDA_LABEL}.package-file`,
  /** The project that built it. */
  project: `${NX_CONDA_LABEL}.project`,
  /** `passed` or `skipped` (skipTests). */
  tests: `${NX_CONDA_LABEL}.tests`,
  /** On the install stage only (see installStageLabel). */
  installStage: `${NX_CONDA_LABEL}.install-stage`,
} as const;

/**
 * The label of one build's install stage: `<workspace>-<sha256 of the package>`.
 * An engine without BuildKit (the legacy builder, podman) keeps that stage as
 * an image without a name after the build; by this label it is found and
 * removed, so a build leaves only the final image.
 */
export function installStageLabel(workspace: string, sha256: string): string {
  if (!/^[0-9a-f]{1,64}$/.test(workspace) || !/^[0-9a-f]{64}$/.test(sha256))
    throw new Error(`installStageLabel: not hex: ${JSON.stringify(workspace)}, ${JSON.stringify(sha256)}`);
  return `${workspace}-${sha256}`;
}

/** Where the installed environment lives, as in BioContainers: on PATH with no activation. */
export const PREFIX = '/usr/local';

/** Where the install stage sees the channel of the project's packages and its dependencies'. */
export const CONTAINER_CHANNEL = '/opt/nx-conda/channel';

/** `passed`: every test the package carries passed in the image (it may carry none); `skipped`: skipTests. */
export type TestState = 'passed' | 'skipped';

export interface PackageImage extends PackageSpec {
  subdir: string;
  file: string;
  /** `<namespace>/<name>:<version>--<build>` */
  tag: string;
}

/** `name-version-build.conda` / `.tar.bz2`: version and build hold no `-`, the name may. */
export function packageSpecOfFile(file: string): PackageSpec {
  const stem = file.replace(/\.(conda|tar\.bz2)$/, '');
  const parts = stem.split('-');
  if (parts.length < 3 || stem === file) throw new Error(`${JSON.stringify(file)} is not a conda package file name`);
  const build = parts.pop() as string;
  const version = parts.pop() as string;
  return parsePackageSpec(`${parts.join('-')}=${version}--${build}`);
}

export function packageImageOf(namespace: string, subdir: string, file: string): PackageImage {
  const spec = packageSpecOfFile(file);
  return { ...spec, subdir, file, tag: packageImageRef(namespace, spec) };
}

/** The labels of a package image, with the workspace's identity (as containers have it). */
export function packageLabels(
  workspace: string,
  project: string,
  file: string,
  sha256: string,
  tests: TestState,
): Record<string, string> {
  return {
    [NX_CONDA_LABEL]: PACKAGE_LABEL_VALUE,
    [OWNER_LABELS.workspace]: workspace,
    [PACKAGE_LABELS.project]: project,
    [PACKAGE_LABELS.file]: file,
    [PACKAGE_LABELS.sha256]: sha256,
    [PACKAGE_LABELS.tests]: tests,
  };
}

/** Is an image (by its labels) the one package-image would make now? */
export function isUpToDate(labels: Map<string, string> | undefined, wanted: Record<string, string>): boolean {
  if (!labels) return false;
  return Object.entries(wanted).every(([k, v]) => labels.get(k) === v);
}

/** Is an image (by its labels) one package-image made in this workspace (and for this project, when given)? */
export function isOurPackageImage(
  labels: Map<string, string> | undefined,
  workspace: string,
  project?: string,
): boolean {
  if (!labels) return false;
  if (labels.get(NX_CONDA_LABEL) !== PACKAGE_LABEL_VALUE || labels.get(OWNER_LABELS.workspace) !== workspace)
    return false;
  return project === undefined || labels.get(PACKAGE_LABELS.project) === project;
}

/**
 * Who holds a tag, when it is not an image package-image made in this
 * workspace for this project (undefined: ours, package-image may move it).
 * Said from the holder's labels only; its own text is never quoted.
 */
export function foreignHolder(
  labels: Map<string, string> | undefined,
  workspace: string,
  project: string,
): string | undefined {
  if (isOurPackageImage(labels, workspace, project)) return undefined;
  if (isOurPackageImage(labels, workspace)) return 'an image package-image made here for another project';
  if (labels?.get(NX_CONDA_LABEL) === PACKAGE_LABEL_VALUE) return 'an image package-image made in another workspace';
  if (labels?.has(NX_CONDA_LABEL)) return 'an nx-conda image that is not a package image';
  return 'an image nx-conda did not make (no nx-conda labels)';
}

/**
 * Package files that would share one tag: `name-1.0-0.conda` and
 * `name-1.0-0.tar.bz2` of one build (or the same file name in two subdirs)
 * both name `<namespace>/name:1.0--0`. One tag per package file: each group
 * of two or more is returned, for an error that names them.
 */
export function sharedTags(images: PackageImage[]): PackageImage[][] {
  const byTag = new Map<string, PackageImage[]>();
  for (const image of images) byTag.set(image.tag, [...(byTag.get(image.tag) ?? []), image]);
  return [...byTag.values()].filter((group) => group.length > 1);
}

/** The temporary name of an image until its tests pass. */
export function untestedTag(name: string, sha256: string): string {
  return `${UNTESTED_REPOSITORY}/${name}:${sha256.slice(0, 16)}`;
}
export const UNTESTED_REPOSITORY = 'nx-conda-untested';

/**
 * Label and tag form: is `ref` a name package-image gave an image (by its
 * labels) in this workspace? `[registry/]<namespace>/<name>:<version>--<build>`
 * (with `-<arch>` for another architecture's image) of the package file its label names, or the temporary untested name. An
 * image built FROM one of ours inherits our labels but not this name.
 */
export function isOurPackageRef(
  ref: string,
  labels: Map<string, string> | undefined,
  workspace: string,
  project?: string,
): boolean {
  if (!labels || !isOurPackageImage(labels, workspace, project)) return false;
  let spec: PackageSpec;
  try {
    spec = packageSpecOfFile(labels.get(PACKAGE_LABELS.file) ?? '');
  } catch {
    return false;
  }
  const sha = labels.get(PACKAGE_LABELS.sha256) ?? '';
  const tag = `/${spec.name}:${spec.version}--${spec.build}`;
  // Another architecture's image carries `-<arch>` (manifest-plan.ts archTag).
  const arch = ref.includes(`${tag}-`) ? ref.slice(ref.lastIndexOf(`${tag}-`) + tag.length + 1) : '';
  return (
    ref.endsWith(tag) ||
    (ENGINE_ARCHES.includes(arch) && ref.endsWith(`${tag}-${arch}`)) ||
    (sha !== '' && ref === untestedTag(spec.name, sha))
  );
}

/** The conda match spec of exactly this package file. */
export function exactSpec(p: PackageSpec): string {
  return `${p.name}==${p.version}=${p.build}`;
}

/**
 * A two-stage Dockerfile: the installer image's conda solves and installs
 * the package at /usr/local (offline from the copied channel, then the
 * upstream channels), then only /usr/local is copied onto the base image.
 * Exec-form RUN: no shell ever sees a name from a package.
 */
export function renderDockerfile(o: {
  installerImage: string;
  baseImage: string;
  spec: PackageSpec;
  channels: string[];
  /** installStageLabel(...): the install stage carries it, the final image does not. */
  stageLabel?: string;
  /** The final image's labels (packageLabels), written as one LABEL instruction. */
  labels?: Record<string, string>;
}): string {
  const create = [
    'conda',
    'create',
    '--yes',
    '--quiet',
    '--prefix',
    PREFIX,
    '--override-channels',
    '--channel',
    `file://${CONTAINER_CHANNEL}`,
    ...o.channels.flatMap((c) => ['--channel', c]),
    exactSpec(o.spec),
  ];
  const stageLabels: Record<string, string> = o.stageLabel ? { [PACKAGE_LABELS.installStage]: o.stageLabel } : {};
  const secrets = channelSecrets(o.channels);
  return [
    `FROM ${o.installerImage} AS install`,
    ...labelInstruction(stageLabels),
    `COPY channel ${CONTAINER_CHANNEL}`,
    // The package cache stays in the install stage, never in the final image; set for this step
    // only, as one more instruction (ENV) costs docker's legacy builder a container.
    `RUN ${JSON.stringify(['env', 'CONDA_PKGS_DIRS=/tmp/nx-conda-pkgs', ...create])}`,
    // conda keeps the command line (conda-meta/history) and each package's URL (conda-meta/*.json):
    // a channel's credentials are scrubbed there before /usr/local is copied (this stage's own
    // history, which holds them, is not the final image's).
    ...(secrets.length
      ? [`RUN ${JSON.stringify(['python3', '-c', SCRUB_SCRIPT, `${PREFIX}/conda-meta`, ...secrets])}`]
      : []),
    '',
    `FROM ${o.baseImage}`,
    `COPY --from=install ${PREFIX} ${PREFIX}`,
    ...labelInstruction(o.labels ?? {}),
    '',
  ].join('\n');
}

/** Replaces each secret (argv[2:]) by *** in the regular files of a folder (argv[1]); links are left alone. */
const SCRUB_SCRIPT = [
  'import os, sys',
  'd, secrets = sys.argv[1], [s.encode() for s in sys.argv[2:] if s]',
  'for n in os.listdir(d):',
  '    p = os.path.join(d, n)',
  '    if os.path.islink(p) or not os.path.isfile(p): continue',
  "    b = open(p, 'rb').read()",
  '    c = b',
  "    for s in secrets: c = c.replace(s, b'***')",
  "    if c != b: open(p, 'wb').write(c)",
].join('\n');

/**
 * The credentials in channel URLs, in the forms conda may write them: the
 * userinfo (`user:password`, raw and percent-decoded), the password alone
 * and a conda token (`/t/<token>/`). Short values (under 4 characters) are
 * left: they would mask ordinary text.
 */
export function channelSecrets(channels: string[]): string[] {
  const found = new Set<string>();
  for (const channel of channels) {
    const userinfo = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)@/.exec(channel)?.[1];
    if (userinfo) {
      const colon = userinfo.indexOf(':');
      for (const v of [userinfo, colon >= 0 ? userinfo.slice(colon + 1) : userinfo]) {
        found.add(v);
        try {
          found.add(decodeURIComponent(v));
        } catch {
          // not percent-encoded
        }
      }
    }
    for (const m of channel.matchAll(/\/t\/([^/\s]+)/g)) found.add(m[1]);
  }
  return [...found].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * All labels in one LABEL instruction, not `build --label`: docker's legacy
 * builder turns each --label into a step of its own, with a container each
 * (about 0.1 s apiece). Values are quoted for the Dockerfile: `\` and `"`
 * escaped as in JSON, `$` escaped so that nothing is substituted.
 */
export function labelInstruction(labels: Record<string, string>): string[] {
  const pairs = Object.entries(labels).map(([k, v]) => `${dockerfileString(k)}=${dockerfileString(v)}`);
  return pairs.length ? [`LABEL ${pairs.join(' ')}`] : [];
}

function dockerfileString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new Error(`a label holds a control character: ${JSON.stringify(value)}`);
  return JSON.stringify(value).replace(/\$/g, '\\$');
}
