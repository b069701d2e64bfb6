/**
 * YAML as conda-build loads it: numbers stay strings (`1.10` is not `1.1`),
 * duplicate keys do not throw (the last one wins, as in PyYAML).
 */
import { parseDocument, type Tags } from 'yaml';
import { RecipeReadError } from './errors';
import { loadYamlFast } from './yaml-fast';

export class YamlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const INT_OR_FLOAT = /^tag:yaml\.org,2002:(int|float)$/;

const customTags = (tags: Tags): Tags => tags.filter((t) => !(typeof t === 'object' && INT_OR_FLOAT.test(t.tag)));

/**
 * Most recipes are plain block YAML that loadYamlFast reads about ten times
 * faster; anything else (and every error, with its line) goes to `yaml`.
 */
export function loadYaml(text: string): unknown {
  const fast = loadYamlFast(text);
  if (fast !== undefined) return fast;
  return loadYamlFull(text);
}

/** The `yaml` package's reading, the reference for loadYamlFast. */
export function loadYamlFull(text: string): unknown {
  const doc = parseDocument(text, {
    uniqueKeys: false,
    customTags,
    prettyErrors: true,
    strict: false,
    logLevel: 'error',
  });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new YamlError(e.message.split('\n')[0], line);
  }
  return doc.toJS({ maxAliasCount: -1 });
}

/** A recipe file's YAML: its mapping, or a RecipeReadError naming the file and line. */
export function loadRecipeYaml(file: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (e) {
    const ye = e instanceof YamlError ? e : new YamlError(String(e));
    throw new RecipeReadError(file, `YAML: ${ye.message}`, ye.line);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new RecipeReadError(file, 'the recipe is not a YAML mapping');
  return doc as Record<string, unknown>;
}
