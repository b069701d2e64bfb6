import { DEFAULT_BASE_IMAGE, DEFAULT_BUILDER_IMAGE_NAME } from '../../defaults';
import { resolveImageOptions } from '../../image';

describe('schema.json', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const schema = require('./schema.json');
  it('documents every option with a description and a default matching the shared constants', () => {
    expect(schema.version).toBe(2);
    expect(schema.additionalProperties).toBe(false);
    for (const [name, prop] of Object.entries<Record<string, unknown>>(schema.properties)) {
      expect([name, typeof prop.description]).toEqual([name, 'string']);
      expect([name, 'default' in prop]).toEqual([name, true]);
    }
    expect(schema.properties.baseImage.default).toBe(DEFAULT_BASE_IMAGE);
    expect(schema.properties.imageName.default).toBe(DEFAULT_BUILDER_IMAGE_NAME);
    for (const placeholder of ['baseImage', 'proxyEnv', 'installPackages', 'labels', 'packages', 'requirementsFile']) {
      expect(schema.properties.dockerfileTemplate.description).toContain(`{{${placeholder}}}`);
    }
    expect(resolveImageOptions({ network: '' }).network).toBeUndefined();
  });
});
