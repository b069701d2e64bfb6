// Replays what the real plugin returned, read from a file written by
// bench/run.mjs (`options.dump`: { nodes: [[file, result], ...], edges: [...] }),
// without reading any recipe. With `options.edges` it returns the edges too.
// Measures what Nx costs for the plugin's projects and edges as they are,
// apart from the plugin's own work (the parse).
const { readFileSync } = require('node:fs');

let cached;
const load = (file) =>
  cached && cached.file === file ? cached : (cached = { file, ...JSON.parse(readFileSync(file, 'utf8')) });

exports.createNodes = [
  '**/{meta,recipe}.yaml',
  (files, options) => {
    const byFile = new Map(load(options.dump).nodes);
    return files.filter((f) => byFile.has(f)).map((f) => [f, byFile.get(f)]);
  },
];
exports.createNodesV2 = exports.createNodes;
exports.createDependencies = (options) => (options.edges ? load(options.dump).edges : []);
