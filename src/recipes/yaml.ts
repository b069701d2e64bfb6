/**
 * YAML as each builder reads it.
 *
 * - `meta.yaml`: conda-build loads it with PyYAML (YAML 1.1) through a loader
 *   without the int and float resolvers, so `1.10`, `010` and `1.2.3` stay
 *   strings, while `yes`/`no`/`on`/`off`/`true`/`false` are booleans and `~`,
 *   `null` and an empty value are null. Read here with js-yaml, a port of
 *   PyYAML that accepts what PyYAML accepts (quoted scalars continued on lines
 *   left of their key, which real recipes use).
 * - `recipe.yaml`: rattler-build reads YAML 1.2; read here with `yaml`,
 *   numbers kept as strings too.
 *
 * In both, a duplicate key does not fail: the last one wins (PyYAML's rule).
 * Both keep their parser's bounds on hostile input (nesting depth, merge keys,
 * alias expansion): what goes past them is a read error of that recipe.
 */
import * as jsYaml from 'js-yaml';
import { FAILSAFE_SCHEMA, load as loadJsYaml, Type, YAMLException } from 'js-yaml';
import { parseDocument, type Tags } from 'yaml';
import { ParseError, readError, RecipeReadError } from './errors';

/** PyYAML's bool resolver (YAML 1.1, without `y`/`n`, as PyYAML leaves those strings). */
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const pyBool = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string | null) => s !== null && PY_BOOL.test(s),
  construct: (s: string) => PY_TRUE.test(s),
  predicate: (v: unknown) => typeof v === 'boolean',
});

/**
 * conda-build's loader: strings, sequences, mappings, null, PyYAML booleans
 * and merge keys (`<<`). No int or float (numbers stay text). Timestamps
 * stay text too: PyYAML makes a date whose text conda-build uses is the same.
 */
// js-yaml 4 exports its types at run time; @types/js-yaml does not declare them.
const jsYamlTypes = (jsYaml as unknown as { types: Record<'null' | 'merge', Type> }).types;
const CONDA_BUILD_SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [jsYamlTypes.null, pyBool, jsYamlTypes.merge] });

/** js-yaml's bounds, kept explicit: nesting depth and keys copied by `<<` merges. */
const META_YAML_LIMITS = { maxDepth: 100, maxTotalMergeKeys: 10000 };

/** meta.yaml's YAML, read as conda-build reads it (PyYAML, YAML 1.1, numbers as strings). */
export function loadYaml11(text: string): unknown {
  try {
    return loadJsYaml(text, { schema: CONDA_BUILD_SCHEMA, json: true, ...META_YAML_LIMITS } as Parameters<
      typeof loadJsYaml
    >[1]);
  } catch (e) {
    if (e instanceof YAMLException) {
      const mark = (e as YAMLException & { mark?: { line?: number } }).mark;
      throw new ParseError(e.reason ?? e.message.split('\n')[0], mark?.line !== undefined ? mark.line + 1 : undefined);
    }
    throw e;
  }
}

const INT_OR_FLOAT = /^tag:yaml\.org,2002:(int|float)$/;

const customTags = (tags: Tags): Tags => tags.filter((t) => !(typeof t === 'object' && INT_OR_FLOAT.test(t.tag)));

/** recipe.yaml's YAML, read as YAML 1.2 (numbers as strings), with `yaml`'s alias expansion limit. */
export function loadYaml12(text: string): unknown {
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
    throw new ParseError(e.message.split('\n')[0], line);
  }
  try {
    // The default maxAliasCount: a document of aliases of aliases fails here
    // instead of expanding exponentially.
    return doc.toJS();
  } catch (e) {
    throw new ParseError(e instanceof Error ? e.message.split('\n')[0] : String(e));
  }
}

/** The YAML version each recipe format is read with. */
export type YamlDialect = '1.1' | '1.2';

/** A recipe file's YAML: its mapping, or a RecipeReadError naming the file and line. */
export function loadRecipeYaml(file: string, text: string, dialect: YamlDialect): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = dialect === '1.1' ? loadYaml11(text) : loadYaml12(text);
  } catch (e) {
    throw readError(file, 'YAML', e);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new RecipeReadError(file, 'the recipe is not a YAML mapping');
  return doc as Record<string, unknown>;
}
