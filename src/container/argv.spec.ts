import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildArgv,
  containerListArgv,
  containerName,
  formatCommand,
  imageListArgv,
  maskCredentials,
  mountArg,
  matchesReference,
  parseImageList,
  runArgv,
} from './argv';
import { maskArgs, masker } from './secrets';
import { engineEnvironment } from './engine-env';
import { hardeningArgs, validateRunArgs } from './hardening';
import { adapterFor, hostOwnerInContainer } from './adapter';
import { FOLLOW_SCRIPT } from './follow';
import { resolveEngine } from '../core/defaults';
import { LineWriter, TailBuffer, bannerFilter, linePrefix } from './lines';

describe('runArgv', () => {
  it('always removes, inits, names and labels; never -t; env by name only', () => {
    const args = runArgv(
      {
        engine: 'docker',
        image: 'img:1',
        command: ['bash', '/opt/build.sh'],
        mounts: [
          { host: '/w/recipe', container: '/opt/recipe', readOnly: true },
          { host: '/w/stage', container: '/opt/stage' },
        ],
        env: { SECRET_TOKEN: 's3cr3t', HOST_USER_ID: '1000' },
        network: 'host',
        user: '1000:1000',
        workdir: '/opt',
        labels: { 'nx-conda.project': 'samtools' },
      },
      'nx-conda-abc',
    );
    expect(args).toEqual([
      'run',
      '--rm',
      '--init',
      '--interactive',
      '--name',
      'nx-conda-abc',
      '--label',
      'nx-conda=run',
      '--label',
      'nx-conda.project=samtools',
      '--network=host',
      '--user',
      '1000:1000',
      '--workdir',
      '/opt',
      '--mount',
      'type=bind,source=/w/recipe,target=/opt/recipe,readonly',
      '--mount',
      'type=bind,source=/w/stage,target=/opt/stage',
      '--env',
      'SECRET_TOKEN',
      '--env',
      'HOST_USER_ID',
      '--security-opt=no-new-privileges',
      'img:1',
      'sh',
      '-c',
      FOLLOW_SCRIPT,
      'nx-conda-follow-client',
      'bash',
      '/opt/build.sh',
    ]);
    expect(args).not.toContain('-t');
    expect(args.join(' ')).not.toContain('s3cr3t');
  });

  it('keeps a caller-given nx-conda label value', () => {
    const args = runArgv({ engine: 'docker', image: 'i', command: ['true'], labels: { 'nx-conda': 'build' } }, 'n');
    expect(args.filter((a) => a.startsWith('nx-conda='))).toEqual(['nx-conda=build']);
  });

  it('rejects bad and reserved env names, commas in mounts, empty commands', () => {
    const base = { engine: 'docker' as const, image: 'i', command: ['true'] };
    expect(() => runArgv({ ...base, env: { 'A-B': 'x' } }, 'n')).toThrow(/A-B/);
    expect(() => runArgv({ ...base, env: { PATH: '/x' } }, 'n')).toThrow(/PATH/);
    expect(() => runArgv({ ...base, env: { DOCKER_HOST: 'x' } }, 'n')).toThrow(/DOCKER_HOST/);
    expect(() => runArgv({ ...base, command: [] }, 'n')).toThrow(/command/);
    expect(() => mountArg({ host: '/a,b', container: '/c' })).toThrow(/comma/);
  });
});

describe('containerName', () => {
  it('is prefix-random, sanitized and unique', () => {
    expect(containerName('samtools', 'abc')).toBe('samtools-abc');
    expect(containerName('@scope/pkg name', 'x')).toBe('scope-pkg-name-x');
    expect(containerName(undefined, 'x')).toBe('nx-conda-x');
    expect(containerName('---', 'x')).toBe('nx-conda-x');
    expect(containerName('a')).not.toBe(containerName('a'));
  });
});

