#!/usr/bin/env python3
"""Writes a `docker save`-style archive (the legacy layout: uncompressed <id>/layer.tar files,
<config>.json, manifest.json, repositories) for the push benchmark, made of real files from this
machine's /usr so that layers compress the way real images do (binaries, libraries, text).

Usage: make_image.py OUT.tar TOTAL_MB [LAYERS]
Layer sizes fall off geometrically (the first is the largest, like a base image) and add up to
about TOTAL_MB. The same machine gives the same bytes every time (sorted walk, fixed metadata).
"""
import hashlib
import io
import json
import os
import sys
import tarfile

SOURCES = ["/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/share", "/usr/lib/gcc", "/usr/include",
           "/usr/lib/python3.11", "/usr/lib", "/usr/sbin", "/usr/local"]


def files():
    seen = set()
    for top in SOURCES:
        for root, dirs, names in os.walk(top):
            dirs.sort()
            for name in sorted(names):
                path = os.path.join(root, name)
                if path in seen or os.path.islink(path) or not os.path.isfile(path):
                    continue
                seen.add(path)
                yield path


def layer_tar(paths):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in paths:
            info = tar.gettarinfo(path, arcname=path.lstrip("/"))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(path, "rb") as f:
                tar.addfile(info, f)
    return buf.getvalue()


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, total_mb = sys.argv[1], int(sys.argv[2])
    layers = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    weights = [0.7 ** i for i in range(layers)]
    targets = [int(total_mb * (1 << 20) * w / sum(weights)) for w in weights]
    source = files()
    tars = []
    for target in targets:
        chosen, size = [], 0
        for path in source:
            try:
                n = os.path.getsize(path)
            except OSError:
                continue
            if n > target:
                continue
            chosen.append(path)
            size += n
            if size >= target:
                break
        tars.append(layer_tar(chosen))
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as archive:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        layer_names = []
        for i, t in enumerate(tars):
            layer_id = hashlib.sha256(("%d" % i).encode() + diff_ids[i].encode()).hexdigest()
            add(layer_id + "/layer.tar", t)
            add(layer_id + "/VERSION", b"1.0")
            layer_names.append(layer_id + "/layer.tar")
        add(config_name, config)
        add("manifest.json", json.dumps([{"Config": config_name, "RepoTags": ["bench:latest"],
                                          "Layers": layer_names}]).encode())
        add("repositories", json.dumps({"bench": {"latest": layer_names[-1].split("/")[0]}}).encode())
    total = sum(len(t) for t in tars)
    print("make_image: %s: %d layers, %.1f MB uncompressed" % (out, len(tars), total / 1e6),
          file=sys.stderr)


if __name__ == "__main__":
    main()
