// docker-image-exists (issue 13 item 5): docker-image when the image exists
// beside `docker image inspect` of the same tag through Nx, and without Nx.
import { IMAGES, Workspace, alternate, log, num, round, timed } from './runner.mjs';

export default {
  name: 'image',
  figures: ['docker-image-exists'],
  env: 'BENCH_IMAGE_RUNS=7',
  run({ tpl, results }) {
    const runs = num('BENCH_IMAGE_RUNS', 5, 7);
    const ws = new Workspace('image', tpl);
    const target = {
      executor: 'nx-conda:docker-image',
      options: { baseImage: IMAGES.rattler, imageName: 'nx-conda-bench/builder' },
    };
    ws.project('builder-image', 'tools/builder-image', { 'docker-image': target });
    ws.nx(['run', 'builder-image:docker-image']); // builds the image when missing
    const tag = /(?:Reused|Built) (\S+) \(/.exec(ws.lastOutput)?.[1];
    if (!tag) throw new Error(`docker-image printed no tag:\n${ws.lastOutput}`);
    ws.project('builder-image', 'tools/builder-image', {
      'docker-image': target,
      inspect: {
        executor: 'nx:run-commands',
        cache: false,
        options: { command: `docker image inspect ${tag} > /dev/null` },
      },
    });
    ws.nx(['run', 'builder-image:inspect']);
    log(`docker-image with ${tag} present (${runs} runs each)...`);
    const r = alternate(runs, {
      inspect: () => ws.nx(['run', 'builder-image:inspect']),
      plugin: () => ws.nx(['run', 'builder-image:docker-image']),
      raw: () => timed('docker', ['image', 'inspect', tag], ws.root),
    });
    results.figure('docker-image-exists', {
      what: 'nx run builder-image:docker-image, the image exists',
      unit: 's',
      value: r.plugin,
      baseline: r.inspect,
      baselineWhat: 'nx run builder-image:inspect (nx:run-commands: docker image inspect of the same tag)',
      goal: 'reported (runs before every build, uncached)',
      extra: { dockerImageInspectWithoutNx: r.raw, addedSeconds: round(r.plugin.median - r.inspect.median) },
    });
    ws.remove();
  },
};
