"""Container log files in the CRI format, as containerd writes them and the kubelet reads them.

Each record is one line ``<RFC3339Nano timestamp> <stream> <tag> <content>\\n``: stream is
``stdout`` or ``stderr``; tag ``F`` ends a line of the container's output, ``P`` is a piece
of a line the next record of that stream continues (the line was too long, or the output
ended without a newline).

:class:`LogWriter` (in :mod:`.logwriter`, light enough for the per-container shim)
writes them, and rotates them like the kubelet's container log manager.

:func:`read_log` and :func:`follow_log` serve ``kubectl logs``. Like the upstream kubelet
they read only the current file unless asked (``all_files=True``) for the rotated ones too.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import deque, namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass

from .logwriter import STREAMS, LogWriter, rotated_files

__all__ = ["LogOptions", "LogWriter", "follow_log", "log_files", "read_log", "rotated_files", "STREAMS"]

_CHUNK = 1 << 20  # bytes read from a file at a time; also the size output is batched to
_TS = re.compile(rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def log_files(path: str) -> list[str]:
    """All the log files of a container, oldest first: the rotated ones, then ``path``."""
    return rotated_files(path) + [path]


@dataclass
class LogOptions:
    tail_lines: int | None = None
    since_time: float | None = None  # unix seconds; older records are skipped
    timestamps: bool = False
    limit_bytes: int | None = None
    follow: bool = False
    stream: str | None = None  # "stdout", "stderr", or None for both


# ts is the timestamp's match of _TS; an F record's content ends with "\n" (if the file had
# it), a P record's does not
_Record = namedtuple("_Record", "ts stream partial content")


def _parse(line: bytes) -> _Record | None:
    parts = line.split(b" ", 3)
    if len(parts) < 4 or parts[1] not in (b"stdout", b"stderr"):
        return None
    ts = _TS.fullmatch(parts[0])
    if ts is None:
        return None
    # only the first of the tags (":"-separated) means anything yet
    partial = parts[2].split(b":", 1)[0] == b"P"
    content = parts[3]
    if partial and content.endswith(b"\n"):
        content = content[:-1]  # the file's line end, not the container's
    return _Record(ts, parts[1], partial, content)


def _ts_ns(m: re.Match) -> int:
    import calendar

    sec = calendar.timegm(tuple(int(g) for g in m.groups()[:6]))
    ns = int((m[7] or b"").ljust(9, b"0"))
    off = m[8]
    if off != b"Z":
        sec -= (1 if off[:1] == b"+" else -1) * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return sec * 1_000_000_000 + ns


def _ts_fixed(m: re.Match) -> bytes:
    # upstream prints RFC3339Nano with all nine digits, whatever the file had
    return m[0][:19] + b"." + (m[7] or b"").ljust(9, b"0") + m[8]


def _records(lines: Iterable[bytes], stream: str | None) -> Iterator[_Record]:
    name = (stream or "all").lower()  # the API's "Stdout", "Stderr" and "All" work too
    want = None if name == "all" else name.encode()
    for line in lines:
        rec = _parse(line)
        if rec is not None and (want is None or rec.stream == want):  # malformed lines: skipped
            yield rec


def _tail(records: Iterable[_Record], n: int) -> list[_Record]:
    """The records of the last ``n`` lines: a line ends with an F record, and P records
    at the very end (output that ended without a newline) count as a line too."""
    lines: deque[list[_Record]] = deque(maxlen=max(n, 0))
    line: list[_Record] = []
    for rec in records:
        line.append(rec)
        if not rec.partial:
            lines.append(line)
            line = []
    if line:
        lines.append(line)
    return [rec for line in lines for rec in line]


class _Output:
    """Applies since, timestamps and limit_bytes to records, keeping state across calls."""

    def __init__(self, opts: LogOptions) -> None:
        self.opts = opts
        self.since = None if opts.since_time is None else round(opts.since_time * 1e9)
        self.remain = opts.limit_bytes
        self.line_start = True  # the next record begins a line, so it gets the timestamp

    @property
    def done(self) -> bool:
        return self.remain is not None and self.remain <= 0

    def render(self, records: Iterable[_Record]) -> Iterator[bytes]:
        out: list[bytes] = []
        size = 0
        for rec in records:
            if self.done:
                break
            at_start, self.line_start = self.line_start, not rec.partial
            if self.since is not None and _ts_ns(rec.ts) < self.since:  # equal is kept, as upstream
                continue
            data = rec.content
            if self.opts.timestamps and at_start:
                data = _ts_fixed(rec.ts) + b" " + data
            if self.remain is not None:
                data = data[:self.remain]  # cut mid-line, exactly at the limit
                self.remain -= len(data)
            out.append(data)
            size += len(data)
            if size >= _CHUNK:
                yield b"".join(out)
                out, size = [], 0
        if size:
            yield b"".join(out)


def _open_log(path: str):
    import gzip

    # a rotated file may have been compressed or removed since it was listed
    for p in (path, path + ".gz"):
        try:
            return gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb")
        except FileNotFoundError:
            pass
    return None


def _file_lines(files: Iterable) -> Iterator[bytes]:
    for f in files:
        if f is not None:
            with f:
                yield from f


def _start(older: list[str], lines: Iterable[bytes], opts: LogOptions) -> Iterable[_Record]:
    """The records a read starts with: those of the rotated files asked for, then ``lines``."""
    rotated = _file_lines(_open_log(p) for p in older)
    records = _records(itertools.chain(rotated, lines), opts.stream)
    return records if opts.tail_lines is None else _tail(records, opts.tail_lines)


def read_log(path: str, opts: LogOptions, *, all_files: bool = False) -> Iterator[bytes]:
    """The container's output in ``path`` as ``kubectl logs`` shows it, in chunks.

    Raises FileNotFoundError at once when ``path`` itself does not exist."""
    # list before opening: a rotation in between then loses a file rather than showing one twice
    older = rotated_files(path) if all_files else []
    current = open(path, "rb")
    return _Output(opts).render(_start(older, _file_lines([current]), opts))


def _split(carry: bytes, data: bytes) -> tuple[list[bytes], bytes]:
    *lines, carry = (carry + data).split(b"\n")
    return [line + b"\n" for line in lines], carry


async def follow_log(path: str, opts: LogOptions, *, still_running: Callable[[], bool],
                     poll: float = 0.2, all_files: bool = False) -> AsyncIterator[bytes]:
    """What :func:`read_log` gives, then the records appended after it, across rotations,
    until the container has stopped and everything it wrote has been read."""
    import asyncio

    out = _Output(opts)
    older = rotated_files(path) if all_files else []
    f = open(path, "rb")
    try:
        # the start: everything in the file now, less an unfinished last line
        lines, carry = _split(b"", f.read())
        for chunk in out.render(_start(older, lines, opts)):
            yield chunk
        stopping = False
        while not out.done:
            data, new = f.read(_CHUNK), None
            if not data and _replaced(path, f):
                # the shim renames only after its last write to the old file, so what this
                # read finds is the rest of it; then on to the new file, from its start
                data, new = f.read(), _open_log(path)
            if data:
                lines, carry = _split(carry, data)
                for chunk in out.render(_records(lines, opts.stream)):
                    yield chunk
            if new is not None:
                f.close()
                f, carry = new, b""
            if data or new is not None:
                await asyncio.sleep(0)  # a big backlog must not starve the event loop
                continue
            if stopping:
                break  # an unfinished last record, if any, is dropped as upstream does
            # once stopped, read to the end one more time: the container's last words
            stopping = not still_running()
            if not stopping:
                await asyncio.sleep(poll)
    finally:
        f.close()


def _replaced(path: str, f) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False  # between the shim's rename and its new file
    old = os.fstat(f.fileno())
    return (st.st_ino, st.st_dev) != (old.st_ino, old.st_dev)
