import {
  isOurPackageRef,
  isUpToDate,
  packageImageOf,
  packageLabels,
  packageSpecOfFile,
  labelInstruction,
  renderDockerfile,
  channelSecrets,
  installStageLabel,
  untestedTag,
} from './package-plan';

const WS = '0123456789abcdef';

describe('package image names', () => {
  it('reads name, version and build from a package file name (the name may hold dashes)', () => {
    expect(packageSpecOfFile('hello-tool-1.0-0.conda')).toEqual({ name: 'hello-tool', version: '1.0', build: '0' });
    expect(packageSpecOfFile('r-base-4.1.0-py_0.tar.bz2')).toEqual({ name: 'r-base', version: '4.1.0', build: 'py_0' });
    expect(packageImageOf('biocontainers', 'linux-64', 'samtools-1.9-h91753b0_8.conda')).toMatchObject({
      tag: 'biocontainers/samtools:1.9--h91753b0_8',
      subdir: 'linux-64',
    });
    expect(() => packageSpecOfFile('x-1.conda')).toThrow(/not a conda package file name/);
    expect(() => packageSpecOfFile('Bad-1-0.conda')).toThrow(/not a package name/);
  });
});

describe('labels: ours, up to date', () => {
  const labels = new Map(Object.entries(packageLabels(WS, 'hello', 'hello-1.0-0.conda', 'ab'.repeat(32), 'passed')));

  it('reuses only an image of the same file, workspace and project', () => {
    const wanted = { 'nx-conda.package-sha256': 'ab'.repeat(32), 'nx-conda.workspace': WS };
    expect(isUpToDate(labels, wanted)).toBe(true);
    expect(isUpToDate(labels, { ...wanted, 'nx-conda.package-sha256': 'cd'.repeat(32) })).toBe(false);
    expect(isUpToDate(undefined, wanted)).toBe(false);
  });

  it('takes a ref as ours by label and tag form only', () => {
    expect(isOurPackageRef('biocontainers/hello:1.0--0', labels, WS)).toBe(true);
    expect(isOurPackageRef('localhost:5000/biocontainers/hello:1.0--0', labels, WS)).toBe(true);
    expect(isOurPackageRef(untestedTag('hello', 'ab'.repeat(32)), labels, WS)).toBe(true);
    expect(isOurPackageRef('biocontainers/hello:1.0--0', labels, WS, 'hello')).toBe(true);
    // Another platform's image, here and under its registry name.
    expect(isOurPackageRef('biocontainers/hello:1.0--0-arm64', labels, WS)).toBe(true);
    expect(isOurPackageRef('localhost:5000/biocontainers/hello:1.0--0-amd64', labels, WS)).toBe(true);
    expect(isOurPackageRef('biocontainers/hello:1.0--0-derived', labels, WS)).toBe(false);
    // Another project, another workspace, an image built FROM ours under another tag, no labels.
    expect(isOurPackageRef('biocontainers/hello:1.0--0', labels, WS, 'other')).toBe(false);
    expect(isOurPackageRef('biocontainers/hello:1.0--0', labels, 'fedcba9876543210')).toBe(false);
    expect(isOurPackageRef('biocontainers/hello:derived', labels, WS)).toBe(false);
    expect(isOurPackageRef('biocontainers/hello:1.0--0', new Map(), WS)).toBe(false);
  });
});

describe('renderDockerfile', () => {
  it('installs at /usr/local in a stage and copies only /usr/local onto the base', () => {
    const text = renderDockerfile({
      installerImage: 'lab/conda:1',
      baseImage: 'bioconda/base-glibc-busybox-bash:latest',
      spec: { name: 'hello', version: '1.0', build: '0' },
      channels: ['conda-forge'],
    });
    expect(text).toBe(
      [
        'FROM lab/conda:1 AS install',
        'COPY channel /opt/nx-conda/channel',
        'RUN ["env","CONDA_PKGS_DIRS=/tmp/nx-conda-pkgs","conda","create","--yes","--quiet","--prefix","/usr/local","--override-channels","--channel","file:///opt/nx-conda/channel","--channel","conda-forge","hello==1.0=0"]',
        '',
        'FROM bioconda/base-glibc-busybox-bash:latest',
        'COPY --from=install /usr/local /usr/local',
        '',
      ].join('\n'),
    );
  });
});

