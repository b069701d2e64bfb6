/**
 * Pure parts of package-image on several platforms: the local tag of each
 * platform's image, which images share one multi-architecture tag (a
 * manifest list), and reading a manifest list the registry answered (data,
 * validated, never trusted). Nothing here touches the engine.
 */
import { UserError } from '../core/errors';
import type { PackageImage } from './package-plan';

/** A tag a platform suffix would make too long, or a manifest the registry answered that is not one. */
export class ManifestPlanError extends UserError {}

/** The longest tag an engine takes (the part after `:`). */
const MAX_TAG = 128;

/**
 * The local tag of the image of `platform`: the primary platform's image
 * keeps the plain `<namespace>/<name>:<version>--<build>`; another
 * platform's gets `-<platform>` (as the builder images do), so that both live
 * side by side (the engine keeps one image per tag).
 */
export function platformTag(tag: string, platform: string, primary: string): string {
  return platform === primary ? tag : archTag(tag, platform);
}

/** `<tag>-<platform>`: the tag of one architecture's image under a multi-architecture tag. */
export function archTag(tag: string, platform: string): string {
  const colon = tag.lastIndexOf(':');
  const suffixed = `${tag}-${platform}`;
  if (suffixed.length - colon - 1 > MAX_TAG)
    throw new ManifestPlanError(
      `the tag ${tag} with the platform suffix -${platform} is longer than ${MAX_TAG} characters; an image of ${platform} cannot be named after it.`,
    );
  return suffixed;
}

/** A package image of one platform (its tag is platformTag's). */
export interface PlatformImage extends PackageImage {
  /** The conda platform it was built for (its package's subdir, or the primary platform for noarch). */
  platform: string;
  /** `<namespace>/<name>:<version>--<build>`: the tag of the package on every platform. */
  plainTag: string;
}

/** The images of one package on several platforms, pushed under one tag as a manifest list. */
export interface ManifestGroup {
  /** The plain tag (without registry), the list's name. */
  tag: string;
  /** One per platform, in the order of the platforms. */
  images: PlatformImage[];
}

/**
 * The packages pushed as a manifest list: every plain tag that an image of
 * another platform than the primary one has (with the primary's image of the
 * same tag, when there is one). An image only the primary platform has (a
 * noarch output, a build string of its own) is pushed as before, without a list.
 */
export function manifestGroups(images: PlatformImage[], platforms: string[]): ManifestGroup[] {
  const primary = platforms[0];
  const byTag = new Map<string, PlatformImage[]>();
  for (const image of images) byTag.set(image.plainTag, [...(byTag.get(image.plainTag) ?? []), image]);
  const order = (i: PlatformImage) => platforms.indexOf(i.platform);
  return [...byTag.entries()]
    .filter(([, group]) => group.some((i) => i.platform !== primary))
    .map(([tag, group]) => ({ tag, images: [...group].sort((a, b) => order(a) - order(b)) }));
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
