"""The watch cache: the current state of every resource, in memory, fed by one
storage subscription, serving lists and watches without re-reading storage.

Each stored object becomes an :class:`Entry` holding the parsed dict and its
JSON bytes (built once, shared by every list, get and watch that sends it). Per
storage location (``Resource.storage_key``) a :class:`ResourceCache` keeps the
entries, a bounded history of recent events for watches that resume from a
``resourceVersion``, and the live watchers.

Ordering guarantee: the store calls :meth:`WatchCache.apply` on the event loop
*before* it acknowledges the write, so when a write handler's ``await`` returns,
the cache already holds the new object and every matching watcher has the event
queued. That is why handlers answer writes from the cache, and why watch
delivery is immediate.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import orjson

from ..storage.interface import Event, KeyValue

log = logging.getLogger(__name__)

HISTORY_LIMIT = 20_000  # events kept per resource for resuming watches
WATCHER_QUEUE_LIMIT = 50_000  # a watcher further behind than this is closed


class Entry:
    """One object at one revision, in its storage version."""

    __slots__ = ("key", "obj", "rv", "namespace", "name", "_raw", "_item", "_attrs", "extra")

    def __init__(self, key: str, obj: dict, rv: int, namespace: str, name: str) -> None:
        self.key = key
        self.obj = obj
        self.rv = rv
        self.namespace = namespace
        self.name = name
        self._raw: bytes | None = None
        self._item: bytes | None = None
        self._attrs: dict[str, str] | None = None
        self.extra: dict | None = None  # per-version conversions, cached by the server

    @property
    def raw(self) -> bytes:
        """The whole object as JSON, kind and apiVersion first."""
        if self._raw is None:
            self._raw = orjson.dumps(self.obj)
        return self._raw

    @property
    def item(self) -> bytes:
        """The object as a list item: without kind and apiVersion."""
        if self._item is None:
            o = self.obj
            self._item = orjson.dumps({k: v for k, v in o.items() if k != "kind" and k != "apiVersion"})
        return self._item

    @property
    def labels(self) -> dict[str, str]:
        return self.obj.get("metadata", {}).get("labels") or {}

    def field_attrs(self, compute: Callable[[dict], dict[str, str]]) -> dict[str, str]:
        if self._attrs is None:
            self._attrs = compute(self.obj)
        return self._attrs


# Tests set KYB_VERIFY_WRITTEN_OBJECTS=1: every object the cache takes from a write (rather
# than parsing the stored bytes) is checked against those bytes, e.g. for a value JSON
# cannot hold (a tuple, NaN) that would make the two differ.
VERIFY_WRITTEN_OBJECTS = os.environ.get("KYB_VERIFY_WRITTEN_OBJECTS") == "1"


@dataclass(slots=True)
class WatchEvent:
    type: str  # ADDED | MODIFIED | DELETED
    rv: int
    entry: Entry  # the new state (for DELETED: the last state, at the delete's revision)
    old: Entry | None  # the previous state (None for ADDED)


def parse_key(key: str) -> tuple[str, str, str] | None:
    """``/registry/<group>/<plural>/[ns/]name`` -> (storage_key, namespace, name)."""
    parts = key.split("/", 5)
    if len(parts) < 5 or parts[1] != "registry":
        return None
    storage_key = parts[2] + "/" + parts[3]
    if len(parts) == 6:
        return storage_key, parts[4], parts[5]
    return storage_key, "", parts[4]


def decode_value(kv: KeyValue, rv: int | None = None) -> dict:
    obj = orjson.loads(kv.value)
    meta = obj.setdefault("metadata", {})
    meta["resourceVersion"] = str(rv if rv is not None else kv.mod_revision)
    return obj


class Watcher:
    """One client's watch: a filter and a queue of events."""

    __slots__ = ("namespace", "predicate", "queue", "closed", "cache", "_overflow", "sink")

    def __init__(self, cache: "ResourceCache", namespace: str, predicate: Callable[[Entry], bool]) -> None:
        self.cache = cache
        self.namespace = namespace
        self.predicate = predicate
        self.queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()
        self.closed = False
        self._overflow = False
        # Optional fast path: writes an event straight to the client's socket and
        # returns True, so delivery happens before the write that caused it is
        # acknowledged. Only used while the queue is empty, to keep order.
        self.sink: Callable[[WatchEvent], bool] | None = None

    def offer(self, ev: WatchEvent) -> None:
        """Filter one event and queue it, translating selector transitions."""
        if self.namespace and ev.entry.namespace != self.namespace:
            return
        pred = self.predicate
        new_match = pred(ev.entry)
        if ev.type == "ADDED":
            if new_match:
                self._put(ev)
        elif ev.type == "DELETED":
            if new_match:
                self._put(ev)
        else:
            old_match = ev.old is not None and pred(ev.old)
            if new_match and old_match:
                self._put(ev)
            elif new_match:
                self._put(WatchEvent("ADDED", ev.rv, ev.entry, ev.old))
            elif old_match:
                # upstream sends the new state as DELETED when it stops matching
                self._put(WatchEvent("DELETED", ev.rv, ev.entry, ev.old))

    def _put(self, ev: WatchEvent) -> None:
        if self.closed:
            return
        if self.sink is not None and self.queue.empty() and self.sink(ev):
            return
        if self.queue.qsize() >= WATCHER_QUEUE_LIMIT:
            log.warning("closing a watcher that fell %d events behind", WATCHER_QUEUE_LIMIT)
            self.close()
            return
        self.queue.put_nowait(ev)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.cache.watchers.discard(self)
            self.queue.put_nowait(None)


