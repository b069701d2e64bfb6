import { normalizeOptions } from './options';
import { recipeProject } from './targets';

const info = {
  format: 'meta' as const,
  packageName: 'foo',
  names: ['foo'],
  requirements: { build: [], host: [], run: [] },
};

describe('build-recipe cache inputs', () => {
  it('hash every file given by option and what docker-image wrote of the builder image', () => {
    const opts = normalizeOptions({
      imageProject: 'builder-image',
      variantConfigFiles: ['./tools/pins.yaml'],
      exclusiveConfigFiles: ['tools/exclusive.yaml'],
      buildScriptTemplate: 'tools/build.sh.tpl',
    });
    const target = recipeProject('recipes/foo', 'recipes/foo/meta.yaml', 'foo', info, opts).targets!['build-recipe'];
    expect(target.inputs).toEqual(
      expect.arrayContaining([
        '{workspaceRoot}/tools/pins.yaml',
        '{workspaceRoot}/tools/exclusive.yaml',
        '{workspaceRoot}/tools/build.sh.tpl',
        { input: 'default', projects: ['builder-image'] },
        { dependentTasksOutputFiles: '**/nx-conda-image.json' },
      ]),
    );
    expect(target.options).toMatchObject({
      variantConfigFiles: ['tools/pins.yaml'],
      exclusiveConfigFiles: ['tools/exclusive.yaml'],
      buildScriptTemplate: 'tools/build.sh.tpl',
    });
  });

  it('give rattler-build no conda-build-only files, and an explicit image no image-project inputs', () => {
    const opts = normalizeOptions({ image: 'my/rattler:1', exclusiveConfigFiles: ['tools/exclusive.yaml'] });
    const target = recipeProject('r', 'r/recipe.yaml', 'r', { ...info, format: 'recipe' as const }, opts).targets![
      'build-recipe'
    ];
    expect(JSON.stringify(target.inputs)).not.toMatch(/exclusive|nx-conda-image|builder-image/);
    expect(target.options).not.toHaveProperty('exclusiveConfigFiles');
  });
});
