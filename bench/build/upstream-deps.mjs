// upstream-deps (issue 29, point 6): a recipe whose host environment needs
// BENCH_DEPS upstream packages of BENCH_DEP_MB each, served from a local
// HTTP channel at BENCH_MBPS, built by real rattler-build: without the
// package cache, the first build with an empty cache, and a second recipe
// needing the same packages with the cache filled. Bytes are counted at the
// server. Opt-in (heavy: hundreds of MB).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRecipe } from './fixtures.mjs';
import { IMAGES, ROOT, Workspace, log, num, sh, stats } from './runner.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Makes the channel with the base image's python3 and zstd: real packages of random (incompressible) data,
 * .conda (a zip of two zstd tars, what conda-forge and bioconda publish) or .tar.bz2 (the old format, whose
 * bzip2 makes extraction the slow part of a fill).
 */
function makeChannel(dir, deps, mb, format) {
  const script = `
import bz2, hashlib, io, json, os, subprocess, tarfile, zipfile
out, n, mb, fmt = "/ch", ${deps}, ${mb}, "${format}"
def tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for p, b in members.items():
            ti = tarfile.TarInfo(p); ti.size = len(b); ti.mode = 0o644; t.addfile(ti, io.BytesIO(b))
    return subprocess.run(["zstd", "-q", "-1", "-c"], input=buf.getvalue(), stdout=subprocess.PIPE, check=True).stdout
os.makedirs(out + "/noarch", exist_ok=True); os.makedirs(out + "/linux-64", exist_ok=True)
recs = {}
for i in range(n):
    name = "updep%02d" % i
    data = os.urandom(mb * 1024 * 1024)
    files = {"share/%s/data.bin" % name: data}
    idx = {"name": name, "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "noarch", "noarch": "generic", "license": "MIT", "timestamp": 1700000000000}
    paths = {"paths_version": 1, "paths": [{"_path": p, "path_type": "hardlink", "sha256": hashlib.sha256(b).hexdigest(), "size_in_bytes": len(b)} for p, b in files.items()]}
    members = dict(files); members["info/index.json"] = json.dumps(idx).encode(); members["info/paths.json"] = json.dumps(paths).encode(); members["info/files"] = ("\\n".join(files) + "\\n").encode()
    fn = "%s-1.0-0.%s" % (name, fmt)
    if fmt == "conda":
        stem = fn[:-len(".conda")]
        info = {k: v for k, v in members.items() if k.startswith("info/")}
        pkg = {k: v for k, v in members.items() if not k.startswith("info/")}
        with zipfile.ZipFile(out + "/noarch/" + fn, "w", zipfile.ZIP_STORED) as z:
            z.writestr("metadata.json", json.dumps({"conda_pkg_format_version": 2}))
            z.writestr("info-%s.tar.zst" % stem, tar_bytes(info))
            z.writestr("pkg-%s.tar.zst" % stem, tar_bytes(pkg))
    else:
        with tarfile.open(out + "/noarch/" + fn, "w:bz2", compresslevel=1) as t:
            for p, b in members.items():
                ti = tarfile.TarInfo(p); ti.size = len(b); ti.mode = 0o644; t.addfile(ti, io.BytesIO(b))
    b = open(out + "/noarch/" + fn, "rb").read()
    r = dict(idx); r.update(size=len(b), md5=hashlib.md5(b).hexdigest(), sha256=hashlib.sha256(b).hexdigest()); recs[fn] = r
key = "packages.conda" if fmt == "conda" else "packages"
other = "packages" if fmt == "conda" else "packages.conda"
json.dump({"info": {"subdir": "noarch"}, key: recs, other: {}}, open(out + "/noarch/repodata.json", "w"))
json.dump({"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}}, open(out + "/linux-64/repodata.json", "w"))
# Like conda-forge's and bioconda's: run_exports.json, which rattler-build's solve reads instead of downloading packages.
json.dump({"info": {"subdir": "noarch"}, key: {fn: {"run_exports": {}} for fn in recs}, other: {}}, open(out + "/noarch/run_exports.json", "w"))
json.dump({"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}}, open(out + "/linux-64/run_exports.json", "w"))
os.system("chown -R %d:%d /ch" % (${process.getuid?.() ?? 0}, ${process.getgid?.() ?? 0}))
`;
  mkdirSync(dir, { recursive: true });
  sh(
    'docker',
    [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${dir}:/ch`,
      IMAGES.base ?? 'nx-conda-e2e/base:bookworm',
      'python3',
      '-c',
      script,
    ],
    ROOT,
  );
}

/** Starts the server as a child process (the figures run Nx synchronously) and waits for its port file. */
function startServer(dir, bytesPerSecond) {
  const portFile = `${dir}.port`;
  rmSync(portFile, { force: true });
  const child = spawn(process.execPath, [join(here, 'throttled-server.cjs'), dir, String(bytesPerSecond)], {
    stdio: 'ignore',
  });
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 100 && !existsSync(portFile); i++) Atomics.wait(sleep, 0, 0, 100);
  if (!existsSync(portFile)) throw new Error('upstream-deps: the channel server did not start');
  return { url: `http://127.0.0.1:${readFileSync(portFile, 'utf8')}`, stop: () => child.kill('SIGTERM') };
}

/** Package bytes the server sent since the log was at `from` lines. */
function packageBytes(logFile, from) {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : [];
  return {
    lines: lines.length,
    bytes: lines
      .slice(from)
      .filter((l) => /\.(conda|tar\.bz2) /.test(l))
      .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0),
  };
}

const recipe = (name, deps) =>
  `package:\n  name: ${name}\n  version: "1.0.0"\n\nbuild:\n  number: 0\n  noarch: generic\n  script:\n    - mkdir -p $PREFIX/share\n    - echo ${name} > $PREFIX/share/${name}.txt\n\nrequirements:\n  host:\n` +
  Array.from({ length: deps }, (_, i) => `    - updep${String(i).padStart(2, '0')}\n`).join('');

export default {
  name: 'upstream-deps',
  figures: ['upstream-deps'],
  optIn: true,
  env: 'BENCH_DEPS=32 BENCH_DEP_MB=10 BENCH_MBPS=50 BENCH_UPSTREAM_RUNS=1 BENCH_PACKAGE_FORMAT=conda (or tar.bz2: figures upstream-deps-*-tar-bz2)',
  run({ tpl, results }) {
    const deps = num('BENCH_DEPS', 30, 32);
    const mb = num('BENCH_DEP_MB', 1, 10);
    const rate = num('BENCH_MBPS', 50, 50) * 1024 * 1024;
    const runs = num('BENCH_UPSTREAM_RUNS', 1, 1);
    const format = process.env.BENCH_PACKAGE_FORMAT === 'tar.bz2' ? 'tar.bz2' : 'conda';
    const suffix = format === 'conda' ? '' : '-tar-bz2';
    const channel = join(ROOT, 'upstream-deps', 'channel');
    rmSync(join(ROOT, 'upstream-deps'), { recursive: true, force: true });
    log(`upstream-deps: making ${deps} .${format} packages of ${mb} MB...`);
    makeChannel(channel, deps, mb, format);
    const server = startServer(channel, rate);
    const logFile = `${channel}.log`;
    const ws = new Workspace('upstream-deps', tpl);
    const cache = join(ROOT, 'upstream-deps', 'pkgs');
    for (const name of ['ua', 'ub'])
      ws.project(name, `recipes/${name}`, {
        'build-recipe': buildRecipe(IMAGES.rattler, `dist/conda/recipes/${name}`, { channels: [server.url] }),
      });
    ws.write('recipes/ua/recipe.yaml', recipe('ua', deps));
    ws.write('recipes/ub/recipe.yaml', recipe('ub', deps));
    const none = [];
    const first = [];
    const second = [];
    const bytes = { none: [], first: [], second: [] };
    try {
      for (let i = 0; i < runs; i++) {
        let at = packageBytes(logFile, 0).lines;
        none.push(ws.nx(['run', 'ua:build-recipe', '--skip-nx-cache', '--packageCache=false']));
        bytes.none.push(packageBytes(logFile, at).bytes);
        rmSync(cache, { recursive: true, force: true });
        at = packageBytes(logFile, 0).lines;
        first.push(ws.nx(['run', 'ua:build-recipe', '--skip-nx-cache', `--packageCache=${cache}`]));
        bytes.first.push(packageBytes(logFile, at).bytes);
        at = packageBytes(logFile, 0).lines;
        second.push(ws.nx(['run', 'ub:build-recipe', '--skip-nx-cache', `--packageCache=${cache}`]));
        bytes.second.push(packageBytes(logFile, at).bytes);
      }
    } finally {
      server.stop();
    }
    const base = stats(none);
    const mbOf = (list) => list.map((b) => (b / 1048576).toFixed(1)).join(', ');
    const extra = {
      packageMegabytesServed: `without the cache ${mbOf(bytes.none)}, first ${mbOf(bytes.first)}, second ${mbOf(bytes.second)}`,
    };
    results.figure(`upstream-deps-first${suffix}`, {
      what: `first build with an empty package cache, ${deps} upstream .${format} packages of ${mb} MB through a ${rate / 1048576} MB/s link (rattler-build)`,
      unit: 's',
      value: stats(first),
      baseline: base,
      baselineWhat: 'the same build with packageCache false',
      goal: '≤ 1.05×',
      extra,
    });
    results.figure(`upstream-deps-second${suffix}`, {
      what: 'a second recipe needing the same packages, cache filled',
      unit: 's',
      value: stats(second),
      baseline: base,
      baselineWhat: 'the same build with packageCache false',
      goal: '≤ 0.5×, no package byte served',
      extra,
    });
    ws.remove();
  },
};
