"""DefaultBinder: binds by POSTing a Binding to the pod's ``binding`` subresource."""

from __future__ import annotations

from typing import Any

from ...client import resource_path
from ..types import CycleState, Status

NAME = "DefaultBinder"


class DefaultBinder:
    name = NAME

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def bind(self, state: CycleState, pod: dict, node_name: str) -> Status:
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        body = {
            "apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": name, "namespace": ns, "uid": meta.get("uid", "")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        try:
            await self.handle.client.request("POST", resource_path("", "v1", "pods", ns, name, "binding"), body=body)
        except Exception as e:  # noqa: BLE001 - any failure is reported and the pod retried
            return Status.error(f"binding rejected: {e}", plugin=NAME)
        return Status()


def new(args: dict, handle: Any) -> DefaultBinder:
    return DefaultBinder(handle)
