"""Small facts about pods that several components derive the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["container_spec", "qos_class"]


def qos_class(pod: Mapping[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort, from the cpu and memory requests and limits
    of all containers (upstream's ComputePodQOS)."""
    requests_seen = limits_seen = False
    guaranteed = True
    spec = pod.get("spec") or {}
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        res = c.get("resources") or {}
        req = {k: v for k, v in (res.get("requests") or {}).items() if k in ("cpu", "memory")}
        lim = {k: v for k, v in (res.get("limits") or {}).items() if k in ("cpu", "memory")}
        requests_seen = requests_seen or bool(req)
        limits_seen = limits_seen or bool(lim)
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and str(req[r]) != str(lim[r])):
                guaranteed = False
    if not requests_seen and not limits_seen:
        return "BestEffort"
    return "Guaranteed" if guaranteed and limits_seen else "Burstable"


def container_spec(pod: Mapping[str, Any], name: str) -> dict:
    """A container (app, init or ephemeral) of the pod by name; just the name if it has none such."""
    spec = pod.get("spec") or {}
    return next((c for key in ("containers", "initContainers", "ephemeralContainers") for c in spec.get(key) or []
                 if c.get("name") == name), {"name": name})
