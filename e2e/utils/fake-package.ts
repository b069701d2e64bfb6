/**
 * The lines of a build script that make, instead of running a builder, a
 * small but real conda package in the staging channel `$staging`:
 * `noarch/<name>-1.0-<number>.tar.bz2` (a tar.bz2 holding info/index.json),
 * with its record (sha256, md5, size) merged into noarch/repodata.json. For
 * tests where the builder does not matter, so that many builds stay cheap.
 * `name` and `number` are shell words (`ra`, `"$name"`, `"$number"`).
 */
export function fakePackageScript(name: string, number = '0'): string {
  return `python3 - "$staging" ${name} ${number} <<'PY'
import sys, json, tarfile, io, hashlib, os
staging, name, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
fn = "%s-1.0-%d.tar.bz2" % (name, number)
d = os.path.join(staging, "noarch")
os.makedirs(d, exist_ok=True)
index = {"name": name, "version": "1.0", "build": str(number), "build_number": number, "depends": [], "subdir": "noarch", "noarch": "generic"}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:bz2") as t:
    data = json.dumps(index).encode()
    info = tarfile.TarInfo("info/index.json"); info.size = len(data); t.addfile(info, io.BytesIO(data))
raw = buf.getvalue()
with open(os.path.join(d, fn), "wb") as f: f.write(raw)
path = os.path.join(d, "repodata.json")
rd = json.load(open(path)) if os.path.exists(path) else {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}, "removed": [], "repodata_version": 1}
rd["packages"][fn] = dict(index, sha256=hashlib.sha256(raw).hexdigest(), md5=hashlib.md5(raw).hexdigest(), size=len(raw))
with open(path + ".tmp", "w") as f: json.dump(rd, f)
os.replace(path + ".tmp", path)
PY
`;
}
