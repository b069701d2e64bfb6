/**
 * Pure parts of package-image on several platforms: the local tag of each
 * platform's image, which images share one multi-architecture tag (a
 * manifest list), and reading a manifest list the registry answered (data,
 * validated, never trusted). Nothing here touches the engine.
 */
import { UserError } from '../core/errors';
import { engineArch } from '../container/platform';
import type { PackageImage } from './package-plan';

/** A tag a platform suffix would make too long, or a manifest the registry answered that is not one. */
export class ManifestPlanError extends UserError {}

/** The longest tag an engine takes (the part after `:`). */
const MAX_TAG = 128;

/**
 * The local tag of the image of `platform`: the primary platform's image
 * keeps the plain `<namespace>/<name>:<version>--<build>`; another
 * platform's gets its architecture as a suffix (`-arm64`, as Galaxy's mulled
 * names BioContainers' arm64 images), so that both live side by side (the
 * engine keeps one image per tag).
 */
export function platformTag(tag: string, platform: string, primary: string): string {
  return platform === primary ? tag : archTag(tag, platform);
}

/** `<tag>-<arch>` (`-amd64`, `-arm64`): the tag of one architecture's image under a multi-architecture tag. */
export function archTag(tag: string, platform: string): string {
  const colon = tag.lastIndexOf(':');
  const suffixed = `${tag}-${engineArch(platform)}`;
  if (suffixed.length - colon - 1 > MAX_TAG)
    throw new ManifestPlanError(
      `the tag ${tag} with the architecture suffix of ${platform} is longer than ${MAX_TAG} characters; its ${platform} image cannot be named after it.`,
    );
  return suffixed;
}

/** A package image of one platform (its tag is platformTag's). */
export interface PlatformImage extends PackageImage {
  /** The conda platform it was built for (its package's subdir, or the primary platform for noarch). */
  platform: string;
  /** `<namespace>/<name>:<version>--<build>` of its own package file. */
  plainTag: string;
}

/** The images of one package on several platforms, pushed under one tag as a manifest list. */
export interface ManifestGroup {
  /** The list's tag (without registry): the primary platform's image's plain tag, else the first image's. */
  tag: string;
  /** One per platform, in the order of the platforms. */
  images: PlatformImage[];
}

/**
 * conda's build string without its hash (`py38h1e95790_1` -> `py38_1`): a
 * compiled package's hash differs between platforms (bioconda's bwa-mem2
 * 2.2.1 is `he70b90d_8` on linux-64 and `h1e84f2d_8` on linux-aarch64), and
 * it is still the same package on both.
 */
export function buildWithoutHash(build: string): string {
  return build.replace(/h[0-9a-f]{7}(_[0-9]+)$/, '$1');
}

/**
 * The packages pushed as a manifest list: the images of one name, version
 * and build (up to the hash) on several platforms, one each, at least one of
 * another platform than the primary one. The list is named after the primary
 * platform's image (the tag users of a linux-64 image already pull). Images
 * that are not in such a group (a noarch output, a package the primary
 * platform alone has) are pushed as before, without a list; so are those
 * of a group holding two images of one platform (`ambiguous`: no list can
 * choose between them).
 */
export function manifestGroups(
  images: PlatformImage[],
  platforms: string[],
): { groups: ManifestGroup[]; ambiguous: PlatformImage[][] } {
  const primary = platforms[0];
  const byPackage = new Map<string, PlatformImage[]>();
  for (const image of images) {
    const key = `${image.name}\0${image.version}\0${buildWithoutHash(image.build)}`;
    byPackage.set(key, [...(byPackage.get(key) ?? []), image]);
  }
  const order = (i: PlatformImage) => platforms.indexOf(i.platform);
  const groups: ManifestGroup[] = [];
  const ambiguous: PlatformImage[][] = [];
  for (const group of byPackage.values()) {
    if (!group.some((i) => i.platform !== primary)) continue;
    if (new Set(group.map((i) => i.platform)).size !== group.length) {
      ambiguous.push(group);
      continue;
    }
    const sorted = [...group].sort((a, b) => order(a) - order(b));
    groups.push({ tag: sorted[0].plainTag, images: sorted });
  }
  return { groups, ambiguous };
}

/** One entry of a manifest list, as the registry holds it. */
export interface ManifestEntry {
  digest: string;
  /** `os/arch[/variant]`, as the engine's `--platform` names it. */
  platform: string;
}

/** What a registry holds under a tag: a manifest list (its entries) or one image's manifest. */
export type RegistryManifest = { kind: 'list'; entries: ManifestEntry[] } | { kind: 'image' };

const LIST_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
]);
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const PLATFORM_PART = /^[a-z0-9_]{1,32}$/;
/** A manifest list of a few platforms is a few KB; a larger answer is not one of ours. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/**
 * Reads what `docker manifest inspect` printed: a list's entries (digest and
 * `os/arch[/variant]`, each checked) or `image` for a single manifest. Throws
 * ManifestPlanError on anything else: the answer is data from a registry.
 */
export function parseRegistryManifest(text: string, ref: string): RegistryManifest {
  const bad = (why: string) =>
    new ManifestPlanError(`the registry's answer for ${ref} is not a manifest or manifest list: ${why}`);
  if (text.length > MAX_MANIFEST_BYTES) throw bad(`larger than ${MAX_MANIFEST_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad('not a JSON object');
  const o = parsed as Record<string, unknown>;
  const manifests = o.manifests;
  if (manifests === undefined) {
    if (o.schemaVersion !== undefined || o.config !== undefined || o.layers !== undefined) return { kind: 'image' };
    throw bad('no schemaVersion, config or manifests');
  }
  if (typeof o.mediaType === 'string' && !LIST_TYPES.has(o.mediaType)) throw bad('a list of an unknown media type');
  if (!Array.isArray(manifests) || manifests.length > 64) throw bad('manifests is not a list of at most 64 entries');
  const entries = manifests.map((m, i): ManifestEntry => {
    const e = (m ?? {}) as Record<string, unknown>;
    const p = (e.platform ?? {}) as Record<string, unknown>;
    if (typeof e.digest !== 'string' || !DIGEST.test(e.digest)) throw bad(`entry ${i} has no sha256 digest`);
    const parts = [p.os, p.architecture, ...(p.variant === undefined || p.variant === '' ? [] : [p.variant])];
    if (!parts.every((x) => typeof x === 'string' && PLATFORM_PART.test(x))) throw bad(`entry ${i} has no os/arch`);
    return { digest: e.digest, platform: parts.join('/') };
  });
  return { kind: 'list', entries };
}

/** The same entries (digest and platform), in any order. */
export function sameEntries(a: ManifestEntry[], b: ManifestEntry[]): boolean {
  const key = (e: ManifestEntry) => `${e.digest} ${e.platform}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/** `linux/arm64/v8` and `linux/arm64` are one platform here (docker fills the variant in for arm64). */
export function samePlatform(a: string, b: string): boolean {
  const base = (p: string) => p.split('/').slice(0, 2).join('/');
  return base(a) === base(b);
}
