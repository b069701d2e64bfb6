import { engineFailure, ImageBuildError, imageBuildFailure } from './errors';
import { UserError } from '../core/errors';

describe('imageBuildFailure: a failed image build is a user error naming the image and what to do', () => {
  it('names the engine, the image and the exit code, quotes the last lines, and says what to do', () => {
    const error = imageBuildFailure('docker', 'nx-conda/builder:abc123', { exitCode: 1 }, [
      'Step 3/5 : RUN mamba install -y samtools',
      'error: nothing provides samtools',
    ]);
    expect(error).toBeInstanceOf(ImageBuildError);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'docker build of image nx-conda/builder:abc123 failed (exit code 1); last lines of output:\n' +
        'Step 3/5 : RUN mamba install -y samtools\nerror: nothing provides samtools\n' +
        'Find the step that failed in the output above, fix it (the base image, a requirement, a build argument, ' +
        "the network) and run the target again; --verbose shows docker's whole output.",
    );
  });

  it('names the signal that ended the engine when there is no exit code, and works without output', () => {
    expect(imageBuildFailure('podman', 'x:1', { signal: 'SIGKILL' }, []).message).toMatch(
      /^podman build of image x:1 failed \(SIGKILL\)\. Find the step/,
    );
    expect(imageBuildFailure('podman', 'x:1', {}, []).message).toMatch(/failed \(killed\)/);
  });
});

describe('engineFailure: one line, the reason', () => {
  it("skips podman's progress lines, and an engine's (or a registry's) text never carries control sequences", () => {
    expect(
      engineFailure(
        'podman',
        'image pull r.example.org/a:1',
        'Trying to pull r.example.org/a:1...\nError: initializing source docker://r.example.org/a:1: reading manifest 1 in r.example.org/a: manifest unknown\n',
      ).message,
    ).toBe(
      'podman image pull r.example.org/a:1 failed: Error: initializing source docker://r.example.org/a:1: reading manifest 1 in r.example.org/a: manifest unknown',
    );
    expect(engineFailure('docker', 'image push x', 'denied: \u001b]0;pwned\u0007\u001b[2Jno').message).toBe(
      'docker image push x failed: denied: no',
    );
  });
});

describe('engineFailure: a socket that is not ours (issue 30, point 6)', () => {
  it('says whose socket it is and what to do, for docker and podman', () => {
    const docker = engineFailure(
      'docker',
      'image ls',
      'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.50/images/json": dial unix /var/run/docker.sock: connect: permission denied\n',
    ).message;
    expect(docker).toMatch(
      /^docker image ls failed: permission denied while trying to connect to the Docker daemon socket/,
    );
    expect(docker).toContain(
      "The engine's socket belongs to another user or group: add your user to the docker group (and log in again), or point DOCKER_HOST at an engine of your own",
    );
    expect(
      engineFailure(
        'podman',
        'image ls',
        'Cannot connect to Podman. ... dial unix /run/user/1001/podman/podman.sock: connect: permission denied',
      ).message,
    ).toContain('point CONTAINER_HOST at a socket of your own');
    expect(
      engineFailure('docker', 'image ls', 'Cannot connect to the Docker daemon. Is it running?').message,
    ).not.toContain('belongs to another user');
  });
});