describe('buildArgv', () => {
  it('removes the container of a failed step, on both engines', () => {
    for (const engine of ['docker', 'podman'] as const)
      expect(buildArgv({ contextDir: '/c', tags: ['a/b:1'], engine }, '/c/D')).toContain('--force-rm');
  });
  it('keeps no intermediate image with podman when told (docker has no such switch)', () => {
    const o = { contextDir: '/c', tags: ['a/b:1'], keepLayers: false };
    expect(buildArgv({ ...o, engine: 'podman' }, '/c/D')).toContain('--layers=false');
    expect(buildArgv({ ...o, engine: 'docker' }, '/c/D')).not.toContain('--layers=false');
    expect(buildArgv({ ...o, engine: 'podman', keepLayers: undefined }, '/c/D')).not.toContain('--layers=false');
  });

  it('passes build args by name, labels, tags, network and no-cache', () => {
    const args = buildArgv(
      {
        engine: 'docker',
        contextDir: '/tmp/ctx',
        tags: ['nx-conda/builder:0123456789ab'],
        network: 'host',
        buildArgs: { TOKEN: 'hidden' },
        labels: { 'nx-conda': 'builder' },
        noCache: true,
      },
      '/tmp/ctx/Dockerfile',
    );
    expect(args).toEqual([
      'build',
      '--file',
      '/tmp/ctx/Dockerfile',
      '--tag',
      'nx-conda/builder:0123456789ab',
      '--network=host',
      '--no-cache',
      '--force-rm',
      '--build-arg',
      'TOKEN',
      '--label',
      'nx-conda=builder',
      '/tmp/ctx',
    ]);
    expect(args.join(' ')).not.toContain('hidden');
  });

  it('needs a tag', () => {
    expect(() => buildArgv({ engine: 'docker', contextDir: '.', tags: [] }, 'D')).toThrow(/tag/);
  });
});

describe('image and container listing', () => {
  it('builds filters', () => {
    expect(imageListArgv({ label: 'nx-conda=builder', reference: 'biocontainers/samtools' })).toEqual([
      'image',
      'ls',
      '--no-trunc',
      '--format',
      '{{.Repository}}:{{.Tag}} {{.ID}}',
      '--filter',
      'label=nx-conda=builder',
      '--filter',
      'reference=biocontainers/samtools',
    ]);
    expect(containerListArgv({ label: 'nx-conda' })).toEqual([
      'container',
      'ls',
      '--all',
      '--format',
      '{{.Names}}',
      '--filter',
      'label=nx-conda',
    ]);
  });

  it('parses refs, gives untagged images by id, strips podman localhost/', () => {
    const out =
      'biocontainers/samtools:1.9--h0 sha256:aa\n<none>:<none> sha256:bb\n\nbiocontainers/samtools:1.9--h0 sha256:aa\n';
    expect(parseImageList(out)).toEqual(['biocontainers/samtools:1.9--h0', 'sha256:bb']);
    const podman = adapterFor('podman');
    expect(parseImageList('localhost/nx-conda/builder:abc sha256:cc', podman.normalizeRef)).toEqual([
      'nx-conda/builder:abc',
    ]);
  });

  it('matches a reference filter by name, as Docker does, never another name of the same image', () => {
    expect(matchesReference('nx-conda/builder:abc', 'nx-conda/builder')).toBe(true);
    expect(matchesReference('nx-conda/builder:abc', 'nx-conda/builder:abc')).toBe(true);
    expect(matchesReference('nx-conda/builder:abc', 'nx-conda/builder:def')).toBe(false);
    expect(matchesReference('nx-conda/builder:abc', 'nx-conda/*')).toBe(true);
    expect(matchesReference('registry:5000/nx-conda/builder:abc', 'registry:5000/nx-conda/builder')).toBe(true);
    // What podman's filter also lists for an image tagged twice: the other name.
    expect(matchesReference('nx-conda-e2e/conda-build:latest', 'nx-conda/builder')).toBe(false);
    expect(matchesReference('nx-conda/builder-old:abc', 'nx-conda/builder')).toBe(false);
    expect(matchesReference('sha256:bb', 'nx-conda/builder')).toBe(false);
  });
});

describe('engine adapter', () => {
  it('normalizes ids and recognizes "gone" errors of both engines', () => {
    const docker = adapterFor('docker');
    const podman = adapterFor('podman');
    expect(podman.normalizeId('0123abcd')).toBe('sha256:0123abcd');
    expect(docker.normalizeId('sha256:0123abcd\n')).toBe('sha256:0123abcd');
    expect(docker.isNoSuchImage('Error response from daemon: No such image: x:latest')).toBe(true);
    expect(podman.isNoSuchImage('Error: x: image not known')).toBe(true);
    expect(docker.isNoSuchImage('Cannot connect to the Docker daemon at unix:///var/run/docker.sock')).toBe(false);
    expect(docker.isNoSuchContainer('Error response from daemon: No such container: n')).toBe(true);
    expect(podman.isNoSuchContainer('Error: no container with name or ID "n" found: no such container')).toBe(true);
    expect(() => adapterFor('nerdctl' as never)).toThrow(/nerdctl/);
    expect(resolveEngine(undefined)).toBe('docker');
    expect(resolveEngine('podman')).toBe('podman');
    expect(() => resolveEngine('lxc', (m) => new TypeError(m))).toThrow(
      new TypeError("engine 'lxc' is not supported: use 'docker' or 'podman'"),
    );
  });
});

