"""Informers: a local, always-converging copy of one resource, fed by list + watch.

An :class:`Informer` lists the resource once, then watches from the list's
``resourceVersion`` and applies each event to its store (a dict keyed
``"namespace/name"``, or ``"name"`` for cluster-scoped objects) before telling
its event handlers. Controllers read the store instead of the API server and
turn handler calls into work-queue keys (see DESIGN.md: level-triggered).

Staying correct when the stream breaks is the point of this module:

* the server ends a watch after ``timeoutSeconds``: watch again from the last
  resourceVersion seen (bookmarks keep it fresh even when nothing changes);
* the resourceVersion is too old (``410 Gone``, as an HTTP answer or an ERROR
  event): list again and deliver the *difference* between the store and the new
  list as add/update/delete, so a deletion that happened unseen is still told;
* the connection fails (server restart, network): back off with jitter and
  retry, which lands in one of the two cases above.

A :class:`SharedInformerFactory` hands out one informer per (resource,
namespace, selectors), so the controllers of one process share caches and
watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import aiohttp

from .rest import APIStatusError

log = logging.getLogger(__name__)

IndexFunc = Callable[[dict], list[str]]
Handler = Callable[..., Any]


class ListWatcher(Protocol):
    """What an informer needs from a client (``rest.Client`` has it; tests may pass a fake)."""

    async def list(self, group: str, version: str, plural: str, **kw: Any) -> dict: ...

    def watch(self, group: str, version: str, plural: str, **kw: Any) -> AsyncIterator[tuple[str, dict]]: ...


def object_key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name', '')}" if ns else meta.get("name", "")


def index_by_namespace(obj: dict) -> list[str]:
    return [(obj.get("metadata") or {}).get("namespace") or ""]


def index_by_node(obj: dict) -> list[str]:
    """The node a pod is bound to (``spec.nodeName``), if any."""
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


def index_by_owner(obj: dict) -> list[str]:
    """UIDs of all owners in ``ownerReferences``."""
    return [r["uid"] for r in (obj.get("metadata") or {}).get("ownerReferences") or [] if r.get("uid")]


def index_by_controller(obj: dict) -> list[str]:
    """UID of the managing controller (the owner reference with ``controller: true``)."""
    return [r["uid"] for r in (obj.get("metadata") or {}).get("ownerReferences") or []
            if r.get("controller") and r.get("uid")]


def label_indexer(label: str) -> IndexFunc:
    """Index by the value of one label (objects without it are not indexed)."""
    def index(obj: dict) -> list[str]:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return [labels[label]] if label in labels else []
    return index


class _Gone(Exception):
    """The watch's resourceVersion is too old; a fresh list is needed."""


