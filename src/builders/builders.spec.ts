import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommand, renderBuildScript, shellQuote, solveCommand, solvedPackageFiles, type BuildPlan } from './index';

const plan = (overrides: Partial<BuildPlan> = {}): BuildPlan => ({
  builder: 'conda-build',
  recipeDir: '/opt/recipe',
  recipeFile: '/opt/recipe/meta.yaml',
  stagingDir: '/opt/host-conda-bld',
  channels: [],
  platform: 'linux-64',
  variantConfigFiles: [],
  exclusiveConfigFiles: [],
  buildArgs: [],
  mambabuild: false,
  skipTests: false,
  ...overrides,
});

describe('conda-build command', () => {
  it('builds into the staging channel, which is also its first channel', () => {
    expect(buildCommand(plan())).toEqual([
      'conda',
      'build',
      '--no-anaconda-upload',
      '-c',
      'file:///opt/host-conda-bld',
      '--output-folder',
      '/opt/host-conda-bld',
      '/opt/recipe/meta.yaml',
    ]);
  });

  it('passes config files, format, mambabuild and extra args in order', () => {
    const words = buildCommand(
      plan({
        mambabuild: true,
        exclusiveConfigFiles: ['/c/e.yaml'],
        variantConfigFiles: ['/c/v.yaml'],
        packageFormat: 'conda',
        buildArgs: ['--skip-existing'],
      }),
    );
    expect(words.slice(0, 2)).toEqual(['conda', 'mambabuild']);
    expect(words.join(' ')).toContain(
      '-e /c/e.yaml -m /c/v.yaml --package-format conda --skip-existing /opt/recipe/meta.yaml',
    );
  });
});

describe('upstream channels', () => {
  it('come after the staging channel, in order, for both builders', () => {
    const channels = ['http://127.0.0.1:8000/upstream', 'conda-forge'];
    expect(buildCommand(plan({ channels })).join(' ')).toContain(
      '-c file:///opt/host-conda-bld -c http://127.0.0.1:8000/upstream -c conda-forge --output-folder',
    );
    expect(buildCommand(plan({ builder: 'rattler-build', channels })).join(' ')).toContain(
      '-c file:///opt/host-conda-bld -c http://127.0.0.1:8000/upstream -c conda-forge --target-platform',
    );
  });
});

describe('rattler-build command', () => {
  it('maps the plan onto the flags rattler-build takes', () => {
    expect(
      buildCommand(
        plan({
          builder: 'rattler-build',
          recipeFile: '/opt/recipe/recipe.yaml',
          variantConfigFiles: ['/c/variants.yaml'],
          skipTests: true,
          platform: 'linux-aarch64',
        }),
      ),
    ).toEqual([
      'rattler-build',
      'build',
      '--recipe',
      '/opt/recipe/recipe.yaml',
      '--output-dir',
      '/opt/host-conda-bld',
      '-c',
      'file:///opt/host-conda-bld',
      '--target-platform',
      'linux-aarch64',
      '-m',
      '/c/variants.yaml',
      '--test',
      'skip',
    ]);
  });
});

describe('solve before the build (package cache)', () => {
  it('rattler-build solves with the build command, into a scratch output folder, without building', () => {
    const p = plan({
      builder: 'rattler-build',
      recipeFile: '/opt/recipe/recipe.yaml',
      channels: ['https://c.example.org/x'],
    });
    // The host links the read-only cache's entries into its own cache first (linkRattlerEntries).
    expect(solveCommand(p, '/scratch')).toEqual([
      'rattler-build',
      'build',
      '--recipe',
      '/opt/recipe/recipe.yaml',
      '--output-dir',
      '/scratch',
      '-c',
      'file:///opt/host-conda-bld',
      '-c',
      'https://c.example.org/x',
      '--target-platform',
      'linux-64',
      '--render-only',
      '--with-solve',
    ]);
  });

  it('conda-build has none (conda keeps the files it downloads)', () => {
    expect(solveCommand(plan(), '/scratch')).toBeUndefined();
  });

  const record = (fn: string, extra: object = {}) => ({ name: 'n', version: '1', build: '0', fn, ...extra });
  it("takes the package file names of every resolved environment in rattler-build's JSON, after log lines", () => {
    const outputs = [
      {
        recipe: { package: { name: 'x' } },
        finalized_dependencies: {
          build: { specs: [], resolved: [record('make-4.4-0.conda'), record('zlib-1.3-h0.tar.bz2')] },
          host: {
            specs: [{ source: 'raw', spec: 'upa', resolved: 'fake-1-0.conda' }],
            resolved: [
              record('upa-1.0-h0.conda'),
              { url: 'https://c.example.org/x/noarch/upb-2.0-py_0.tar.bz2' },
              record('make-4.4-0.conda'),
            ],
          },
          run: { depends: [{ spec: 'upa' }] },
        },
      },
    ];
    expect(solvedPackageFiles(` │ rendering\n${JSON.stringify(outputs, null, 2)}\n`)).toEqual([
      'make-4.4-0.conda',
      'upa-1.0-h0.conda',
      'upb-2.0-py_0.tar.bz2',
      'zlib-1.3-h0.tar.bz2',
    ]);
  });

  it('takes no name that is not a package file name, and nothing from what is not JSON', () => {
    const outputs = [
      {
        finalized_dependencies: {
          host: {
            resolved: [
              record('../../etc/passwd.conda'),
              record('a/b-1-0.conda'),
              record('ok-1-0.zip'),
              { url: 'https://c.example.org/%ZZ' },
              'upa-1.0-h0.conda',
              null,
            ],
          },
        },
      },
    ];
    expect(solvedPackageFiles(JSON.stringify(outputs))).toEqual([]);
    expect(solvedPackageFiles('error: no solution\n[not json')).toEqual([]);
    expect(solvedPackageFiles('')).toEqual([]);
  });
});

