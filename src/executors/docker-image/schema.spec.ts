import { resolveImageOptions } from '../../image';

describe('docker-image schema.json', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const schema = require('./schema.json');
  it('lists every placeholder of the Dockerfile template', () => {
    for (const placeholder of ['baseImage', 'proxyEnv', 'installPackages', 'labels', 'packages', 'requirementsFile']) {
      expect(schema.properties.dockerfileTemplate.description).toContain(`{{${placeholder}}}`);
    }
    expect(resolveImageOptions({ network: '' }).network).toBeUndefined();
  });
});
