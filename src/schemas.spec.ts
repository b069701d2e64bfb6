/**
 * Every executor and generator schema: one `$schema` form, a description and
 * a type for every option, a default only where there is one (never `""`
 * standing for "unset"), the options users set most marked important, and
 * the defaults the code reads equal to the shared constants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_BASE_IMAGE,
  DEFAULT_BUILDER_IMAGE_NAME,
  DEFAULT_IMAGE_NAMESPACE,
  DEFAULT_PLATFORM,
  DEFAULT_CHANNEL_PATH,
  DEFAULT_TARGETS,
  DOCKER_IMAGE_DEFAULTS,
  EXECUTORS,
  PLUGIN_NAME,
  ENGINES,
  STAGING_FOLDER,
} from './core/defaults';
import { BUILDERS, FORMATS } from './core/formats';
import { withSchemaDefaults } from './core/schema-defaults';

const repo = join(__dirname, '..');
const readJson = (path: string) => JSON.parse(readFileSync(join(repo, path), 'utf8'));
/** The schema files as the manifests name them (lib/ is where the build copies src/). */
const schemaFiles = (manifest: string, key: string): [string, string][] =>
  Object.entries<{ schema: string }>(readJson(manifest)[key]).map(([name, entry]) => [
    name,
    entry.schema.replace(/^\.\/lib\//, 'src/'),
  ]);
const executors = schemaFiles('executors.json', 'executors');
const generators = schemaFiles('generators.json', 'generators');

describe.each([...executors, ...generators])('%s schema (%s)', (_name, file) => {
  const schema = readJson(file);
  const properties = Object.entries<Record<string, unknown>>(schema.properties);

  it('uses the one $schema form and allows no unknown option', () => {
    expect(schema.$schema).toBe('https://json-schema.org/schema');
    expect(schema.additionalProperties).toBe(false);
  });

  it('gives every option a description and a type', () => {
    for (const [name, property] of properties) {
      expect([name, typeof property.description, (property.description as string).length > 10]).toEqual([
        name,
        'string',
        true,
      ]);
      expect([name, typeof property.type]).toEqual([name, 'string']);
    }
  });

  it('has no "" default standing for "unset", and defaults of the option type', () => {
    for (const [name, property] of properties) {
      if (!('default' in property)) continue;
      expect([name, property.default]).not.toEqual([name, '']);
      const type = Array.isArray(property.default)
        ? 'array'
        : property.default === null
          ? 'null'
          : typeof property.default;
      const expected = property.type === 'integer' ? 'number' : property.type;
      expect([name, type]).toEqual([name, expected]);
      if (property.enum) expect(property.enum).toContain(property.default);
    }
  });

  it('marks the options users set most as important', () => {
    expect(properties.filter(([, p]) => p['x-priority'] === 'important').length).toBeGreaterThan(0);
  });
});

describe.each(executors)('%s executor schema', (_name, file) => {
  it('is version 2', () => expect(readJson(file).version).toBe(2));
});

describe('the defaults of core/defaults.ts are those of the schemas', () => {
  it('gives the shared constants the schema defaults', () => {
    const dockerImage = readJson('src/executors/docker-image/schema.json').properties;
    const recipeBuild = readJson('src/executors/recipe-build/schema.json').properties;
    const purgeImage = readJson('src/executors/purge-image/schema.json').properties;
    expect(dockerImage.baseImage.default).toBe(DEFAULT_BASE_IMAGE);
    expect(dockerImage.baseImage.default).toBe('bioconda/bioconda-utils-build-env-cos7:latest');
    expect(dockerImage.imageName.default).toBe(DEFAULT_BUILDER_IMAGE_NAME);
    const dockerImageDefaults = Object.fromEntries(
      Object.entries<Record<string, unknown>>(dockerImage)
        .filter(([, property]) => 'default' in property)
        .map(([name, property]) => [name, property.default]),
    );
    expect(DOCKER_IMAGE_DEFAULTS).toEqual(dockerImageDefaults);
    expect(purgeImage.namespace.default).toBe(DEFAULT_IMAGE_NAMESPACE);
    expect(recipeBuild.platform.default).toBe(DEFAULT_PLATFORM);
    expect(recipeBuild.imageTarget.default).toBe(DEFAULT_TARGETS.dockerImage);
    expect(purgeImage.imageTarget.default).toBe(DEFAULT_TARGETS.dockerImage);
    expect(recipeBuild.stagingRoot.default).toBe(`${STAGING_FOLDER}/staging`);
    expect(readJson('src/executors/channel/schema.json').properties.outputPath.default).toBe(DEFAULT_CHANNEL_PATH);
    expect(readJson('src/executors/publish/schema.json').properties.channelPath.default).toBe(DEFAULT_CHANNEL_PATH);
    for (const schema of [dockerImage, recipeBuild, purgeImage]) expect(schema.engine.enum).toEqual([...ENGINES]);
    expect(recipeBuild.builder.enum).toEqual([...BUILDERS]);
    expect(readJson('src/generators/init/schema.json').properties.builder.enum).toEqual([...BUILDERS]);
    expect([...readJson('src/generators/recipe/schema.json').properties.format.enum].sort()).toEqual(
      [...FORMATS].sort(),
    );
  });

  it('names the executors as executors.json does', () => {
    expect(readJson('package.json').name).toBe(PLUGIN_NAME);
    const listed = Object.keys(readJson('executors.json').executors).map((name) => `${PLUGIN_NAME}:${name}`);
    for (const executor of Object.values(EXECUTORS)) expect(listed).toContain(executor);
  });

  it('fills in what the options leave out, and nothing they set', () => {
    const schema = { properties: { a: { default: [] as string[] }, b: { default: 'x' }, c: {} } };
    const filled = withSchemaDefaults(schema, { b: 'given' } as { a?: string[]; b?: string; c?: string });
    expect(filled).toEqual({ a: [], b: 'given' });
    filled.a.push('changed');
    expect(schema.properties.a.default).toEqual([]);
  });
});
