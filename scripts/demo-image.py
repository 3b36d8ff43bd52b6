#!/usr/bin/env python3
"""Writes a tiny `docker save`-style archive for scripts/demo, without Docker.

Usage: demo-image.py OUT.tar [REPO:TAG]

The archive has the legacy `docker save` layout (uncompressed <id>/layer.tar files, the image
config <sha256>.json, manifest.json, repositories) that `sluice-push docker-archive:OUT.tar`
reads, with two small layers:
  1. etc/demo-release                  (a stand-in for a base image)
  2. app/process.sh                    (what a processing task would run: it reads INPUT_KEY)
and a config whose entrypoint is `/bin/sh /app/process.sh`. It is only for pushing and deploying
against local peers: there is no /bin/sh in it, so a real ECS task could not run it. To try the
same flow on real AWS, push a real image (`docker save IMAGE >app.tar`).

The bytes are the same on every run and every machine (fixed timestamps, owners and modes, sorted
entries), so pushing it twice uploads nothing the second time.
"""
import hashlib
import io
import json
import sys
import tarfile

EPOCH = 1700000000  # 2023-11-14T22:13:20Z, for every timestamp in the image

PROCESS_SH = b"""#!/bin/sh
# What the task does with the object sluice-trigger names in its environment.
set -eu
echo "processing s3://${INPUT_BUCKET:-?}/${INPUT_KEY:?INPUT_KEY is not set}"
echo "done"
"""

RELEASE = b"NAME=sluice-demo\nVERSION=1\n"


def layer(files):
    """An uncompressed layer tar: (path, bytes, mode) entries with their parent directories."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        dirs = sorted({"/".join(path.split("/")[:i]) for path, _, _ in files
                       for i in range(1, path.count("/") + 1)})
        for d in dirs:
            info = tarfile.TarInfo(d + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            tar.addfile(info)
        for path, data, mode in sorted(files):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), mode, EPOCH
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[1]
    repo_tag = sys.argv[2] if len(sys.argv) == 3 else "sluice-demo:v1"
    repo, _, tag = repo_tag.rpartition(":")
    layers = [
        layer([("etc/demo-release", RELEASE, 0o644)]),
        layer([("app/process.sh", PROCESS_SH, 0o755)]),
    ]
    diff_ids = ["sha256:" + hashlib.sha256(t).hexdigest() for t in layers]
    created = "2023-11-14T22:13:20Z"
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Entrypoint": ["/bin/sh", "/app/process.sh"],
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/app",
            "Labels": {"org.opencontainers.image.title": "sluice demo"},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": created, "created_by": "COPY etc/demo-release /etc/"},
            {"created": created, "created_by": "COPY process.sh /app/"},
        ],
    }, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"

    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as archive:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, EPOCH
            archive.addfile(info, io.BytesIO(data))

        layer_paths = []
        for i, data in enumerate(layers):
            layer_id = hashlib.sha256(("%d:%s" % (i, diff_ids[i])).encode()).hexdigest()
            add(layer_id + "/VERSION", b"1.0")
            add(layer_id + "/layer.tar", data)
            layer_paths.append(layer_id + "/layer.tar")
        add(config_name, config)
        add("manifest.json", json.dumps(
            [{"Config": config_name, "RepoTags": [repo_tag], "Layers": layer_paths}]).encode())
        add("repositories", json.dumps({repo: {tag: layer_paths[-1].split("/")[0]}}).encode())

    print("demo-image: wrote %s (%s, %d layers, %d bytes uncompressed, config sha256:%s)" %
          (out, repo_tag, len(layers), sum(len(t) for t in layers), config_name[:-5]),
          file=sys.stderr)


if __name__ == "__main__":
    main()
