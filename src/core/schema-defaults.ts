/**
 * Executor and generator option defaults live in each one's schema.json.
 * Nx applies them to the options of a task it runs; an executor or generator
 * reads them from its own schema.json for options that reach it any other way
 * (the project graph, another executor, a test). Code below the executors
 * takes the defaults it needs from core/defaults.ts instead (pinned to the
 * schemas by src/schemas.spec.ts).
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
  const defaults: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    if ('default' in property) defaults[name] = (property as { default: unknown }).default;
  }
  return withDefaults(defaults, options) as Defaulted<T, S>;
}

/** `options` with every option it leaves undefined set to (a copy of) its value in `defaults`. */
export function withDefaults<T extends object, D extends object>(defaults: D, options: T | undefined): T & D {
  const out: Record<string, unknown> = { ...(options ?? {}) };
  for (const [name, value] of Object.entries(defaults)) {
    if (out[name] === undefined) out[name] = structuredClone(value);
  }
  return out as T & D;
}
