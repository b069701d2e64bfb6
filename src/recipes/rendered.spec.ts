/**
 * The rendered recipe model: one render per read, and the two derivations
 * (RecipeInfo for the graph, the package list for skipExisting) as pure
 * functions of it.
 */
import { packagesOf, readRecipe, readRecipePackages, recipeInfoOf, RecipeReadError, renderRecipe } from './index';
import { JinjaRenderer } from './jinja';
import { evaluated, type Evaluated, type RenderedPackage, type RenderedRecipe } from './rendered';
import * as yaml from './yaml';

const META = [
  '{% set version = "1.2" %}',
  'package:',
  '  name: top',
  '  version: {{ version }}',
  'build:',
  '  number: 3',
  'requirements:',
  '  host:',
  '    - python',
  'outputs:',
  '  - name: lib-a',
  '    requirements:',
  '      run:',
  '        - zlib >=1',
].join('\n');

const V1 = [
  'context:',
  '  v: "3.1"',
  '  n: 4',
  'package:',
  '  name: ${{ "pkg" }}',
  '  version: ${{ v }}',
  'build:',
  '  number: ${{ n }}',
  'requirements:',
  '  run:',
  '    - ${{ "zlib" }}',
].join('\n');

describe('a recipe is rendered once', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['meta.yaml', META],
    ['recipe.yaml', V1],
  ])('%s: one YAML load per read, and one for both derivations of one render', (file, text) => {
    const load = jest.spyOn(yaml, 'loadRecipeYaml');
    readRecipe(`r/${file}`, text, 'linux-64');
    expect(load).toHaveBeenCalledTimes(1);
    readRecipePackages(`r/${file}`, text, 'linux-64');
    expect(load).toHaveBeenCalledTimes(2);
    const rendered = renderRecipe(`r/${file}`, text, 'linux-64');
    expect(recipeInfoOf(rendered)).toEqual(readRecipe(`r/${file}`, text, 'linux-64'));
    expect(packagesOf(rendered)).toEqual(readRecipePackages(`r/${file}`, text, 'linux-64'));
    expect(load).toHaveBeenCalledTimes(5);
  });

  it('meta.yaml: Jinja runs once per read', () => {
    const render = jest.spyOn(JinjaRenderer.prototype, 'render');
    const rendered = renderRecipe('r/meta.yaml', META, 'linux-64');
    recipeInfoOf(rendered);
    packagesOf(rendered);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('recipe.yaml: every ${{ }} is evaluated once, whichever derivations read it', () => {
    const evalExpr = jest.spyOn(JinjaRenderer.prototype, 'evalExpr');
    const rendered = renderRecipe('r/recipe.yaml', V1, 'linux-64');
    // name, version, build number, one requirement (context values are plain).
    expect(evalExpr).toHaveBeenCalledTimes(4);
    expect(recipeInfoOf(rendered)).toMatchObject({ packageName: 'pkg', version: '3.1' });
    expect(packagesOf(rendered)).toEqual([{ name: 'pkg', version: '3.1', buildNumber: 4 }]);
    recipeInfoOf(rendered);
    expect(evalExpr).toHaveBeenCalledTimes(4);
  });
});

describe('a value that fails to render fails only the derivation that needs it', () => {
  it('a bad output version: the graph reads the recipe, skipExisting cannot', () => {
    const text = 'package:\n  name: x\noutputs:\n  - package:\n      name: o\n      version: ${{ bad( }}\n';
    expect(readRecipe('r/recipe.yaml', text, 'linux-64').names).toEqual(['x', 'o']);
    expect(() => readRecipePackages('r/recipe.yaml', text, 'linux-64')).toThrow(/r\/recipe\.yaml: expression/);
  });

  it('a bad requirement: skipExisting reads the recipe, the graph cannot', () => {
    const text = 'package:\n  name: x\nrequirements:\n  run:\n    - ${{ bad( }}\n';
    expect(readRecipePackages('r/recipe.yaml', text, 'linux-64')).toEqual([{ name: 'x', buildNumber: 0 }]);
    expect(() => readRecipe('r/recipe.yaml', text, 'linux-64')).toThrow(RecipeReadError);
  });

  it('`build: skip` stops at the first condition that holds, as rattler-build does', () => {
    const text = 'package:\n  name: x\nbuild:\n  skip:\n    - linux\n    - ${{ bad( }}\n';
    expect(readRecipe('r/recipe.yaml', text, 'linux-64').skip).toBe(true);
    expect(() => readRecipe('r/recipe.yaml', text, 'osx-arm64')).toThrow(/if: /);
  });
});

