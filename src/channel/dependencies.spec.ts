import type { ProjectGraph } from '@nx/devkit';
import { dependencyOutputs } from './dependencies';

function graph(edges: Record<string, string[]>, recipes: Record<string, string | undefined>): ProjectGraph {
  const nodes: ProjectGraph['nodes'] = {};
  for (const [name, outputPath] of Object.entries(recipes)) {
    nodes[name] = {
      name,
      type: 'lib',
      data: {
        root: `recipes/${name}`,
        targets: name.startsWith('plain')
          ? { build: { executor: 'nx:run-commands' } }
          : { 'build-recipe': { executor: 'nx-conda:recipe-build', options: outputPath ? { outputPath } : {} } },
      },
    };
  }
  const dependencies: ProjectGraph['dependencies'] = {};
  for (const [source, targets] of Object.entries(edges)) {
    dependencies[source] = targets.map((target) => ({ source, target, type: 'static' }));
  }
  return { nodes, dependencies };
}

describe('dependencyOutputs', () => {
  it('walks transitive dependencies once each, through projects that build no recipe', () => {
    const g = graph(
      { c: ['b', 'plain'], b: ['a'], plain: ['a', 'x'], a: [] },
      { a: undefined, b: 'out/b', c: undefined, plain: undefined, x: undefined },
    );
    expect(dependencyOutputs(g, 'c')).toEqual([
      { project: 'b', outputPath: 'out/b' },
      { project: 'a', outputPath: 'dist/conda/recipes/a' },
      { project: 'x', outputPath: 'dist/conda/recipes/x' },
    ]);
  });

  it('gives a project built for several platforms (a target each, one output folder) once', () => {
    const g = graph({ b: ['a'] }, { a: undefined, b: undefined });
    g.nodes.a.data.targets!['build-recipe-linux-aarch64'] = {
      executor: 'nx-conda:recipe-build',
      options: { platform: 'linux-aarch64' },
    };
    expect(dependencyOutputs(g, 'b')).toEqual([{ project: 'a', outputPath: 'dist/conda/recipes/a' }]);
  });

  it('survives cycles and npm nodes missing from the graph', () => {
    const g = graph({ a: ['b', 'npm:foo'], b: ['a'] }, { a: undefined, b: undefined });
    expect(dependencyOutputs(g, 'a')).toEqual([{ project: 'b', outputPath: 'dist/conda/recipes/b' }]);
  });
});
