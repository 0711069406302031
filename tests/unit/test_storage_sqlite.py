"""The embedded SQLite store against the storage contract."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kybernetes.storage import sqlite as sqlite_mod
from kybernetes.storage.interface import (
    CompactedError,
    Event,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RevisionMismatchError,
    StorageError,
)
from kybernetes.storage.sqlite import SQLiteStore, _prefix_end


@pytest.fixture
def db_path():
    d = tempfile.mkdtemp(prefix="kyb-store-")
    try:
        yield os.path.join(d, "store.db")
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
async def store(db_path):
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    try:
        yield s
    finally:
        await s.close()


async def collect(w, until_revision: int, timeout: float = 5.0) -> list[Event]:
    """Events from ``w`` until one with ``until_revision`` arrives."""
    out: list[Event] = []
    while not out or out[-1].kv.mod_revision < until_revision:
        out.extend(await asyncio.wait_for(w.__anext__(), timeout))
    return out


def row_count(path: str) -> int:
    c = sqlite3.connect(path)
    try:
        return c.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
    finally:
        c.close()


# --- basic CRUD -----------------------------------------------------------------------


async def test_create_get_update_delete(store):
    assert store.revision == 0
    r1 = await store.create("/a/x", b"one")
    assert r1 == 1 and store.revision == 1
    assert await store.get("/a/x") == KeyValue("/a/x", b"one", 1, 1)

    r2 = await store.update("/a/x", b"two", expected_revision=r1)
    assert r2 == 2
    assert await store.get("/a/x") == KeyValue("/a/x", b"two", 1, 2)

    r3, deleted = await store.delete("/a/x", expected_revision=r2)
    assert r3 == 3
    assert deleted == KeyValue("/a/x", b"two", 1, 2)
    assert await store.get("/a/x") is None

    # Re-creating starts a new lifetime.
    r4 = await store.create("/a/x", b"again")
    assert await store.get("/a/x") == KeyValue("/a/x", b"again", r4, r4)
    r5, _ = await store.delete("/a/x")  # unconditional
    assert r5 == 5 and store.revision == 5


async def test_errors_consume_no_revision(store):
    r1 = await store.create("/k", b"v")
    with pytest.raises(KeyExistsError) as ei:
        await store.create("/k", b"w")
    assert ei.value.key == "/k" and ei.value.current == KeyValue("/k", b"v", r1, r1)

    with pytest.raises(RevisionMismatchError) as em:
        await store.update("/k", b"w", expected_revision=r1 + 7)
    assert em.value.current == KeyValue("/k", b"v", r1, r1)

    with pytest.raises(RevisionMismatchError):
        await store.delete("/k", expected_revision=r1 + 7)
    with pytest.raises(KeyNotFoundError):
        await store.update("/missing", b"w", expected_revision=1)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/missing")
    with pytest.raises(KeyNotFoundError):
        await store.delete("/missing", expected_revision=3)

    assert store.revision == r1
    assert await store.create("/k2", b"v") == r1 + 1

    await store.delete("/k")
    with pytest.raises(KeyNotFoundError):
        await store.update("/k", b"w", expected_revision=r1)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/k")


async def test_values_are_bytes_and_large_values_work(store):
    big = os.urandom(3 * 1024 * 1024)
    r = await store.create("/big", big)
    kv = await store.get("/big")
    assert kv is not None and kv.value == big and kv.mod_revision == r
    assert await store.create("/empty", b"") > r
    assert (await store.get("/empty")).value == b""


async def test_get_at_old_and_future_revisions(store):
    r1 = await store.create("/k", b"1")
    r2 = await store.update("/k", b"2", expected_revision=r1)
    r3, _ = await store.delete("/k")
    await store.create("/other", b"x")
    assert (await store.get("/k", revision=r1)).value == b"1"
    assert (await store.get("/k", revision=r2)).value == b"2"
    assert await store.get("/k", revision=r3) is None
    assert await store.get("/other", revision=r1) is None
    with pytest.raises(FutureRevisionError) as ei:
        await store.get("/k", revision=store.revision + 1)
    assert ei.value.current == store.revision
    with pytest.raises(FutureRevisionError):
        await store.range("/", revision=store.revision + 1)


# --- range ----------------------------------------------------------------------------


async def test_range_prefix_limit_start_key_revision(store):
    keys = ["/a/1", "/a/2", "/a/3", "/a/4", "/a0", "/ab", "/a", "/b/1"]
    revs = {k: await store.create(k, k.encode()) for k in keys}

    r = await store.range("/a/")
    assert [kv.key for kv in r.kvs] == ["/a/1", "/a/2", "/a/3", "/a/4"]
    assert r.revision == store.revision and r.more == 0
    assert r.kvs[0] == KeyValue("/a/1", b"/a/1", revs["/a/1"], revs["/a/1"])

    r = await store.range("/a/", limit=2)
    assert [kv.key for kv in r.kvs] == ["/a/1", "/a/2"] and r.more == 2
    r = await store.range("/a/", limit=2, start_key="/a/2\x00")
    assert [kv.key for kv in r.kvs] == ["/a/3", "/a/4"] and r.more == 0
    r = await store.range("/a/", limit=4)
    assert len(r.kvs) == 4 and r.more == 0
    r = await store.range("/a/", start_key="/a/3")
    assert [kv.key for kv in r.kvs] == ["/a/3", "/a/4"]
    r = await store.range("/a/", start_key="/")  # start below prefix: prefix wins
    assert len(r.kvs) == 4

    r = await store.range("/a")
    assert [kv.key for kv in r.kvs] == ["/a", "/a/1", "/a/2", "/a/3", "/a/4", "/a0", "/ab"]
    r = await store.range("")
    assert [kv.key for kv in r.kvs] == sorted(keys)
    assert (await store.range("/c")).kvs == []

    # At an older revision, and with deletes/updates in between.
    old = store.revision
    await store.delete("/a/2")
    await store.update("/a/3", b"new", expected_revision=revs["/a/3"])
    r = await store.range("/a/")
    assert [(kv.key, kv.value) for kv in r.kvs] == [("/a/1", b"/a/1"), ("/a/3", b"new"), ("/a/4", b"/a/4")]
    r = await store.range("/a/", limit=1)
    assert r.more == 2
    r = await store.range("/a/", revision=old)
    assert [kv.key for kv in r.kvs] == ["/a/1", "/a/2", "/a/3", "/a/4"]
    assert r.revision == old and r.kvs[2].value == b"/a/3"
    r = await store.range("/a/", revision=revs["/a/2"])
    assert [kv.key for kv in r.kvs] == ["/a/1", "/a/2"]


async def test_range_unicode_and_prefix_end(store):
    for k in ["/u/é", "/u/\U0010ffff", "/u/\U0010ffffz", "/u0", "/t\U0010ffff"]:
        await store.create(k, b"")
    r = await store.range("/u/")
    assert [kv.key for kv in r.kvs] == ["/u/é", "/u/\U0010ffff", "/u/\U0010ffffz"]
    r = await store.range("/u/\U0010ffff")
    assert [kv.key for kv in r.kvs] == ["/u/\U0010ffff", "/u/\U0010ffffz"]
    assert _prefix_end("") is None
    assert _prefix_end("/a/") == "/a0"
    assert _prefix_end("a\U0010ffff") == "b"
    assert _prefix_end("\U0010ffff") is None
    assert _prefix_end("\ud7ff") == "\ue000"


# --- watch ----------------------------------------------------------------------------


async def test_watch_replay_then_live_without_gaps(store, monkeypatch):
    monkeypatch.setattr(sqlite_mod, "_REPLAY_PAGE", 7)  # several replay pages
    for i in range(30):
        await store.create(f"/w/{i:02d}", b"v")
        await store.create(f"/x/{i:02d}", b"v")
    w = store.watch("/w/", start_revision=5)

    async def writer():
        for i in range(30, 50):
            await store.create(f"/w/{i:02d}", b"v")
            await store.create(f"/x/{i:02d}", b"v")
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    events = []
    while len(events) < 28 + 20:  # /w/NN is at revision 2*NN+1: 28 replayed + 20 live
        batch = await asyncio.wait_for(w.__anext__(), 5)
        assert batch, "batches are never empty"
        events.extend(batch)
    await task
    revs = [e.kv.mod_revision for e in events]
    assert revs == sorted(set(revs)), "ordered, no duplicates"
    assert revs[0] == 5
    assert all(e.kv.key.startswith("/w/") and e.type == "PUT" for e in events)
    assert [e.kv.key for e in events] == [f"/w/{i:02d}" for i in range(2, 50)]
    # Nothing more queued.
    more = asyncio.create_task(w.__anext__())
    await asyncio.sleep(0.05)
    assert not more.done()
    w.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(more, 1)


async def test_watch_from_now_and_future_start(store):
    await store.create("/a", b"1")
    w = store.watch("", start_revision=0)
    r2 = await store.create("/b", b"2")
    assert [e.kv.mod_revision for e in await w.__anext__()] == [r2]
    w.close()

    w = store.watch("", start_revision=store.revision + 2)
    await store.create("/c", b"3")
    r4 = await store.create("/d", b"4")
    assert [e.kv.mod_revision for e in await collect(w, r4)] == [r4]
    w.close()


async def test_watch_event_kinds_and_prev_kv(store):
    w = store.watch("/k", start_revision=0)
    r1 = await store.create("/k", b"1")
    r2 = await store.update("/k", b"2", expected_revision=r1)
    r3, _ = await store.delete("/k")
    live = await collect(w, r3)
    w.close()
    expected = [
        Event("PUT", KeyValue("/k", b"1", r1, r1), None),
        Event("PUT", KeyValue("/k", b"2", r1, r2), KeyValue("/k", b"1", r1, r1)),
        Event("DELETE", KeyValue("/k", b"2", r1, r3), KeyValue("/k", b"2", r1, r2)),
    ]
    assert live == expected
    # Replayed history looks exactly like the live events.
    w = store.watch("/k", start_revision=1)
    assert await collect(w, r3) == expected
    w.close()


async def test_event_is_delivered_before_write_returns(store):
    seen: list[int] = []
    unsubscribe = store.subscribe(lambda events: seen.extend(e.kv.mod_revision for e in events))
    w = store.watch("/k", start_revision=0)
    pending = asyncio.create_task(w.__anext__())
    await asyncio.sleep(0)
    rev = await store.create("/k", b"v")
    assert seen == [rev], "subscriber ran before the ack"
    assert pending.done(), "watcher was woken before the writer resumed"
    assert [e.kv.mod_revision for e in pending.result()] == [rev]
    unsubscribe()
    await store.create("/k2", b"v")
    assert seen == [rev]
    w.close()


async def test_subscriber_errors_do_not_break_writes(store):
    def bad(events):
        raise RuntimeError("boom")

    store.subscribe(bad)
    got = []
    store.subscribe(got.extend)
    assert await store.create("/k", b"v") == 1
    assert [e.kv.key for e in got] == ["/k"]


async def test_watch_after_restart(db_path):
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    r1 = await s.create("/k", b"1")
    r2 = await s.update("/k", b"2", expected_revision=r1)
    await s.close()
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    try:
        w = s.watch("/k", start_revision=1)
        r3, _ = await s.delete("/k")
        events = await collect(w, r3)
        assert [(e.type, e.kv.mod_revision) for e in events] == [("PUT", r1), ("PUT", r2), ("DELETE", r3)]
        assert events[2].kv.value == b"2"
        w.close()
    finally:
        await s.close()


async def test_close_ends_watchers_and_refuses_work(db_path):
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    w = s.watch("", start_revision=0)
    pending = asyncio.create_task(w.__anext__())
    await asyncio.sleep(0)
    await s.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 1)
    with pytest.raises(StorageError):
        await s.create("/k", b"v")
    with pytest.raises(StorageError):
        await s.get("/k")
    await s.close()  # idempotent


async def test_async_for_over_watcher(store):
    w = store.watch("", start_revision=1)
    for i in range(3):
        await store.create(f"/k{i}", b"v")
    got = []
    async for batch in w:
        got.extend(batch)
        if len(got) >= 3:
            w.close()
    assert [e.kv.key for e in got] == ["/k0", "/k1", "/k2"]


# --- compaction -----------------------------------------------------------------------


async def test_compaction(db_path):
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    r1 = await s.create("/live", b"1")
    r2 = await s.update("/live", b"2", expected_revision=r1)
    r3 = await s.create("/gone", b"x")
    r4, _ = await s.delete("/gone")
    r5 = await s.create("/late", b"y")
    r6 = await s.update("/live", b"3", expected_revision=r2)
    await s.compact(r5)
    assert s.compacted_revision == r5
    # Kept: /live@r2 (newest below r5), /late@r5, /live@r6. /gone is gone entirely.
    assert row_count(db_path) == 3

    with pytest.raises(CompactedError) as ei:
        await s.get("/live", revision=r4)
    assert ei.value.requested == r4 and ei.value.compacted == r5
    with pytest.raises(CompactedError):
        await s.range("/", revision=r1)
    with pytest.raises(CompactedError):
        s.watch("/", start_revision=r3)
    assert (await s.get("/live", revision=r5)).value == b"2"
    assert await s.get("/gone", revision=r5) is None
    r = await s.range("/", revision=r5)
    assert [(kv.key, kv.value) for kv in r.kvs] == [("/late", b"y"), ("/live", b"2")]

    # A watch from the compacted revision still replays with prev_kv intact.
    w = s.watch("/", start_revision=r5)
    events = await collect(w, r6)
    assert [(e.type, e.kv.key, e.kv.mod_revision) for e in events] == [("PUT", "/late", r5), ("PUT", "/live", r6)]
    assert events[1].prev_kv == KeyValue("/live", b"2", r1, r2)
    w.close()

    await s.compact(r2)  # below the compacted revision: no-op
    assert s.compacted_revision == r5
    with pytest.raises(FutureRevisionError):
        await s.compact(s.revision + 1)

    # Everything survives a restart; revisions continue.
    await s.close()
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    try:
        assert s.compacted_revision == r5 and s.revision == r6
        with pytest.raises(CompactedError):
            await s.get("/live", revision=r4)
        with pytest.raises(CompactedError):
            s.watch("", start_revision=1)
        assert await s.create("/new", b"z") == r6 + 1
        # Compacting everything keeps each live key's newest row.
        r7, _ = await s.delete("/late")
        await s.compact(s.revision)
        # Kept: /live@r6, /new, and the /late tombstone at the compacted revision
        # together with the row it deleted (a watch from there needs its prev_kv).
        assert row_count(db_path) == 4
        r = await s.range("")
        assert [kv.key for kv in r.kvs] == ["/live", "/new"]
        assert await s.create("/after", b"") == r7 + 1
    finally:
        await s.close()


async def test_compaction_in_chunks_interleaved_with_writes(store, monkeypatch, db_path):
    monkeypatch.setattr(sqlite_mod, "_COMPACT_CHUNK_ROWS", 10)
    r = 0
    for i in range(20):
        r = await store.create(f"/k{i}", b"0")
        for j in range(4):
            r = await store.update(f"/k{i}", str(j).encode(), expected_revision=r)
    target = store.revision
    compaction = asyncio.create_task(store.compact(target))
    writes = [await store.create(f"/during{i}", b"") for i in range(5)]
    await compaction
    assert writes == list(range(target + 1, target + 6))
    # The newest row of each key, the 5 new ones, and /k19's previous version
    # (prev_kv of the event at the compacted revision itself).
    assert row_count(db_path) == 20 + 5 + 1
    r = await store.range("/k")
    assert len(r.kvs) == 20 and all(kv.value == b"3" for kv in r.kvs)


async def test_watch_overtaken_by_compaction_raises_on_next(store):
    for i in range(10):
        await store.create(f"/k{i}", b"")
    w = store.watch("", start_revision=2)
    await store.compact(5)
    with pytest.raises(CompactedError):
        await w.__anext__()


async def test_automatic_compaction_with_injected_ticker(db_path):
    ticks: asyncio.Queue[None] = asyncio.Queue()
    sleeping: asyncio.Queue[float] = asyncio.Queue()

    async def fake_sleep(seconds: float) -> None:
        sleeping.put_nowait(seconds)
        await ticks.get()

    s = await SQLiteStore.open(db_path, compaction_interval=300.0, sleep=fake_sleep)
    try:
        assert await asyncio.wait_for(sleeping.get(), 1) == 300.0
        for i in range(3):
            await s.create(f"/k{i}", b"")
        await s.update("/k0", b"new", expected_revision=1)  # revision 4
        await s.create("/k3", b"")  # revision 5
        ticks.put_nowait(None)  # tick 1: remembers revision 5, compacts nothing
        await asyncio.wait_for(sleeping.get(), 1)
        assert s.compacted_revision == 0
        await s.create("/k4", b"")  # revision 6
        ticks.put_nowait(None)  # tick 2: compacts to 5 (the previous tick's revision)
        await asyncio.wait_for(sleeping.get(), 1)
        assert s.compacted_revision == 5
        with pytest.raises(CompactedError):
            await s.get("/k0", revision=4)
        assert (await s.get("/k0", revision=5)).value == b"new"
        assert row_count(db_path) == 6 - 1  # /k0@1 is gone
        ticks.put_nowait(None)  # tick 3: compacts to 6
        await asyncio.wait_for(sleeping.get(), 1)
        assert s.compacted_revision == 6
        ticks.put_nowait(None)  # tick 4: nothing new, nothing to do
        await asyncio.wait_for(sleeping.get(), 1)
        assert s.compacted_revision == 6
    finally:
        await s.close()


# --- concurrency and restarts -------------------------------------------------------------


async def test_concurrent_cas_exactly_one_wins(store):
    r0 = await store.create("/cas", b"0")

    async def attempt(i: int):
        try:
            return await store.update("/cas", str(i).encode(), expected_revision=r0)
        except RevisionMismatchError as e:
            return e

    results = await asyncio.gather(*(attempt(i) for i in range(20)))
    wins = [r for r in results if isinstance(r, int)]
    losses = [r for r in results if isinstance(r, RevisionMismatchError)]
    assert len(wins) == 1 and len(losses) == 19
    assert all(e.current.mod_revision == wins[0] for e in losses)
    assert store.revision == wins[0] == r0 + 1

    async def creator(i: int):
        try:
            return await store.create("/once", str(i).encode())
        except KeyExistsError:
            return None

    created = await asyncio.gather(*(creator(i) for i in range(20)))
    assert sum(r is not None for r in created) == 1


async def test_concurrent_writers_share_commits(store):
    batches: list[int] = []
    store.subscribe(lambda events: batches.append(len(events)))
    revs = await asyncio.gather(*(store.create(f"/c/{i}", b"v") for i in range(64)))
    assert sorted(revs) == list(range(1, 65))
    assert revs == sorted(revs), "FIFO: revisions follow submission order"
    assert sum(batches) == 64
    assert len(batches) < 64, "group commit batched some writes"


async def test_revisions_continue_after_reopen(db_path):
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    await s.create("/a", b"1")
    r2 = await s.create("/b", b"1")
    r3, _ = await s.delete("/b")
    await s.close()
    s = await SQLiteStore.open(db_path, compaction_interval=None)
    try:
        assert s.revision == r3
        assert await s.get("/b") is None and (await s.get("/a")).value == b"1"
        assert (await s.get("/b", revision=r2)).value == b"1"
        assert await s.create("/c", b"") == r3 + 1
    finally:
        await s.close()


async def test_second_open_of_same_file_is_refused(store, db_path):
    with pytest.raises(StorageError, match="already open"):
        await SQLiteStore.open(db_path, compaction_interval=None)
    assert await store.create("/still-works", b"") == 1


async def test_open_bad_path_raises():
    with pytest.raises(Exception):
        await SQLiteStore.open("/nonexistent-dir/sub/store.db", compaction_interval=None)


# --- model-based test -------------------------------------------------------------------

KEYS = ["/a/1", "/a/2", "/a/10", "/ab", "/b/1", "/b/é"]
PREFIXES = ["", "/a/", "/a", "/b/", "/c"]
VALUES = st.binary(max_size=8)


class Model:
    """The contract, naively: a list of events."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.current: dict[str, KeyValue] = {}
        self.revision = 0
        self.compacted = 0

    def state_at(self, revision: int) -> dict[str, KeyValue]:
        state: dict[str, KeyValue] = {}
        for e in self.events:
            if e.kv.mod_revision > revision:
                break
            if e.type == "PUT":
                state[e.kv.key] = e.kv
            else:
                state.pop(e.kv.key, None)
        return state

    def apply(self, op: tuple) -> tuple[str, object]:
        kind, key = op[0], op[1]
        cur = self.current.get(key)
        if kind == "create":
            if cur is not None:
                return "exists", cur
            self.revision += 1
            kv = KeyValue(key, op[2], self.revision, self.revision)
            self.events.append(Event("PUT", kv, None))
            self.current[key] = kv
            return "ok", self.revision
        if cur is None:
            return "notfound", None
        expected = op[3] if kind == "update" else op[2]
        if expected is not None and expected != cur.mod_revision:
            return "mismatch", cur
        self.revision += 1
        if kind == "update":
            kv = KeyValue(key, op[2], cur.create_revision, self.revision)
            self.events.append(Event("PUT", kv, cur))
            self.current[key] = kv
            return "ok", self.revision
        self.events.append(Event("DELETE", KeyValue(key, cur.value, cur.create_revision, self.revision), cur))
        del self.current[key]
        return "ok", (self.revision, cur)


