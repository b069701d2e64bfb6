// Nx's floor for the benchmark: the same projects (one per recipe folder,
// named after the folder) with targets of the plugin's shape (the four
// targets nx-conda infers with default options: the same fields, metadata,
// help and descriptions, see src/graph/targets.spec.ts), made without
// reading any recipe, and no edges.
const { dirname } = require('node:path');

const technologies = ['conda'];
const nxCondaVersion = '0.0.0';

function project(file) {
  const root = dirname(file);
  const name = root.replace(/\//g, '-');
  const outputPath = `dist/conda/${root}`;
  return {
    name,
    root,
    projectType: 'library',
    tags: ['conda', 'conda:conda-build'],
    targets: {
      'build-recipe': {
        executor: 'nx-conda:recipe-build',
        cache: true,
        dependsOn: ['^build-recipe'],
        inputs: [
          '{projectRoot}/**/*',
          '^default',
          '{workspaceRoot}/conda_build_config.yaml',
          '{workspaceRoot}/variants.yaml',
        ],
        outputs: ['{options.outputPath}/noarch', '{options.outputPath}/{options.platform}'],
        options: { outputPath, builder: 'conda-build', platform: 'linux-64' },
        metadata: {
          technologies,
          nxCondaVersion,
          description: `Build ${file} with conda-build for linux-64, in a container`,
          help: {
            command: `nx run ${name}:build-recipe --help`,
            example: { options: { skipTests: true, verbose: true } },
          },
        },
      },
      'lint-recipe': {
        executor: 'nx-conda:lint-recipe',
        cache: true,
        inputs: ['{projectRoot}/**/*'],
        outputs: ['{options.outputPath}/lint.json', '{options.outputPath}/lint.sarif'],
        options: { recipeFile: file, outputPath: `dist/lint/${root}`, platform: 'linux-64' },
        metadata: {
          technologies,
          nxCondaVersion,
          description: `Lint ${file} with bioconda's checks (no container)`,
          help: { command: `nx run ${name}:lint-recipe --help`, example: { options: { format: 'json' } } },
        },
      },
      'package-image': {
        executor: 'nx-conda:package-image',
        cache: false,
        dependsOn: ['build-recipe'],
        options: { outputPath, platform: 'linux-64' },
        metadata: {
          technologies: ['conda', 'docker'],
          description: 'Build and test a container image of each package build-recipe made (installed at /usr/local)',
          help: {
            command: `nx run ${name}:package-image --help`,
            example: { options: { registry: 'registry.example.org:5000', skipTests: false } },
          },
        },
      },
      'purge-image': {
        executor: 'nx-conda:purge-image',
        cache: false,
        options: { packageProject: name },
        metadata: {
          technologies,
          description: `Remove the package images package-image made for ${name} in this workspace`,
          help: { command: `nx run ${name}:purge-image --help`, example: { options: { builderImages: true } } },
        },
      },
    },
    metadata: {
      technologies,
      description: `conda recipe ${file} (${name})`,
      targetGroups: { conda: ['build-recipe', 'lint-recipe', 'package-image', 'purge-image'] },
    },
  };
}

exports.createNodes = [
  '**/{meta,recipe}.yaml',
  (files) => files.map((file) => [file, { projects: { [dirname(file)]: project(file) } }]),
];
exports.createNodesV2 = exports.createNodes;
