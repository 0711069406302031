"""The embedded store: :class:`SQLiteStore`, an etcd-like MVCC log in one SQLite file.

Data model
----------
One append-only table, ``kv``. Every successful write (create, update, delete)
appends one row whose ``INTEGER PRIMARY KEY`` *is* the revision it produced::

    id               the revision (global, strictly increasing, never reused)
    name             the key
    created          1 for a create
    deleted          1 for a delete (a "tombstone"; its value is NULL)
    create_revision  revision of the create that started this key's lifetime
    prev_revision    revision of the version this row replaces (0 on create)
    value            the new value (NULL for a tombstone)

Nothing is ever updated in place, so the table is the history: "the value of a
key at revision R" is the newest row with ``id <= R`` for that name (absent or a
tombstone means "not found"), and "every event after R" is a primary-key range
scan. The index ``(name, id, deleted)`` serves point reads and prefix ranges at
any revision without touching the table except for the rows returned. A small
``meta`` table persists the compacted revision. On open, the revision is
``max(id)``, so revisions continue across restarts.

A DELETE event's value and every ``prev_kv`` come from the row named by
``prev_revision``; compaction is careful to keep those rows (see below).

Why one writer thread with group commit
---------------------------------------
Durability means an fsync per commit (WAL mode with ``synchronous=FULL``), and
the fsync dominates the cost of a write. So all writes go through one thread
that owns the only writable connection: callers enqueue an operation and await a
future; the thread takes *everything* queued, runs the operations one after the
other inside one transaction (each successful one gets the next revision; a
later operation sees the earlier ones, so compare-and-swap stays exact), commits
once and only then answers. N concurrent writers share one fsync instead of
queueing for N of them. A failed operation (KeyExists, KeyNotFound,
RevisionMismatch) writes nothing, consumes no revision and fails only its own
caller. If SQLite itself raises mid-batch, the batch is rolled back and retried
one operation per transaction, so only the culprit fails.

Why events are delivered before acknowledgements
------------------------------------------------
After a commit the thread schedules *one* callback on the event loop. It first
advances :attr:`SQLiteStore.revision`, then hands the batch's events to every
synchronous subscriber (:meth:`SQLiteStore.subscribe`, what the API server's
watch cache uses) and to every matching :meth:`SQLiteStore.watch` watcher, and
only then resolves the writers' futures. So by the time ``await store.create()``
returns, every in-process watcher already has the event queued: a client that
writes and then looks at a watch never waits for a second hop, and the watch
cache is never behind a write whose result a client has already seen.

Reads
-----
Reads are served "as of" :attr:`SQLiteStore.revision` (the newest revision whose
events have been delivered), never at a revision that is committed but not yet
announced, so reads, watches and acknowledgements agree. Point reads (``get``)
run directly on the event loop on their own read-only connection; they take a
few microseconds and, thanks to WAL, never wait for the writer. ``range`` and
watch replay, which can touch many rows, run on a small pool of reader threads,
each with its own connection.

Watches
-------
``watch(prefix, start_revision=R)`` registers for live events *first* and notes
the current revision C, all on the event loop with no await in between; it then
replays rows ``R <= id <= C`` from the database in pages and afterwards yields
live events (which all have revisions > C), so there is neither a gap nor a
duplicate. ``start_revision=0`` means "only changes from now on". A
``start_revision`` below the compacted revision raises :class:`CompactedError`
from ``watch()`` itself; if a compaction overtakes a replay still in progress,
the next ``__anext__`` raises it instead.

Compaction
----------
``compact(C)`` makes revisions below C unreadable: it records C in ``meta`` and
deletes every row with ``id < C`` except, for each key live at C-1, its newest
such row (tombstones below C go, with everything before them). All rows ``>= C``
stay, so watches from C replay fully and every kept event can still find its
``prev_kv``. The delete runs in chunks, interleaved with ordinary write batches,
so a big compaction never stalls writers for long. The in-memory compacted
revision is raised *before* any row is deleted, and reads re-check it after
running, so a read can never silently miss compacted rows.

Files and processes
-------------------
One store per database file: ``open()`` takes an exclusive ``flock`` on it, so a
second open (in this process or another) fails instead of forking the revision
sequence. SQLite adds ``<path>-wal`` and ``<path>-shm`` next to it; ``close()``
checkpoints and truncates the WAL.

Automatic compaction works like the Kubernetes API server's: every
``compaction_interval`` seconds, compact to the revision that was current at the
previous tick, so at least one interval of history is always kept.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import time
from collections import deque
from concurrent.futures import Future as ThreadFuture
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable

from .interface import (
    CompactedError,
    Event,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RangeResult,
    RevisionMismatchError,
    StorageError,
)

log = logging.getLogger(__name__)

__all__ = ["SQLiteStore", "SQLiteWatcher"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    created         INTEGER NOT NULL,
    deleted         INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision   INTEGER NOT NULL,
    value           BLOB
);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id, deleted);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
"""

