"""The REST client against a real API server: CRUD, error mapping, patches, watch."""

from __future__ import annotations

import asyncio
import base64

import pytest
import yaml

from kybernetes.client import (
    APIStatusError,
    Client,
    KubeconfigError,
    TokenBucket,
    load_kubeconfig,
)

CM = ("", "v1", "configmaps")


def configmap(name: str, data: dict | None = None, labels: dict | None = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": labels or {}}, "data": data or {}}


async def test_crud_and_not_found(client, namespace):
    created = await client.create(*CM, configmap("a", {"k": "1"}, {"app": "x"}), namespace=namespace)
    assert created["metadata"]["uid"]
    assert (await client.get(*CM, "a", namespace=namespace))["data"] == {"k": "1"}

    await client.create(*CM, configmap("b", labels={"app": "y"}), namespace=namespace)
    listed = await client.list(*CM, namespace=namespace, label_selector="app=x")
    assert [o["metadata"]["name"] for o in listed["items"]] == ["a"]
    assert listed["metadata"]["resourceVersion"]

    created["data"] = {"k": "2"}
    replaced = await client.replace(*CM, "a", created, namespace=namespace)
    assert replaced["data"] == {"k": "2"}
    # the User-Agent's program name is the field manager
    assert {m["manager"] for m in replaced["metadata"]["managedFields"]} == {"kyb-component-test"}

    await client.delete(*CM, "a", namespace=namespace)
    with pytest.raises(APIStatusError) as e:
        await client.get(*CM, "a", namespace=namespace)
    assert (e.value.code, e.value.reason) == (404, "NotFound")
    assert e.value.status["kind"] == "Status" and '"a" not found' in e.value.message


async def test_conflicts(client, namespace):
    obj = await client.create(*CM, configmap("c"), namespace=namespace)
    with pytest.raises(APIStatusError) as e:
        await client.create(*CM, configmap("c"), namespace=namespace)
    assert (e.value.code, e.value.reason) == (409, "AlreadyExists")

    await client.patch(*CM, "c", {"data": {"x": "1"}}, namespace=namespace)
    stale = dict(obj, data={"y": "2"})  # carries the old resourceVersion
    with pytest.raises(APIStatusError) as e:
        await client.replace(*CM, "c", stale, namespace=namespace)
    assert (e.value.code, e.value.reason) == (409, "Conflict")

    with pytest.raises(APIStatusError) as e:
        await client.delete(*CM, "c", namespace=namespace, preconditions={"uid": "not-the-uid"})
    assert e.value.code == 409
    await client.delete(*CM, "c", namespace=namespace, preconditions={"uid": obj["metadata"]["uid"]},
                        grace_period_seconds=0, propagation_policy="Background")


async def test_patch_types(client, namespace):
    await client.create(*CM, configmap("p", {"a": "1"}), namespace=namespace)
    o = await client.patch(*CM, "p", {"data": {"b": "2"}}, namespace=namespace, patch_type="merge")
    assert o["data"] == {"a": "1", "b": "2"}
    o = await client.patch(*CM, "p", [{"op": "remove", "path": "/data/a"}], namespace=namespace, patch_type="json")
    assert o["data"] == {"b": "2"}
    o = await client.patch(*CM, "p", {"data": {"c": "3"}}, namespace=namespace, patch_type="strategic")
    assert o["data"] == {"b": "2", "c": "3"}

    applied = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p"}, "data": {"b": "applied"}}
    with pytest.raises(APIStatusError) as e:  # b is owned by the client's update manager
        await client.patch(*CM, "p", applied, namespace=namespace, patch_type="apply", field_manager="ssa")
    assert (e.value.code, e.value.reason) == (409, "Conflict")
    o = await client.patch(*CM, "p", applied, namespace=namespace, patch_type="apply", field_manager="ssa",
                           force=True)
    assert o["data"]["b"] == "applied"
    assert "ssa" in {m["manager"] for m in o["metadata"]["managedFields"]}

    with pytest.raises(ValueError):
        await client.patch(*CM, "p", {}, namespace=namespace, patch_type="apply")


async def test_update_status_and_pagination(client, namespace):
    rq = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
          "spec": {"hard": {"pods": "5"}}}
    created = await client.create("", "v1", "resourcequotas", rq, namespace=namespace)
    created["status"] = {"hard": {"pods": "5"}, "used": {"pods": "1"}}
    created["spec"] = {"hard": {"pods": "9"}}  # a status update ignores spec changes
    out = await client.update_status("", "v1", "resourcequotas", "q", created, namespace=namespace)
    assert out["status"]["used"] == {"pods": "1"} and out["spec"]["hard"] == {"pods": "5"}

    for i in range(3):
        await client.create(*CM, configmap(f"page-{i}"), namespace=namespace)
    names, cont = [], ""
    while True:
        page = await client.list(*CM, namespace=namespace, limit=2, continue_=cont)
        names += [o["metadata"]["name"] for o in page["items"]]
        cont = page["metadata"].get("continue", "")
        if not cont:
            break
    assert sorted(names) == ["page-0", "page-1", "page-2"]