describe('hostOwnerInContainer', () => {
  it('is root in rootless podman (container root is the host user), the host ids elsewhere', () => {
    expect(hostOwnerInContainer('podman', 1000, 1001)).toEqual({ uid: 0, gid: 0 });
    expect(hostOwnerInContainer('podman', 0, 0)).toEqual({ uid: 0, gid: 0 });
    expect(hostOwnerInContainer('podman', 0, 5)).toEqual({ uid: 0, gid: 5 });
    expect(hostOwnerInContainer('docker', 1000, 1001)).toEqual({ uid: 1000, gid: 1001 });
    expect(hostOwnerInContainer('docker', 0, 0)).toEqual({ uid: 0, gid: 0 });
  });
});

describe('formatCommand and maskCredentials', () => {
  it('masks URL credentials and quotes for the shell', () => {
    expect(maskCredentials('http://user:pa$$@proxy:3128 and https://tok@h/x')).toBe(
      'http://***@proxy:3128 and https://***@h/x',
    );
    expect(maskCredentials('http://proxy:3128')).toBe('http://proxy:3128');
    expect(maskCredentials('http://h/p?q=a@b#c@d')).toBe('http://h/p?q=a@b#c@d');
    expect(maskCredentials('http://u:p@ss@host:3128/x@y')).toBe('http://***@host:3128/x@y');
    expect(maskCredentials('https://u:a@b@c@h a@b http://h/@x')).toBe('https://***@h a@b http://h/@x');
    expect(formatCommand('docker', ['run', '--label', 'a=b c', "it's", 'http://u:p@h'])).toBe(
      "docker run --label 'a=b c' 'it'\\''s' 'http://***@h'",
    );
  });
});

describe('LineWriter', () => {
  it('writes whole prefixed lines live, across chunk and UTF-8 boundaries, and keeps a shared tail', () => {
    const written: string[] = [];
    const tail = new TailBuffer(2);
    const out = new LineWriter((s) => written.push(s), '[p] ', tail);
    const err = new LineWriter((s) => written.push(s), '[p] ', tail);
    const euro = Buffer.from('€\n');
    out.push('hel');
    expect(written).toEqual([]);
    out.push('lo\r\nwor');
    err.push(euro.subarray(0, 1));
    err.push(euro.subarray(1));
    out.push('ld');
    out.flush();
    err.flush();
    expect(written).toEqual(['[p] hello\n', '[p] €\n', '[p] world\n']);
    expect(tail.lines()).toEqual(['€', 'world']);
  });

  it('linePrefix brackets a name, keeps a prefix ending in space', () => {
    expect(linePrefix('samtools')).toBe('[samtools] ');
    expect(linePrefix('samtools | ')).toBe('samtools | ');
    expect(linePrefix(undefined)).toBe('');
  });
});

describe('bannerFilter', () => {
  it("drops docker's legacy-builder banner and nothing else", () => {
    const f = bannerFilter();
    const lines = [
      'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.',
      '            Install the buildx component to build images with BuildKit:',
      '            https://docs.docker.com/go/buildx/',
      '',
      'Step 1/2 : FROM x',
      '',
    ];
    expect(lines.map(f).filter((l) => l !== undefined)).toEqual(['Step 1/2 : FROM x', '']);
  });
});