# --- statements -------------------------------------------------------------------

_SQL_CURRENT = (
    "SELECT id, create_revision, value, deleted FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1"
)
_SQL_INSERT = (
    "INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, value)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SQL_GET_AT = (
    "SELECT id, create_revision, value, deleted FROM kv"
    " WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1"
)
_SQL_ROWS_BY_IDS = (
    "SELECT id, name, create_revision, value FROM kv WHERE id IN (SELECT value FROM json_each(?))"
)

# Newest version of each key in [lo, hi) at a revision; index-only thanks to
# kv_name_id, in key order. The bare "deleted" column comes from the MAX(id) row
# (documented SQLite behaviour for a single min()/max() aggregate).
_SQL_HEADS = (
    "SELECT MAX(id), deleted FROM kv WHERE name >= ? {upper} AND id <= ? GROUP BY name ORDER BY name"
)
_SQL_COUNT_LIVE = (
    "SELECT COUNT(*) FROM (SELECT MAX(id) AS mid, deleted AS d FROM kv"
    " WHERE name > ? {upper} AND id <= ? GROUP BY name) WHERE d = 0"
)
_SQL_EVENTS = (
    "SELECT k.id, k.name, k.created, k.deleted, k.create_revision, k.prev_revision, k.value,"
    " p.value, p.create_revision FROM kv AS k LEFT JOIN kv AS p ON p.id = k.prev_revision"
    " WHERE k.id >= ? AND k.id <= ? AND k.name >= ? {upper} ORDER BY k.id LIMIT ?"
)
_SQL_COMPACT_CHUNK = (
    "DELETE FROM kv WHERE id >= ? AND id < ? AND (deleted = 1 OR id <"
    " (SELECT MAX(k2.id) FROM kv AS k2 WHERE k2.name = kv.name AND k2.id < ?))"
)

_CHECKPOINT_INTERVAL = 0.5  # seconds between background WAL checkpoints
_BATCH_MAX_OPS = 1000  # operations per group-commit transaction
_BATCH_MAX_BYTES = 32 << 20  # ... and value bytes
_COMPACT_CHUNK_ROWS = 5000  # rows examined per compaction transaction
_FETCH_CHUNK = 10000  # rows fetched per statement by range()
_REPLAY_PAGE = 1000  # events per watch-replay batch
_LIVE_MERGE_MAX = 4096  # live events merged into one watcher batch at most

_OP_CREATE, _OP_UPDATE, _OP_DELETE = range(3)
_STOP = object()  # queued by close(): the writer finishes what precedes it and exits


def _prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``
    (None: no upper bound). Code-point order equals SQLite's UTF-8 byte order."""
    chars = list(prefix)
    while chars:
        c = ord(chars[-1]) + 1
        if c == 0xD800:  # skip surrogates, which UTF-8 cannot encode
            c = 0xE000
        if c <= 0x10FFFF:
            chars[-1] = chr(c)
            return "".join(chars)
        chars.pop()
    return None


