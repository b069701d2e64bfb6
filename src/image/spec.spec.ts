import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BASE_IMAGE, DEFAULT_BUILDER_IMAGE_NAME } from '../core/defaults';
import {
  DEFAULT_DOCKERFILE_TEMPLATE,
  findProxySettings,
  proxyBuildArgs,
  resolveBuilderImage,
  resolveImageOptions,
} from './spec';
import { renderTemplate } from '../text/template';

const root = mkdtempSync(join(tmpdir(), 'nx-conda-spec-'));
writeFileSync(join(root, 'Dockerfile.tpl'), 'FROM {{baseImage}}\n{{proxyEnv}}\nRUN echo hi\n{{labels}}\n');
writeFileSync(join(root, 'reqs.txt'), 'samtools>=1.9\n');
writeFileSync(join(root, 'reqs2.txt'), 'samtools>=1.10\n');
writeFileSync(join(root, 'bad.tpl'), 'FROM {{baseImage}}\nRUN {{nope}} {{alsoNope}}\nRUN x --format "{{.Id}}"\n');

describe('resolveBuilderImage', () => {
  it('renders the default template over the default base image', () => {
    const r = resolveBuilderImage({}, root, {});
    expect(r.tag).toMatch(new RegExp(`^${DEFAULT_BUILDER_IMAGE_NAME}:[0-9a-f]{12}$`));
    expect(r.dockerfile).toBe(
      `# nx-conda builder image (default template)\nFROM ${DEFAULT_BASE_IMAGE}\nLABEL nx-conda="builder"\n`,
    );
    expect(r.contextFiles).toEqual({});
  });

  it('is deterministic and changes with every input that goes into the image', () => {
    const tag = (o: object, env: NodeJS.ProcessEnv = {}) => resolveBuilderImage(o, root, env).tag;
    const base = tag({});
    expect(tag({})).toBe(base);
    expect(tag({ force: true, verbose: true, network: 'host', engine: 'podman' })).toBe(base);
    const variants = [
      tag({ baseImage: 'local/base:1' }),
      tag({ packages: ['samtools'] }),
      tag({ requirementsFile: 'reqs.txt' }),
      tag({ requirementsFile: 'reqs2.txt' }),
      tag({ buildArgs: { A: '1' } }),
      tag({ buildArgs: { A: '2' } }),
      tag({ dockerfileTemplate: 'Dockerfile.tpl' }),
    ];
    // Proxies are not stored in the image (predefined build args), so they do not change it.
    expect(tag({}, { http_proxy: 'http://proxy:3128' })).toBe(base);
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(tag({ buildArgs: { A: '1', B: '2' } })).toBe(tag({ buildArgs: { B: '2', A: '1' } }));
    expect(tag({ imageName: 'my/builder' })).toBe(`my/builder:${base.split(':')[1]}`);
  });

  it('installs nothing for a requirements file of comments only', () => {
    writeFileSync(join(root, 'comments.txt'), '# extra conda packages, one per line\n\n   # none yet\n');
    const r = resolveBuilderImage({ requirementsFile: 'comments.txt' }, root, {});
    expect(r.contextFiles).toEqual({});
    expect(r.dockerfile).not.toContain('conda install');
  });

  it('installs packages and a requirements file', () => {
    const r = resolveBuilderImage({ packages: ['samtools>=1.9', 'pysam'], requirementsFile: 'reqs.txt' }, root, {});
    expect(r.contextFiles).toEqual({ 'requirements.txt': 'samtools>=1.9\n' });
    expect(r.dockerfile).toContain(
      'COPY requirements.txt /tmp/nx-conda-requirements.txt\nRUN conda install -y --file /tmp/nx-conda-requirements.txt\n' +
        "RUN conda install -y 'samtools>=1.9' pysam\n",
    );
  });

  it('never writes proxy settings into the Dockerfile (issue 9: they are predefined build args)', () => {
    const r = resolveBuilderImage({ dockerfileTemplate: 'Dockerfile.tpl', baseImage: 'b:1' }, root, {
      HTTPS_PROXY: 'http://u:p@proxy:3128',
      https_proxy: 'http://u:p@proxy:3128',
      no_proxy: 'localhost,.lan',
    });
    expect(r.dockerfile).toBe('FROM b:1\nRUN echo hi\nLABEL nx-conda="builder"\n');
  });

  it('reports unknown placeholders, missing files and bad options clearly', () => {
    expect(() => resolveBuilderImage({ dockerfileTemplate: 'bad.tpl' }, root, {})).toThrow(
      /dockerfileTemplate 'bad.tpl':2: unknown placeholder \{\{nope\}\}; dockerfileTemplate 'bad.tpl':2: unknown placeholder \{\{alsoNope\}\}\. Known placeholders: \{\{baseImage\}\}/,
    );
    expect(() => resolveBuilderImage({ dockerfileTemplate: 'missing.tpl' }, root, {})).toThrow(
      /dockerfileTemplate 'missing.tpl' cannot be read \(ENOENT\)/,
    );
    expect(() => resolveBuilderImage({ requirementsFile: 'nope.txt' }, root, {})).toThrow(
      /requirementsFile 'nope.txt'/,
    );
    expect(() => resolveImageOptions({ imageName: 'My/Builder' })).toThrow(/imageName 'My\/Builder'/);
    expect(() => resolveImageOptions({ imageName: 'a/b:tag' })).toThrow(/no tag/);
    expect(() => resolveImageOptions({ packages: ['a b'] })).toThrow(/package 'a b'/);
    expect(() => resolveImageOptions({ network: 'bridge' as never })).toThrow(/network 'bridge'/);
    expect(() => resolveImageOptions({ engine: 'lxc' as never })).toThrow(/engine 'lxc'/);
    expect(() => resolveImageOptions({ buildArgs: { 'A-B': 'x' } })).toThrow(/'A-B'/);
  });
});

describe('proxy settings', () => {
  it('takes either case, accepts equal values, rejects different ones naming both', () => {
    expect.assertions(4);
    expect(findProxySettings({ HTTP_PROXY: 'http://p:1' })).toEqual({ http_proxy: 'http://p:1' });
    expect(findProxySettings({ http_proxy: 'http://p:1', HTTP_PROXY: 'http://p:1', https_proxy: '' })).toEqual({
      http_proxy: 'http://p:1',
    });
    expect(() => findProxySettings({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:1' })).toThrow(
      'https_proxy and HTTPS_PROXY are both set, to different values: unset one or make them equal',
    );
    try {
      findProxySettings({ http_proxy: 'http://u:secret@a', HTTP_PROXY: 'http://b' });
    } catch (e) {
      expect(String(e)).not.toContain('secret');
    }
  });

  it('passes proxies as build args in both cases', () => {
    expect(proxyBuildArgs({ http_proxy: 'http://u:p@h:1', no_proxy: 'lan' })).toEqual({
      http_proxy: 'http://u:p@h:1',
      HTTP_PROXY: 'http://u:p@h:1',
      no_proxy: 'lan',
      NO_PROXY: 'lan',
    });
  });
});

describe('renderTemplate', () => {
  it('drops lines that only hold an empty placeholder, keeps engine format strings', () => {
    expect(
      renderTemplate('A {{x}}\n{{y}}\n  {{ y }}  \nB {{y}}.\nC {{.Id}}', { x: '1', y: '' }, 't', {
        dropEmptyPlaceholderLines: true,
      }),
    ).toBe('A 1\nB .\nC {{.Id}}');
    expect(DEFAULT_DOCKERFILE_TEMPLATE).toContain('{{installPackages}}');
  });
});
