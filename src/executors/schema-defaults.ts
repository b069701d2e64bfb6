/**
 * Executor option defaults live in one place: each executor's schema.json.
 * Nx applies them to the options of a task it runs; the code reads them from
 * the same file for options that reach it any other way (the project graph,
 * another executor, a test), so no default is written twice.
 */

/** The part of a schema.json the code reads. */
export interface SchemaJson {
  properties: Record<string, object>;
}

/** The default of `option` in `schema` (a copy: callers may change it). */
export function schemaDefault<T = unknown>(schema: SchemaJson, option: string): T {
  const property = schema.properties[option] as { default?: unknown } | undefined;
  if (!property || !('default' in property)) throw new Error(`schema has no default for ${option}`);
  return structuredClone(property.default) as T;
}

/** The options a schema gives a default. */
type DefaultedKeys<S extends SchemaJson> = {
  [K in keyof S['properties']]: S['properties'][K] extends { default: unknown } ? K : never;
}[keyof S['properties']];

/** Options of type T after withSchemaDefaults: those with a schema default are set. */
export type Defaulted<T, S extends SchemaJson> = T & Required<Pick<T, Extract<DefaultedKeys<S>, keyof T>>>;

/** `options` with every option it leaves undefined set to its schema default. */
export function withSchemaDefaults<T extends object, S extends SchemaJson>(
  schema: S,
  options: T | undefined,
): Defaulted<T, S> {
  const out: Record<string, unknown> = { ...(options ?? {}) };
  for (const [name, property] of Object.entries(schema.properties)) {
    if (out[name] === undefined && 'default' in property)
      out[name] = structuredClone((property as { default: unknown }).default);
  }
  return out as Defaulted<T, S>;
}
