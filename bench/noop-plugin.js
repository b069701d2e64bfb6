// Nx's floor for the benchmark: the same projects (one per recipe folder,
// named after the folder, with targets of the same shape) made without
// reading any recipe, and no edges.
const { dirname } = require('node:path');

exports.createNodes = [
  '**/{meta,recipe}.yaml',
  (files) =>
    files.map((file) => {
      const root = dirname(file);
      const name = root.replace(/\//g, '-');
      return [
        file,
        {
          projects: {
            [root]: {
              name,
              root,
              projectType: 'library',
              tags: ['conda'],
              targets: {
                'build-recipe': {
                  executor: 'nx-conda:recipe-build',
                  cache: true,
                  dependsOn: ['^build-recipe'],
                  inputs: [
                    '{projectRoot}/**/*',
                    '{workspaceRoot}/conda_build_config.yaml',
                    '{workspaceRoot}/variants.yaml',
                  ],
                  outputs: ['{options.outputPath}'],
                  options: { outputPath: `dist/conda/${root}`, builder: 'conda-build', platform: 'linux-64' },
                  metadata: { technologies: ['conda'], description: `Build ${file}` },
                },
                'purge-image': {
                  executor: 'nx-conda:purge-image',
                  cache: false,
                  options: { names: [name] },
                  metadata: { technologies: ['conda'], description: `Purge ${name}` },
                },
              },
              metadata: { technologies: ['conda'], targetGroups: { conda: ['build-recipe', 'purge-image'] } },
            },
          },
        },
      ];
    }),
];
exports.createNodesV2 = exports.createNodes;
