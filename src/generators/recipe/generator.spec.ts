import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { parse } from 'yaml';
import { readRecipe } from '../../recipes';
import initGenerator from '../init/generator';
import recipeGenerator from './generator';
import type { RecipeGeneratorSchema } from './schema';

/** Just enough Jinja for the generated meta.yaml: the `set` header and `{{ name }}`/`{{ version }}`. */
function renderMeta(text: string): unknown {
  const vars: Record<string, string> = {};
  const body = text.replace(/^\{% set (\w+) = "([^"]*)" %\}\n/gm, (_, key: string, value: string) => {
    vars[key] = value;
    return '';
  });
  return parse(body.replace(/\{\{ (\w+) \}\}/g, (_, key: string) => vars[key]));
}

async function generate(tree: Tree, options: Partial<RecipeGeneratorSchema> & { name: string }) {
  await recipeGenerator(tree, { skipFormat: true, ...options });
}

describe('nx-conda:recipe', () => {
  let tree: Tree;
  beforeEach(async () => {
    tree = createTreeWithEmptyWorkspace();
    await initGenerator(tree, { skipFormat: true });
  });

  it('scaffolds recipes/NAME with a meta.yaml and an executable build.sh by default', async () => {
    await generate(tree, { name: 'foo' });

    expect(tree.read('recipes/foo/meta.yaml', 'utf-8')).toBe(
      [
        '{% set name = "foo" %}',
        '{% set version = "0.1.0" %}',
        '',
        'package:',
        '  name: {{ name }}',
        '  version: {{ version }}',
        '',
        'build:',
        '  number: 0',
        '  noarch: generic',
        '',
        'test:',
        '  commands:',
        '    - test -f $PREFIX/share/foo/README',
        '',
        'about:',
        '  summary: The foo package',
        '  license: MIT',
        '',
      ].join('\n'),
    );
    expect(tree.exists('recipes/foo/recipe.yaml')).toBe(false);

    const buildSh = tree.read('recipes/foo/build.sh', 'utf-8')!;
    expect(buildSh.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(buildSh).toContain('set -euo pipefail');
    expect(buildSh).toContain('mkdir -p "$PREFIX/share/foo"\n');
    expect(buildSh).toContain('echo "foo 0.1.0" > "$PREFIX/share/foo/README"\n');
    const change = tree.listChanges().find((c) => c.path === 'recipes/foo/build.sh');
    expect(change?.options?.mode).toBe('755');
  });

  it('writes a full meta.yaml that reads back as the intended recipe', async () => {
    await generate(tree, {
      name: 'my-tool.x',
      packageVersion: '1.2.3',
      summary: 'A tool: it does # things',
      license: 'BSD-3-Clause',
      sourceUrl: 'https://example.org/my-tool-1.2.3.tar.gz',
      sha256: 'AB'.repeat(32),
      buildNumber: 2,
      noarch: 'none',
      build: 'make',
      host: ' zlib ,, libpng >=1.6,<2 ',
      run: 'zlib, conda-forge::libpng 1.6.*',
      testCommands: 'my-tool --help, test -d "$PREFIX/share, really"',
    });
    expect(renderMeta(tree.read('recipes/my-tool.x/meta.yaml', 'utf-8')!)).toEqual({
      package: { name: 'my-tool.x', version: '1.2.3' },
      source: { url: 'https://example.org/my-tool-1.2.3.tar.gz', sha256: 'ab'.repeat(32) },
      build: { number: 2 },
      requirements: {
        build: ['make'],
        host: ['zlib', 'libpng >=1.6,<2'],
        run: ['zlib', 'conda-forge::libpng 1.6.*'],
      },
      test: { commands: ['my-tool --help', 'test -d "$PREFIX/share, really"'] },
      about: { summary: 'A tool: it does # things', license: 'BSD-3-Clause' },
    });
    // conda-build finds build.sh itself: no script key
    expect(tree.read('recipes/my-tool.x/meta.yaml', 'utf-8')).not.toContain('script');
  });

  it('lists only non-empty requirement sections', async () => {
    await generate(tree, { name: 'foo', run: 'bar' });
    const meta = renderMeta(tree.read('recipes/foo/meta.yaml', 'utf-8')!) as Record<string, unknown>;
    expect(meta['requirements']).toEqual({ run: ['bar'] });
  });

  it('writes a rattler-build v1 recipe.yaml with --format=recipe', async () => {
    await generate(tree, {
      name: 'bar',
      format: 'recipe',
      packageVersion: '2.0',
      sourcePath: 'src',
      host: 'foo',
      run: 'foo >=0.1',
    });
    expect(tree.exists('recipes/bar/meta.yaml')).toBe(false);
    const text = tree.read('recipes/bar/recipe.yaml', 'utf-8')!;
    expect(text).toContain('  name: ${{ name }}\n  version: ${{ version }}\n');
    expect(parse(text)).toEqual({
      schema_version: 1,
      context: { name: 'bar', version: '2.0' },
      package: { name: '${{ name }}', version: '${{ version }}' },
      source: { path: 'src' },
      build: { number: 0, noarch: 'generic', script: 'build.sh' },
      requirements: { host: ['foo'], run: ['foo >=0.1'] },
      tests: [{ script: ['test -f $PREFIX/share/bar/README'] }],
      about: { summary: 'The bar package', license: 'MIT' },
    });
    expect(tree.read('recipes/bar/build.sh', 'utf-8')).toContain('rattler-build');
  });

  it('takes the default format from the generator defaults init writes', async () => {
    await initGenerator(tree, { skipFormat: true, builder: 'rattler-build' });
    await generate(tree, { name: 'baz' });
    expect(tree.exists('recipes/baz/recipe.yaml')).toBe(true);
    await generate(tree, { name: 'qux', format: 'meta' });
    expect(tree.exists('recipes/qux/meta.yaml')).toBe(true);
  });

  it('reads the nested form of generator defaults too', async () => {
    const nxJson = readNxJson(tree)!;
    nxJson.generators = { 'nx-conda': { recipe: { format: 'recipe' } } };
    updateNxJson(tree, nxJson);
    await generate(tree, { name: 'baz' });
    expect(tree.exists('recipes/baz/recipe.yaml')).toBe(true);
  });

  it('--noarch python adds python to host and run unless listed', async () => {
    await generate(tree, { name: 'py-one', noarch: 'python', run: 'python >=3.8' });
    expect(renderMeta(tree.read('recipes/py-one/meta.yaml', 'utf-8')!)).toMatchObject({
      build: { noarch: 'python' },
      requirements: { host: ['python'], run: ['python >=3.8'] },
    });
  });

  it('--noarch none makes a platform-specific recipe', async () => {
    await generate(tree, { name: 'native', noarch: 'none', format: 'recipe' });
    expect(parse(tree.read('recipes/native/recipe.yaml', 'utf-8')!).build).toEqual({ number: 0, script: 'build.sh' });
  });

  it('--directory places the recipe elsewhere', async () => {
    await generate(tree, { name: 'foo', directory: 'conda/foo-recipe/' });
    expect(tree.exists('conda/foo-recipe/meta.yaml')).toBe(true);
    expect(tree.exists('conda/foo-recipe/build.sh')).toBe(true);
    expect(tree.exists('recipes/foo')).toBe(false);
  });

  it('accepts lists from repeated flags', async () => {
    await generate(tree, { name: 'foo', run: ['a', 'b, c'], testCommands: ['true'] });
    expect(renderMeta(tree.read('recipes/foo/meta.yaml', 'utf-8')!)).toMatchObject({
      requirements: { run: ['a', 'b', 'c'] },
      test: { commands: ['true'] },
    });
  });

  it('keeps Jinja requirements for the builder', async () => {
    await generate(tree, { name: 'foo', noarch: 'none', build: "{{ compiler('c') }}" });
    expect(
      renderMeta(tree.read('recipes/foo/meta.yaml', 'utf-8')!.replace("{{ compiler('c') }}", 'gcc')),
    ).toMatchObject({
      requirements: { build: ['gcc'] },
    });
  });

  it.each(['Foo', 'my pkg', '-foo', '.foo', 'foo/bar', 'föo', 'foo@1', ''])(
    'rejects the package name %p, naming the rule',
    async (name) => {
      await expect(generate(tree, { name })).rejects.toThrow(
        /invalid package name .*lower-case letters, digits, "-", "_" and "\.", and starts with a letter, a digit or "_"/,
      );
      expect(tree.listChanges().some((c) => c.path.startsWith('recipes/'))).toBe(false);
    },
  );

  it.each(['meta.yaml', 'recipe.yaml'])('never overwrites an existing recipe (%s)', async (file) => {
    tree.write(`recipes/foo/${file}`, 'original');
    tree.write('recipes/foo/build.sh', 'original build');
    await expect(generate(tree, { name: 'foo' })).rejects.toThrow(/recipes\/foo\/.*already exists/);
    expect(tree.read(`recipes/foo/${file}`, 'utf-8')).toBe('original');
    expect(tree.read('recipes/foo/build.sh', 'utf-8')).toBe('original build');
  });

  it('keeps an existing build.sh (with a warning) when the folder has no recipe yet', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    tree.write('recipes/foo/build.sh', 'mine');
    await generate(tree, { name: 'foo' });
    expect(tree.read('recipes/foo/build.sh', 'utf-8')).toBe('mine');
    expect(tree.exists('recipes/foo/meta.yaml')).toBe(true);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('build.sh already exists'));
    warn.mockRestore();
  });

  it('rejects bad versions, build numbers, sources and match specs', async () => {
    await expect(generate(tree, { name: 'a', packageVersion: '1.0-1' })).rejects.toThrow(/no '-' or spaces/);
    await expect(generate(tree, { name: 'a', buildNumber: -1 })).rejects.toThrow(/--buildNumber/);
    await expect(generate(tree, { name: 'a', sourceUrl: 'https://x/y.tgz', sourcePath: 'src' })).rejects.toThrow(
      /not both/,
    );
    await expect(generate(tree, { name: 'a', sha256: 'ab'.repeat(32) })).rejects.toThrow(/give --sourceUrl too/);
    await expect(generate(tree, { name: 'a', sourceUrl: 'https://x/y.tgz', sha256: 'xyz' })).rejects.toThrow(
      /64 hexadecimal digits/,
    );
    await expect(generate(tree, { name: 'a', host: 'Numpy' })).rejects.toThrow(/invalid match spec 'Numpy' in --host/);
    await expect(generate(tree, { name: 'a', noarch: 'any' as never })).rejects.toThrow(/--noarch must be one of/);
    await expect(generate(tree, { name: 'a', format: 'conda' as never })).rejects.toThrow(/--format must be/);
    await expect(generate(tree, { name: 'a', directory: '../a' })).rejects.toThrow(/inside the workspace/);
    // '../ok/src' from recipes/ok is recipes/ok/src: inside, allowed.
    await generate(tree, { name: 'ok', sourcePath: '../ok/src' });
    for (const sourcePath of ['../../src', '../b/src', '/abs/src', 'src/../../x']) {
      await expect(generate(tree, { name: 'a', sourcePath })).rejects.toThrow(
        'sourcePath must be inside the recipe folder recipes/a: only that folder is mounted in the build container',
      );
    }
  });

  it('warns (without failing) about a URL without checksum', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    await generate(tree, { name: 'foo', sourceUrl: 'https://x/y.tgz' });
    expect(renderMeta(tree.read('recipes/foo/meta.yaml', 'utf-8')!)).toMatchObject({
      source: { url: 'https://x/y.tgz' },
    });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('--sha256'));
    warn.mockRestore();
  });

  it('warns when nx-conda is not registered', async () => {
    const bare = createTreeWithEmptyWorkspace();
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    await generate(bare, { name: 'foo' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('nx add nx-conda'));
    warn.mockRestore();
    expect(bare.exists('recipes/foo/meta.yaml')).toBe(true);
  });

  it('formats by default and still writes an unformatted, Jinja-valid meta.yaml', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await recipeGenerator(tree, { name: 'foo' });
    } finally {
      warn.mockRestore();
    }
    expect(tree.read('recipes/foo/meta.yaml', 'utf-8')!.startsWith('{% set name = "foo" %}\n')).toBe(true);
  });

  it('quotes values YAML would otherwise misread', async () => {
    await generate(tree, { name: 'foo', format: 'recipe', summary: '1.10', license: 'yes', packageVersion: '1.10' });
    const recipe = parse(tree.read('recipes/foo/recipe.yaml', 'utf-8')!);
    expect(recipe.about).toEqual({ summary: '1.10', license: 'yes' });
    expect(recipe.context).toEqual({ name: 'foo', version: '1.10' });
  });

  it.each(['meta', 'recipe'] as const)(
    'writes a %s recipe that nx-conda itself reads (name, version, requirements)',
    async (format) => {
      await generate(tree, {
        name: 'foo',
        format,
        packageVersion: '1.0',
        host: 'zlib',
        run: 'bar >=1,<2',
        noarch: 'python',
      });
      const file = `recipes/foo/${format}.yaml`;
      const info = readRecipe(file, tree.read(file, 'utf-8')!, 'linux-64');
      expect(info).toMatchObject({
        packageName: 'foo',
        version: '1.0',
        names: ['foo'],
        requirements: { build: [], host: ['python', 'zlib'], run: ['bar', 'python'] },
      });
    },
  );
});
