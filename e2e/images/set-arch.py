"""Rewrites the architecture of an image in a `docker save` stream (stdin -> stdout, for `docker load`).

docker 20.10's `docker import --platform` is ignored unless the daemon runs in experimental
mode: an imported arm64 root file system is labelled with the host's architecture, and
`docker run --platform linux/arm64` then looks for it in a registry. Usage:
  docker save IMAGE | python3 set-arch.py arm64 | docker load
"""
import hashlib
import io
import json
import sys
import tarfile

arch = sys.argv[1]
src = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
out = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
manifest = None
renamed = {}
for member in src:
    data = src.extractfile(member) if member.isfile() else None
    if member.name == "manifest.json":
        manifest = json.load(data)
        continue
    if member.isfile() and member.name.endswith(".json") and "/" not in member.name and member.name != "repositories":
        config = json.load(data)
        config["architecture"] = arch
        body = json.dumps(config, separators=(",", ":")).encode()
        name = hashlib.sha256(body).hexdigest() + ".json"
        renamed[member.name] = name
        info = tarfile.TarInfo(name)
        info.size = len(body)
        out.addfile(info, io.BytesIO(body))
        continue
    out.addfile(member, data)
if manifest is None:
    sys.exit("set-arch.py: no manifest.json in the docker save stream")
for image in manifest:
    image["Config"] = renamed.get(image["Config"], image["Config"])
body = json.dumps(manifest).encode()
info = tarfile.TarInfo("manifest.json")
info.size = len(body)
out.addfile(info, io.BytesIO(body))
out.close()
