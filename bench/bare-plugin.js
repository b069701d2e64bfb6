// The bare floor: the plugin's own projects (names and roots) and edges,
// replayed from the dump bench/run.mjs writes (`options.dump`), each project
// with one target `{ command: 'true' }`, no metadata, no tags. What Nx costs
// for the projects and the edges alone, whatever their targets say.
const { readFileSync } = require('node:fs');

let cached;
const load = (file) => {
  if (cached && cached.file === file) return cached;
  const dump = JSON.parse(readFileSync(file, 'utf8'));
  const byFile = new Map();
  for (const [f, r] of dump.nodes) {
    const [root, p] = Object.entries(r.projects)[0];
    byFile.set(f, { root, name: p.name });
  }
  return (cached = { file, byFile, edges: dump.edges });
};

exports.createNodes = [
  '**/{meta,recipe}.yaml',
  (files, options) => {
    const { byFile } = load(options.dump);
    return files
      .filter((f) => byFile.has(f))
      .map((f) => {
        const { root, name } = byFile.get(f);
        return [f, { projects: { [root]: { name, root, targets: { build: { command: 'true' } } } } }];
      });
  },
];
exports.createNodesV2 = exports.createNodes;
exports.createDependencies = (options) => load(options.dump).edges;
