// The floor of a plugin that has a createDependencies: the no-op plugin's
// projects, and a createDependencies that returns no edges. Nx sends every
// createDependencies its context (all projects and the file map) whatever it
// returns, so this is Nx's own cost of a plugin having one.
const noop = require('./noop-plugin');

exports.createNodes = noop.createNodes;
exports.createNodesV2 = noop.createNodes;
exports.createDependencies = () => [];