function pkg(over: Partial<RenderedPackage> = {}): RenderedPackage {
  return {
    name: evaluated(undefined),
    version: evaluated(undefined),
    buildString: evaluated(undefined),
    requirements: { build: evaluated([]), host: evaluated([]), run: evaluated([]) },
    ...over,
  };
}

function recipe(top: RenderedPackage, outputs: RenderedPackage[] = [], over: Partial<RenderedRecipe> = {}) {
  return {
    file: 'r/meta.yaml',
    format: 'meta',
    top,
    outputs: evaluated(outputs),
    skip: evaluated(false),
    ...over,
  } as const;
}

const failed = (reason: string): Evaluated<never> => ({
  ok: false,
  error: new RecipeReadError('r/recipe.yaml', reason),
});

describe('recipeInfoOf', () => {
  it('names the top level first, outputs after, unique; merges requirements sorted and unique', () => {
    const r = recipe(
      pkg({
        name: evaluated('top'),
        version: evaluated('1'),
        requirements: { build: evaluated(['make']), host: evaluated(['zlib', 'python']), run: evaluated([]) },
      }),
      [
        pkg({
          name: evaluated('lib'),
          requirements: { build: evaluated([]), host: evaluated([]), run: evaluated(['zlib']) },
        }),
        pkg({ name: evaluated('top') }),
        pkg({ requirements: { build: evaluated(['cmake']), host: evaluated(['python']), run: evaluated([]) } }),
      ],
    );
    expect(recipeInfoOf(r)).toEqual({
      format: 'meta',
      packageName: 'top',
      version: '1',
      names: ['top', 'lib'],
      requirements: { build: ['cmake', 'make'], host: ['python', 'zlib'], run: ['zlib'] },
    });
  });

  it('says skip only when it holds, and names the missing name by format', () => {
    expect(recipeInfoOf(recipe(pkg({ name: evaluated('a') }), [], { skip: evaluated(true) })).skip).toBe(true);
    expect(() => recipeInfoOf(recipe(pkg()))).toThrow('r/meta.yaml: no package.name (and no named outputs)');
    expect(() => recipeInfoOf(recipe(pkg(), [], { format: 'recipe' }))).toThrow(/no package\.name or recipe\.name/);
  });

  it('refuses a name that is not a conda package name, wherever it is', () => {
    expect(() => recipeInfoOf(recipe(pkg({ name: evaluated('ok') }), [pkg({ name: evaluated('../x') })]))).toThrow(
      /package name "..\/x" is not a conda package name/,
    );
  });

  it('throws the first error it needs, in reading order, and ignores values it does not read', () => {
    const r = recipe(
      pkg({ name: evaluated('a'), version: failed('version'), buildNumber: failed('number') }),
      [pkg({ name: failed('output name'), version: failed('output version') })],
      { skip: failed('skip') },
    );
    expect(() => recipeInfoOf(r)).toThrow('output name');
    expect(() => recipeInfoOf({ ...r, outputs: evaluated([]) })).toThrow('version');
    expect(() => recipeInfoOf({ ...r, outputs: evaluated([]), top: pkg({ name: evaluated('a') }) })).toThrow('skip');
  });
});

describe('packagesOf', () => {
  const top = pkg({ name: evaluated('top'), version: evaluated('1.2'), buildNumber: evaluated(3) });

  it('gives each named output, with the top level’s version and build number where it has none', () => {
    const outs = [
      pkg({ name: evaluated('a') }),
      pkg({ name: evaluated(undefined), version: failed('never read') }),
      pkg({ name: evaluated('b'), version: evaluated('2'), buildNumber: evaluated(0) }),
    ];
    expect(packagesOf(recipe(top, outs))).toEqual([
      { name: 'a', version: '1.2', buildNumber: 3 },
      { name: 'b', version: '2', buildNumber: 0 },
    ]);
  });

  it('gives the top level when no output is named; build number 0 when none is written', () => {
    expect(packagesOf(recipe(top, [pkg()]))).toEqual([{ name: 'top', version: '1.2', buildNumber: 3 }]);
    expect(packagesOf(recipe(pkg({ name: evaluated('solo') })))).toEqual([
      { name: 'solo', version: undefined, buildNumber: 0 },
    ]);
    expect(() => packagesOf(recipe(pkg()))).toThrow('no package.name (and no named outputs)');
  });

  it('reads no requirements (a broken one does not fail it) and refuses bad names', () => {
    const broken = { build: failed('req'), host: failed('req'), run: failed('req') };
    expect(packagesOf(recipe(pkg({ name: evaluated('x'), requirements: broken })))).toHaveLength(1);
    expect(() => packagesOf(recipe(top, [pkg({ name: evaluated('__glibc') })]))).toThrow(/reserves for virtual/);
  });
});
