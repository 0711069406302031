"""A pod's priority, for pods the API server did not resolve it for.

Upstream's Priority admission plugin writes ``spec.priority`` from
``spec.priorityClassName`` (or the globalDefault PriorityClass) when a pod is
created. Our API server does not (yet), so the scheduler fills it in from a
PriorityClass informer before a pod enters the queue or the cache; the queue order
and preemption then read ``spec.priority`` as usual. A pod that already has
``spec.priority`` is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["SYSTEM_PRIORITY_CLASSES", "PriorityResolver"]

# the two classes upstream's API server creates at start-up
SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


class PriorityResolver:
    """``classes()`` returns the current PriorityClass objects (an informer's list)."""

    def __init__(self, classes: Callable[[], list[dict]], get_class: Callable[[str], dict | None]) -> None:
        self._classes = classes
        self._get = get_class

    def priority_of(self, pod: dict) -> int:
        spec = pod.get("spec") or {}
        name = spec.get("priorityClassName") or ""
        if name:
            pc = self._get(name)
            if pc is not None:
                return int(pc.get("value") or 0)
            return SYSTEM_PRIORITY_CLASSES.get(name, 0)
        for pc in self._classes():
            if pc.get("globalDefault"):
                return int(pc.get("value") or 0)
        return 0

    def resolve(self, pod: dict) -> dict:
        """``pod`` itself if it has ``spec.priority``, else a shallow copy that has it."""
        spec = pod.get("spec")
        if spec is None or spec.get("priority") is not None:
            return pod
        out: dict[str, Any] = dict(pod)
        out["spec"] = {**spec, "priority": self.priority_of(pod)}
        return out