def _lock_file(path: str) -> int:
    """Take an exclusive ``flock`` on the database file itself, so that a second
    store (another process, or this one) cannot open it and fork the revision
    sequence. ``flock`` locks are independent of SQLite's ``fcntl`` locks on
    Linux. The kernel releases it when the process dies, even on ``kill -9``.
    Also makes the file's directory entry durable."""
    existed = os.path.exists(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise StorageError(f"store {path} is already open (by this or another process)") from e
        raise
    if not existed:
        dfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return fd


def _connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=64
    )
    conn.execute("PRAGMA busy_timeout = 10000")
    if readonly:
        conn.execute("PRAGMA query_only = 1")
    conn.execute("PRAGMA cache_size = -32000")
    return conn


class _Op:
    __slots__ = ("kind", "key", "value", "expected", "future")

    def __init__(self, kind: int, key: str, value: bytes | None, expected: int | None, future: Any):
        self.kind = kind
        self.key = key
        self.value = value
        self.expected = expected
        self.future = future


class _Compaction:
    __slots__ = ("revision", "next_id", "deleted", "started", "future")

    def __init__(self, revision: int, future: Any):
        self.revision = revision
        self.next_id: int | None = None
        self.deleted = 0
        self.started = 0.0
        self.future = future


# A resolution is (future, result, exception); the loop applies it after events.
_Resolution = tuple[Any, Any, BaseException | None]


