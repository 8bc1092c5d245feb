#!/usr/bin/env python3
# mkhostile.py CASE OUT HOSTDIR — one hostile image archive for images_hostile.test.
#
# Writes OUT, an OCI image layout tar whose layer (or document) is what CASE names: a
# member with `..`, an absolute name, a symlink out of the layer and a write through it, a
# hard link to /etc/shadow, a `.` that is a symlink (umoci CVE-2021-29136), a chmod through
# a symlink (containerd CVE-2021-32760), a digest that is a path, bare and `..` whiteouts,
# an oversized and a deeply nested index.json, a gzip bomb, truncated tar and gzip
# streams, bytes that do not match their digest, a zstd layer. HOSTDIR is a directory of
# the host the hostile members aim at. Every tar and gzip is written here, byte by byte
# reproducible (fixed times, no names in gzip headers).
import gzip
import hashlib
import io
import json
import sys
import tarfile

MTIME = 1704164645


def tar_of(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.mtime = MTIME
            kind = e.get("type", "file")
            if kind == "file":
                data = e.get("data", b"")
                ti.size = len(data)
                ti.mode = e.get("mode", 0o644)
                t.addfile(ti, io.BytesIO(data))
                continue
            ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                       "hardlink": tarfile.LNKTYPE}[kind]
            ti.mode = e.get("mode", 0o755)
            ti.linkname = e.get("target", "")
            t.addfile(ti)
    return out.getvalue()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layout(out, layers, index_extra=None, index_raw=None, digest_override=None,
           diff_ids=None):
    """layers: list of (blob bytes, uncompressed bytes, media type)."""
    blobs = {}
    descs = []
    for i, (blob, plain, mt) in enumerate(layers):
        d = sha(blob) if not digest_override else digest_override[i] or sha(blob)
        blobs[d] = blob
        descs.append({"mediaType": mt, "digest": d, "size": len(blob)})
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers",
                   "diff_ids": diff_ids or [sha(plain) for _, plain, _ in layers]},
    }, separators=(",", ":")).encode()
    blobs[sha(config)] = config
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": len(config)},
        "layers": descs,
    }, separators=(",", ":")).encode()
    blobs[sha(manifest)] = manifest
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": sha(manifest), "size": len(manifest),
             "annotations": {"io.containerd.image.name": "docker.io/hostile/case:latest"}}
    if index_extra:
        entry["annotations"].update(index_extra)
    index = index_raw if index_raw is not None else json.dumps(
        {"schemaVersion": 2, "manifests": [entry]}, separators=(",", ":")).encode()
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)]
    for d, b in blobs.items():
        name = "blobs/sha256/" + d.split(":", 1)[1] if d.startswith("sha256:") and \
            "/" not in d else "blobs/sha256/ignored-" + str(len(files))
        files.append((name, b))
    with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.mtime = MTIME
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))


def plain(entries):
    b = tar_of(entries)
    return (b, b, "application/vnd.oci.image.layer.v1.tar")


def gzipped(entries):
    b = tar_of(entries)
    return (gz(b), b, "application/vnd.oci.image.layer.v1.tar+gzip")


def main():
    case, out, host = sys.argv[1], sys.argv[2], sys.argv[3]
    ok = [{"name": "bin", "type": "dir"}, {"name": "bin/true", "data": b"#!/bin/sh\n"}]
    if case == "dotdot":
        layout(out, [plain(ok + [{"name": "../../../escaped", "data": b"x"}])])
    elif case == "absolute":
        layout(out, [plain(ok + [{"name": host + "/absolute", "data": b"contained"}])])
    elif case == "symlink-write":
        layout(out, [plain(ok + [
            {"name": "up", "type": "symlink", "target": "../../../../../../../.." + host},
            {"name": "up/through-relative", "data": b"x"},
            {"name": "abs", "type": "symlink", "target": host},
            {"name": "abs/through-absolute", "data": b"x"}])])
    elif case == "hardlink-shadow":
        layout(out, [plain(ok + [{"name": "shadow", "type": "hardlink",
                                  "target": "/etc/shadow"}])])
    elif case == "dot-symlink":
        layout(out, [plain([{"name": ".", "type": "symlink", "target": host}] + ok)])
    elif case == "chmod-symlink":
        layout(out, [plain(ok + [
            {"name": "victim", "type": "symlink", "target": host + "/victim"},
            {"name": "victim", "type": "dir", "mode": 0o777}])])
    elif case == "digest-path":
        layout(out, [plain(ok)], digest_override=["sha256:../../../../etc/passwd"])
    elif case == "bare-whiteout":
        layout(out, [plain(ok), plain([{"name": "bin/.wh.", "data": b""}])])
    elif case == "whiteout-dotdot":
        layout(out, [plain(ok), plain([{"name": "bin/.wh...", "data": b""}])])
    elif case == "big-index":
        layout(out, [plain(ok)], index_extra={"pad": "x" * (5 * 1024 * 1024)})
    elif case == "deep-index":
        deep = "[" * 100 + "]" * 100
        layout(out, [plain(ok)], index_raw=(
            '{"schemaVersion":2,"manifests":[],"x":' + deep + "}").encode())
    elif case == "bomb":
        layout(out, [gzipped(ok + [{"name": "zeros", "data": bytes(3 * 1024 * 1024)}])])
    elif case == "truncated-tar":
        b = tar_of(ok + [{"name": "big", "data": b"y" * 100000}])[:60000]
        layout(out, [(b, b, "application/vnd.oci.image.layer.v1.tar")])
    elif case == "truncated-gzip":
        b = tar_of(ok + [{"name": "big", "data": bytes(range(256)) * 400}])
        z = gz(b)[:-40]
        layout(out, [(z, b, "application/vnd.oci.image.layer.v1.tar+gzip")])
    elif case == "mismatch":
        good = tar_of(ok)
        bad = bytearray(good)
        bad[700] ^= 1
        layout(out, [(bytes(bad), good, "application/vnd.oci.image.layer.v1.tar")],
               digest_override=[sha(good)])
    elif case == "diffid-mismatch":
        layout(out, [plain(ok)], diff_ids=["sha256:" + "0" * 64])
    elif case == "zstd":
        z = b"\x28\xb5\x2f\xfd" + bytes(60)
        layout(out, [(z, z, "application/vnd.oci.image.layer.v1.tar+zstd")])
    else:
        sys.exit("mkhostile.py: unknown case " + case)


main()
