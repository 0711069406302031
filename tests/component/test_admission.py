"""Admission plugins seen through the API: what a created object looks like afterwards."""

from __future__ import annotations

import json

import pytest

from tests.golden import UPSTREAM

NOT_READY = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
               "tolerationSeconds": 300}


def _pod(name: str, tolerations: list | None = None) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "busybox"}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


async def test_new_pods_tolerate_an_unresponsive_node_for_300_seconds(client, namespace):
    created = await client.create("", "v1", "pods", _pod("plain"), namespace=namespace)
    assert created["spec"]["tolerations"] == [NOT_READY, UNREACHABLE]
    golden = json.loads((UPSTREAM / "defaulting" / "pod.json").read_text())["create"]["response"]["body"]
    assert created["spec"]["tolerations"] == golden["spec"]["tolerations"]   # as upstream 1.28


@pytest.mark.parametrize("given, added", [
    ([{"operator": "Exists"}], []),                                                    # tolerates everything
    ([{"key": "node.kubernetes.io/unreachable", "operator": "Exists"}], [NOT_READY]),  # any effect
    ([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 5}], [UNREACHABLE]),                                      # its own time wins
    ([{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}],
     [NOT_READY, UNREACHABLE]),                                                       # another effect
])
async def test_existing_tolerations_are_kept_and_only_missing_ones_added(client, namespace, given, added):
    created = await client.create("", "v1", "pods", _pod("p", given), namespace=namespace)
    assert created["spec"]["tolerations"] == [*given, *added]


async def test_updates_do_not_add_tolerations(client, namespace):
    created = await client.create("", "v1", "pods", _pod("kept", [{"operator": "Exists"}]), namespace=namespace)
    created["metadata"]["labels"] = {"touched": "yes"}
    updated = await client.replace("", "v1", "pods", "kept", created, namespace=namespace)
    assert updated["spec"]["tolerations"] == [{"operator": "Exists"}]
