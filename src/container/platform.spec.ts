import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertCanRun, enginePlatform, foreignEnginePlatform, nativeSubdir, PlatformError } from './platform';
import { buildArgv, runArgv } from './argv';

describe('engine platforms of conda subdirs', () => {
  it('maps the Linux subdirs and the host architecture', () => {
    expect(enginePlatform('linux-64')).toBe('linux/amd64');
    expect(enginePlatform('linux-aarch64')).toBe('linux/arm64');
    expect(enginePlatform('noarch')).toBeUndefined();
    expect(nativeSubdir('x64')).toBe('linux-64');
    expect(nativeSubdir('arm64')).toBe('linux-aarch64');
  });

  it('gives --platform only for another architecture than the host', () => {
    expect(foreignEnginePlatform('linux-aarch64', 'x64')).toBe('linux/arm64');
    expect(foreignEnginePlatform('linux-64', 'x64')).toBeUndefined();
    expect(foreignEnginePlatform('linux-aarch64', 'arm64')).toBeUndefined();
    expect(foreignEnginePlatform('linux-64', 'arm64')).toBe('linux/amd64');
    expect(foreignEnginePlatform('noarch', 'x64')).toBeUndefined();
  });

  it('refuses osx and win subdirs, saying why', () => {
    expect(() => enginePlatform('osx-arm64')).toThrow(PlatformError);
    expect(() => enginePlatform('osx-arm64')).toThrow(/osx-arm64 cannot be built in a Linux container/);
    expect(() => enginePlatform('win-64')).toThrow(/cannot be built in a Linux container/);
    expect(() => enginePlatform('linux-riscv64')).toThrow(/linux-riscv64 is not a platform nx-conda can build/);
  });
});

describe('assertCanRun', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nx-conda-binfmt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('needs nothing for the native platform or noarch', () => {
    expect(() => assertCanRun('linux-64', { arch: 'x64', binfmtDir: join(dir, 'absent') })).not.toThrow();
    expect(() => assertCanRun('noarch', { arch: 'x64', binfmtDir: join(dir, 'absent') })).not.toThrow();
  });

  it('says to mount binfmt_misc when it is not mounted', () => {
    expect(() => assertCanRun('linux-aarch64', { arch: 'x64', binfmtDir: dir })).toThrow(
      /binfmt_misc is not mounted .*apt-get install -y qemu-user-static binfmt-support/,
    );
  });

  it('says what to install when no handler is registered, or it is disabled', () => {
    writeFileSync(join(dir, 'register'), '');
    writeFileSync(join(dir, 'status'), 'enabled\n');
    expect(() => assertCanRun('linux-aarch64', { arch: 'x64', binfmtDir: dir })).toThrow(
      /no enabled qemu-aarch64 handler .*qemu-user-static binfmt-support.*update-binfmts --enable qemu-aarch64/,
    );
    writeFileSync(join(dir, 'qemu-aarch64'), 'disabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n');
    expect(() => assertCanRun('linux-aarch64', { arch: 'x64', binfmtDir: dir })).toThrow(PlatformError);
  });

  it('passes with an enabled handler', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'status'), 'enabled\n');
    writeFileSync(
      join(dir, 'qemu-aarch64'),
      'enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n',
    );
    expect(() => assertCanRun('linux-aarch64', { arch: 'x64', binfmtDir: dir })).not.toThrow();
  });

  it('refuses osx before looking for an emulator', () => {
    expect(() => assertCanRun('osx-64', { arch: 'x64', binfmtDir: dir })).toThrow(
      /cannot be built in a Linux container/,
    );
  });
});

describe('--platform on the engine command line', () => {
  it('is given to run and build when set, and checked', () => {
    const run = runArgv({ engine: 'docker', image: 'img:1', command: ['true'], platform: 'linux/arm64' }, 'n');
    expect(run).toContain('--platform=linux/arm64');
    expect(runArgv({ engine: 'docker', image: 'img:1', command: ['true'] }, 'n').join(' ')).not.toMatch(/--platform/);
    const build = buildArgv({ engine: 'podman', contextDir: '/c', tags: ['t:1'], platform: 'linux/arm64' }, '/c/D');
    expect(build).toContain('--platform=linux/arm64');
    expect(() =>
      runArgv({ engine: 'docker', image: 'img:1', command: ['true'], platform: 'linux/arm64 --privileged' }, 'n'),
    ).toThrow(/not os\/arch/);
  });
});