describe('install stage label', () => {
  it('labels only the install stage, with the workspace and the package sha256', () => {
    const stage = installStageLabel(WS, 'ab'.repeat(32));
    expect(stage).toBe(`${WS}-${'ab'.repeat(32)}`);
    const text = renderDockerfile({
      installerImage: 'lab/conda:1',
      baseImage: 'base:1',
      spec: { name: 'hello', version: '1.0', build: '0' },
      channels: [],
      stageLabel: stage,
    });
    const [install, final] = text.split('\n\n');
    expect(install.split('\n')[1]).toBe(`LABEL "nx-conda.install-stage"="${stage}"`);
    expect(final).not.toContain('LABEL');
  });

  it('writes the final labels as one instruction of the final stage, quoted so that nothing is substituted', () => {
    const text = renderDockerfile({
      installerImage: 'lab/conda:1',
      baseImage: 'base:1',
      spec: { name: 'hello', version: '1.0', build: '0' },
      channels: [],
      stageLabel: installStageLabel(WS, 'ab'.repeat(32)),
      labels: { 'nx-conda': 'package', 'nx-conda.project': 'odd$HOME"x\\y' },
    });
    const [install, final] = text.split('\n\n');
    expect(install.match(/^LABEL /gm)).toHaveLength(1);
    expect(final.split('\n')).toEqual([
      'FROM base:1',
      'COPY --from=install /usr/local /usr/local',
      'LABEL "nx-conda"="package" "nx-conda.project"="odd\\$HOME\\"x\\\\y"',
      '',
    ]);
    expect(labelInstruction({})).toEqual([]);
    expect(() => labelInstruction({ a: 'x\ny' })).toThrow(/control character/);
  });

  it('refuses what is not hex (it goes into a Dockerfile)', () => {
    expect(() => installStageLabel('x"y', 'ab'.repeat(32))).toThrow(/not hex/);
    expect(() => installStageLabel(WS, 'ab')).toThrow(/not hex/);
    expect(() => installStageLabel(WS, `${'ab'.repeat(31)}a\n`)).toThrow(/not hex/);
  });
});

// Issue 31, point 6: no pushed image carries a channel credential.
describe('channel credentials and the final image', () => {
  const channels = [
    'https://bob:s3cr%40t-pw@channels.example.org/lab',
    'https://conda.example.org/t/tk-1234567890/private',
    'conda-forge',
  ];
  it('channelSecrets: userinfo (raw and decoded), password, token', () => {
    expect(channelSecrets(channels).sort()).toEqual(
      ['bob:s3cr%40t-pw', 'bob:s3cr@t-pw', 's3cr%40t-pw', 's3cr@t-pw', 'tk-1234567890'].sort(),
    );
    expect(channelSecrets(['conda-forge', 'https://channels.example.org/x'])).toEqual([]);
  });

  it('scrubs conda-meta in the install stage when a channel has credentials; the final stage names none', () => {
    const text = renderDockerfile({
      installerImage: 'lab/conda:1',
      baseImage: 'base:1',
      spec: { name: 'hello', version: '1.0', build: '0' },
      channels,
    });
    const [install, final] = text.split(/\n(?=FROM base:1)/);
    const scrub = install.split('\n').find((l) => l.startsWith('RUN ["python3"'));
    expect(scrub).toBeDefined();
    const argv = JSON.parse(scrub!.slice(4)) as string[];
    expect(argv.slice(3)).toEqual(['/usr/local/conda-meta', ...channelSecrets(channels)]);
    for (const secret of channelSecrets(channels)) expect(final).not.toContain(secret);
    // Without credentials, no extra step.
    expect(
      renderDockerfile({
        installerImage: 'lab/conda:1',
        baseImage: 'base:1',
        spec: { name: 'hello', version: '1.0', build: '0' },
        channels: ['conda-forge'],
      }),
    ).not.toContain('python3');
  });
});
