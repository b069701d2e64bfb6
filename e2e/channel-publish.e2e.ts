import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { E2E_ROOT, TEST_IMAGES } from './utils/paths';
import { startS3Server, type S3Server } from './utils/moto';
import { startServer } from './utils/server';
import { createWorkspace, expectSuccess, type Workspace } from './utils/workspace';

/**
 * Issue 11: one indexed channel of all recipe projects (conda-channel:channel,
 * made by init), published to a folder and to an S3-compatible bucket (moto).
 */
const recipeYaml = (name: string, version: string, body: string) =>
  `context:\n  name: ${name}\n  version: "${version}"\n\npackage:\n  name: \${{ name }}\n  version: \${{ version }}\n\n${body}`;
const script = (name: string, extra = '') =>
  `build:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n${extra}    - echo "${name}" > $PREFIX/share/${name}.txt\n`;
const needs = (dep: string) => `\nrequirements:\n  host:\n    - ${dep}\n  run:\n    - ${dep}\n`;
const IMAGES = { 'rattler-build': TEST_IMAGES.rattlerBuild, 'conda-build': TEST_IMAGES.condaBuild };

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const index = (dir: string, subdir = 'noarch') => JSON.parse(readFileSync(join(dir, subdir, 'repodata.json'), 'utf8'));
/**
 * Part 5: the real conda of the conda-build test image installs cc (with cb
 * and ca) from a channel, offline for file:// channels; returns the share/
 * files of the new prefix and what conda says it installed.
 */