class ResourceCache:
    def __init__(self, storage_key: str) -> None:
        self.storage_key = storage_key
        self.objects: dict[str, Entry] = {}
        self.by_namespace: dict[str, dict[str, Entry]] = {}
        self.history: collections.deque[WatchEvent] = collections.deque()
        self.complete_since = 0  # every event after this revision is in history
        self.watchers: set[Watcher] = set()
        self._sorted: list[str] | None = None

    def sorted_keys(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted

    def entries(self, namespace: str = "") -> Iterable[Entry]:
        """Entries in key order, optionally of one namespace."""
        if namespace:
            ns = self.by_namespace.get(namespace)
            if not ns:
                return []
            return [ns[k] for k in sorted(ns)]
        objects = self.objects
        return [objects[k] for k in self.sorted_keys()]

    def get(self, key: str) -> Entry | None:
        return self.objects.get(key)

    def _store(self, entry: Entry) -> None:
        if entry.key not in self.objects:
            self._sorted = None
        self.objects[entry.key] = entry
        self.by_namespace.setdefault(entry.namespace, {})[entry.key] = entry

    def _remove(self, key: str, namespace: str) -> None:
        if self.objects.pop(key, None) is not None:
            self._sorted = None
        ns = self.by_namespace.get(namespace)
        if ns is not None:
            ns.pop(key, None)
            if not ns:
                del self.by_namespace[namespace]

    def record(self, ev: WatchEvent) -> None:
        if ev.type == "DELETED":
            self._remove(ev.entry.key, ev.entry.namespace)
        else:
            self._store(ev.entry)
        self.history.append(ev)
        if len(self.history) > HISTORY_LIMIT:
            dropped = self.history.popleft()
            self.complete_since = dropped.rv
        for w in list(self.watchers):
            try:
                w.offer(ev)
            except Exception:
                # One broken watcher (a selector or encoder bug) must not stop the
                # cache from applying the rest of the batch: drop that watcher only.
                log.exception("closing a watcher of %s that failed on an event", self.storage_key)
                w.close()


class WatchCache:
    """All resources' caches, fed by one storage subscription."""

    def __init__(self) -> None:
        self.caches: dict[str, ResourceCache] = {}
        self.revision = 0
        self.loaded_revision = 0  # history of every resource is complete after this
        self._waiters: list[tuple[int, asyncio.Future]] = []
        # objects this server is writing, by id() of the stored bytes: their events need
        # not parse the bytes back (see :meth:`writing`)
        self._writing: dict[int, tuple[bytes, dict]] = {}

    @contextlib.contextmanager
    def writing(self, data: bytes, obj: dict) -> Iterator[None]:
        """Around a store write of ``data`` (``obj`` serialized): the write's event takes
        ``obj`` itself rather than decoding ``data``. ``obj`` must not change afterwards.
        The bytes are held until the write ends, so their id() cannot be reused."""
        self._writing[id(data)] = (data, obj)
        try:
            yield
        finally:
            self._writing.pop(id(data), None)

    def _decode(self, kv: KeyValue, rev: int) -> dict:
        known = self._writing.pop(id(kv.value), None)
        if known is not None and known[0] is kv.value:
            obj = known[1]
            obj.setdefault("metadata", {})["resourceVersion"] = str(rev)
            if VERIFY_WRITTEN_OBJECTS and obj != decode_value(kv, rev):
                raise AssertionError(f"the object written to {kv.key} differs from its stored bytes")
            return obj
        return decode_value(kv, rev)

    def cache(self, storage_key: str) -> ResourceCache:
        c = self.caches.get(storage_key)
        if c is None:
            c = self.caches[storage_key] = ResourceCache(storage_key)
            # no event of this resource has happened since the load (or it would exist)
            c.complete_since = self.loaded_revision
        return c

    def load(self, kvs: Iterable[KeyValue], revision: int) -> None:
        """Initial state from a storage range at ``revision``."""
        for kv in kvs:
            parsed = parse_key(kv.key)
            if parsed is None:
                continue
            storage_key, ns, name = parsed
            c = self.cache(storage_key)
            c._store(Entry(kv.key, decode_value(kv), kv.mod_revision, ns, name))
        self.revision = self.loaded_revision = revision
        for c in self.caches.values():
            c.complete_since = revision

    def apply(self, events: list[Event]) -> None:
        """Called by the store, on the loop, with each committed batch."""
        for e in events:
            parsed = parse_key(e.kv.key)
            rev = e.kv.mod_revision
            if rev > self.revision:
                self.revision = rev
            if parsed is None:
                continue
            storage_key, ns, name = parsed
            c = self.cache(storage_key)
            old = c.objects.get(e.kv.key)
            if e.type == "DELETE":
                obj = decode_value(e.kv, rev)
                entry = Entry(e.kv.key, obj, rev, ns, name)
                c.record(WatchEvent("DELETED", rev, entry, old))
            else:
                entry = Entry(e.kv.key, self._decode(e.kv, rev), rev, ns, name)
                c.record(WatchEvent("MODIFIED" if old is not None else "ADDED", rev, entry, old))
        if self._waiters:
            ready = [w for w in self._waiters if w[0] <= self.revision]
            self._waiters = [w for w in self._waiters if w[0] > self.revision]
            for _, fut in ready:
                if not fut.done():
                    fut.set_result(None)

    async def wait_for(self, revision: int, timeout: float) -> bool:
        """Wait until the cache has seen ``revision``; False on timeout."""
        if self.revision >= revision:
            return True
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((revision, fut))
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def watch(
        self,
        storage_key: str,
        *,
        namespace: str,
        predicate: Callable[[Entry], bool],
        since: int | None,
    ) -> tuple[Watcher, list[WatchEvent]]:
        """Register a watcher. ``since`` None: synthetic ADDED events for the
        current state come first. Otherwise replay history after ``since``.
        Raises ValueError(oldest) when ``since`` is older than the history."""
        c = self.cache(storage_key)
        w = Watcher(c, namespace, predicate)
        initial: list[WatchEvent] = []
        if since is None:
            for e in c.entries(namespace):
                if predicate(e):
                    initial.append(WatchEvent("ADDED", e.rv, e, None))
        else:
            if since < c.complete_since:
                raise ValueError(c.complete_since + 1)
            replay = Watcher(c, namespace, predicate)
            for ev in c.history:
                if ev.rv > since:
                    replay.offer(ev)
            while not replay.queue.empty():
                item = replay.queue.get_nowait()
                if item is not None:
                    initial.append(item)
        c.watchers.add(w)
        return w, initial
