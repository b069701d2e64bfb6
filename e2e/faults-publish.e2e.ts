import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startS3Server, type S3Server } from './utils/moto';
import { E2E_ROOT } from './utils/paths';
import { createWorkspace, expectSuccess, startNx, until, type Workspace } from './utils/workspace';

/**
 * Issue 30, point 5: a publish killed with SIGKILL (the whole process group,
 * as a cancelled CI job) in the middle of its uploads, to a folder and to S3
 * on moto. What a reader of the destination sees right after: no index
 * names a package it does not hold, every package it had is still there and
 * listed; the next publish completes it. (Every kill point, before and
 * inside each write, is src/channel/publish-kill.property.spec.ts.)
 */
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** A channel folder of noarch packages of `size` random bytes each (kept when already there), indexed with their sha256 and size. */
function writeChannel(dir: string, names: string[], size: number): void {
  for (const subdir of ['noarch', 'linux-64']) mkdirSync(join(dir, subdir), { recursive: true });
  const records: Record<string, object> = {};
  for (const name of names) {
    const file = `${name}-1.0-h0_0.conda`;
    // A package made once keeps its content: a later channel holds the same file.
    const path = join(dir, 'noarch', file);
    const content = existsSync(path) ? readFileSync(path) : randomBytes(size);
    writeFileSync(path, content);
    records[file] = {
      name,
      version: '1.0',
      build: 'h0_0',
      build_number: 0,
      subdir: 'noarch',
      size: content.length,
      sha256: sha256(content),
      md5: md5(content),
    };
  }
  const index = (subdir: string, r: object) =>
    JSON.stringify({ info: { subdir }, packages: {}, 'packages.conda': r, removed: [], repodata_version: 1 });
  writeFileSync(join(dir, 'noarch', 'repodata.json'), index('noarch', records));
  writeFileSync(join(dir, 'linux-64', 'repodata.json'), index('linux-64', {}));
}

function publisher(): Workspace {
  const ws = createWorkspace('fault-publish');
  ws.write(
    'tools/pub/project.json',
    JSON.stringify({ name: 'pub', targets: { publish: { executor: 'nx-conda:publish', options: {} } } }),
  );
  return ws;
}

/** What a destination holds: its noarch index's records and its package files' contents. */
interface Seen {
  records: Record<string, { md5: string; size: number }>;
  /** Each package file's size and MD5 (on S3: its single-part ETag). */
  files: Map<string, { size: number; md5: string }>;
}

/** No record without its file, whole; every package published before still there and listed. */
function expectConsistent(seen: Seen, before: string[]): void {
  for (const [file, record] of Object.entries(seen.records)) {
    const held = seen.files.get(file);
    expect({ file, there: held !== undefined }).toEqual({ file, there: true });
    expect({ file, ...held }).toEqual({ file, md5: record.md5, size: record.size });
  }
  for (const file of before) {
    expect(seen.files.has(file)).toBe(true);
    expect(Object.keys(seen.records)).toContain(file);
  }
}

const OLD = ['old-a', 'old-b'];
const NEW = Array.from({ length: 80 }, (_, i) => `pkg${String(i).padStart(3, '0')}`);

/** Publishes OLD, then a channel with OLD and NEW killed after its third upload; returns the kill run's output. */
async function publishKilled(
  ws: Workspace,
  args: string[],
  env: Record<string, string>,
  uploaded: (output: string) => number,
): Promise<string> {
  writeChannel(join(ws.root, 'dist/channel'), OLD, 4096);
  expectSuccess(ws.nx(['run', 'pub:publish', ...args], env));
  writeChannel(join(ws.root, 'dist/channel'), [...OLD, ...NEW], 512 * 1024);
  const run = startNx(ws, ['run', 'pub:publish', ...args], env);
  try {
    // The uploads are fast: a tight watch on the destination, so that the kill lands among them.
    await until('the publish to start', () => run.output().includes('nx run pub:publish'), 120, run.output);
    const deadline = Date.now() + 120_000;
    while (uploaded(run.output()) < 3 && run.child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setImmediate(r)); // the child's output still arrives
  } finally {
    if (run.child.exitCode === null) process.kill(-run.child.pid!, 'SIGKILL');
    await run.exited;
  }
  // Killed in the middle: some uploads done, not all.
  expect(uploaded(run.output())).toBeGreaterThanOrEqual(3);
  expect(uploaded(run.output())).toBeLessThan(NEW.length);
  return run.output();
}