describe('secrets are masked in every form (issue 9)', () => {
  it.each([
    [
      'https://conda.anaconda.org/t/ab-1234567890abcdef/bioconda/linux-64',
      'https://conda.anaconda.org/t/***/bioconda/linux-64',
    ],
    ['-c https://repo.example/t/secrettoken', '-c https://repo.example/t/***'],
    ['HTTPS_PROXY=user:pa55word@proxy.lan:3128', 'HTTPS_PROXY=***@proxy.lan:3128'],
    ['proxy user:p@ss@proxy:8080 used', 'proxy ***@proxy:8080 used'],
    ['http://user:pa/ss@proxy:3128/', 'http://***@proxy:3128/'],
    ['http://user:pa#ss@proxy:3128', 'http://***@proxy:3128'],
    ['http://user:pa?s/s#x@proxy.lan', 'http://***@proxy.lan'],
    ['"http://u:p@h:1"', '"http://***@h:1"'],
    [
      'git@github.com:org/repo and http://host:8080/x@y and user@example.org',
      'git@github.com:org/repo and http://host:8080/x@y and user@example.org',
    ],
  ])('%s', (text, masked) => {
    expect(maskCredentials(text)).toBe(masked);
  });

  it('hides the value of secret-looking build args and reports them for masking elsewhere', () => {
    expect(
      maskArgs(['--token', 'abc123', '--api-key=k3y', '-c', 'https://u:p@h/x', '--no-test', '--password', 'x']),
    ).toEqual({
      shown: ['--token', '***', '--api-key=***', '-c', 'https://***@h/x', '--no-test', '--password', '***'],
      hidden: ['abc123', 'k3y', 'x'],
    });
  });

  it('masks given values (4 characters or more) and credentials in any text', () => {
    expect(masker(['s3cr3t-value', 'ab'])('echo s3cr3t-value ab http://u:p@h')).toBe('echo *** ab http://***@h');
  });
});

describe('the engine client gets only what it needs (issue 9)', () => {
  it('keeps engine settings, locale and proxies of ours, drops the rest, adds the passed values', () => {
    const ours = {
      PATH: '/bin',
      HOME: '/h',
      DOCKER_HOST: 'unix:///d',
      CONTAINER_HOST: 'x',
      XDG_RUNTIME_DIR: '/run/u',
      LANG: 'C',
      NPM_TOKEN: 'n',
      NX_CONDA_X: '1',
      LD_PRELOAD: '/evil.so',
      https_proxy: 'http://p',
    };
    expect(engineEnvironment(ours, { MY_TOKEN: 't' })).toEqual({
      PATH: '/bin',
      HOME: '/h',
      DOCKER_HOST: 'unix:///d',
      CONTAINER_HOST: 'x',
      XDG_RUNTIME_DIR: '/run/u',
      LANG: 'C',
      https_proxy: 'http://p',
      MY_TOKEN: 't',
    });
  });

  it.each([
    'LD_LIBRARY_PATH',
    'LD_PRELOAD',
    'CONTAINER_HOST',
    'CONTAINERS_CONF',
    'DOCKER_CONFIG',
    'XDG_RUNTIME_DIR',
    'GODEBUG',
    'SSL_CERT_FILE',
    'PATH',
    'HOME',
  ])("refuses %s as a container env name (it would also be the engine client's setting)", (name) => {
    expect(() => runArgv({ engine: 'docker', image: 'a', command: ['true'], env: { [name]: 'x' } }, 'n')).toThrow(
      new RegExp(`'${name}' cannot be passed`),
    );
  });
});

