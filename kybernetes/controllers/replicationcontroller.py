"""The ReplicationController controller: the ReplicaSet controller's logic applied to
core/v1 ReplicationControllers, whose selector is a plain label map instead of a
LabelSelector (upstream runs the same code for both, too)."""

from __future__ import annotations

from typing import Any

from ..api.selectors import selector_from_set
from .base import ControllerContext
from .replicaset import ReplicaSetController

__all__ = ["ReplicationControllerController", "new_replicationcontroller_controller"]


class ReplicationControllerController(ReplicaSetController):
    name = "replicationcontroller"
    group, version, plural, kind = "", "v1", "replicationcontrollers", "ReplicationController"
    component = "replication-controller"

    @staticmethod
    def selector_of(spec: dict) -> Any:
        return selector_from_set(spec.get("selector") or {})


def new_replicationcontroller_controller(ctx: ControllerContext) -> ReplicationControllerController:
    return ReplicationControllerController(ctx, **ctx.options.get("replicationcontroller", {}))
