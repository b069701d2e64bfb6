import { schemaDefault, withSchemaDefaults, type Defaulted } from '../../../core/schema-defaults';
import schemaJson from '../schema.json';
import type { RecipeBuildExecutorSchema } from '../schema';

/** recipe-build's options with every schema default applied. */
export type RecipeBuildOptions = Defaulted<RecipeBuildExecutorSchema, typeof schemaJson>;

export function withRecipeBuildDefaults(given: RecipeBuildExecutorSchema): RecipeBuildOptions {
  return withSchemaDefaults(schemaJson, given);
}

/** `value`, or the schema's default where '' makes no sense (an empty platform, container path, ...). */
export function orDefault(value: string | undefined, option: keyof RecipeBuildExecutorSchema): string {
  return value || schemaDefault<string>(schemaJson, option);
}