function condaInstall(channelUrl: string, mount?: string): { files: string[]; listed: string } {
  // The image's condarc says offline: allowed again for an http channel.
  const args = ['run', '--rm', '--network', mount ? 'none' : 'host', '-e', `CONDA_OFFLINE=${mount ? 'true' : 'false'}`];
  if (mount) args.push('-v', `${mount}:/channel:ro`);
  const offline = mount ? '--offline' : '';
  const script = [
    'set -e',
    `conda create -q -y ${offline} -p /tmp/prefix --override-channels -c ${channelUrl} cc >/tmp/create.log 2>&1 || { cat /tmp/create.log; exit 1; }`,
    'conda list -p /tmp/prefix | grep -E "^c[abc] "',
    'echo ---',
    'cat /tmp/prefix/share/ca.txt /tmp/prefix/share/cb.txt /tmp/prefix/share/cc.txt',
  ].join('\n');
  const run = spawnSync('docker', [...args, TEST_IMAGES.condaBuild, 'bash', '-c', script], { encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(`conda create from ${channelUrl} failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  const [listed, files] = run.stdout.split('---\n');
  return { listed, files: files.trim().split('\n') };
}

const packagesIn = (dir: string, subdir = 'noarch') =>
  existsSync(join(dir, subdir))
    ? readdirSync(join(dir, subdir))
        .filter((f) => f.endsWith('.conda'))
        .sort()
    : [];

describe('channel and publish (init, real builds, folder and S3)', () => {
  let ws: Workspace;
  let channel: string;
  beforeAll(() => {
    ws = createWorkspace('channel', { plugins: [{ plugin: 'nx-conda', options: { images: IMAGES } }] });
    ws.write('recipes/ca/recipe.yaml', recipeYaml('ca', '1.0', script('ca')));
    ws.write(
      'recipes/cb/recipe.yaml',
      recipeYaml('cb', '1.0', script('cb', '    - test -f $PREFIX/share/ca.txt\n') + needs('ca')),
    );
    ws.write(
      'recipes/cc/recipe.yaml',
      recipeYaml('cc', '1.0', script('cc', '    - test -f $PREFIX/share/cb.txt\n') + needs('cb')),
    );
    expectSuccess(ws.nx(['g', 'nx-conda:init', '--skipFormat']));
    channel = join(ws.root, 'dist/channel');
  });

  it('init makes conda-channel; its channel target builds every recipe and indexes one channel', () => {
    expect(JSON.parse(ws.read('tools/conda-channel/project.json')).targets.channel.executor).toBe('nx-conda:channel');
    const result = ws.nx(['run', 'conda-channel:channel', '--output-style=static']);
    expectSuccess(result);
    expect(result.output).toMatch(/channel dist\/channel: 3 added, 0 updated, 0 removed/);
    const files = packagesIn(channel);
    expect(files).toEqual([
      expect.stringMatching(/^ca-1\.0-/),
      expect.stringMatching(/^cb-1\.0-/),
      expect.stringMatching(/^cc-1\.0-/),
    ]);
    const records = index(channel)['packages.conda'];
    for (const file of files) {
      expect(records[file]).toMatchObject({
        sha256: sha256(join(channel, 'noarch', file)),
        size: readFileSync(join(channel, 'noarch', file)).length,
        subdir: 'noarch',
      });
    }
    expect(records[files[2]].depends).toEqual(['cb']);
    expect(index(channel)).toMatchObject({ info: { subdir: 'noarch' }, repodata_version: 1, packages: {} });

    const installed = condaInstall('file:///channel', channel);
    expect(installed.files).toEqual(['ca', 'cb', 'cc']);
    expect(installed.listed).toMatch(/^ca\s+1\.0\s/m);
    expect(installed.listed).toMatch(/^cc\s+1\.0\s/m);

    const again = ws.nx(['run', 'conda-channel:channel', '--output-style=static']);
    expectSuccess(again);
    expect(again.output).toMatch(/0 added, 0 updated, 0 removed, 3 unchanged/);
  });

  it('a new version replaces the old one in the channel', () => {
    ws.write(
      'recipes/cc/recipe.yaml',
      recipeYaml('cc', '1.1', script('cc', '    - test -f $PREFIX/share/cb.txt\n') + needs('cb')),
    );
    const result = ws.nx(['run', 'conda-channel:channel', '--output-style=static']);
    expectSuccess(result);
    expect(result.output).toMatch(/1 added, 0 updated, 1 removed, 2 unchanged/);
    expect(packagesIn(channel).map((f) => f.split('-').slice(0, 2).join('-'))).toEqual(['ca-1.0', 'cb-1.0', 'cc-1.1']);
    expect(Object.keys(index(channel)['packages.conda'])).toHaveLength(3);
  });

  it('publishes to a folder: dry run, packages and index, re-run, interrupted run, conflict', () => {
    const target = join(mkdtempSync(join(E2E_ROOT, 'published-')), 'channel');
    const dry = ws.nx(['run', 'conda-channel:publish', `--destination=${target}`, '--dry-run']);
    expectSuccess(dry);
    expect(dry.output).toMatch(/would write noarch\/ca-1\.0-/);
    expect(existsSync(target)).toBe(false);

    expectSuccess(ws.nx(['run', 'conda-channel:publish', `--destination=file://${target}`]));
    expect(packagesIn(target)).toEqual(packagesIn(channel));
    expect(index(target)['packages.conda']).toEqual(index(channel)['packages.conda']);
    const rerun = ws.nx(['run', 'conda-channel:publish', `--destination=${target}`]);
    expectSuccess(rerun);
    expect(rerun.output).toMatch(/0 new package\(s\), 3 already there, 0 index file\(s\) updated/);

    // As an interrupted publish leaves it: a package and the index missing.
    rmSync(join(target, 'noarch', packagesIn(target)[2]));
    rmSync(join(target, 'noarch', 'repodata.json'));
    const resumed = ws.nx(['run', 'conda-channel:publish', `--destination=${target}`]);
    expectSuccess(resumed);
    expect(resumed.output).toMatch(/1 new package\(s\), 2 already there/);
    expect(index(target)['packages.conda']).toEqual(index(channel)['packages.conda']);
    const installed = condaInstall('file:///channel', target);
    expect(installed.files).toEqual(['ca', 'cb', 'cc']);
    expect(installed.listed).toMatch(/^cc\s+1\.1\s/m);

    // A published package is never overwritten.
    const [first] = packagesIn(target);
    writeFileSync(join(target, 'noarch', first), 'not the same package');
    const before = readFileSync(join(target, 'noarch', 'repodata.json'), 'utf8');
    const conflict = ws.nx(['run', 'conda-channel:publish', `--destination=${target}`]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.output).toContain(`already has noarch/${first} with other content`);
    expect(readFileSync(join(target, 'noarch', first), 'utf8')).toBe('not the same package');
    expect(readFileSync(join(target, 'noarch', 'repodata.json'), 'utf8')).toBe(before);
  });

  describe('to an S3-compatible bucket (moto)', () => {
    let s3: S3Server;
    const env = () => ({ AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
    const boto = (code: string) =>
      execFileSync(
        s3.python,
        [
          '-c',
          `import boto3,sys\ns3=boto3.client('s3',endpoint_url='${s3.endpoint}',region_name='us-east-1',aws_access_key_id='testing',aws_secret_access_key='testing')\n${code}`,
        ],
        {
          encoding: 'utf8',
        },
      );
    beforeAll(async () => {
      s3 = await startS3Server();
      boto("s3.create_bucket(Bucket='conda')");
    });
    afterAll(async () => s3?.stop());

    it('uploads packages then the index, only new files, and stops on a conflicting object', async () => {
      const result = ws.nx(
        ['run', 'conda-channel:publish', '--destination=s3://conda/team/channel', `--endpoint=${s3.endpoint}`],
        env(),
      );
      expectSuccess(result);
      expect(result.output).toMatch(/published dist\/channel to s3:\/\/conda\/team\/channel .*: 3 new package\(s\)/);
      const keys = boto("print('\\n'.join(o['Key'] for o in s3.list_objects_v2(Bucket='conda')['Contents']))")
        .trim()
        .split('\n')
        .sort();
      expect(keys).toEqual(
        [...packagesIn(channel).map((f) => `team/channel/noarch/${f}`), 'team/channel/noarch/repodata.json'].sort(),
      );
      const published = JSON.parse(
        boto(
          "sys.stdout.write(s3.get_object(Bucket='conda',Key='team/channel/noarch/repodata.json')['Body'].read().decode())",
        ),
      );
      expect(published['packages.conda']).toEqual(index(channel)['packages.conda']);
      const etag = boto(
        `print(s3.head_object(Bucket='conda',Key='team/channel/noarch/${packagesIn(channel)[0]}')['ETag'])`,
      ).trim();
      expect(etag).toBe(
        `"${createHash('md5')
          .update(readFileSync(join(channel, 'noarch', packagesIn(channel)[0])))
          .digest('hex')}"`,
      );

      // The bucket's contents, downloaded as they are and served over HTTP, install with conda.
      const mirror = join(mkdtempSync(join(E2E_ROOT, 'bucket-')), 'channel');
      boto(
        `import os\nfor o in s3.list_objects_v2(Bucket='conda',Prefix='team/channel/')['Contents']:\n` +
          `    p=os.path.join('${mirror}',o['Key'][len('team/channel/'):]); os.makedirs(os.path.dirname(p),exist_ok=True); s3.download_file('conda',o['Key'],p)`,
      );
      const http = await startServer('static', mirror);
      try {
        expect(condaInstall(http.url).files).toEqual(['ca', 'cb', 'cc']);
      } finally {
        await http.stop();
      }

      const rerun = ws.nx(
        ['run', 'conda-channel:publish', '--destination=s3://conda/team/channel', `--endpoint=${s3.endpoint}`],
        env(),
      );
      expectSuccess(rerun);
      expect(rerun.output).toMatch(/0 new package\(s\), 3 already there, 0 index file\(s\) updated/);

      boto(`s3.put_object(Bucket='conda',Key='team/channel/noarch/${packagesIn(channel)[1]}',Body=b'other')`);
      const conflict = ws.nx(
        ['run', 'conda-channel:publish', '--destination=s3://conda/team/channel', `--endpoint=${s3.endpoint}`],
        env(),
      );
      expect(conflict.code).not.toBe(0);
      expect(conflict.output).toContain(`already has noarch/${packagesIn(channel)[1]} with other content`);

      const noBucket = ws.nx(
        ['run', 'conda-channel:publish', '--destination=s3://missing-bucket/x', `--endpoint=${s3.endpoint}`],
        env(),
      );
      expect(noBucket.code).not.toBe(0);
      expect(noBucket.output).toMatch(/s3:\/\/missing-bucket\/x\/noarch\/.* answered 404 NoSuchBucket: no such bucket/);
      const noCredentials = ws.nx(
        ['run', 'conda-channel:publish', '--destination=s3://conda/x', `--endpoint=${s3.endpoint}`],
        { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      );
      expect(noCredentials.code).not.toBe(0);
      expect(noCredentials.output).toContain('publishing to S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    });
  });
});
