import { schemaDefault, withSchemaDefaults, type Defaulted } from '../../../core/schema-defaults';
import schemaJson from '../schema.json';
import type { RecipeBuildExecutorSchema } from '../schema';

/**
 * recipe-build's options with every schema default applied, and the
 * settings whose default is the plugin registration's (channels,
 * skipExisting: see resolveOptions) set.
 */
export type RecipeBuildOptions = Defaulted<RecipeBuildExecutorSchema, typeof schemaJson> & {
  channels: string[];
  skipExisting: boolean;
};

/** The settings of recipe-build whose default is the plugin registration's. */
export interface PluginSettings {
  channels?: string[];
  skipExisting?: boolean;
  packageCache?: string | boolean;
  packageCacheMegabytes?: number;
  /** The registration's primary platform (its `platform`): a build for another one leaves noarch/ to it. */
  primaryPlatform?: string;
}

/** `fromPlugin`: the plugin registration's settings, for those the options leave unset. */
export function withRecipeBuildDefaults(
  given: RecipeBuildExecutorSchema,
  fromPlugin: PluginSettings = {},
): RecipeBuildOptions {
  const options = withSchemaDefaults(schemaJson, given);
  return {
    ...options,
    channels: options.channels ?? fromPlugin.channels ?? [],
    skipExisting: options.skipExisting ?? fromPlugin.skipExisting ?? false,
    packageCache: options.packageCache ?? fromPlugin.packageCache,
    packageCacheMegabytes: options.packageCacheMegabytes ?? fromPlugin.packageCacheMegabytes,
  };
}

/** `value`, or the schema's default where '' makes no sense (an empty platform, container path, ...). */
export function orDefault(value: string | undefined, option: keyof RecipeBuildExecutorSchema): string {
  return value || schemaDefault<string>(schemaJson, option);
}