class SQLiteStore:
    """The :class:`~kybernetes.storage.interface.Store` on one SQLite file.

    Create with ``await SQLiteStore.open(path)``; bound to the running event loop
    it was opened on. All methods must be called from that loop's thread.
    """

    def __init__(self) -> None:  # use open()
        self._loop: asyncio.AbstractEventLoop
        self._path = ""
        self._revision = 0
        self._compacted = 0
        self._closed = False
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._w_rev = 0  # writer thread's view of the newest committed revision
        self._rconn: sqlite3.Connection | None = None  # loop-thread read connection
        self._readers: ThreadPoolExecutor | None = None
        self._reader_local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._subscribers: list[Callable[[list[Event]], None]] = []
        self._watchers: set[SQLiteWatcher] = set()
        self._compaction_task: asyncio.Task[None] | None = None
        self._compaction_interval: float | None = None
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self._lock_fd: int | None = None
        self._broken: BaseException | None = None  # set if the writer thread died

    # --- lifecycle -------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        compaction_interval: float | None = 300.0,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        read_threads: int = 2,
    ) -> "SQLiteStore":
        """Open (creating if needed) the store at ``path``.

        ``compaction_interval``: seconds between automatic compactions (None or
        <= 0 disables them); each compacts to the revision current at the
        previous tick. ``sleep`` replaces ``asyncio.sleep`` for the compaction
        ticker (tests inject a controllable one). ``read_threads`` sizes the pool
        serving ``range`` and watch replay.
        """
        self = cls()
        self._loop = asyncio.get_running_loop()
        self._path = path
        if sleep is not None:
            self._sleep = sleep
        self._lock_fd = _lock_file(path)
        ready: ThreadFuture[tuple[int, int]] = ThreadFuture()
        self._writer = threading.Thread(
            target=self._writer_main, args=(ready,), name="kyb-sqlite-writer", daemon=True
        )
        self._writer.start()
        try:
            revision, compacted = await asyncio.wrap_future(ready)
        except BaseException:
            self._writer.join()
            os.close(self._lock_fd)
            self._lock_fd = None
            raise
        self._revision = self._w_rev = revision
        self._compacted = compacted
        self._rconn = _connect(path, readonly=True)
        # Checkpoints copy the WAL into the database file and fsync it; done by the
        # writer they stall a commit for milliseconds, so a thread of their own does
        # them (PASSIVE: never blocks the writer).
        self._checkpoint_stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpointer_main, name="kyb-sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()
        self._readers = ThreadPoolExecutor(
            max_workers=max(1, read_threads), thread_name_prefix="kyb-sqlite-read"
        )
        if compaction_interval is not None and compaction_interval > 0:
            self._compaction_interval = compaction_interval
            self._compaction_task = self._loop.create_task(
                self._auto_compact(), name="kyb-sqlite-compaction"
            )
        log.info("opened store %s at revision %d (compacted %d)", path, revision, compacted)
        return self

    async def close(self) -> None:
        """Finish queued writes, end all watchers and release the file."""
        if self._closed:
            return
        self._closed = True
        if self._compaction_task is not None:
            self._compaction_task.cancel()
            try:
                await self._compaction_task
            except (asyncio.CancelledError, Exception):
                pass
        for w in list(self._watchers):
            w.close()
        if getattr(self, "_checkpointer", None) is not None:
            self._checkpoint_stop.set()
            await asyncio.to_thread(self._checkpointer.join)
        self._queue.put(_STOP)
        writer = self._writer
        if writer is not None:
            await asyncio.to_thread(writer.join)
        # Run the writer's last delivery callbacks before returning.
        await asyncio.sleep(0)
        if self._readers is not None:
            readers = self._readers
            await asyncio.to_thread(readers.shutdown, True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        if self._rconn is not None:
            self._rconn.close()
            self._rconn = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None
        log.info("closed store %s at revision %d", self._path, self._revision)

    async def __aenter__(self) -> "SQLiteStore":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- state ---------------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The newest revision whose events have been delivered (and which reads see)."""
        return self._revision

    @property
    def compacted_revision(self) -> int:
        return self._compacted

    @property
    def path(self) -> str:
        return self._path

    def subscribe(self, callback: Callable[[list[Event]], None]) -> Callable[[], None]:
        """Call ``callback(events)`` on the event loop with every committed batch
        (all keys, revision order), before the writers' futures resolve. The list
        is shared: do not mutate it. Returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(callback)
            except ValueError:
                pass

        return unsubscribe

    # --- writes --------------------------------------------------------------------

    def _submit(self, kind: int, key: str, value: bytes | None, expected: int | None) -> Any:
        if self._closed:
            raise StorageError("store is closed")
        if self._broken is not None:
            raise StorageError(f"storage writer crashed: {self._broken!r}")
        fut = self._loop.create_future()
        self._queue.put(_Op(kind, key, value, expected, fut))
        return fut

    async def create(self, key: str, value: bytes) -> int:
        return await self._submit(_OP_CREATE, key, bytes(value), None)

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        return await self._submit(_OP_UPDATE, key, bytes(value), expected_revision)

    async def delete(self, key: str, *, expected_revision: int | None = None) -> tuple[int, KeyValue]:
        return await self._submit(_OP_DELETE, key, None, expected_revision)

    async def compact(self, revision: int) -> None:
        """Forget history below ``revision``. A revision at or below the current
        compacted one is a no-op; above the current revision raises
        FutureRevisionError."""
        if self._closed:
            raise StorageError("store is closed")
        if self._broken is not None:
            raise StorageError(f"storage writer crashed: {self._broken!r}")
        if revision > self._revision:
            raise FutureRevisionError(revision, self._revision)
        if revision <= self._compacted:
            return
        # Raise the in-memory bound before any row disappears: reads and watch
        # replays re-check it after running.
        self._compacted = revision
        fut = self._loop.create_future()
        self._queue.put(_Compaction(revision, fut))
        await fut

    async def _auto_compact(self) -> None:
        assert self._compaction_interval is not None
        previous: int | None = None
        while True:
            await self._sleep(self._compaction_interval)
            if self._closed:
                return
            if previous is not None and previous > self._compacted:
                try:
                    await self.compact(previous)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("automatic compaction to %d failed", previous)
            previous = self._revision

    # --- reads ---------------------------------------------------------------------

    def _read_revision(self, revision: int) -> int:
        if self._closed:
            raise StorageError("store is closed")
        current = self._revision
        if revision == 0:
            return current
        if revision < 0:
            raise ValueError(f"negative revision {revision}")
        if revision > current:
            raise FutureRevisionError(revision, current)
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        return revision

    def _check_not_compacted(self, revision: int) -> None:
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        rev = self._read_revision(revision)
        assert self._rconn is not None
        row = self._rconn.execute(_SQL_GET_AT, (key, rev)).fetchone()
        # A concurrent compaction raises _compacted before deleting anything.
        self._check_not_compacted(rev)
        if row is None or row[3]:
            return None
        return KeyValue(key, row[2], row[1], row[0])

    async def range(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_key: str = ""
    ) -> RangeResult:
        rev = self._read_revision(revision)
        if limit < 0:
            raise ValueError(f"negative limit {limit}")
        lo = max(prefix, start_key)
        hi = _prefix_end(prefix)
        result = await self._in_reader(self._range_sync, lo, hi, rev, limit)
        self._check_not_compacted(rev)
        return result

    def _reader_conn(self) -> sqlite3.Connection:
        conn = getattr(self._reader_local, "conn", None)
        if conn is None:
            conn = _connect(self._path, readonly=True)
            self._reader_local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        return conn

    async def _in_reader(self, fn: Callable[..., Any], *args: Any) -> Any:
        assert self._readers is not None
        return await self._loop.run_in_executor(self._readers, fn, *args)

    def _range_sync(self, lo: str, hi: str | None, rev: int, limit: int) -> RangeResult:
        conn = self._reader_conn()
        upper = "AND name < ?" if hi is not None else ""
        params: tuple[Any, ...] = (lo, hi, rev) if hi is not None else (lo, rev)
        ids: list[int] = []
        heads = conn.execute(_SQL_HEADS.format(upper=upper), params)
        for mid, deleted in heads:
            if deleted:
                continue
            ids.append(mid)
            if limit and len(ids) >= limit:
                break
        heads.close()
        # One statement for all the rows (a per-id SELECT costs ~10 us each).
        rows: dict[int, tuple[Any, ...]] = {}
        for i in range(0, len(ids), _FETCH_CHUNK):
            chunk = ids[i : i + _FETCH_CHUNK]
            for row in conn.execute(_SQL_ROWS_BY_IDS, ("[" + ",".join(map(str, chunk)) + "]",)):
                rows[row[0]] = row
        kvs: list[KeyValue] = []
        for mid in ids:
            row = rows.get(mid)
            if row is not None:
                kvs.append(KeyValue(row[1], row[3], row[2], mid))
        more = 0
        if limit and len(kvs) >= limit:
            last = kvs[-1].key
            cparams = (last, hi, rev) if hi is not None else (last, rev)
            more = conn.execute(_SQL_COUNT_LIVE.format(upper=upper), cparams).fetchone()[0]
        return RangeResult(kvs=kvs, revision=rev, more=more)

    def _events_sync(self, prefix: str, first: int, last: int, page: int) -> list[Event]:
        conn = self._reader_conn()
        hi = _prefix_end(prefix)
        upper = "AND k.name < ?" if hi is not None else ""
        params: tuple[Any, ...] = (first, last, prefix) + ((hi,) if hi is not None else ()) + (page,)
        out: list[Event] = []
        for rid, name, created, deleted, crev, prev, value, pvalue, pcrev in conn.execute(
            _SQL_EVENTS.format(upper=upper), params
        ):
            prev_kv = None
            if prev and pcrev is not None:
                prev_kv = KeyValue(name, pvalue, pcrev, prev)
            if deleted:
                out.append(Event("DELETE", KeyValue(name, pvalue if pvalue is not None else b"", crev, rid), prev_kv))
            else:
                out.append(Event("PUT", KeyValue(name, value, crev, rid), None if created else prev_kv))
        return out

    # --- watches -------------------------------------------------------------------

    def watch(self, prefix: str, *, start_revision: int) -> "SQLiteWatcher":
        """Events on keys starting with ``prefix`` with revision >= ``start_revision``
        (0: only new ones). Raises CompactedError here if ``start_revision`` is
        below the compacted revision; if a compaction overtakes the replay
        later, the watcher's ``__anext__`` raises it."""
        if self._closed:
            raise StorageError("store is closed")
        if start_revision < 0:
            raise ValueError(f"negative revision {start_revision}")
        if 0 < start_revision < self._compacted:
            raise CompactedError(start_revision, self._compacted)
        current = self._revision
        w = SQLiteWatcher(self, prefix, start_revision, current)
        self._watchers.add(w)
        return w

    # --- delivery (event loop) -------------------------------------------------------

    def _deliver(self, revision: int, events: list[Event], resolutions: list[_Resolution]) -> None:
        if revision > self._revision:
            self._revision = revision
        if events:
            for cb in tuple(self._subscribers):
                try:
                    cb(events)
                except Exception:
                    log.exception("storage subscriber %r failed", cb)
            for w in tuple(self._watchers):
                w._push(events)
        for fut, result, exc in resolutions:
            if fut.done():
                continue
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(result)

    def _post(self, revision: int, events: list[Event], resolutions: list[_Resolution]) -> None:
        """Writer thread → event loop."""
        try:
            self._loop.call_soon_threadsafe(self._deliver, revision, events, resolutions)
        except RuntimeError:  # loop closed underneath us
            log.warning("event loop closed; dropping delivery of revision %d", revision)

    # --- writer thread ---------------------------------------------------------------

    def _checkpointer_main(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 100")
            while not self._checkpoint_stop.wait(_CHECKPOINT_INTERVAL):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as e:  # busy: try again next tick
                    log.debug("checkpoint skipped: %s", e)
        finally:
            conn.close()

    def _writer_main(self, ready: ThreadFuture[tuple[int, int]]) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, cached_statements=64)
            conn.execute("PRAGMA busy_timeout = 10000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"cannot enable WAL on {self._path}: journal_mode={mode}")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA cache_size = -32000")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer thread does it
            conn.executescript(_SCHEMA)
            revision = conn.execute("SELECT COALESCE(MAX(id), 0) FROM kv").fetchone()[0]
            row = conn.execute("SELECT value FROM meta WHERE name = 'compacted'").fetchone()
            compacted = row[0] if row else 0
            revision = max(revision, compacted)
        except BaseException as e:
            if conn is not None:
                conn.close()
            ready.set_exception(e)
            return
        self._w_rev = revision
        ready.set_result((revision, compacted))
        try:
            self._writer_loop(conn)
        except BaseException as e:  # pragma: no cover - a bug
            log.exception("storage writer thread crashed")
            # Refuse further writes and fail the queued ones rather than hang them
            # (operations of the batch in flight are lost with the thread).
            self._broken = e
            self._fail_queued(StorageError(f"storage writer crashed: {e!r}"))
            raise
        finally:
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            conn.close()

    def _writer_loop(self, conn: sqlite3.Connection) -> None:
        q = self._queue
        stop = False
        while not stop:
            item = q.get()
            batch: list[_Op] = []
            compactions: list[_Compaction] = []
            size = 0
            while True:
                if item is _STOP:
                    stop = True
                elif isinstance(item, _Compaction):
                    compactions.append(item)
                else:
                    batch.append(item)
                    if item.value is not None:
                        size += len(item.value)
                if stop or len(batch) >= _BATCH_MAX_OPS or size >= _BATCH_MAX_BYTES:
                    break
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write_batch(conn, batch)
            for c in compactions:
                if stop:
                    # Finish it now rather than leaving a caller waiting forever.
                    while not self._compact_step(conn, c):
                        pass
                elif not self._compact_step(conn, c):
                    q.put(c)  # continue after whatever writes queued meanwhile
        # Nothing should follow the stop marker (close() refuses new operations
        # before queueing it), but never leave a caller hanging.
        self._fail_queued(StorageError("store is closed"))

    def _fail_queued(self, error: StorageError) -> None:
        failed: list[_Resolution] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, (_Op, _Compaction)):
                failed.append((item.future, None, error))
        if failed:
            self._post(self._w_rev, [], failed)

    def _write_batch(self, conn: sqlite3.Connection, batch: list[_Op]) -> None:
        t0 = time.perf_counter()
        try:
            events, resolutions = self._run_txn(conn, batch)
        except Exception as e:
            self._rollback(conn)
            if len(batch) == 1:
                log.error("storage write on %s failed: %s", batch[0].key, e)
                self._post(self._w_rev, [], [(batch[0].future, None, _as_storage_error(e))])
                return
            log.warning("group commit of %d operations failed (%s); retrying one by one", len(batch), e)
            events, resolutions = [], []
            for op in batch:
                try:
                    ev, res = self._run_txn(conn, [op])
                except Exception as e1:
                    self._rollback(conn)
                    log.error("storage write on %s failed: %s", op.key, e1)
                    res = [(op.future, None, _as_storage_error(e1))]
                    ev = []
                events.extend(ev)
                resolutions.extend(res)
        dt = time.perf_counter() - t0
        if dt > 0.5:
            log.warning("slow commit: %d operations in %.0f ms", len(batch), dt * 1000)
        self._post(self._w_rev, events, resolutions)

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rollback failed")

    def _run_txn(
        self, conn: sqlite3.Connection, batch: list[_Op]
    ) -> tuple[list[Event], list[_Resolution]]:
        """Apply ``batch`` in one transaction and commit. Raises on SQLite errors
        (the caller rolls back); expected failures become resolutions."""
        rev = self._w_rev
        events: list[Event] = []
        resolutions: list[_Resolution] = []
        execute = conn.execute
        execute("BEGIN IMMEDIATE")
        for op in batch:
            fut = op.future
            if fut.cancelled():  # caller gave up before we started: skip it
                continue
            key = op.key
            row = execute(_SQL_CURRENT, (key,)).fetchone()
            live = row is not None and not row[3]
            kind = op.kind
            if kind == _OP_CREATE:
                if live:
                    resolutions.append((fut, None, KeyExistsError(key, KeyValue(key, row[2], row[1], row[0]))))
                    continue
                rev += 1
                execute(_SQL_INSERT, (rev, key, 1, 0, rev, 0, op.value))
                events.append(Event("PUT", KeyValue(key, op.value, rev, rev), None))  # type: ignore[arg-type]
                resolutions.append((fut, rev, None))
                continue
            if not live:
                resolutions.append((fut, None, KeyNotFoundError(key)))
                continue
            current = KeyValue(key, row[2], row[1], row[0])
            if op.expected is not None and op.expected != current.mod_revision:
                resolutions.append((fut, None, RevisionMismatchError(key, current)))
                continue
            rev += 1
            if kind == _OP_UPDATE:
                execute(_SQL_INSERT, (rev, key, 0, 0, current.create_revision, current.mod_revision, op.value))
                events.append(Event("PUT", KeyValue(key, op.value, current.create_revision, rev), current))  # type: ignore[arg-type]
                resolutions.append((fut, rev, None))
            else:
                execute(_SQL_INSERT, (rev, key, 0, 1, current.create_revision, current.mod_revision, None))
                events.append(Event("DELETE", KeyValue(key, current.value, current.create_revision, rev), current))
                resolutions.append((fut, (rev, current), None))
        execute("COMMIT")
        self._w_rev = rev
        return events, resolutions

    def _compact_step(self, conn: sqlite3.Connection, c: _Compaction) -> bool:
        """One chunk of a compaction in its own transaction; True when finished."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            if c.next_id is None:
                c.started = time.perf_counter()
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('compacted', ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
                    (c.revision,),
                )
                c.next_id = conn.execute("SELECT COALESCE(MIN(id), 0) FROM kv").fetchone()[0]
            lo = c.next_id
            row = conn.execute(
                "SELECT id FROM kv WHERE id >= ? ORDER BY id LIMIT 1 OFFSET ?", (lo, _COMPACT_CHUNK_ROWS)
            ).fetchone()
            hi = c.revision if row is None else min(row[0], c.revision)
            if lo < hi:
                cur = conn.execute(_SQL_COMPACT_CHUNK, (lo, hi, c.revision))
                c.deleted += cur.rowcount
            conn.execute("COMMIT")
            c.next_id = hi
        except Exception as e:
            self._rollback(conn)
            log.error("compaction to %d failed: %s", c.revision, e)
            self._post(self._w_rev, [], [(c.future, None, _as_storage_error(e))])
            return True
        if hi < c.revision:
            return False
        log.info(
            "compacted to revision %d: %d rows removed in %.1f ms",
            c.revision, c.deleted, (time.perf_counter() - c.started) * 1000,
        )
        self._post(self._w_rev, [], [(c.future, None, None)])
        return True


def _as_storage_error(e: BaseException) -> BaseException:
    if isinstance(e, StorageError):
        return e
    err = StorageError(f"storage failure: {e}")
    err.__cause__ = e
    return err


class SQLiteWatcher:
    """A watch on a :class:`SQLiteStore`: async-iterate for event batches
    (``list[Event]``, revision order); ``close()`` ends the iteration.

    Not safe for several concurrent consumers. Live events queue without bound
    while nobody iterates, so consume promptly or close.
    """

    def __init__(self, store: SQLiteStore, prefix: str, start_revision: int, current: int):
        self._store = store
        self._prefix = prefix
        # Replay rows [replay_next, replay_last] from the database, then live
        # events, which all have revisions > current.
        if start_revision == 0:
            self._replay_next, self._replay_last = 1, 0
            self._live_min = current + 1
        else:
            self._replay_next, self._replay_last = start_revision, current
            self._live_min = max(start_revision, current + 1)
        self._pending: deque[list[Event]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    @property
    def prefix(self) -> str:
        return self._prefix

    def _push(self, events: list[Event]) -> None:
        if self._closed:
            return
        prefix, live_min = self._prefix, self._live_min
        if prefix:
            batch = [e for e in events if e.kv.mod_revision >= live_min and e.kv.key.startswith(prefix)]
        else:
            batch = [e for e in events if e.kv.mod_revision >= live_min]
        if not batch:
            return
        self._pending.append(batch)
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        self._store._watchers.discard(self)
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def __aiter__(self) -> "SQLiteWatcher":
        return self

    async def __anext__(self) -> list[Event]:
        while self._replay_next <= self._replay_last:
            if self._closed:
                raise StopAsyncIteration
            first = self._replay_next
            store = self._store
            if first < store._compacted:
                self.close()
                raise CompactedError(first, store._compacted)
            try:
                page = await store._in_reader(
                    store._events_sync, self._prefix, first, self._replay_last, _REPLAY_PAGE
                )
            except RuntimeError:  # reader pool shut down: the store closed
                if self._closed or store._closed:
                    self.close()
                    raise StopAsyncIteration from None
                raise
            if first < store._compacted:  # compaction ran while we were reading
                self.close()
                raise CompactedError(first, store._compacted)
            if self._closed:
                raise StopAsyncIteration
            if len(page) < _REPLAY_PAGE:
                self._replay_next = self._replay_last + 1
            else:
                self._replay_next = page[-1].kv.mod_revision + 1
            if page:
                return page
        while not self._pending:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = self._store._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._closed:
            raise StopAsyncIteration
        batch = self._pending.popleft()
        if self._pending and len(batch) < _LIVE_MERGE_MAX:
            batch = list(batch)
            while self._pending and len(batch) + len(self._pending[0]) <= _LIVE_MERGE_MAX:
                batch.extend(self._pending.popleft())
        return batch
