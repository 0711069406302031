"""Writing container log files in the CRI format (see :mod:`.logs` for the format and
the reading side), with rotation like the kubelet's container log manager
(``--container-log-max-size``, ``--container-log-max-files``): ``<path>.<YYYYMMDD-HHMMSS>``,
all but the newest rotated file gzipped, the oldest removed.

It runs in every container's shim, whose start-up each container start pays for, so it
imports nothing but ``os`` and ``time`` up front.
"""

from __future__ import annotations

import os
import time

STREAMS = ("stdout", "stderr")


def _stamp(ns: int) -> bytes:
    # fixed width, so that every record's timestamp has the same length
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)).encode() + b".%09dZ" % frac


class LogWriter:
    """Turns raw bytes from a container's stdout/stderr pipes into CRI records in ``path``."""

    def __init__(self, path: str, *, max_size: int = 10 * 1024 * 1024, max_files: int = 5,
                 max_line: int = 16 * 1024, compress: bool = True,
                 clock=time.time_ns) -> None:   # clock: () -> int nanoseconds
        if max_files < 2:  # the current file and at least one rotated one, as upstream demands
            raise ValueError(f"max_files must be at least 2, not {max_files}")
        self.path, self.max_size, self.max_files = path, max_size, max_files  # max_size <= 0: no rotation
        self.max_line, self.compress, self.clock = max(1, max_line), compress, clock
        self._pending = {s: b"" for s in STREAMS}  # an unfinished line of each stream
        self._open()

    def _open(self) -> None:
        # O_APPEND and one os.write per batch of whole records: a reader never sees half a record
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)
        self._size = os.fstat(self._fd).st_size

    def write(self, stream: str, data: bytes) -> None:
        buf = self._pending[stream] + data
        *lines, rest = buf.split(b"\n")
        pieces = []
        for line in lines:
            # a line longer than max_line goes out as P pieces, its last piece as F
            while len(line) > self.max_line:
                pieces.append((b"P", line[:self.max_line]))
                line = line[self.max_line:]
            pieces.append((b"F", line))
        # don't hold an unfinished line of more than max_line bytes: emit it in pieces now
        while len(rest) > self.max_line:
            pieces.append((b"P", rest[:self.max_line]))
            rest = rest[self.max_line:]
        self._pending[stream] = rest
        self._emit(stream, pieces)

    def flush_partial(self, stream: str | None = None) -> None:
        """At EOF of a stream: what it wrote after its last newline becomes a P record."""
        for s in [stream] if stream else STREAMS:
            if self._pending[s]:
                self._emit(s, [(b"P", self._pending[s])])
                self._pending[s] = b""

    def close(self) -> None:
        if self._fd >= 0:
            self.flush_partial()
            os.close(self._fd)
            self._fd = -1

    def _emit(self, stream: str, pieces: list[tuple[bytes, bytes]]) -> None:
        prefix = b" " + stream.encode() + b" "
        batch: list[bytes] = []
        size = 0
        for tag, content in pieces:
            rec = _stamp(self.clock()) + prefix + tag + b" " + content + b"\n"
            if 0 < self.max_size < self._size + size + len(rec) and self._size + size > 0:
                self._write_all(b"".join(batch))
                batch, size = [], 0
                self._rotate()
            batch.append(rec)
            size += len(rec)
        self._write_all(b"".join(batch))

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
            self._size += n

    def _rotate(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.clock() // 1_000_000_000))
        target, n = f"{self.path}.{stamp}", 0
        # rotations within one second get -1, -2, ...: a rename must never overwrite a file
        while os.path.exists(target) or os.path.exists(target + ".gz"):
            n += 1
            target = f"{self.path}.{stamp}-{n}"
        os.close(self._fd)
        os.rename(self.path, target)
        self._open()  # the container's output goes on into a new file before the clean-up
        try:
            # keep max_files - 1 rotated files: remove the oldest, then gzip all but the
            # newest, which a follower may still be reading
            rotated = rotated_files(self.path)
            excess = max(0, len(rotated) - (self.max_files - 1))
            for old in rotated[:excess]:
                os.unlink(old)
            for old in rotated[excess:-1] if self.compress else []:
                if not old.endswith(".gz"):
                    _compress(old)
        except OSError:
            pass  # (a full disk, say) the next rotation tries again; the output must go on


def _compress(path: str) -> None:
    import gzip
    import shutil

    # through a .tmp file, then rename: a reader finds either the whole .gz or the plain file
    with open(path, "rb") as src, gzip.open(path + ".tmp", "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst)
    os.rename(path + ".tmp", path + ".gz")
    os.unlink(path)


def rotated_files(path: str) -> list[str]:
    """The rotated files of ``path``, oldest first (the current file is not among them)."""
    import re

    rotated = re.compile(r"(\d{8})-(\d{6})(?:-(\d+))?(\.gz)?")
    directory, base = os.path.split(path)
    found = {}
    for name in os.listdir(directory or "."):
        m = rotated.fullmatch(name[len(base) + 1:]) if name.startswith(base + ".") else None
        if m:  # (a compression's .tmp file does not match: it is not a log yet)
            found[name] = (m[1], m[2], int(m[3] or 0))
    # a plain file whose .gz exists is being compressed right now: read the .gz
    names = [n for n in found if n + ".gz" not in found]
    return [os.path.join(directory, n) for n in sorted(names, key=found.__getitem__)]
