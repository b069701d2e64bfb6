import type { EngineName } from '../../core/defaults';
import type { Builder } from '../../core/formats';

export interface InitGeneratorSchema {
  /** Base image of the builder image; default DEFAULT_BASE_IMAGE. */
  baseImage?: string;
  /** The platforms the workspace builds (plugin option `platforms`): a list, or comma-separated. */
  platforms?: string[] | string;
  /** Sets the recipe generator's default format; default 'conda-build'. */
  builder?: Builder;
  /** Container engine; default 'docker'. */
  engine?: EngineName;
  /** Root of the builder-image project; default 'tools/builder-image'. */
  directory?: string;
  skipFormat?: boolean;
  /** Register the inference plugin (default: unless NX_ADD_PLUGINS=false or nx.json useInferencePlugins: false); false writes explicit targets. */
  addPlugin?: boolean;
}