def _rv(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("resourceVersion") or ""


class Informer:
    def __init__(self, client: ListWatcher, group: str, version: str, plural: str, *, namespace: str = "",
                 label_selector: str = "", field_selector: str = "", resync_period: float | None = None,
                 watch_timeout: tuple[int, int] = (300, 600), page_size: int = 500,
                 backoff_initial: float = 0.1, backoff_max: float = 5.0) -> None:
        self.client = client
        self.gvr = (group, version, plural)
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.watch_timeout = watch_timeout
        self.page_size = page_size
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.store: dict[str, dict] = {}
        self.resource_version = ""
        self._indexers: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self._handlers: list[tuple[Handler | None, Handler | None, Handler | None]] = []
        self._synced = asyncio.Event()
        self._lock = asyncio.Lock()   # one event at a time: store change + its handler calls
        self._tasks: list[asyncio.Task] = []
        self.lists = 0                # how many times the informer (re)listed; for tests and metrics
        self.add_indexer("namespace", index_by_namespace)
        self.add_indexer("owner", index_by_owner)
        self.add_indexer("controller", index_by_controller)

    def __repr__(self) -> str:
        g, v, p = self.gvr
        return f"<Informer {g or 'core'}/{v}/{p} ns={self.namespace or '*'}>"

    # ------------------------------------------------------------------ store access
    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self, timeout: float | None = None) -> bool:
        try:
            async with asyncio.timeout(timeout):
                await self._synced.wait()
        except TimeoutError:
            return False
        return True

    def get(self, key: str) -> dict | None:
        return self.store.get(key)

    def list(self) -> list[dict]:
        return list(self.store.values())

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Index the store by ``fn`` under ``name``. Controllers sharing an informer may
        each ask for the same index: the second ask costs nothing."""
        if self._indexers.get(name) is fn:
            return
        self._indexers[name] = fn
        self._indices[name] = {}
        for key, obj in self.store.items():
            self._index(name, key, obj)

    def by_index(self, name: str, value: str) -> list[dict]:
        return [self.store[k] for k in sorted(self._indices[name].get(value, ())) if k in self.store]

    def index_keys(self, name: str, value: str) -> list[str]:
        return sorted(self._indices[name].get(value, ()))

    def _index(self, name: str, key: str, obj: dict) -> None:
        for value in self._indexers[name](obj):
            self._indices[name].setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: dict) -> None:
        for name, fn in self._indexers.items():
            idx = self._indices[name]
            for value in fn(obj):
                keys = idx.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del idx[value]

    def _put(self, key: str, obj: dict) -> dict | None:
        old = self.store.get(key)
        if old is not None:
            self._unindex(key, old)
        self.store[key] = obj
        for name in self._indexers:
            self._index(name, key, obj)
        return old

    def _remove(self, key: str) -> dict | None:
        old = self.store.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    # ------------------------------------------------------------------ handlers
    def add_event_handler(self, *, on_add: Handler | None = None, on_update: Handler | None = None,
                          on_delete: Handler | None = None) -> None:
        """Handlers may be plain callables or coroutine functions. A handler added to a
        running informer first gets ``on_add`` for every object already in the store."""
        entry = (on_add, on_update, on_delete)
        if not self._tasks:
            self._handlers.append(entry)
            return

        async def join() -> None:
            async with self._lock:  # no event slips between the replay and the registration
                for obj in list(self.store.values()):
                    await self._call(on_add, obj)
                self._handlers.append(entry)
        self._tasks.append(asyncio.create_task(join()))

    async def _call(self, fn: Handler | None, *args: dict) -> None:
        if fn is None:
            return
        try:
            result = fn(*args)
            if inspect.isawaitable(result):
                await result
        except Exception:  # a broken handler must not stop the informer
            log.exception("%r: event handler %r failed", self, fn)

    async def _notify(self, kind: int, *args: dict) -> None:
        for entry in list(self._handlers):
            await self._call(entry[kind], *args)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._tasks:
            return
        self._tasks.append(asyncio.create_task(self._run(), name=repr(self)))
        if self.resync_period:
            self._tasks.append(asyncio.create_task(self._resync_loop()))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def _resync_loop(self) -> None:
        assert self.resync_period
        while True:
            await asyncio.sleep(self.resync_period)
            if not self.has_synced:
                continue
            async with self._lock:
                for obj in list(self.store.values()):
                    await self._notify(1, obj, obj)

    async def _run(self) -> None:
        need_list = True
        delay = self.backoff_initial
        while True:
            try:
                if need_list:
                    await self._relist()
                    need_list = False
                await self._watch()
                delay = self.backoff_initial
            except _Gone:
                log.info("%r: resourceVersion %s expired; re-listing", self, self.resource_version)
                need_list = True
            except APIStatusError as e:
                if e.code == 410 and not need_list:  # the watch was refused as too old
                    need_list = True
                    continue
                log.warning("%r: %s; retrying in %.1fs", self, e, delay)
                await asyncio.sleep(delay)
                delay = min(self.backoff_max, delay * 2)
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:
                # ValueError: a stream cut mid-line does not parse
                log.warning("%r: connection failed (%s); retrying in %.1fs", self, e or type(e).__name__, delay)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(self.backoff_max, delay * 2)

    async def _relist(self) -> None:
        g, v, p = self.gvr
        items: list[dict] = []
        cont = ""
        while True:
            page = await self.client.list(g, v, p, namespace=self.namespace, label_selector=self.label_selector,
                                          field_selector=self.field_selector, limit=self.page_size,
                                          continue_=cont)
            items.extend(page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue") or ""
            if not cont:
                break
        rv = (page.get("metadata") or {}).get("resourceVersion") or ""
        kind = (page.get("kind") or "").removesuffix("List")
        api_version = page.get("apiVersion") or (f"{g}/{v}" if g else v)
        self.lists += 1
        async with self._lock:
            fresh: dict[str, dict] = {}
            for obj in items:
                # list items carry no kind/apiVersion; restore them so objects look like watched ones
                obj.setdefault("kind", kind)
                obj.setdefault("apiVersion", api_version)
                fresh[object_key(obj)] = obj
            for key in [k for k in self.store if k not in fresh]:
                old = self._remove(key)
                assert old is not None
                await self._notify(2, old)
            for key, obj in fresh.items():
                old = self._put(key, obj)
                if old is None:
                    await self._notify(0, obj)
                elif _rv(old) != _rv(obj):
                    await self._notify(1, old, obj)
            self.resource_version = rv
        self._synced.set()
        log.debug("%r: listed %d objects at resourceVersion %s", self, len(items), rv)

    async def _watch(self) -> None:
        g, v, p = self.gvr
        stream = self.client.watch(g, v, p, namespace=self.namespace, label_selector=self.label_selector,
                                   field_selector=self.field_selector, resource_version=self.resource_version,
                                   allow_watch_bookmarks=True, timeout_seconds=random.randint(*self.watch_timeout))
        async with contextlib.aclosing(stream):
            async for etype, obj in stream:
                if etype == "ERROR":
                    if obj.get("code") == 410:
                        raise _Gone()
                    raise APIStatusError(obj)
                if etype == "BOOKMARK":
                    self.resource_version = _rv(obj) or self.resource_version
                    continue
                async with self._lock:
                    key = object_key(obj)
                    if etype == "DELETED":
                        self._remove(key)
                        await self._notify(2, obj)
                    elif etype in ("ADDED", "MODIFIED"):
                        old = self._put(key, obj)
                        if old is None:
                            await self._notify(0, obj)
                        else:
                            await self._notify(1, old, obj)
                    else:
                        log.warning("%r: unknown watch event type %r", self, etype)
                    self.resource_version = _rv(obj) or self.resource_version


class SharedInformerFactory:
    """One informer per (group, version, plural, namespace, label selector, field selector)."""

    def __init__(self, client: ListWatcher, *, resync_period: float | None = None, **informer_kw: Any) -> None:
        self.client = client
        self.resync_period = resync_period
        self.informer_kw = informer_kw
        self._informers: dict[tuple, Informer] = {}
        self._started = False

    def informer(self, group: str, version: str, plural: str, *, namespace: str = "", label_selector: str = "",
                 field_selector: str = "") -> Informer:
        key = (group, version, plural, namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = self._informers[key] = Informer(
                self.client, group, version, plural, namespace=namespace, label_selector=label_selector,
                field_selector=field_selector, resync_period=self.resync_period, **self.informer_kw)
            if self._started:
                inf.start()
        return inf

    def start(self) -> None:
        """Start every informer handed out so far (and, from now on, each new one)."""
        self._started = True
        for inf in self._informers.values():
            inf.start()

    async def stop(self) -> None:
        self._started = False
        await asyncio.gather(*(inf.stop() for inf in self._informers.values()))

    async def wait_for_cache_sync(self, timeout: float | None = None) -> dict[tuple, bool]:
        keys = list(self._informers)
        results = await asyncio.gather(*(self._informers[k].wait_synced(timeout) for k in keys))
        return dict(zip(keys, results))
