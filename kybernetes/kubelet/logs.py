"""Container log files in the CRI format, as containerd writes them and the kubelet reads them.

Each record is one line ``<RFC3339Nano timestamp> <stream> <tag> <content>\\n``: stream is
``stdout`` or ``stderr``; tag ``F`` ends a line of the container's output, ``P`` is a piece
of a line the next record of that stream continues (the line was too long, or the output
ended without a newline).

:class:`LogWriter` runs in the per-container shim, so this module imports only light parts
of the standard library at import time (asyncio is imported where it is used). It also
rotates, like the kubelet's container log manager (``--container-log-max-size`` and
``--container-log-max-files``): ``<path>.<YYYYMMDD-HHMMSS>``, all but the newest rotated
file gzipped, the oldest removed.

:func:`read_log` and :func:`follow_log` serve ``kubectl logs``. Like the upstream kubelet
they read only the current file unless asked (``all_files=True``) for the rotated ones too.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections import deque, namedtuple
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass

STREAMS = ("stdout", "stderr")
_CHUNK = 1 << 20  # bytes read from a file at a time; also the size output is batched to
_TS = re.compile(rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")
_ROTATED = re.compile(r"(\d{8})-(\d{6})(?:-(\d+))?(\.gz)?")


def _stamp(ns: int) -> bytes:
    # fixed width, so that every record's timestamp has the same length
    sec, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)).encode() + b".%09dZ" % frac


class LogWriter:
    """Turns raw bytes from a container's stdout/stderr pipes into CRI records in ``path``."""

    def __init__(self, path: str, *, max_size: int = 10 * 1024 * 1024, max_files: int = 5,
                 max_line: int = 16 * 1024, compress: bool = True,
                 clock: Callable[[], int] = time.time_ns) -> None:
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
    directory, base = os.path.split(path)
    found = {}
    for name in os.listdir(directory or "."):
        m = _ROTATED.fullmatch(name[len(base) + 1:]) if name.startswith(base + ".") else None
        if m:  # (a compression's .tmp file does not match: it is not a log yet)
            found[name] = (m[1], m[2], int(m[3] or 0))
    # a plain file whose .gz exists is being compressed right now: read the .gz
    names = [n for n in found if n + ".gz" not in found]
    return [os.path.join(directory, n) for n in sorted(names, key=found.__getitem__)]


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