describe('hardening options and runArgs (issue 9)', () => {
  const env = { XDG_RUNTIME_DIR: '/run/user/1000', DOCKER_HOST: 'unix:///home/me/.docker/run/docker.sock' };
  it('turns limits into run flags, no-new-privileges on by default', () => {
    expect(
      hardeningArgs(
        { memory: '8g', cpus: 1.5, pidsLimit: 4096, runArgs: ['--shm-size=2g', '--cap-drop=NET_RAW'] },
        env,
      ),
    ).toEqual([
      '--memory=8g',
      '--cpus=1.5',
      '--pids-limit=4096',
      '--security-opt=no-new-privileges',
      '--shm-size=2g',
      '--cap-drop=NET_RAW',
    ]);
    expect(hardeningArgs({ noNewPrivileges: false }, env)).toEqual([]);
    expect(() => hardeningArgs({ memory: '--privileged' }, env)).toThrow(/not a size/);
    expect(() => hardeningArgs({ cpus: -1 }, env)).toThrow(/positive/);
    expect(() => hardeningArgs({ pidsLimit: 1.5 }, env)).toThrow(/whole number/);
  });

  it.each([
    ['--volume=/var/run/docker.sock:/var/run/docker.sock', /engine socket/],
    ['--volume=/run:/host-run', /engine socket/],
    ['--volume=/:/host', /engine socket/],
    ['--mount=type=bind,source=/run/user/1000/podman/podman.sock,target=/s', /engine socket/],
    ['--mount=type=bind,src=/home/me/.docker/run,target=/s', /engine socket/],
    ['--volume=/run/user/1000:/x', /engine socket/],
    ['--privileged', /hands the build container the host/],
    ['--pid=host', /hands the build container the host/],
    ['--security-opt=no-new-privileges=false', /only no-new-privileges may be added/],
    ['--name=x', /nx-conda sets it itself/],
    ['--env=LD_PRELOAD=/x', /nx-conda sets it itself/],
    ['-v', /needs a value/],
    ['--rm alpine', /not an engine option/],
    ['alpine', /not an engine option/],
  ])('refuses %s', (arg, why) => {
    expect(() => validateRunArgs([arg], env)).toThrow(why);
  });

  // Issue 18, point 9: each of these got past the old deny-list.
  it.each([
    ['--mount=type=bind,SRC=/,target=/h', /engine socket/],
    ['--mount=type=bind,Source=/var/run/docker.sock,target=/s', /engine socket/],
    ['--mount=type=bind,"src=/var/run",target=/s', /engine socket/],
    ['--mount=Type=Bind,src=/var/run,dst=/s', /engine socket/],
    [
      '--mount=type=volume,src=v,target=/h,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/',
      /volume driver/,
    ],
    ['--mount=type=volume,src=v,target=/h,volume-opt=device=/', /volume options/],
    ['--volume=./../../var/run/docker.sock:/s', /engine socket/],
    ['--volume=/proc/1/root:/h', /the host itself/],
    ['--mount=type=bind,source=/proc/1/root,target=/h', /the host itself/],
    ['--cap-add=ALL', /capabilities/],
    ['--device=/dev/sda', /device/],
    ['--security-opt=seccomp=unconfined', /loosen/],
    ['--security-opt=apparmor=unconfined', /loosen/],
    ['--security-opt=no-new-privileges=0', /only no-new-privileges/],
    ['--security-opt=no-new-privileges:false', /only no-new-privileges/],
    ['--userns=host', /host namespace/],
    ['--volume-driver=local', /volume driver/],
    ['--mount=type=bind,src=/data,target=/d,bind-propagation=rshared', /propagation/],
    ['--some-new-flag=1', /not on the list/],
  ])('refuses the bypass %s', (arg, why) => {
    expect(() => validateRunArgs([arg], env, '/work/ws')).toThrow(why);
  });

  it('refuses the bypass in the --flag value form too', () => {
    expect(() => validateRunArgs(['--volume', '/:/h'], env)).toThrow(/engine socket/);
    expect(() => validateRunArgs(['--security-opt', 'seccomp=unconfined'], env)).toThrow(/loosen/);
    expect(() => validateRunArgs(['-v', '/proc/1/root:/h'], env)).toThrow(/the host itself/);
  });

  it('refuses a bind source that is a link to the host root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runargs-'));
    try {
      symlinkSync('/', join(dir, 'root'));
      expect(() => validateRunArgs([`--volume=${dir}/root:/h`], env)).toThrow(/engine socket/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts ordinary mounts and flags, in one canonical --flag=value form with absolute host paths', () => {
    expect(
      validateRunArgs(
        [
          '--volume=/data/refs:/refs:ro',
          '--volume=cache:/root/.cache',
          '--mount=type=tmpfs,target=/tmp',
          '--ulimit=nofile=4096',
          '-v',
          './refs:/refs2:ro',
          '--mount',
          'Type=bind,"Source=refs",dst=/r,ReadOnly',
          '--shm-size',
          '2g',
          '--security-opt=no-new-privileges:true',
          '--read-only',
        ],
        env,
        '/work/ws',
        { workspace: '/work/ws', allowed: ['/data'] },
      ),
    ).toEqual([
      '--volume=/data/refs:/refs:ro',
      '--volume=cache:/root/.cache',
      '--mount=type=tmpfs,target=/tmp',
      '--ulimit=nofile=4096',
      '--volume=/work/ws/refs:/refs2:ro',
      '--mount=type=bind,source=/work/ws/refs,target=/r,readonly',
      '--shm-size=2g',
      '--security-opt=no-new-privileges:true',
      '--read-only',
    ]);
  });

  // Issue 31, point 3: bind sources are an allow-list (the workspace, mountSources), never a socket, system folder or home.
  describe('bind mount sources', () => {
    const ws = '/work/ws';
    const everywhere = { workspace: ws, allowed: ['/'] };
    it.each([
      '/run/dbus/system_bus_socket',
      '/run/systemd/private',
      '/run/k3s',
      '/var/snap/lxd/common/lxd/unix.socket',
      '/usr',
      '/usr/share',
      '/root',
      '/var/spool/cron',
      '/lib/systemd/system',
      '/var/lib/kubelet',
      '/tmp',
      '/home',
    ])('refuses %s whatever mountSources says', (source) => {
      for (const arg of [`--volume=${source}:/h`, `--mount=type=bind,src=${source},dst=/h`])
        expect(() => validateRunArgs([arg], env, ws, everywhere)).toThrow(/system folder|engine socket|home/);
    });

    it('refuses a home and its dot-folders whatever mountSources says', () => {
      const home = homedir(); // /root when run as root: a system folder too
      expect(() => validateRunArgs([`-v=${home}:/h`], env, ws, everywhere)).toThrow(/home|system folder/);
      const me = { ...env, HOME: '/home/someone' };
      expect(() => validateRunArgs(['-v=/home/someone:/h'], me, ws, everywhere)).toThrow(
        'it is or holds the home /home/someone',
      );
      expect(() => validateRunArgs(['-v=/home/someone/.ssh:/h'], me, ws, everywhere)).toThrow(
        /dot-folder of the home \/home\/someone/,
      );
      expect(validateRunArgs(['-v=/home/someone/refs:/h'], me, ws, everywhere)).toEqual([
        '--volume=/home/someone/refs:/h:ro',
      ]);
    });

    it('refuses a folder outside the workspace unless mountSources lists it (or a folder holding it)', () => {
      expect(() => validateRunArgs(['--volume=/data/refs:/refs'], env, ws)).toThrow(
        'runArgs cannot mount /data/refs: it is outside the workspace; list it (or a folder holding it) in mountSources to allow it.',
      );
      expect(validateRunArgs(['--volume=/data/refs:/refs'], env, ws, { workspace: ws, allowed: ['/data'] })).toEqual([
        '--volume=/data/refs:/refs:ro',
      ]);
    });

    it('refuses a folder that holds a socket (a desktop engine socket deep inside), and one that is a socket', async () => {
      const root = mkdtempSync(join(tmpdir(), 'runargs-ws-'));
      const server = createServer();
      try {
        mkdirSync(join(root, 'data', '.docker', 'desktop'), { recursive: true });
        const socket = join(root, 'data', '.docker', 'desktop', 'docker.sock');
        await new Promise<void>((done) => server.listen(socket, done));
        const policy = { workspace: root };
        expect(() => validateRunArgs(['-v=./data:/d'], env, root, policy)).toThrow(`holds the socket ${socket}`);
        expect(() => validateRunArgs([`--mount=type=bind,src=${socket},dst=/s`], env, root, policy)).toThrow(
          /engine socket|socket/,
        );
        expect(() => validateRunArgs(['-v=.:/w'], env, root, policy)).toThrow(/tmp\/nx-conda|socket/);
      } finally {
        server.close();
        rmSync(root, { recursive: true, force: true });
      }
    });

    it("refuses the workspace folder itself and tmp/nx-conda: they hold nx-conda's control files", () => {
      expect(() => validateRunArgs(['-v=.:/w'], env, ws)).toThrow(/tmp\/nx-conda/);
      expect(() => validateRunArgs(['-v=./tmp/nx-conda:/w'], env, ws)).toThrow(/tmp\/nx-conda/);
    });

    it('makes bind mounts read-only unless the user asks for rw / readonly=false; volumes stay as given', () => {
      expect(
        validateRunArgs(
          [
            '-v=./refs:/r',
            '-v=./out:/o:rw',
            '-v=./z:/z:z',
            '--mount=type=bind,src=refs,dst=/r2',
            '--mount=type=bind,src=out,dst=/o2,readonly=false',
            '-v=cache:/c',
          ],
          env,
          ws,
        ),
      ).toEqual([
        '--volume=/work/ws/refs:/r:ro',
        '--volume=/work/ws/out:/o:rw',
        '--volume=/work/ws/z:/z:z,ro',
        '--mount=type=bind,source=/work/ws/refs,target=/r2,readonly',
        '--mount=type=bind,source=/work/ws/out,target=/o2',
        '--volume=cache:/c',
      ]);
    });
  });

  it('puts the hardening flags before the image, so none can become the command', () => {
    const args = runArgv(
      { engine: 'docker', image: 'img:1', command: ['true'], hardening: { runArgs: ['--shm-size=1g'] } },
      'n',
    );
    expect(args.indexOf('--shm-size=1g')).toBeLessThan(args.indexOf('img:1'));
  });
});
