import {
  builderOf,
  BUILDERS,
  formatOfBuilder,
  formatOfFile,
  FORMATS,
  isBuilder,
  isRecipeFormat,
  RECIPE_FILE_NAMES,
  RECIPE_FORMATS,
} from './formats';

describe('the table of recipe formats and builders', () => {
  it('maps each format to its file and builder, and back', () => {
    expect(RECIPE_FORMATS.meta).toMatchObject({ file: 'meta.yaml', builder: 'conda-build' });
    expect(RECIPE_FORMATS.recipe).toMatchObject({ file: 'recipe.yaml', builder: 'rattler-build' });
    for (const format of FORMATS) {
      expect(formatOfBuilder(builderOf(format))).toBe(format);
      expect(formatOfFile(`a/b/${RECIPE_FORMATS[format].file}`)).toBe(format);
    }
    expect([...BUILDERS].sort()).toEqual(FORMATS.map(builderOf).sort());
  });

  it('lists recipe.yaml before meta.yaml: it wins in a folder holding both', () => {
    expect(RECIPE_FILE_NAMES).toEqual(['recipe.yaml', 'meta.yaml']);
  });

  it('knows no other file, format or builder', () => {
    expect(formatOfFile('a/meta.yml')).toBeUndefined();
    expect(formatOfFile('a/recipe.yaml.bak')).toBeUndefined();
    expect(formatOfFile('a\\meta.yaml')).toBe('meta');
    expect(isRecipeFormat('v1')).toBe(false);
    expect(isRecipeFormat('toString')).toBe(false);
    expect(isBuilder('conda')).toBe(false);
    expect(isBuilder('rattler-build')).toBe(true);
  });
});
