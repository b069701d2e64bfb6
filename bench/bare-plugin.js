// The bare floor: one project per recipe folder (named after the folder), one
// target `{ command: 'true' }`, no metadata, no tags, no edges. What Nx costs
// for the projects alone, whatever their targets say.
const { dirname } = require('node:path');

exports.createNodes = [
  '**/{meta,recipe}.yaml',
  (files) =>
    files.map((file) => {
      const root = dirname(file);
      return [
        file,
        { projects: { [root]: { name: root.replace(/\//g, '-'), root, targets: { build: { command: 'true' } } } } },
      ];
    }),
];
exports.createNodesV2 = exports.createNodes;
