"""Applying an image layer (a tar, plain or gzip) onto a rootfs directory, with the OCI
whiteout rules:

* ``.wh.<name>`` deletes ``<name>`` from the layers below;
* ``.wh..wh..opq`` in a directory hides everything the layers below put there.

Every member path is resolved inside the rootfs, following the rootfs's own symlinks
as the container would see them (``/`` meaning the rootfs), so a layer can never write
outside it: not with ``../``, not with an absolute name, not through a symlink (even an
absolute one) planted by an earlier member or layer. Ownership is kept when running as
root, and modes are kept, setuid bits included, as a container runtime does.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
from pathlib import PurePosixPath
from typing import IO

from ..rootless import in_user_namespace

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_SYMLINKS = 40


class LayerError(ValueError):
    pass


def _clean(name: str) -> list[str]:
    parts = []
    for p in PurePosixPath("/" + name).parts[1:]:
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return parts


def resolve(root: str, parts: list[str], *, follow_last: bool = False) -> str:
    """The host path of rootfs path ``parts``, following symlinks inside ``root`` (an
    absolute target means the rootfs's root). The last component is followed only
    with ``follow_last``."""
    done: list[str] = []
    todo = list(parts)
    hops = 0
    while todo:
        name = todo.pop(0)
        if name == "..":
            if done:
                done.pop()
            continue
        if name in ("", "."):
            continue
        host = os.path.join(root, *done, name)
        if (todo or follow_last) and os.path.islink(host):
            hops += 1
            if hops > MAX_SYMLINKS:
                raise LayerError(f"too many levels of symbolic links at /{'/'.join(done + [name])}")
            target = os.readlink(host)
            if target.startswith("/"):
                done = []
            todo = [p for p in target.split("/") if p] + todo
            continue
        done.append(name)
    return os.path.join(root, *done)


def _remove(path: str) -> None:
    if os.path.islink(path) or not os.path.isdir(path):
        if os.path.lexists(path):
            os.unlink(path)
    else:
        shutil.rmtree(path)


def apply_layer(fileobj: IO[bytes], root: str) -> None:
    """Extract one layer tar (plain or gzip) from ``fileobj`` onto ``root``."""
    # root of a user namespace cannot give files to ids it does not map, nor make devices
    as_root = os.geteuid() == 0 and not in_user_namespace()
    dirs: list[tuple[str, tarfile.TarInfo]] = []
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
        for member in tar:
            parts = _clean(member.name)
            if not parts:
                continue
            base = parts[-1]
            parent = resolve(root, parts[:-1], follow_last=True)
            if base == OPAQUE:
                if os.path.isdir(parent):
                    for child in os.listdir(parent):
                        _remove(os.path.join(parent, child))
                continue
            if base.startswith(WHITEOUT):
                _remove(os.path.join(parent, base[len(WHITEOUT):]))
                continue
            os.makedirs(parent, exist_ok=True)
            target = os.path.join(parent, base)
            if member.isdir():
                if os.path.lexists(target) and not os.path.isdir(target) or os.path.islink(target):
                    _remove(target)
                os.makedirs(target, exist_ok=True)
                dirs.append((target, member))      # modes and times after the contents
                continue
            if os.path.lexists(target):
                _remove(target)
            if member.issym():
                os.symlink(member.linkname, target)
            elif member.islnk():
                source = resolve(root, _clean(member.linkname))
                if not os.path.lexists(source):
                    raise LayerError(f"hard link {member.name} to a missing file {member.linkname}")
                os.link(source, target)
            elif member.isreg():
                src = tar.extractfile(member)
                assert src is not None
                with open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            elif member.ischr() or member.isblk() or member.isfifo():
                if not as_root and not member.isfifo():
                    continue                  # device nodes need root; a rootless runtime binds /dev
                kind = stat.S_IFCHR if member.ischr() else stat.S_IFBLK if member.isblk() else stat.S_IFIFO
                os.mknod(target, kind | 0o600, os.makedev(member.devmajor, member.devminor))
            else:
                continue
            _finish(target, member, as_root)
    for target, member in reversed(dirs):
        _finish(target, member, as_root)


def _finish(path: str, member: tarfile.TarInfo, as_root: bool) -> None:
    if as_root:
        os.lchown(path, member.uid, member.gid)
    if not member.issym():
        os.chmod(path, member.mode & 0o7777)
        os.utime(path, (member.mtime, member.mtime))