describe('a publish killed with SIGKILL (issue 30, point 5)', () => {
  it('to a folder: the index names only whole files, nothing lost, the next publish completes it', async () => {
    const ws = publisher();
    const target = join(mkdtempSync(join(E2E_ROOT, 'killed-publish-')), 'channel');
    const args = [`--channelPath=dist/channel`, `--destination=${target}`];
    const oldFiles = OLD.map((n) => `${n}-1.0-h0_0.conda`);
    const inTarget = () =>
      existsSync(join(target, 'noarch'))
        ? readdirSync(join(target, 'noarch')).filter((f) => /^pkg.*\.conda$/.test(f)).length
        : 0;
    await publishKilled(ws, args, {}, inTarget);

    const seen = (): Seen => ({
      records: JSON.parse(readFileSync(join(target, 'noarch', 'repodata.json'), 'utf8'))['packages.conda'],
      files: new Map(
        readdirSync(join(target, 'noarch'))
          .filter((f) => f.endsWith('.conda'))
          .map((f) => {
            const content = readFileSync(join(target, 'noarch', f));
            return [f, { size: content.length, md5: md5(content) }];
          }),
      ),
    });
    const afterKill = seen();
    expectConsistent(afterKill, oldFiles);
    // The kill came before the index: it still lists only what was published before.
    expect(Object.keys(afterKill.records).sort()).toEqual(oldFiles);

    const next = ws.nx(['run', 'pub:publish', ...args]);
    expectSuccess(next);
    const done = seen();
    expectConsistent(done, oldFiles);
    expect(Object.keys(done.records).length).toBe(OLD.length + NEW.length);
    // What the killed write left under a temporary name is never listed, and is not a package name.
    const leftovers = readdirSync(join(target, 'noarch')).filter((f) => f.startsWith('.nx-conda-tmp-'));
    for (const f of leftovers) expect(Object.keys(done.records)).not.toContain(f);
  });

  describe('to S3 (moto)', () => {
    let s3: S3Server;
    const env = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
    const boto = (code: string) =>
      execFileSync(
        s3.python,
        [
          '-c',
          `import boto3,sys,json\ns3=boto3.client('s3',endpoint_url='${s3.endpoint}',region_name='us-east-1',aws_access_key_id='testing',aws_secret_access_key='testing')\n${code}`,
        ],
        { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
      );
    beforeAll(async () => {
      s3 = await startS3Server();
      boto("s3.create_bucket(Bucket='conda')");
    });
    afterAll(async () => s3?.stop());

    it('the index names only whole objects, nothing lost, the next publish completes it', async () => {
      const ws = publisher();
      const args = ['--channelPath=dist/channel', '--destination=s3://conda/ch', `--endpoint=${s3.endpoint}`];
      const oldFiles = OLD.map((n) => `${n}-1.0-h0_0.conda`);
      await publishKilled(ws, args, env, (output) => (output.match(/^\s*wrote noarch\/pkg/gm) ?? []).length);

      const seen = (): Seen => {
        const listing = JSON.parse(
          boto(
            "r=s3.list_objects_v2(Bucket='conda',Prefix='ch/noarch/',MaxKeys=1000)\n" +
              "objs=[[o['Key'].split('/')[-1],o['Size'],o['ETag'].strip('\"')] for o in r.get('Contents',[])]\n" +
              "idx=s3.get_object(Bucket='conda',Key='ch/noarch/repodata.json')['Body'].read().decode()\n" +
              "sys.stdout.write(json.dumps({'objs':objs,'index':json.loads(idx)}))",
          ),
        );
        return {
          records: listing.index['packages.conda'],
          files: new Map(
            (listing.objs as [string, number, string][])
              .filter(([key]) => key.endsWith('.conda'))
              .map(([key, size, etag]) => [key, { size, md5: etag }]),
          ),
        };
      };
      const afterKill = seen();
      expectConsistent(afterKill, oldFiles);
      expect(Object.keys(afterKill.records).sort()).toEqual(oldFiles);

      const next = ws.nx(['run', 'pub:publish', ...args], env);
      expectSuccess(next);
      expect(next.output).toMatch(/index file\(s\) updated/);
      const done = seen();
      expectConsistent(done, oldFiles);
      expect(Object.keys(done.records).length).toBe(OLD.length + NEW.length);
    });
  });
});