describe('build script', () => {
  it('runs the quoted command, indexes and hands files back in the default conda-build template', () => {
    const script = renderBuildScript(plan({ buildArgs: ['--extra', 'two words'] }));
    expect(script).toContain(
      "conda build --no-anaconda-upload -c file:///opt/host-conda-bld --output-folder /opt/host-conda-bld --extra 'two words' /opt/recipe/meta.yaml",
    );
    expect(script).toContain('staging=/opt/host-conda-bld\n');
    expect(script).toContain('conda index "$staging"');
    expect(script).toContain(
      `chown -R "$NX_CONDA_HOST_UID:$NX_CONDA_HOST_GID" "$staging" \${NX_CONDA_OWN_CACHE:+"$NX_CONDA_OWN_CACHE"} 2>/dev/null || true' EXIT`,
    );
  });

  // Run by bash with the builders stubbed: each stub logs its arguments, and the build fails when BUILD_FAILS is set.
  describe.each(['conda-build', 'rattler-build'] as const)('the default %s script, run', (builder) => {
    const runScript = (fails: boolean) => {
      const dir = mkdtempSync(join(tmpdir(), 'nx-conda-script-'));
      const stub = `#!/bin/sh\necho "$0 $*" >> ${dir}/calls\ncase "$1" in build) [ -z "$BUILD_FAILS" ];; --version) echo "\${0##*/} 9.9";; esac\n`;
      for (const tool of ['conda', 'rattler-build']) writeFileSync(join(dir, tool), stub, { mode: 0o755 });
      const script = renderBuildScript(plan({ builder, recipeFile: '/opt/recipe/recipe.yaml', stagingDir: dir }));
      const run = spawnSync('bash', ['-c', script], {
        encoding: 'utf8',
        env: {
          PATH: `${dir}:/usr/bin:/bin`,
          HOSTNAME: 'box',
          NX_CONDA_HOST_UID: '0',
          NX_CONDA_HOST_GID: '0',
          ...(fails ? { BUILD_FAILS: '1' } : {}),
        },
      });
      const calls = readFileSync(join(dir, 'calls'), 'utf8');
      rmSync(dir, { recursive: true, force: true });
      return { run, calls };
    };

    it('asks for the builder version only when the build failed (it costs a builder start)', () => {
      const ok = runScript(false);
      expect(ok.run.status).toBe(0);
      expect(ok.calls).not.toContain('--version');
      expect(ok.run.stdout).toContain('nx-conda: build container box');

      const failed = runScript(true);
      expect(failed.run.status).toBe(1);
      expect(failed.calls).toContain('--version');
      expect(failed.run.stdout).toMatch(/^nx-conda: (conda|rattler-build) 9\.9 failed in box \(exit 1\)$/m);
    });
  });

  it('quotes every path it writes into the script', () => {
    const script = renderBuildScript(
      plan({ stagingDir: "/opt/it's staging", recipeDir: '/opt/my recipe', recipeFile: '/opt/my recipe/meta.yaml' }),
    );
    expect(script).toContain(`staging='/opt/it'\\''s staging'`);
    expect(script).toContain(`--output-folder '/opt/it'\\''s staging' '/opt/my recipe/meta.yaml'`);
  });

  it('fills a user template and names an unknown placeholder with its line', () => {
    expect(renderBuildScript(plan(), { text: 'set -e\n{{ command }} # in {{platform}}', source: 'tpl.sh' })).toBe(
      'set -e\nconda build --no-anaconda-upload -c file:///opt/host-conda-bld --output-folder /opt/host-conda-bld /opt/recipe/meta.yaml # in linux-64',
    );
    expect(() => renderBuildScript(plan(), { text: 'ok\n{{comand}}', source: 'tpl.sh' })).toThrow(
      /^tpl.sh:2: unknown placeholder \{\{comand\}\}/,
    );
  });
});

describe('shellQuote', () => {
  it.each([
    ['plain-word_1.0', 'plain-word_1.0'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it'\\''s'"],
    ['$HOME', "'$HOME'"],
  ])('%s', (input, expected) => expect(shellQuote(input)).toBe(expected));
});