async def run_op(store: SQLiteStore, op: tuple) -> tuple[str, object]:
    try:
        if op[0] == "create":
            return "ok", await store.create(op[1], op[2])
        if op[0] == "update":
            return "ok", await store.update(op[1], op[2], expected_revision=op[3])
        return "ok", await store.delete(op[1], expected_revision=op[2])
    except KeyExistsError as e:
        return "exists", e.current
    except KeyNotFoundError:
        return "notfound", None
    except RevisionMismatchError as e:
        return "mismatch", e.current


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.mkdtemp(prefix="kyb-store-model-")
        self.path = os.path.join(self.dir, "store.db")
        self.store = self.run(SQLiteStore.open(self.path, compaction_interval=None))
        self.model = Model()
        self.start_live_watch()

    def start_live_watch(self) -> None:
        self.live = self.store.watch("", start_revision=0)
        self.live_from = self.model.revision + 1
        self.live_seen: list[Event] = []

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.run(self.store.close())
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def expected_revision(self, key: str, choice: int) -> int | None:
        cur = self.model.current.get(key)
        if choice == 0 and cur is not None:
            return cur.mod_revision  # the right one
        if choice == 1:
            return self.model.revision + 5  # wrong
        return max(1, self.model.revision - choice)  # maybe right, usually stale

    def op(self, data) -> tuple:
        kind = data.draw(st.sampled_from(["create", "update", "delete", "delete_cond"]))
        key = data.draw(st.sampled_from(KEYS))
        if kind == "create":
            return ("create", key, data.draw(VALUES))
        choice = data.draw(st.integers(0, 3))
        if kind == "update":
            return ("update", key, data.draw(VALUES), self.expected_revision(key, choice))
        if kind == "delete":
            return ("delete", key, None)
        return ("delete", key, self.expected_revision(key, choice))

    @rule(data=st.data())
    def single_write(self, data):
        op = self.op(data)
        assert self.run(run_op(self.store, op)) == self.model.apply(op)
        assert self.store.revision == self.model.revision

    @rule(data=st.data(), n=st.integers(2, 6))
    def concurrent_writes(self, data, n):
        # Submitted together, applied in submission order (maybe in one batch).
        ops = [self.op(data) for _ in range(n)]

        async def go():
            return await asyncio.gather(*(run_op(self.store, op) for op in ops))

        got = self.run(go())
        assert got == [self.model.apply(op) for op in ops]

    @rule(key=st.sampled_from(KEYS), back=st.integers(0, 10))
    def get(self, key, back):
        rev = max(0, self.model.revision - back)
        if rev == 0:
            assert self.run(self.store.get(key)) == self.model.current.get(key)
        elif rev < self.model.compacted:
            with pytest.raises(CompactedError):
                self.run(self.store.get(key, revision=rev))
        else:
            assert self.run(self.store.get(key, revision=rev)) == self.model.state_at(rev).get(key)

    @rule(prefix=st.sampled_from(PREFIXES), back=st.integers(0, 10), limit=st.integers(0, 3),
          start=st.sampled_from(["", "/a/10", "/a/2", "/b"]))
    def range(self, prefix, back, limit, start):
        rev = self.model.revision - back
        if rev <= 0:
            rev = 0
        if 0 < rev < self.model.compacted:
            with pytest.raises(CompactedError):
                self.run(self.store.range(prefix, revision=rev))
            return
        state = self.model.state_at(rev or self.model.revision)
        matching = [state[k] for k in sorted(state) if k.startswith(prefix) and k >= start]
        r = self.run(self.store.range(prefix, revision=rev, limit=limit, start_key=start))
        want = matching[:limit] if limit else matching
        assert r.kvs == want
        assert r.more == len(matching) - len(want)
        assert r.revision == (rev or self.model.revision)

    @rule(prefix=st.sampled_from(PREFIXES), back=st.integers(0, 12), from_compacted=st.booleans())
    def watch_replay(self, prefix, back, from_compacted):
        start = max(1, self.model.revision - back)
        if from_compacted and self.model.compacted:
            start = self.model.compacted  # the oldest start still allowed
        if start < self.model.compacted:
            with pytest.raises(CompactedError):
                self.store.watch(prefix, start_revision=start)
            return
        want = [e for e in self.model.events if e.kv.mod_revision >= start and e.kv.key.startswith(prefix)]

        async def go():
            w = self.store.watch(prefix, start_revision=start)
            got: list[Event] = []
            while len(got) < len(want):
                got.extend(await asyncio.wait_for(w.__anext__(), 2))
            w.close()
            return got

        assert self.run(go()) == want

    @rule()
    def live_watch(self):
        # A watcher started at open (from "now") has seen exactly the model's
        # events since then.
        want = [e for e in self.model.events if e.kv.mod_revision >= self.live_from]

        async def go():
            while len(self.live_seen) < len(want):
                self.live_seen.extend(await asyncio.wait_for(self.live.__anext__(), 2))

        self.run(go())
        assert self.live_seen == want

    @rule(back=st.integers(0, 8))
    def compact(self, back):
        rev = self.model.revision - back
        if rev <= 0:
            return
        self.run(self.store.compact(rev))
        self.model.compacted = max(self.model.compacted, rev)
        assert self.store.compacted_revision == self.model.compacted

    @precondition(lambda self: self.model.revision > 0)
    @rule()
    def reopen(self):
        self.run(self.store.close())
        self.store = self.run(SQLiteStore.open(self.path, compaction_interval=None))
        assert self.store.revision == self.model.revision
        assert self.store.compacted_revision == self.model.compacted
        self.start_live_watch()

    @invariant()
    def revisions_match(self):
        assert self.store.revision == self.model.revision


StoreMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestStoreModel = StoreMachine.TestCase