async def test_watch_events(client, namespace):
    rv = (await client.list(*CM, namespace=namespace))["metadata"]["resourceVersion"]
    events: list[tuple[str, str, str]] = []

    async def collect():
        async for etype, obj in client.watch(*CM, namespace=namespace, resource_version=rv, timeout_seconds=10):
            events.append((etype, obj["metadata"]["name"], obj.get("data", {}).get("v", "")))
            if etype == "DELETED":
                return

    task = asyncio.create_task(collect())
    await client.create(*CM, configmap("w", {"v": "1"}), namespace=namespace)
    await client.patch(*CM, "w", {"data": {"v": "2"}}, namespace=namespace)
    await client.delete(*CM, "w", namespace=namespace)
    await asyncio.wait_for(task, 10)
    assert events == [("ADDED", "w", "1"), ("MODIFIED", "w", "2"), ("DELETED", "w", "2")]


async def test_watch_ends_at_timeout_with_bookmark(client, namespace):
    seen = [e async for e in client.watch(*CM, namespace=namespace, timeout_seconds=1, allow_watch_bookmarks=True)]
    assert [t for t, _ in seen] == ["BOOKMARK"]
    assert seen[0][1]["metadata"]["resourceVersion"]


async def test_refused_watch_raises_status_error(client, namespace):
    # an unparseable resourceVersion is refused outright with a Status
    with pytest.raises(APIStatusError) as e:
        async for _ in client.watch(*CM, namespace=namespace, resource_version="not-a-number", timeout_seconds=1):
            pass
    assert e.value.code == 400


async def test_unauthenticated_client_gets_401(cluster):
    config = load_kubeconfig(cluster.kubeconfig)
    config.cert_data = config.key_data = None
    async with Client(config) as anon:
        with pytest.raises(APIStatusError) as e:
            await anon.list(*CM)
    assert e.value.code == 401


# ---------------------------------------------------------------------- no server needed
async def test_token_bucket_limits_rate():
    now = [0.0]
    slept: list[float] = []

    async def sleep(d: float) -> None:
        slept.append(d)
        now[0] += d

    bucket = TokenBucket(10, 3, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await bucket.acquire()
    # three from the burst, then one every 1/qps seconds
    assert slept == pytest.approx([0.1, 0.1])


def test_kubeconfig_files_tokens_and_contexts(tmp_path):
    (tmp_path / "ca.crt").write_text("ca")
    (tmp_path / "token").write_text("from-file\n")
    cfg = {
        "current-context": "a",
        "clusters": [{"name": "c", "cluster": {"server": "https://h:1/", "certificate-authority": "ca.crt",
                                               "insecure-skip-tls-verify": True}}],
        "users": [{"name": "u1", "user": {"token": "abc"}},
                  {"name": "u2", "user": {"tokenFile": "token",
                                          "client-certificate-data": base64.b64encode(b"cert").decode()}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u1", "namespace": "ns1"}},
                     {"name": "b", "context": {"cluster": "c", "user": "u2"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    a = load_kubeconfig(path)
    assert (a.server, a.ca_data, a.bearer_token(), a.namespace) == ("https://h:1", b"ca", "abc", "ns1")
    assert a.insecure_skip_tls_verify
    b = load_kubeconfig(path, context="b")
    assert (b.bearer_token(), b.cert_data, b.namespace) == ("from-file", b"cert", "default")
    with pytest.raises(KubeconfigError):
        load_kubeconfig(path, context="missing")
    with pytest.raises(KubeconfigError):
        load_kubeconfig(tmp_path / "nope")
