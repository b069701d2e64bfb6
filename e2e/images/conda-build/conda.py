#!/usr/bin/env python3
"""nx-conda TEST DOUBLE of `conda` / `conda build` / `conda index` (see README.md here).

Real conda and conda-build cannot be installed offline (neither Debian nor
PyPI ship them), so the e2e image ships this small stand-in. It really builds
conda packages (with Debian's conda-package-handling), installs host/build
requirements from file:// channels and fails like conda-build when one is
missing. Anything it does not support is an error that says so.
"""
import datetime
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

VERSION = "24.0.0"
SUBDIR = "linux-64"
DEFAULT_CROOT = "/opt/conda/conda-bld"
DEFAULT_PY = "3.12"
DOUBLE = "nx-conda conda test double"


class CondaError(Exception):
    """An error printed as-is (no traceback) with exit code 1."""


class PackagesNotFoundError(CondaError):
    def __init__(self, specs):
        self.specs = specs
        lines = "\n".join(f"  - {s}" for s in specs)
        super().__init__(
            "PackagesNotFoundError: The following packages are not available from current channels:\n\n"
            f"{lines}\n")


def say(msg=""):
    sys.stdout.write(f"{msg}\n")
    sys.stdout.flush()


def warn(msg):
    sys.stderr.write(f"{msg}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------------- rendering
def selector_namespace(variant):
    py = str(variant.get("python") or DEFAULT_PY)
    m = re.match(r"(\d+)\.(\d+)", py)
    pyint = int(m.group(1) + m.group(2)) if m else 312
    ns = {
        "linux": True, "unix": True, "x86_64": True, "linux64": True, "x86": False,
        "linux32": False, "osx": False, "win": False, "win32": False, "win64": False,
        "aarch64": False, "arm64": False, "ppc64le": False, "s390x": False, "armv7l": False,
        "linux-64": True, "py": pyint, "py3k": pyint >= 30, "py2k": pyint < 30,
        "py27": pyint == 27, "py34": pyint == 34, "py35": pyint == 35, "py36": pyint == 36,
        "np": 126, "build_platform": SUBDIR, "target_platform": SUBDIR, "subdir": SUBDIR,
        "environ": dict(os.environ), "os": os, "nomkl": False, "blas_impl": "openblas",
    }
    for k, v in variant.items():
        if isinstance(k, str) and k.isidentifier():
            ns.setdefault(k, v)
    return ns


class _Lenient(dict):
    def __missing__(self, key):
        return False


def eval_selector(expr, ns):
    try:
        return bool(eval(expr, {"__builtins__": {}}, _Lenient(ns)))  # noqa: S307 - recipe selectors
    except Exception as exc:
        raise CondaError(f"Invalid selector '[{expr}]': {exc}")


SELECTOR_RE = re.compile(r"^(.*?)#\s*\[(.*)\]\s*$")


def apply_selectors(text, ns):
    out = []
    for line in text.splitlines():
        m = SELECTOR_RE.match(line)
        if m and m.group(1).strip() and not m.group(1).lstrip().startswith("#"):
            if eval_selector(m.group(2), ns):
                out.append(m.group(1).rstrip())
        elif m and not m.group(1).strip():
            # a line that is only a selector comment: keep as comment
            out.append(line)
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def yaml_loader():
    import yaml

    class StrLoader(yaml.SafeLoader):
        """conda-build keeps numbers as strings (version: 1.10 stays '1.10')."""

    StrLoader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return StrLoader


def load_yaml(text, where):
    import yaml
    try:
        return yaml.load(text, Loader=yaml_loader()) or {}
    except yaml.YAMLError as exc:
        raise CondaError(f"Error: unable to parse {where} as YAML after rendering:\n{exc}")


def read_variant_files(files):
    variant = {}
    ns = selector_namespace({})
    for f in files:
        if not os.path.isfile(f):
            raise CondaError(f"Error: variant config file not found: {f}")
        with open(f, encoding="utf-8") as fh:
            data = load_yaml(apply_selectors(fh.read(), ns), f)
        if not isinstance(data, dict):
            continue
        for k, v in data.items():
            if isinstance(v, list):
                v = v[0] if v else None
            if isinstance(v, list):  # zip_keys and friends
                v = v[0] if v else None
            variant[k] = v
    return variant


class Renderer:
    def __init__(self, recipe_dir, variant):
        self.recipe_dir = recipe_dir
        self.variant = variant
        self.stubs = set()  # rendered names of compiler()/stdlib()/cdt(): provided by the double

    def _stub(self, name):
        self.stubs.add(name)
        return name

    def context(self):
        v = self.variant

        def compiler(lang, *a, **k):
            names = {"c": "gcc", "cxx": "gxx", "fortran": "gfortran", "rust": "rust", "go": "go"}
            return self._stub(f"{names.get(lang, lang)}_{SUBDIR}")

        def stdlib(lang="c", *a, **k):
            return self._stub(f"sysroot_{SUBDIR}")

        def cdt(name, *a, **k):
            return self._stub(f"{name}-cos7-x86_64")

        def pin(name, *a, **k):
            return name

        def empty(*a, **k):
            return {}

        def load_file_regex(*a, **k):
            return None

        ctx = {
            "environ": dict(os.environ), "os": os, "compiler": compiler, "stdlib": stdlib, "cdt": cdt,
            "pin_subpackage": pin, "pin_compatible": pin, "load_setup_py_data": empty, "load_setup_py": empty,
            "load_file_data": empty, "load_str_data": empty, "load_file_regex": load_file_regex,
            "resolved_packages": lambda *a, **k: [], "datetime": datetime, "time": time,
            "RECIPE_DIR": self.recipe_dir, "RECIPE_DIR_": self.recipe_dir, "CONDA_BUILD": "1",
            "PYTHON": "python", "target_platform": SUBDIR, "build_platform": SUBDIR,
            "python": str(v.get("python") or DEFAULT_PY),
        }
        ctx.update(selector_namespace(v))
        ctx.update({k: val for k, val in v.items() if isinstance(k, str)})
        return ctx

    def render(self, text, where):
        import jinja2
        env = jinja2.Environment(undefined=jinja2.ChainableUndefined,
                                 loader=jinja2.FileSystemLoader(self.recipe_dir),
                                 extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
        try:
            rendered = env.from_string(text).render(**self.context())
        except jinja2.TemplateError as exc:
            raise CondaError(f"Error: failed to render {where} with Jinja2: {exc}")
        rendered = apply_selectors(rendered, selector_namespace(self.variant))
        return rendered, load_yaml(rendered, where)


# ----------------------------------------------------------------------------- versions / specs
def _vkey(v):
    parts = []
    for p in re.split(r"[._\-+]", str(v)):
        for piece in re.findall(r"\d+|[A-Za-z]+", p):
            parts.append((1, int(piece), "") if piece.isdigit() else (0, 0, piece.lower()))
    return parts


def _cmp(a, b):
    ka, kb = _vkey(a), _vkey(b)
    n = max(len(ka), len(kb))
    ka += [(1, 0, "")] * (n - len(ka))
    kb += [(1, 0, "")] * (n - len(kb))
    return (ka > kb) - (ka < kb)


def _match_one(version, c):
    c = c.strip()
    if not c or c == "*":
        return True
    op = ""
    for o in (">=", "<=", "==", "!=", "~=", ">", "<", "="):
        if c.startswith(o):
            op = o
            break
    target = c[len(op):].strip()
    fuzzy = op == "=" or target.endswith("*")
    if fuzzy:
        t = target.rstrip("*").rstrip(".")
        hit = not t or version == t or version.startswith(t + ".")
        return not hit if op == "!=" else hit
    r = _cmp(version, target)
    return {"": r == 0, "==": r == 0, "!=": r != 0, ">=": r >= 0, "<=": r <= 0, ">": r > 0, "<": r < 0,
            "~=": r >= 0}[op]


def version_matches(version, spec):
    if not spec:
        return True
    return any(all(_match_one(version, c) for c in alt.split(",")) for alt in spec.split("|"))


def parse_spec(spec):
    """'name 1.2.*', 'name>=1.0', 'name 1.0 h123_0', 'channel::name' -> (name, version, build)."""
    s = str(spec).strip()
    if "::" in s:
        s = s.split("::", 1)[1]
    s = re.sub(r"\[.*\]$", "", s).strip()
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", s)
    if not m:
        raise CondaError(f"Error: invalid requirement '{spec}'")
    name, rest = m.group(1), m.group(2).strip()
    parts = rest.split()
    version = parts[0] if parts else ""
    build = parts[1] if len(parts) > 1 else ""
    if len(parts) > 2:
        version = "".join(parts[:-1])
    return name.lower(), version, build


# ----------------------------------------------------------------------------- channels
def channel_path(url):
    if url.startswith("file://"):
        return url[len("file://"):].rstrip("/") or "/"
    if url.startswith("/"):
        return url.rstrip("/")
    if os.path.isdir(url):
        return os.path.abspath(url)
    return None


class Channels:
    def __init__(self, urls):
        self.roots = []
        for u in urls:
            p = channel_path(u)
            if p is None:
                warn(f"WARNING: channel '{u}' is not a local (file://) channel; the {DOUBLE} works offline "
                     f"and ignores it")
                continue
            if p not in self.roots:
                self.roots.append(p)

    def candidates(self, name):
        out = []
        for prio, root in enumerate(self.roots):
            for sd in (SUBDIR, "noarch"):
                rd = os.path.join(root, sd, "repodata.json")
                try:
                    with open(rd, encoding="utf-8") as f:
                        data = json.load(f)
                except (OSError, ValueError):
                    continue
                for key in ("packages", "packages.conda"):
                    for fn, rec in (data.get(key) or {}).items():
                        if rec.get("name", "").lower() == name:
                            out.append((prio, rec, os.path.join(root, sd, fn)))
        return out

    def best(self, spec):
        name, version, build = parse_spec(spec)
        cands = [c for c in self.candidates(name)
                 if version_matches(str(c[1].get("version", "")), version)
                 and (not build or fnmatch.fnmatch(str(c[1].get("build", "")), build))]
        if not cands:
            return None
        top = min(c[0] for c in cands)  # strict channel priority
        cands = [c for c in cands if c[0] == top]

        def key(c):
            rec = c[1]
            return (_vkey(rec.get("version", "")), int(rec.get("build_number", 0) or 0),
                    c[2].endswith(".conda"), rec.get("timestamp", 0) or 0)
        return max(cands, key=key)


# ----------------------------------------------------------------------------- install
def extract_package(path, dest):
    from conda_package_handling import api
    api.extract(path, dest_dir=dest)


def site_packages(prefix):
    py = os.path.join(prefix, "lib")
    if os.path.isdir(py):
        for d in sorted(os.listdir(py)):
            if re.match(r"python\d+\.\d+$", d):
                return f"lib/{d}/site-packages"
    return f"lib/python{DEFAULT_PY}/site-packages"


def install_into(prefix, specs, channels, env_name, skip=()):
    """Resolve specs (recursively through depends) from channels and extract them into prefix."""
    os.makedirs(os.path.join(prefix, "conda-meta"), exist_ok=True)
    chosen, missing, queue = {}, [], [s for s in specs if s]
    while queue:
        spec = str(queue.pop(0))
        name = parse_spec(spec)[0]
        if name in chosen or name in skip:
            continue
        if name.startswith("__"):  # virtual packages
            continue
        hit = channels.best(spec)
        if hit is None:
            if spec not in missing:
                missing.append(spec)
            continue
        chosen[name] = hit
        queue.extend(hit[1].get("depends") or [])
    if missing:
        raise PackagesNotFoundError(missing)
    if not chosen:
        return []
    say(f"\n## Package Plan ##\n\n  environment location: {prefix}\n\n"
        f"The following NEW packages will be INSTALLED ({env_name}):\n")
    for name in sorted(chosen):
        rec = chosen[name][1]
        say(f"    {name + ':':<24} {rec.get('version')}-{rec.get('build')} {os.path.dirname(os.path.dirname(chosen[name][2]))}")
    say("")
    for name in sorted(chosen):
        _, rec, path = chosen[name]
        link_package(prefix, path, rec)
    say("Preparing transaction: done\nVerifying transaction: done\nExecuting transaction: done")
    return [chosen[n][1] for n in sorted(chosen)]


def link_package(prefix, path, rec):
    tmp = tempfile.mkdtemp(prefix="pkg-")
    try:
        extract_package(path, tmp)
        paths_json = {}
        try:
            with open(os.path.join(tmp, "info", "paths.json"), encoding="utf-8") as f:
                for p in json.load(f).get("paths", []):
                    paths_json[p["_path"]] = p
        except (OSError, ValueError):
            pass
        noarch_python = False
        try:
            with open(os.path.join(tmp, "info", "index.json"), encoding="utf-8") as f:
                noarch_python = json.load(f).get("noarch") == "python"
        except (OSError, ValueError):
            pass
        sp = site_packages(prefix)
        files = []
        for root, dirs, fnames in os.walk(tmp):
            for fn in fnames:
                src = os.path.join(root, fn)
                rel = os.path.relpath(src, tmp)
                if rel.split(os.sep)[0] == "info":
                    continue
                dst_rel = rel
                if noarch_python and rel.startswith("site-packages/"):
                    dst_rel = sp + rel[len("site-packages"):]
                elif noarch_python and rel.startswith("python-scripts/"):
                    dst_rel = "bin" + rel[len("python-scripts"):]
                dst = os.path.join(prefix, dst_rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                if os.path.lexists(dst):
                    os.remove(dst)
                shutil.move(src, dst)
                meta = paths_json.get(rel) or {}
                ph = meta.get("prefix_placeholder")
                if ph and meta.get("file_mode", "text") == "text" and not os.path.islink(dst):
                    with open(dst, "rb") as f:
                        data = f.read()
                    with open(dst, "wb") as f:
                        f.write(data.replace(ph.encode(), prefix.encode()))
                files.append(dst_rel)
        rec = dict(rec, files=sorted(files), fn=os.path.basename(path))
        with open(os.path.join(prefix, "conda-meta", f"{rec['name']}-{rec['version']}-{rec['build']}.json"),
                  "w", encoding="utf-8") as f:
            json.dump(rec, f, indent=2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def snapshot(prefix):
    out = set()
    for root, dirs, files in os.walk(prefix):
        for fn in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            rel = os.path.relpath(os.path.join(root, fn), prefix)
            if rel.split(os.sep)[0] != "conda-meta":
                out.add(rel)
    return out


# ----------------------------------------------------------------------------- index
def read_index_json(path):
    from conda_package_streaming import package_streaming
    with open(path, "rb") as fh:
        for tar, member in package_streaming.stream_conda_info(path, fh):
            if member.name == "info/index.json":
                return json.load(tar.extractfile(member))
    raise CondaError(f"Error: {path} has no info/index.json")


def _digest(path):
    sha, md5 = hashlib.sha256(), hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
            md5.update(chunk)
    return sha.hexdigest(), md5.hexdigest()


def _write_json(path, data):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


KNOWN_SUBDIRS = {"noarch", "linux-64", "linux-aarch64", "linux-ppc64le", "osx-64", "osx-arm64", "win-64"}


def conda_index(folder, quiet=False):
    folder = os.path.abspath(folder)
    if not os.path.isdir(folder):
        raise CondaError(f"Error: channel folder does not exist: {folder}")
    os.makedirs(os.path.join(folder, "noarch"), exist_ok=True)
    channeldata = {"channeldata_version": 1, "packages": {}, "subdirs": []}
    for sd in sorted(os.listdir(folder)):
        sdp = os.path.join(folder, sd)
        if not os.path.isdir(sdp):
            continue
        pkgs = [f for f in os.listdir(sdp) if f.endswith(".tar.bz2") or f.endswith(".conda")]
        if not pkgs and sd not in KNOWN_SUBDIRS:
            continue
        repodata = {"info": {"subdir": sd}, "packages": {}, "packages.conda": {}, "removed": [],
                    "repodata_version": 1}
        for fn in sorted(pkgs):
            path = os.path.join(sdp, fn)
            idx = read_index_json(path)
            sha, md5 = _digest(path)
            rec = {k: idx[k] for k in ("name", "version", "build", "build_number", "depends", "subdir",
                                       "noarch", "license", "timestamp", "arch", "platform",
                                       "constrains", "track_features") if k in idx}
            rec.setdefault("depends", [])
            rec.setdefault("subdir", sd)
            rec.update(sha256=sha, md5=md5, size=os.path.getsize(path))
            key = "packages.conda" if fn.endswith(".conda") else "packages"
            repodata[key][fn] = rec
            cd = channeldata["packages"].setdefault(rec["name"], {"subdirs": [], "version": rec["version"]})
            if sd not in cd["subdirs"]:
                cd["subdirs"].append(sd)
            if _cmp(rec["version"], cd["version"]) > 0:
                cd["version"] = rec["version"]
        _write_json(os.path.join(sdp, "repodata.json"), repodata)
        if pkgs or sd == "noarch":
            channeldata["subdirs"].append(sd)
        if not quiet:
            say(f"Indexed {sdp}: {len(pkgs)} package(s)")
    channeldata["subdirs"] = sorted(set(channeldata["subdirs"]))
    _write_json(os.path.join(folder, "channeldata.json"), channeldata)
    return folder


# ----------------------------------------------------------------------------- build
def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def reqs_of(section):
    section = section or {}
    if isinstance(section, list):  # outputs: requirements: [a, b] means run
        return {"build": [], "host": [], "run": [str(x) for x in section]}
    return {k: [str(x) for x in as_list(section.get(k)) if x is not None] for k in ("build", "host", "run")}


def run_script(script_text, cwd, env, label):
    path = os.path.join(cwd, "conda_build.sh")
    with open(path, "w", encoding="utf-8") as f:
        f.write(script_text if script_text.endswith("\n") else script_text + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    cmd = ["/bin/bash", "-o", "errexit", path]
    rc = subprocess.call(cmd, cwd=cwd, env=env)
    if rc != 0:
        raise CondaError(
            "Traceback (most recent call last):\n"
            f"  File \"/opt/conda/bin/conda-build\", line 11, in <module>\n"
            f"subprocess.CalledProcessError: Command '{cmd}' returned non-zero exit status {rc}.\n"
            f"CondaBuildException: {label} failed (exit status {rc})")


def build_env(base, prefix, build_prefix, src_dir, recipe_dir, name, version, number, build_string):
    env = dict(os.environ)
    env.update({
        "PREFIX": prefix, "BUILD_PREFIX": build_prefix, "SRC_DIR": src_dir, "RECIPE_DIR": recipe_dir,
        "PKG_NAME": name, "PKG_VERSION": version, "PKG_BUILDNUM": str(number),
        "PKG_BUILD_STRING": build_string, "PKG_HASH": build_string.split("_")[0], "CONDA_BUILD": "1",
        "CPU_COUNT": str(os.cpu_count() or 1), "SUBDIR": SUBDIR, "target_platform": SUBDIR,
        "build_platform": SUBDIR, "ARCH": "64", "SHLIB_EXT": ".so", "HOST": "x86_64-conda-linux-gnu",
        "CONDA_PREFIX": build_prefix, "LANG": env.get("LANG", "C.UTF-8"),
        "PATH": os.pathsep.join([os.path.join(prefix, "bin"), os.path.join(build_prefix, "bin"),
                                 env.get("PATH", "/usr/bin:/bin")]),
    })
    for py in (os.path.join(prefix, "bin", "python"), os.path.join(build_prefix, "bin", "python"),
               shutil.which("python3") or ""):
        if py and os.path.exists(py):
            env["PYTHON"] = py
            break
    env.update(base)
    return env


def compute_build_string(meta_build, name, version, number, run_reqs, variant, noarch):
    if meta_build.get("string"):
        return str(meta_build["string"])
    h = hashlib.sha1(json.dumps([name, version, sorted(run_reqs), sorted((str(k), str(v)) for k, v in
                                                                         variant.items()), noarch],
                                sort_keys=True).encode()).hexdigest()[:7]
    return f"h{h}_{number}"


def package_files(prefix, rel_files, out_dir, fmt, index, rendered_meta, recipe_dir, test_section):
    """Assemble info/ + files into out_dir/<subdir>/<fn>; returns the package path."""
    staging = tempfile.mkdtemp(prefix="pkg-stage-")
    try:
        noarch = index.get("noarch")
        final = []
        for rel in sorted(rel_files):
            src = os.path.join(prefix, rel)
            dst_rel = rel
            if noarch == "python":
                m = re.match(r"lib/python\d+\.\d+/site-packages/(.*)$", rel)
                if m:
                    dst_rel = "site-packages/" + m.group(1)
                elif rel.startswith("bin/"):
                    dst_rel = "python-scripts/" + rel[4:]
            if "__pycache__" in dst_rel.split("/") or dst_rel.endswith(".pyc"):
                continue
            dst = os.path.join(staging, dst_rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            else:
                shutil.copy2(src, dst)
            final.append(dst_rel)
        info = os.path.join(staging, "info")
        os.makedirs(os.path.join(info, "recipe"), exist_ok=True)
        paths = []
        for rel in final:
            p = os.path.join(staging, rel)
            if os.path.islink(p):
                paths.append({"_path": rel, "path_type": "softlink", "size_in_bytes": 0})
            else:
                sha, _ = _digest(p)
                paths.append({"_path": rel, "path_type": "hardlink", "sha256": sha,
                              "size_in_bytes": os.path.getsize(p)})
        _write_json(os.path.join(info, "index.json"), index)
        with open(os.path.join(info, "files"), "w", encoding="utf-8") as f:
            f.write("".join(r + "\n" for r in final))
        _write_json(os.path.join(info, "paths.json"), {"paths": paths, "paths_version": 1})
        _write_json(os.path.join(info, "about.json"), {"conda_build_version": DOUBLE,
                                                        "license": index.get("license", "")})
        if noarch == "python":
            _write_json(os.path.join(info, "link.json"),
                        {"noarch": {"type": "python"}, "package_metadata_version": 1})
        with open(os.path.join(info, "recipe", "meta.yaml"), "w", encoding="utf-8") as f:
            f.write(rendered_meta)
        if test_section:
            os.makedirs(os.path.join(info, "test"), exist_ok=True)
            _write_json(os.path.join(info, "test", "test_spec.json"), test_section)
        ext = ".conda" if fmt == "conda" else ".tar.bz2"
        fn = f"{index['name']}-{index['version']}-{index['build']}{ext}"
        dest_dir = os.path.join(out_dir, index["subdir"])
        os.makedirs(dest_dir, exist_ok=True)
        file_list = [os.path.relpath(os.path.join(r, x), staging)
                     for r, ds, fs in os.walk(staging) for x in fs + [d for d in ds if os.path.islink(os.path.join(r, d))]]
        from conda_package_handling import api
        tmp_out = tempfile.mkdtemp(prefix="pkg-out-")
        try:
            api.create(staging, sorted(file_list), fn, tmp_out)
            shutil.move(os.path.join(tmp_out, fn), os.path.join(dest_dir, fn))
        finally:
            shutil.rmtree(tmp_out, ignore_errors=True)
        return os.path.join(dest_dir, fn), final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def copy_sources(meta, recipe_dir, work):
    for src in as_list(meta.get("source")):
        if not isinstance(src, dict):
            raise CondaError(f"Error: unsupported source entry {src!r}")
        for key in ("url", "git_url", "git_rev", "hg_url", "svn_url"):
            if key in src and key != "git_rev":
                raise CondaError(f"Error: source '{key}: {src[key]}' is not supported by the {DOUBLE} "
                                 f"(it works offline; use 'source: path:')")
        if "path" not in src:
            raise CondaError(f"Error: source entry without 'path' is not supported by the {DOUBLE}: {src!r}")
        path = src["path"]
        path = path if os.path.isabs(path) else os.path.normpath(os.path.join(recipe_dir, path))
        dest = os.path.join(work, src.get("folder", "")) if src.get("folder") else work
        say(f"Copying {path} to {dest}")
        if os.path.isdir(path):
            shutil.copytree(path, dest, dirs_exist_ok=True, symlinks=True)
        elif os.path.isfile(path):
            os.makedirs(dest, exist_ok=True)
            shutil.copy2(path, dest)
        else:
            raise CondaError(f"Error: source path does not exist: {path}")
        for patch in as_list(src.get("patches")):
            pp = os.path.join(recipe_dir, patch)
            say(f"Applying patch: {pp}")
            if subprocess.call(["patch", "-p1", "-i", pp], cwd=dest) != 0:
                raise CondaError(f"Error: patch {pp} failed to apply")


def script_text(build_section, recipe_dir, default_file="build.sh"):
    s = build_section.get("script") if isinstance(build_section, dict) else None
    if s:
        return "\n".join(str(x) for x in as_list(s))
    f = os.path.join(recipe_dir, default_file) if default_file else None
    if f and os.path.isfile(f):
        with open(f, encoding="utf-8") as fh:
            return fh.read()
    return None


def run_tests(pkg_path, index, test, channels, croot, recipe_dir, extra_env):
    if not test:
        return
    cmds = [str(c) for c in as_list(test.get("commands"))]
    imports = [str(i) for i in as_list(test.get("imports"))]
    run_test_sh = os.path.join(recipe_dir, "run_test.sh")
    if not (cmds or imports or test.get("requires") or os.path.isfile(run_test_sh)):
        return
    say(f"TEST START: {os.path.basename(pkg_path)}")
    tdir = tempfile.mkdtemp(prefix="test_", dir=croot)
    prefix = os.path.join(tdir, "_test_env")
    spec = f"{index['name']} {index['version']} {index['build']}"
    install_into(prefix, [spec] + [str(r) for r in as_list(test.get("requires"))], channels, "test")
    env = build_env(extra_env, prefix, prefix, tdir, recipe_dir, index["name"], index["version"],
                    index["build_number"], index["build"])
    for f in as_list(test.get("files")) + as_list(test.get("source_files")):
        p = os.path.join(recipe_dir, str(f))
        if os.path.exists(p):
            (shutil.copytree if os.path.isdir(p) else shutil.copy2)(p, os.path.join(tdir, os.path.basename(p)))
    lines = ["set -x"]
    sp = os.path.join(prefix, site_packages(prefix))
    env["PYTHONPATH"] = os.pathsep.join(x for x in [sp, env.get("PYTHONPATH", "")] if x)
    for i in imports:
        lines.append(f'"${{PYTHON:-python3}}" -c "import {i}"')
    lines += cmds
    if os.path.isfile(run_test_sh):
        lines.append(f'bash -o errexit "{run_test_sh}"')
    try:
        run_script("\n".join(lines), tdir, env, "test")
    except CondaError as exc:
        broken = os.path.join(os.path.dirname(os.path.dirname(pkg_path)), "broken")
        os.makedirs(broken, exist_ok=True)
        shutil.move(pkg_path, os.path.join(broken, os.path.basename(pkg_path)))
        raise CondaError(f"{exc}\nTESTS FAILED: {os.path.basename(pkg_path)}")
    say(f"TEST END: {os.path.basename(pkg_path)}")
    shutil.rmtree(tdir, ignore_errors=True)


def do_build(opts):
    recipe = os.path.abspath(opts["recipe"])
    if os.path.isdir(recipe):
        meta_path = os.path.join(recipe, "meta.yaml")
    else:
        meta_path = recipe
    if not os.path.isfile(meta_path):
        raise CondaError(f"Error: no meta.yaml found in {recipe}")
    recipe_dir = os.path.dirname(meta_path)
    croot = os.path.abspath(opts["croot"])
    out_dir = os.path.abspath(opts["output_folder"] or croot)
    os.makedirs(out_dir, exist_ok=True)
    variant_files = []
    if opts["exclusive_config"]:
        variant_files.append(opts["exclusive_config"])
    local_cbc = os.path.join(recipe_dir, "conda_build_config.yaml")
    if os.path.isfile(local_cbc):
        variant_files.append(local_cbc)
    variant_files += opts["variant_files"]
    variant = read_variant_files(variant_files)

    with open(meta_path, encoding="utf-8") as f:
        text = f.read()
    renderer = Renderer(recipe_dir, variant)
    rendered, meta = renderer.render(text, meta_path)
    if not isinstance(meta, dict):
        raise CondaError(f"Error: {meta_path} did not render to a mapping")
    unsupported = [k for k in meta if k not in ("package", "source", "build", "requirements", "test",
                                                "about", "extra", "outputs", "app")]
    if unsupported:
        raise CondaError(f"Error: unsupported meta.yaml section(s) for the {DOUBLE}: {', '.join(unsupported)}")
    pkg = meta.get("package") or {}
    top_name = str(pkg.get("name") or "").strip()
    top_version = str(pkg.get("version") or "").strip()
    if not top_name and not meta.get("outputs"):
        raise CondaError(f"Error: {meta_path}: package/name missing")
    build = meta.get("build") or {}
    if build.get("skip") in (True, "true", "True"):
        say(f"Skipped: {top_name} from {recipe_dir} defines build/skip for this configuration.")
        return 0

    channels = Channels(opts["channels"] + ["file://" + out_dir])
    say(f"Building {top_name or os.path.basename(recipe_dir)} ({DOUBLE})")
    say(f"Channels: {', '.join(channels.roots) or '(none)'}")
    conda_index(out_dir, quiet=True)

    stamp = f"{(top_name or 'pkg')}_{int(time.time() * 1000)}"
    bld = os.path.join(croot, stamp)
    work = os.path.join(bld, "work")
    prefix = os.path.join(bld, "h_env_placehold")
    build_prefix = os.path.join(bld, "_build_env")
    for d in (work, prefix, build_prefix):
        os.makedirs(d, exist_ok=True)
    built = []
    top_reqs = reqs_of(meta.get("requirements"))
    stubs = renderer.stubs
    if top_reqs["build"]:
        install_into(build_prefix, top_reqs["build"], channels, "build", skip=stubs)
    if top_reqs["host"]:
        install_into(prefix, top_reqs["host"], channels, "host", skip=stubs)
    copy_sources(meta, recipe_dir, work)

    number = int(str(build.get("number", 0) or 0))
    outputs = meta.get("outputs")
    top_noarch = build.get("noarch")
    top_bs = compute_build_string(build, top_name, top_version, number, top_reqs["run"], variant, top_noarch)
    before = snapshot(prefix)
    script = script_text(build, recipe_dir)
    if script is not None:
        say(f"source tree in: {work}")
        env = build_env({}, prefix, build_prefix, work, recipe_dir, top_name, top_version, number, top_bs)
        run_script(script, work, env, f"build of {top_name}")
    top_files = snapshot(prefix) - before

    if not outputs:
        outputs_spec = [{"name": top_name, "_top": True}]
    else:
        outputs_spec = as_list(outputs)
    for out in outputs_spec:
        if not isinstance(out, dict):
            raise CondaError(f"Error: unsupported outputs entry {out!r}")
        bad = [k for k in out if k not in ("name", "version", "requirements", "script", "build", "test",
                                           "about", "files", "_top", "type", "run_exports", "number",
                                           "string", "noarch")]
        if bad or out.get("type") not in (None, "conda"):
            raise CondaError(f"Error: unsupported output key(s) {', '.join(bad) or 'type: ' + str(out.get('type'))}"
                             f" in output {out.get('name')} (not supported by the {DOUBLE})")
        name = str(out.get("name") or top_name)
        version = str(out.get("version") or top_version)
        if not name or not version:
            raise CondaError("Error: package name and version are required")
        obuild = out.get("build") or {} if not out.get("_top") else build
        onum = int(str(obuild.get("number", number) or 0))
        noarch = obuild.get("noarch", top_noarch if out.get("_top") else None)
        oreqs = top_reqs if out.get("_top") else reqs_of(out.get("requirements"))
        bs = compute_build_string(obuild, name, version, onum, oreqs["run"], variant, noarch)
        if out.get("_top"):
            files = top_files
        else:
            if oreqs["build"]:
                install_into(build_prefix, oreqs["build"], channels, "build", skip=stubs)
            if oreqs["host"]:
                install_into(prefix, oreqs["host"], channels, "host", skip=stubs)
            if out.get("script"):
                spath = os.path.join(recipe_dir, str(out["script"]))
                if not os.path.isfile(spath):
                    raise CondaError(f"Error: output script not found: {spath}")
                with open(spath, encoding="utf-8") as fh:
                    otext = fh.read()
                b0 = snapshot(prefix)
                env = build_env({}, prefix, build_prefix, work, recipe_dir, name, version, onum, bs)
                run_script(otext, work, env, f"build of output {name}")
                files = snapshot(prefix) - b0
            elif out.get("files"):
                pats = [str(p) for p in as_list(out.get("files"))]
                files = {f for f in top_files if any(fnmatch.fnmatch(f, p) or f.startswith(p.rstrip("/") + "/")
                                                     for p in pats)}
            elif name == top_name:
                files = top_files
            else:
                files = set()
        index = {"name": name, "version": version, "build": bs, "build_number": onum,
                 "depends": oreqs["run"], "subdir": "noarch" if noarch else SUBDIR,
                 "timestamp": int(time.time() * 1000)}
        if noarch:
            index["noarch"] = str(noarch)
        else:
            index.update(arch="x86_64", platform="linux")
        lic = (meta.get("about") or {}).get("license") or (out.get("about") or {}).get("license")
        if lic:
            index["license"] = str(lic)
        test = meta.get("test") if out.get("_top") else out.get("test")
        path, final = package_files(prefix, files, out_dir, opts["package_format"], index, rendered,
                                    recipe_dir, test)
        say(f"Packaged {len(final)} file(s) into {path}")
        conda_index(out_dir, quiet=True)
        if not opts["no_test"]:
            run_tests(path, index, test, channels, croot, recipe_dir, {})
        built.append(path)
    shutil.rmtree(bld, ignore_errors=True)
    conda_index(out_dir)
    say("\n####################################################################################")
    say("Resource usage summary:\n")
    for p in built:
        say(f"# Package built: {p}")
    say("####################################################################################")
    return 0


# ----------------------------------------------------------------------------- CLI
BUILD_USAGE = ("usage: conda build [-c CHANNEL]... [-e FILE] [-m FILE]... [--output-folder DIR] [--croot DIR]\n"
               "                   [--no-anaconda-upload] [--package-format {conda,tar.bz2,1,2}] [--no-test]\n"
               "                   [--quiet] RECIPE")


def parse_build(argv):
    opts = {"channels": [], "exclusive_config": None, "variant_files": [], "output_folder": None,
            "croot": DEFAULT_CROOT, "package_format": "tar.bz2", "no_test": False, "recipe": None}
    value_opts = {"-c": "channels", "--channel": "channels", "-e": "exclusive_config",
                  "--exclusive-config-file": "exclusive_config", "-m": "variant_files",
                  "--variant-config-files": "variant_files", "--output-folder": "output_folder",
                  "--croot": "croot", "--package-format": "package_format"}
    flags = {"--no-anaconda-upload": None, "--no-test": "no_test", "--notest": "no_test", "--quiet": None,
             "-q": None}
    i = 0
    recipes = []
    while i < len(argv):
        a = argv[i]
        name, val = (a.split("=", 1) + [None])[:2] if a.startswith("--") and "=" in a else (a, None)
        if name in value_opts:
            if val is None:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"conda build: error: argument {name}: expected one argument")
                val = argv[i]
            key = value_opts[name]
            if isinstance(opts[key], list):
                opts[key].append(val)
            else:
                opts[key] = val
        elif name in flags:
            if flags[name]:
                opts[flags[name]] = True
        elif name in ("-h", "--help"):
            say(BUILD_USAGE)
            sys.exit(0)
        elif a.startswith("-"):
            raise UsageError(f"conda build: error: unrecognized arguments: {a} "
                             f"(not supported by the {DOUBLE})")
        else:
            recipes.append(a)
        i += 1
    if len(recipes) != 1:
        raise UsageError("conda build: error: exactly one recipe (folder or meta.yaml) is required "
                         f"by the {DOUBLE}")
    opts["recipe"] = recipes[0]
    fmt = {"1": "tar.bz2", "2": "conda", ".tar.bz2": "tar.bz2", ".conda": "conda"}.get(opts["package_format"],
                                                                                       opts["package_format"])
    if fmt not in ("tar.bz2", "conda"):
        raise UsageError(f"conda build: error: argument --package-format: invalid choice: '{fmt}' "
                         "(choose from 'conda', 'tar.bz2', '1', '2')")
    opts["package_format"] = fmt
    return opts


class UsageError(Exception):
    pass


def main(argv):
    prog = os.path.basename(sys.argv[0])
    if prog == "conda-index":
        argv = ["index"] + argv
    elif prog == "conda-build":
        argv = ["build"] + argv
    if not argv or argv[0] in ("-h", "--help"):
        say(f"usage: conda {{build,mambabuild,index,config,--version}} ...  ({DOUBLE}, see its README)")
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    if cmd in ("--version", "-V"):
        say(f"conda {VERSION} (nx-conda test double)")
        return 0
    if cmd == "config":
        return 0
    if cmd == "index":
        dirs = []
        for a in rest:
            if a in ("--no-progress", "-q", "--quiet"):
                continue
            if a.startswith("-"):
                raise UsageError(f"conda index: error: unrecognized arguments: {a} (not supported by the {DOUBLE})")
            dirs.append(a)
        if len(dirs) != 1:
            raise UsageError("conda index: error: exactly one channel folder is required")
        conda_index(dirs[0])
        return 0
    if cmd in ("build", "mambabuild"):
        return do_build(parse_build(rest))
    raise UsageError(f"conda: error: command '{cmd}' is not supported by the {DOUBLE} "
                     "(supported: build, mambabuild, index, config, --version)")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as exc:
        warn(str(exc))
        sys.exit(2)
    except CondaError as exc:
        sys.stdout.flush()
        warn(str(exc).rstrip("\n"))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
