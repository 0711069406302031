"""Acknowledged writes survive ``kill -9`` of the server, and concurrent writers
on one object never lose an update."""

from __future__ import annotations

import concurrent.futures
import signal
import threading
import uuid

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from .conftest import start_cluster

pytestmark = pytest.mark.e2e


def test_kill_9_keeps_acknowledged_writes(tmp_path):
    data = tmp_path / "data"
    c = start_cluster(data)
    acked: dict[str, str] = {}
    lock = threading.Lock()
    try:
        api = config.new_client_from_config(config_file=str(c.kubeconfig))
        core = client.CoreV1Api(api)
        stop = threading.Event()

        def writer(n: int):
            i = 0
            while not stop.is_set():
                name = f"w{n}-{i}"
                try:
                    obj = core.create_namespaced_config_map(
                        "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name), data={"i": str(i)}))
                except Exception:
                    return
                with lock:
                    acked[name] = obj.metadata.resource_version
                i += 1

        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(8)]
        for t in threads:
            t.start()
        while True:
            with lock:
                if len(acked) >= 300:
                    break
            threading.Event().wait(0.01)
        c.proc.send_signal(signal.SIGKILL)
        c.proc.wait(10)
        stop.set()
        for t in threads:
            t.join(10)
        api.close()
    finally:
        c.stop()
    c2 = start_cluster(data)
    try:
        api = config.new_client_from_config(config_file=str(c2.kubeconfig))
        core = client.CoreV1Api(api)
        items = {i.metadata.name: i.metadata.resource_version
                 for i in core.list_namespaced_config_map("default").items}
        with lock:
            snapshot = dict(acked)
        missing = [n for n in snapshot if n not in items]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
        for name, rv in snapshot.items():
            assert items[name] == rv
        newest = max(int(rv) for rv in items.values())
        obj = core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="after")))
        assert int(obj.metadata.resource_version) > newest
        api.close()
    finally:
        c2.stop()


def test_concurrent_updates_never_lose_one(k8s_client):
    core = client.CoreV1Api(k8s_client)
    name = f"counter-{uuid.uuid4().hex[:6]}"
    core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name),
                                                                    data={"n": "0"}))
    workers = 8
    barrier = threading.Barrier(workers)
    first_round: list[int] = []
    lock = threading.Lock()

    def increment(_):
        first = True
        while True:
            cm = core.read_namespaced_config_map(name, "default")
            cm.data["n"] = str(int(cm.data["n"]) + 1)
            if first:
                barrier.wait()  # every worker holds the same resourceVersion now
            try:
                core.replace_namespaced_config_map(name, "default", cm)
                status = 200
            except ApiException as e:
                assert e.status == 409, e.body
                status = 409
            if first:
                with lock:
                    first_round.append(status)
                first = False
            if status == 200:
                return

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(increment, range(workers)))
    # all read the same version: exactly one write won, the rest got 409 Conflict
    assert sorted(first_round) == [200] + [409] * (workers - 1)
    assert core.read_namespaced_config_map(name, "default").data["n"] == str(workers)
