"""Recording core/v1 Events about objects, the way client-go's legacy recorder does.

A component says ``recorder.record(pod, type="Normal", reason="Scheduled",
message="...")``; that returns at once. The Event is put on a bounded queue and a
background task writes it (``kubectl describe`` and ``kubectl get events`` then show it):

* the Event lives in the object's namespace (``default`` for cluster-scoped objects)
  and is named ``<object name>.<16 hex digits of the time in ns>``;
* ``involvedObject`` is a reference to the object (kind, namespace, name, uid,
  apiVersion, resourceVersion), ``source`` is ``{component, host}``;
* de-duplication (client-go's EventCorrelator/EventLogger): the same event again --
  same involved object, type, reason, message and source -- within
  :data:`DEDUP_WINDOW` seconds patches the Event already written (``count`` + 1, new
  ``lastTimestamp``) instead of creating another. What was written is remembered in a
  small LRU cache (:data:`CACHE_SIZE` entries);
* aggregation and spam filtering (client-go's EventAggregator and spam filter): more
  than :data:`AGGREGATE_MAX_EVENTS` events that differ only in message (same object,
  source, type and reason) within :data:`AGGREGATE_INTERVAL` seconds are folded into
  one Event with the message ``(combined from similar events): <latest message>``, and
  each source may write :data:`SPAM_BURST` events about one object, then one every
  :data:`SPAM_REFILL_SECONDS` -- so a controller creating 500 pods writes a handful of
  Events, not 500, and its API budget goes to the pods;
* writing never blocks or fails the caller: a full queue drops the event; a write that
  fails on transport trouble, 429 or 5xx is retried a few times with back-off, any
  other refusal is final; either way the event is then logged and dropped. If a patched
  Event has disappeared (expired by the server's TTL) it is created anew.

Events are best effort by design: a controller must never depend on them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import aiohttp

from .rest import APIStatusError, Client
from .workqueue import Clock, SystemClock

log = logging.getLogger(__name__)

__all__ = ["CACHE_SIZE", "DEDUP_WINDOW", "EventRecorder", "object_reference"]

DEDUP_WINDOW = 600.0   # seconds: a repeat within this is counted on the existing Event
CACHE_SIZE = 4096      # like client-go's maxLruCacheEntries
QUEUE_SIZE = 1000      # like the broadcaster's queue: more events pending than this are dropped
DROP_WARNING_INTERVAL = 60.0
# Concurrent writers (upstream writes each event in a goroutine of its own); one object's
# events always go to the same writer, in order.
WRITERS = 64
MAX_TRIES = 3
RETRY_DELAY = 0.5      # first back-off between tries; doubles each time

AGGREGATE_MAX_EVENTS = 10     # similar events before they are combined into one
AGGREGATE_INTERVAL = 600.0    # seconds over which similar events are counted
SPAM_BURST = 25               # events one source may write about one object at once ...
SPAM_REFILL_SECONDS = 300.0   # ... then one every five minutes
AGGREGATE_PREFIX = "(combined from similar events): "

NORMAL, WARNING = "Normal", "Warning"


_stamp: tuple[int, str] = (0, "")


def _now_rfc3339() -> str:
    """Now, as Event timestamps are written (whole seconds); formatted once a second."""
    global _stamp
    second = int(time.time())
    if _stamp[0] != second:
        _stamp = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _stamp[1]


def object_reference(obj: dict) -> dict:
    """A core/v1 ObjectReference to ``obj`` (a full object, or already a reference)."""
    if "metadata" not in obj:  # already a reference
        return {k: v for k, v in obj.items() if v not in (None, "")}
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    return {k: v for k, v in ref.items() if v}


class _Seen:
    """What the cache remembers about an Event written (client-go's eventLog)."""

    __slots__ = ("count", "first_timestamp", "last_seen", "name", "namespace")

    def __init__(self, count: int, first_timestamp: str, name: str, namespace: str, last_seen: float) -> None:
        self.count = count
        self.first_timestamp = first_timestamp
        self.name = name
        self.namespace = namespace
        self.last_seen = last_seen


class EventRecorder:
    """Record Events from one component (``source.component``) on one host.

    ``record()`` is a plain (non-async) call that must be made with an event loop
    running; the writer tasks start on first use. Events are written by ``writers``
    tasks; all events about one object go through the same one, so their order and
    de-duplication hold, while a component that records about many objects (the
    scheduler: one per pod) is not held to one request at a time. ``await flush()`` waits until all
    recorded events were written (or dropped); ``await close()`` flushes and stops.
    """

    def __init__(self, client: Client, *, component: str, host: str = "", clock: Clock | None = None,
                 dedup_window: float = DEDUP_WINDOW, cache_size: int = CACHE_SIZE,
                 max_tries: int = MAX_TRIES, retry_delay: float = RETRY_DELAY, writers: int = WRITERS) -> None:
        if not component:
            raise ValueError("an event recorder needs a component name")
        self.client = client
        self.component = component
        self.host = host
        self.clock: Clock = clock or SystemClock()
        self.dedup_window = dedup_window
        self.cache_size = cache_size
        self.max_tries = max_tries
        self.retry_delay = retry_delay
        self._cache: OrderedDict[tuple, _Seen] = OrderedDict()
        self.writers = max(1, writers)
        self._queues: list[asyncio.Queue[tuple[dict, tuple | None]]] = []
        self._similar: OrderedDict[tuple, tuple[float, set[str]]] = OrderedDict()  # aggregation
        self._spam: OrderedDict[tuple, tuple[float, float]] = OrderedDict()        # tokens, last refill
        self._workers: list[asyncio.Task] = []
        self._worker_ended = False
        self._last_ns = 0
        self._pending = 0                 # events queued and not yet written or given up
        self.dropped = 0                  # events dropped because QUEUE_SIZE were pending
        self._drop_warned_at: float | None = None

    # ------------------------------------------------------------------ API
    def record(self, obj: dict, *, type: str, reason: str, message: str) -> None:
        """Queue an Event about ``obj``; never blocks, never raises for API trouble."""
        ref = object_reference(obj)
        now = _now_rfc3339()
        event = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": self._event_name(ref.get("name", "")),
                         "namespace": ref.get("namespace") or "default"},
            "involvedObject": ref,
            "type": type,
            "reason": reason,
            "message": message,
            "source": {k: v for k, v in (("component", self.component), ("host", self.host)) if v},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        log.debug("event %s %s/%s %s %s: %s", type, ref.get("namespace", ""), ref.get("name", ""),
                  reason, ref.get("kind", ""), message)
        object_key = self._object_key(event)
        dedup_key = self._aggregate(event, object_key)
        if not self._spam_allows(object_key):
            log.debug("event %s for %s/%s filtered as spam", reason, ref.get("namespace", ""), ref.get("name", ""))
            return
        if self._pending >= QUEUE_SIZE:
            self._dropped(reason, ref)
            return
        self._pending += 1
        self._ensure_workers()[hash(object_key) % self.writers].put_nowait((event, dedup_key))

    def _dropped(self, reason: str, ref: dict) -> None:
        """Count a dropped event; warn about the first, then at most once a minute (a
        component over the API server's pace would otherwise log once per event)."""
        self.dropped += 1
        now = self.clock.now()
        if self._drop_warned_at is None or now - self._drop_warned_at >= DROP_WARNING_INTERVAL:
            self._drop_warned_at = now
            log.warning("event queue full, dropping event %s for %s/%s (%d dropped so far)", reason,
                        ref.get("namespace", ""), ref.get("name", ""), self.dropped)

    def event(self, obj: dict, type: str, reason: str, message: str) -> None:
        """Positional-argument alias of :meth:`record` (client-go's ``Event``)."""
        self.record(obj, type=type, reason=reason, message=message)

    def eventf(self, obj: dict, type: str, reason: str, fmt: str, *args: Any) -> None:
        """``record`` with a %-formatted message (client-go's ``Eventf``)."""
        self.record(obj, type=type, reason=reason, message=fmt % args if args else fmt)

    async def flush(self) -> None:
        for queue in self._queues:
            await queue.join()

    async def close(self) -> None:
        await self.flush()
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.cancel()
        for worker in workers:
            try:
                await worker
            except asyncio.CancelledError:
                pass

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _object_key(event: dict) -> tuple:
        ref, src = event["involvedObject"], event["source"]
        return (src.get("component", ""), src.get("host", ""), ref.get("kind", ""), ref.get("namespace", ""),
                ref.get("name", ""), ref.get("uid", ""), ref.get("apiVersion", ""))

    def _aggregate(self, event: dict, object_key: tuple) -> tuple | None:
        """Count distinct messages of similar events; past the limit, rewrite ``event``
        into the combined one and return the key all of them are de-duplicated under."""
        key = (*object_key, event["type"], event["reason"])
        now = self.clock.now()
        first, messages = self._similar.get(key, (now, set()))
        if now - first > AGGREGATE_INTERVAL:
            first, messages = now, set()
        messages.add(event["message"])
        self._similar[key] = (first, messages)
        self._similar.move_to_end(key)
        while len(self._similar) > self.cache_size:
            self._similar.popitem(last=False)
        if len(messages) <= AGGREGATE_MAX_EVENTS:
            return None
        event["message"] = AGGREGATE_PREFIX + event["message"]
        return ("aggregate", *key)

    def _spam_allows(self, key: tuple) -> bool:
        """A token bucket per (source, object)."""
        now = self.clock.now()
        tokens, last = self._spam.get(key, (float(SPAM_BURST), now))
        tokens = min(float(SPAM_BURST), tokens + (now - last) / SPAM_REFILL_SECONDS)
        allowed = tokens >= 1.0
        self._spam[key] = (tokens - 1.0 if allowed else tokens, now)
        self._spam.move_to_end(key)
        while len(self._spam) > self.cache_size:
            self._spam.popitem(last=False)
        return allowed

    def _event_name(self, obj_name: str) -> str:
        # upstream: "<name>.<unix nanoseconds in hex>"; keep it strictly increasing here so that
        # two events recorded within one clock tick still get different names
        ns = max(time.time_ns(), self._last_ns + 1)
        self._last_ns = ns
        return f"{obj_name}.{ns:016x}"

    def _ensure_workers(self) -> list[asyncio.Queue]:
        if not self._queues:
            # unbounded each: QUEUE_SIZE bounds the events pending in all of them together
            self._queues = [asyncio.Queue() for _ in range(self.writers)]
        if len(self._workers) != self.writers or self._worker_ended:
            loop = asyncio.get_running_loop()
            for w in self._workers:
                w.cancel()
            self._workers = [loop.create_task(self._run(q), name=f"events-{self.component}-{i}")
                             for i, q in enumerate(self._queues)]
            self._worker_ended = False
            for w in self._workers:    # a writer that ends (cancelled) gets replaced on the next record
                w.add_done_callback(self._writer_ended)
        return self._queues

    def _writer_ended(self, task: asyncio.Task) -> None:
        if task in self._workers:
            self._worker_ended = True

    async def _run(self, queue: asyncio.Queue) -> None:
        while True:
            event, dedup_key = await queue.get()
            try:
                await self._write(event, dedup_key)
            except Exception:
                log.exception("unexpected error writing event %s", event["metadata"]["name"])
            finally:
                self._pending -= 1
                queue.task_done()

    @staticmethod
    def _key(event: dict) -> tuple:
        ref = event["involvedObject"]
        src = event["source"]
        return (src.get("component", ""), src.get("host", ""), ref.get("kind", ""), ref.get("namespace", ""),
                ref.get("name", ""), ref.get("fieldPath", ""), ref.get("uid", ""), ref.get("apiVersion", ""),
                event["type"], event["reason"], event["message"])

    def _correlate(self, event: dict, key: tuple | None = None) -> tuple[tuple, bool]:
        """Fold ``event`` into the one seen before, if any: (cache key, whether to patch)."""
        key = key or self._key(event)
        seen = self._cache.get(key)
        if seen is None or self.clock.now() - seen.last_seen > self.dedup_window:
            return key, False
        self._cache.move_to_end(key)
        event["metadata"]["name"] = seen.name
        event["metadata"]["namespace"] = seen.namespace
        event["count"] = seen.count + 1
        event["firstTimestamp"] = seen.first_timestamp
        return key, True

    def _remember(self, key: tuple, written: dict) -> None:
        meta = written.get("metadata") or {}
        self._cache[key] = _Seen(int(written.get("count") or 1), written.get("firstTimestamp") or "",
                                 meta.get("name", ""), meta.get("namespace", ""), self.clock.now())
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def _write(self, event: dict, dedup_key: tuple | None = None) -> None:
        key, update = self._correlate(event, dedup_key)
        meta = event["metadata"]
        delay = self.retry_delay
        for attempt in range(1, self.max_tries + 1):
            try:
                written = None
                if update:
                    try:
                        written = await self.client.patch(
                            "", "v1", "events", meta["name"], namespace=meta["namespace"],
                            body={"count": event["count"], "lastTimestamp": event["lastTimestamp"],
                                  "message": event["message"]})
                    except APIStatusError as e:
                        if e.code != 404:
                            raise
                        # the Event expired meanwhile: write it anew, keeping the count
                if written is None:
                    written = await self.client.create("", "v1", "events", event, namespace=meta["namespace"])
                self._remember(key, written)
                return
            except APIStatusError as e:
                if e.code != 429 and e.code < 500:
                    # refused for good (invalid, forbidden, no such namespace, already exists ...):
                    # as upstream, only transport trouble and an overloaded server are retried
                    log.warning("event %s/%s rejected, dropping it: %s", meta["namespace"], meta["name"], e)
                    return
                err: Exception = e
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as e:  # connection trouble
                err = e
            if attempt == self.max_tries:
                log.warning("dropping event %s/%s after %d tries: %r", meta["namespace"], meta["name"],
                            attempt, err)
                return
            log.debug("writing event %s/%s failed (try %d), retrying: %r", meta["namespace"], meta["name"],
                      attempt, err)
            await self.clock.sleep_until(self.clock.now() + delay)
            delay *= 2
