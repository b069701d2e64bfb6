import type { EngineName } from '../../core/defaults';

export interface PurgeImageExecutorSchema {
  /** Image references to remove as given. */
  images?: string[];
  /** Package specs `name=version--build`: removes `<namespace>/<name>:<version>--<build>` if package-image made it in this workspace. */
  packages?: string[];
  /** Package names: removes every tag of `<namespace>/<name>` that package-image made in this workspace. */
  names?: string[];
  /** Remove every image package-image made in this workspace. */
  packageImages?: boolean;
  /** Remove the images package-image made for this project in this workspace. */
  packageProject?: string;
  /** Namespace of per-package images. Default: DEFAULT_IMAGE_NAMESPACE. */
  namespace?: string;
  /** Remove every image labelled nx-conda=builder. */
  builderImages?: boolean;
  /** Project whose docker-image target's builder image (its hash tag) is removed. */
  imageProject?: string;
  /** That target's name. Default: docker-image. */
  imageTarget?: string;
  /** Also remove every container of this workspace (label nx-conda.workspace), running or not, and the folders of those whose run has ended. */
  containers?: boolean;
  engine?: EngineName;
  /** `image rm --force` (removes images used by stopped containers or with several tags). */
  force?: boolean;
}
