import type { ProjectGraph } from '@nx/devkit';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lintRecipe } from '../../lint/lint';
import { knownSelectorNames } from '../../lint/checks/syntax';
import { platformGaps } from './platform-gaps';

const recipe = (name: string, host: string[], extra = '') =>
  `package:\n  name: ${name}\n  version: "1"\nrequirements:\n  host:\n${host.map((h) => `    - ${h}\n`).join('')}${extra}`;
const ARM = 'extra:\n  additional-platforms:\n    - linux-aarch64\n';

describe('platformGaps and additional_platform_requirement', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nx-conda-gaps-'));
    const write = (file: string, text: string) => {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), text);
    };
    write('r/x86only/meta.yaml', recipe('x86only', []));
    write('r/py/meta.yaml', recipe('py', []) + 'build:\n  noarch: python\n');
    write('r/armok/meta.yaml', recipe('armok', [], ARM));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const build = (platform?: string) => ({
    executor: 'nx-conda:recipe-build',
    ...(platform ? { options: { platform } } : {}),
  });
  const graph: ProjectGraph = {
    nodes: {
      a: {
        name: 'a',
        type: 'lib',
        data: {
          root: 'r/a',
          targets: { 'build-recipe': build(), 'build-recipe-linux-aarch64': build('linux-aarch64') },
        },
      },
      x86only: { name: 'x86only', type: 'lib', data: { root: 'r/x86only', targets: { 'build-recipe': build() } } },
      py: { name: 'py', type: 'lib', data: { root: 'r/py', targets: { 'build-recipe': build() } } },
      armok: {
        name: 'armok',
        type: 'lib',
        data: {
          root: 'r/armok',
          targets: { 'build-recipe': build(), 'build-recipe-linux-aarch64': build('linux-aarch64') },
        },
      },
    },
    dependencies: {
      a: ['x86only', 'py', 'armok'].map((target) => ({ source: 'a', target, type: 'static' })),
    },
  };

  it('names a requirement on the platform that the tree builds for other platforms only', async () => {
    // x86only is wanted on aarch64 too here; only on x86_64 it would be no gap.
    const text = recipe('a', ['x86only', 'py', 'armok', 'gone  # [x86_64]'], ARM);
    const gaps = platformGaps(root, graph, 'a', 'r/a/meta.yaml', text, 'linux-64');
    expect(gaps).toEqual([{ platform: 'linux-aarch64', name: 'x86only', provider: 'r/x86only/meta.yaml' }]);
    const { findings } = await lintRecipe({
      file: 'r/a/meta.yaml',
      contents: text,
      files: ['meta.yaml'],
      readFile: () => undefined,
      platform: 'linux-64',
      knownSelectors: knownSelectorNames('linux-64'),
      config: { rules: { additional_platform_requirement: 'warning' } },
      platformGaps: gaps,
    });
    const found = findings.filter((f) => f.check === 'additional_platform_requirement');
    expect(found).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: text.split('\n').indexOf('    - linux-aarch64') + 1,
        message: expect.stringContaining(
          'requires x86only there, which r/x86only/meta.yaml does not build for linux-aarch64',
        ),
      }),
    ]);
  });

  it('finds nothing for a requirement that exists on another platform only', () => {
    const text = recipe('a', ['x86only  # [x86_64]', 'armok'], ARM);
    expect(platformGaps(root, graph, 'a', 'r/a/meta.yaml', text, 'linux-64')).toEqual([]);
    expect(platformGaps(root, undefined, 'a', 'r/a/meta.yaml', text, 'linux-64')).toEqual([]);
  });
});
