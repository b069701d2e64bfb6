// The floor of affected-at-scale: the same recipe folders as projects (named
// after `package: name:` of their recipe.yaml) and the same edges (their run
// requirements), each with one build-recipe target that runs `true` through
// nx:run-commands, cached, after its dependencies' — what Nx costs for the
// graph and the tasks with no plugin work and no executor of ours.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

function read(root, file) {
  const text = readFileSync(join(root, file), 'utf8');
  const name = /^ {2}name: (\S+)/m.exec(text)?.[1];
  const run = /\n {2}run:\n((?: {4}- \S+\n?)*)/.exec(text)?.[1] ?? '';
  return { name, deps: [...run.matchAll(/- (\S+)/g)].map((m) => m[1]) };
}

let last;
exports.createNodes = [
  '**/recipe.yaml',
  (files, _options, context) => {
    last = new Map();
    const out = [];
    for (const file of files) {
      const { name, deps } = read(context.workspaceRoot, file);
      if (!name) continue;
      const root = dirname(file);
      last.set(name, { file, deps });
      out.push([
        file,
        {
          projects: {
            [root]: {
              name,
              root,
              targets: {
                'build-recipe': {
                  command: 'true',
                  cache: true,
                  dependsOn: ['^build-recipe'],
                  outputs: ['{workspaceRoot}/dist/conda/{projectRoot}'],
                },
              },
            },
          },
        },
      ]);
    }
    return out;
  },
];
exports.createNodesV2 = exports.createNodes;
exports.createDependencies = () => {
  const edges = [];
  for (const [source, { file, deps }] of last ?? [])
    for (const target of deps) if (last.has(target)) edges.push({ source, target, sourceFile: file, type: 'static' });
  return edges;
};
