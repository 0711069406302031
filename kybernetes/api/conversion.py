"""Conversion between the versions of a kind that share one storage location.

Objects are stored in their resource's ``storage_version`` (and group); a
request in another version is converted on the way in, and answers on the way
out. Kinds whose versions differ only in ``apiVersion`` need nothing more;
the two with real differences here are Event (core/v1 <-> events.k8s.io/v1)
and HorizontalPodAutoscaler (autoscaling/v1 <-> v2).
"""

from __future__ import annotations

from typing import Callable

from .registry import Resource

# core/v1 Event field -> events.k8s.io/v1 Event field
_EVENT_FIELDS = {
    "involvedObject": "regarding",
    "message": "note",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
    "reportingComponent": "reportingController",
}
_EVENT_FIELDS_BACK = {v: k for k, v in _EVENT_FIELDS.items()}


def _rename(obj: dict, mapping: dict[str, str], api_version: str) -> dict:
    out = {"kind": obj.get("kind"), "apiVersion": api_version}
    for k, v in obj.items():
        if k in ("kind", "apiVersion"):
            continue
        out[mapping.get(k, k)] = v
    return out


def _event_to_core(obj: dict) -> dict:
    out = _rename(obj, _EVENT_FIELDS_BACK, "v1")
    if out.get("source") is None:
        out["source"] = {}
    out.setdefault("involvedObject", {})
    if "reportingInstance" not in out:
        out["reportingInstance"] = ""
    return out


def _event_from_core(obj: dict) -> dict:
    out = _rename(obj, _EVENT_FIELDS, "events.k8s.io/v1")
    src = out.get("deprecatedSource")
    if not src:
        out.pop("deprecatedSource", None)
    for k in ("deprecatedFirstTimestamp", "deprecatedLastTimestamp"):
        if out.get(k) is None:
            out.pop(k, None)
    if not out.get("deprecatedCount"):
        out.pop("deprecatedCount", None)
    if "eventTime" not in out:
        out["eventTime"] = None
    return out


def _hpa_v1_to_v2(obj: dict) -> dict:
    out = dict(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = dict(obj.get("spec") or {})
    cpu = spec.pop("targetCPUUtilizationPercentage", None)
    if cpu is not None:
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}]
    out["spec"] = spec
    status = dict(obj.get("status") or {})
    cur = status.pop("currentCPUUtilizationPercentage", None)
    if cur is not None:
        status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cur}}}]
    if status or "status" in obj:
        out["status"] = status
    return out


def _hpa_v2_to_v1(obj: dict) -> dict:
    out = dict(obj)
    out["apiVersion"] = "autoscaling/v1"
    spec = dict(obj.get("spec") or {})
    for m in spec.pop("metrics", None) or []:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu":
            util = (res.get("target") or {}).get("averageUtilization")
            if util is not None:
                spec["targetCPUUtilizationPercentage"] = util
    spec.pop("behavior", None)
    out["spec"] = spec
    status = dict(obj.get("status") or {})
    for m in status.pop("currentMetrics", None) or []:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu":
            util = (res.get("current") or {}).get("averageUtilization")
            if util is not None:
                status["currentCPUUtilizationPercentage"] = util
    status.pop("conditions", None)
    out["status"] = status
    return out


_CONVERTERS: dict[tuple[str, str], Callable[[dict], dict]] = {
    ("events.k8s.io/v1", "v1"): _event_to_core,
    ("v1", "events.k8s.io/v1"): _event_from_core,
    ("autoscaling/v1", "autoscaling/v2"): _hpa_v1_to_v2,
    ("autoscaling/v2", "autoscaling/v1"): _hpa_v2_to_v1,
}


def storage_api_version(resource: Resource) -> str:
    group = resource.group
    if resource.storage_key == "core/events":
        group = ""
    return f"{group}/{resource.storage_version}" if group else resource.storage_version


def needs_conversion(resource: Resource) -> bool:
    return storage_api_version(resource) != resource.api_version


def convert(obj: dict, to_api_version: str) -> dict:
    """Convert ``obj`` (any served version) to ``to_api_version``."""
    src = obj.get("apiVersion", "")
    if src == to_api_version:
        return obj
    fn = _CONVERTERS.get((src, to_api_version))
    if fn is not None:
        return fn(obj)
    out = dict(obj)
    out["apiVersion"] = to_api_version
    # keep kind first, apiVersion second
    return {"kind": out.pop("kind", None), "apiVersion": out.pop("apiVersion"), **out}
