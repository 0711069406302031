"""Informers against a real API server (and, for the 410 path, a scripted fake)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from kybernetes.client import Client, Informer, SharedInformerFactory, label_indexer

from .conftest import free_port, start_cluster

CM = ("", "v1", "configmaps")


def configmap(name: str, data: dict | None = None, *, owner: dict | None = None) -> dict:
    meta: dict = {"name": name}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {}}


class Recorder:
    """Event handlers that remember what they were told; ``on_update`` is a coroutine on purpose."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.changed = asyncio.Event()

    def on_add(self, obj: dict) -> None:
        self._record("add", obj)

    async def on_update(self, old: dict, new: dict) -> None:
        self._record("update", new)

    def on_delete(self, obj: dict) -> None:
        self._record("delete", obj)

    def _record(self, kind: str, obj: dict) -> None:
        self.events.append((kind, obj["metadata"]["name"]))
        self.changed.set()

    def attach(self, informer: Informer) -> Recorder:
        informer.add_event_handler(on_add=self.on_add, on_update=self.on_update, on_delete=self.on_delete)
        return self

    async def until(self, pred: Callable[[], bool], timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not pred():
                self.changed.clear()
                await self.changed.wait()


async def test_list_then_live_changes(client, namespace):
    await client.create(*CM, configmap("one", {"v": "1"}), namespace=namespace)
    await client.create(*CM, configmap("two"), namespace=namespace)
    inf = Informer(client, *CM, namespace=namespace)
    rec = Recorder().attach(inf)
    inf.start()
    try:
        assert await inf.wait_synced(10) and inf.has_synced
        assert sorted(rec.events) == [("add", "one"), ("add", "two")]
        assert inf.get(f"{namespace}/one")["data"] == {"v": "1"}
        assert inf.get(f"{namespace}/one")["kind"] == "ConfigMap"

        await client.patch(*CM, "one", {"data": {"v": "2"}}, namespace=namespace)
        await client.delete(*CM, "two", namespace=namespace)
        await client.create(*CM, configmap("three"), namespace=namespace)
        await rec.until(lambda: ("add", "three") in rec.events)
        assert rec.events[2:] == [("update", "one"), ("delete", "two"), ("add", "three")]
        assert sorted(inf.store) == [f"{namespace}/one", f"{namespace}/three"]
        assert inf.get(f"{namespace}/one")["data"] == {"v": "2"}
        assert inf.lists == 1
    finally:
        await inf.stop()


async def test_indexers(client, namespace):
    owner = await client.create(*CM, configmap("owner"), namespace=namespace)
    for i in range(2):
        await client.create(*CM, configmap(f"child-{i}", owner=owner), namespace=namespace)
    inf = Informer(client, *CM, namespace=namespace)
    inf.start()
    try:
        await inf.wait_synced(10)
        uid = owner["metadata"]["uid"]
        assert [o["metadata"]["name"] for o in inf.by_index("owner", uid)] == ["child-0", "child-1"]
        assert inf.index_keys("controller", uid) == [f"{namespace}/child-0", f"{namespace}/child-1"]
        assert len(inf.by_index("namespace", namespace)) == 3
        # an indexer added late indexes what is already there, and follows changes
        inf.add_indexer("by-tier", label_indexer("tier"))
        rec = Recorder().attach(inf)  # a late handler first gets an add for each object
        await rec.until(lambda: len(rec.events) == 3)
        await client.patch(*CM, "child-0", {"metadata": {"labels": {"tier": "web"}, "ownerReferences": None}},
                           namespace=namespace)
        await rec.until(lambda: ("update", "child-0") in rec.events)
        assert [o["metadata"]["name"] for o in inf.by_index("by-tier", "web")] == ["child-0"]
        assert inf.index_keys("owner", uid) == [f"{namespace}/child-1"]
    finally:
        await inf.stop()


async def test_shared_factory(client, namespace):
    await client.create(*CM, configmap("f"), namespace=namespace)
    factory = SharedInformerFactory(client)
    a = factory.informer(*CM, namespace=namespace)
    assert factory.informer(*CM, namespace=namespace) is a
    assert factory.informer(*CM, namespace=namespace, label_selector="x=y") is not a
    factory.start()
    try:
        synced = await factory.wait_for_cache_sync(10)
        assert all(synced.values()) and len(synced) == 2
        assert list(a.store) == [f"{namespace}/f"]
        late = factory.informer("", "v1", "namespaces")  # started because the factory runs
        assert await late.wait_synced(10) and namespace in late.store
    finally:
        await factory.stop()


class GatedClient:
    """Passes list and watch through to a real client, but only while ``open`` is set:
    lets a test make changes while the informer is certainly cut off."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.open = asyncio.Event()
        self.open.set()

    async def list(self, *a, **kw) -> dict:
        await self.open.wait()
        return await self.client.list(*a, **kw)

    async def watch(self, *a, **kw):
        await self.open.wait()
        async for ev in self.client.watch(*a, **kw):
            yield ev


async def test_relists_after_server_restart_without_losing_a_delete(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    cluster = await asyncio.to_thread(start_cluster, data, "--https-port", str(port))
    client = other = None
    inf = None
    try:
        client = await Client.from_kubeconfig(str(cluster.kubeconfig))
        for name in ("keep", "gone"):
            await client.create(*CM, configmap(name), namespace="default")
        gate = GatedClient(client)
        inf = Informer(gate, *CM, namespace="default", backoff_initial=0.05, backoff_max=0.3)
        rec = Recorder().attach(inf)
        inf.start()
        await inf.wait_synced(10)
        assert {"default/keep", "default/gone"} <= set(inf.store)
        # a write the informer does not watch moves the revision past the informer's last one,
        # so after the restart (the watch cache starts at the current revision) its
        # resourceVersion is too old: 410 Gone, and the informer must re-list
        await client.create("", "v1", "secrets", {"metadata": {"name": "unwatched"}}, namespace="default")

        gate.open.clear()
        await asyncio.to_thread(cluster.stop)
        cluster = await asyncio.to_thread(start_cluster, data, "--https-port", str(port))
        # changes made while the informer was cut off, by somebody else
        other = await Client.from_kubeconfig(str(cluster.kubeconfig))
        await other.delete(*CM, "gone", namespace="default")
        await other.patch(*CM, "keep", {"data": {"after": "restart"}}, namespace="default")
        await other.create(*CM, configmap("new"), namespace="default")
        gate.open.set()

        await rec.until(lambda: {("delete", "gone"), ("update", "keep"), ("add", "new")} <= set(rec.events), 20)
        assert inf.lists == 2
        assert "default/gone" not in inf.store
        assert inf.get("default/keep")["data"] == {"after": "restart"}
        # and it keeps watching afterwards
        await other.delete(*CM, "new", namespace="default")
        await rec.until(lambda: ("delete", "new") in rec.events)
    finally:
        if inf is not None:
            await inf.stop()
        for c in (client, other):
            if c is not None:
                await c.close()
        await asyncio.to_thread(cluster.stop)


# ---------------------------------------------------------------------- a scripted fake
def cm(name: str, rv: int, **data: str) -> dict:
    return {"kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(rv)}, "data": data}


class FakeClient:
    """Implements just ``list`` and ``watch``: each call takes the next scripted answer;
    a watch whose script runs out stays open until cancelled."""

    def __init__(self, lists: list[list[dict]], watches: list[list[tuple[str, dict]]]) -> None:
        self.lists = lists
        self.watches = watches
        self.watch_calls: list[str] = []

    async def list(self, group, version, plural, **kw) -> dict:
        items, rv = self.lists.pop(0), 0
        rv = max([int(o["metadata"]["resourceVersion"]) for o in items] + [1])
        return {"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"resourceVersion": str(rv)},
                "items": [dict(o) for o in items]}

    async def watch(self, group, version, plural, *, resource_version=None, **kw):
        self.watch_calls.append(resource_version)
        for ev in self.watches.pop(0) if self.watches else []:
            yield ev
        if not self.watches:
            await asyncio.Event().wait()


async def test_410_gone_relists_and_delivers_differences():
    fake = FakeClient(
        lists=[[cm("a", 1), cm("b", 2)],
               # the state after the gap: a changed, b deleted, c created
               [cm("a", 7, v="2"), cm("c", 8)]],
        watches=[[("ADDED", cm("d", 3)),
                  ("ERROR", {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"})],
                 []],
    )
    inf = Informer(fake, *CM, namespace="ns")
    rec = Recorder().attach(inf)
    inf.start()
    try:
        await rec.until(lambda: len(rec.events) >= 6, 5)
        assert rec.events[:3] == [("add", "a"), ("add", "b"), ("add", "d")]
        assert sorted(rec.events[3:]) == [("add", "c"), ("delete", "b"), ("delete", "d"), ("update", "a")]
        assert sorted(inf.store) == ["ns/a", "ns/c"]
        assert inf.lists == 2 and fake.watch_calls == ["2", "8"]
    finally:
        await inf.stop()


async def test_watch_timeout_rewatches_from_last_bookmark_and_resync():
    fake = FakeClient(
        lists=[[cm("a", 1)]],
        watches=[[("MODIFIED", cm("a", 4, v="x")), ("BOOKMARK", {"metadata": {"resourceVersion": "9"}})], []],
    )
    inf = Informer(fake, *CM, namespace="ns", resync_period=0.05)
    rec = Recorder().attach(inf)
    inf.start()
    try:
        await rec.until(lambda: rec.events.count(("update", "a")) >= 3, 5)
        assert fake.watch_calls == ["1", "9"]  # re-watched from the bookmark, no re-list
        assert inf.lists == 1
    finally:
        await inf.stop()


async def test_handler_errors_do_not_stop_the_informer():
    fake = FakeClient(lists=[[cm("a", 1), cm("b", 2)]], watches=[])
    inf = Informer(fake, *CM, namespace="ns")

    def broken(obj):
        raise RuntimeError("boom")

    inf.add_event_handler(on_add=broken)
    rec = Recorder().attach(inf)
    inf.start()
    try:
        await rec.until(lambda: len(rec.events) == 2, 5)
        assert inf.has_synced
    finally:
        await inf.stop()


@pytest.mark.parametrize("code", [500, 403])
async def test_other_status_errors_back_off_and_retry(code):
    from kybernetes.client import APIStatusError

    class Failing(FakeClient):
        failures = 2

        async def list(self, *a, **kw):
            if self.failures:
                self.failures -= 1
                raise APIStatusError({"code": code, "reason": "InternalError"})
            return await super().list(*a, **kw)

    fake = Failing(lists=[[cm("a", 1)]], watches=[])
    inf = Informer(fake, *CM, namespace="ns", backoff_initial=0.01)
    inf.start()
    try:
        assert await inf.wait_synced(5)
        assert fake.failures == 0
    finally:
        await inf.stop()


async def test_http_410_on_watch_relists():
    from kybernetes.client import APIStatusError

    class Expiring(FakeClient):
        async def watch(self, *a, resource_version=None, **kw):
            if resource_version == "1":
                self.watch_calls.append(resource_version)
                raise APIStatusError({"code": 410, "reason": "Expired", "message": "too old"})
                yield  # pragma: no cover - makes this an async generator
            async for ev in super().watch(*a, resource_version=resource_version, **kw):
                yield ev

    fake = Expiring(lists=[[cm("a", 1)], [cm("b", 5)]], watches=[])
    inf = Informer(fake, *CM, namespace="ns")
    rec = Recorder().attach(inf)
    inf.start()
    try:
        await rec.until(lambda: len(rec.events) == 3, 5)
        assert rec.events == [("add", "a"), ("delete", "a"), ("add", "b")]
        assert fake.watch_calls == ["1", "5"] and inf.lists == 2
    finally:
        await inf.stop()
