"""A pod's status as the kubelet reports it (generateAPIPodStatus), from what the pod
worker knows: the runtime's containers of each name (latest attempt and the one
before), why a container is waiting, and what the probes say.

- ``containerStatuses``/``initContainerStatuses``, one per container of the spec, in
  spec order: ``state`` (waiting with a reason, running, or terminated with exit code
  and reason ``Completed``/``Error``/``OOMKilled``), ``lastState`` (the attempt before),
  ``restartCount``, ``ready``, ``started``, ``image``, ``imageID``, ``containerID``;
- ``phase`` (upstream's getPhase);
- conditions ``PodReadyToStartContainers``, ``Initialized``, ``Ready``,
  ``ContainersReady`` (``PodScheduled`` is the scheduler's and is kept as it is).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .runtime.runc import ContainerState

__all__ = ["ContainerView", "Waiting", "container_status", "pod_conditions", "pod_phase", "rfc3339"]

CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Waiting:
    reason: str
    message: str = ""


@dataclass
class ContainerView:
    """What the worker knows of one container of the spec."""
    name: str
    image: str
    current: ContainerState | None = None      # the latest attempt
    previous: ContainerState | None = None     # the one before (lastState)
    waiting: Waiting | None = None             # why no attempt runs now, when one should
    ready: bool = False
    started: bool = False
    image_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.current is not None and self.current.state == "running"

    @property
    def terminated(self) -> bool:
        return self.current is not None and self.current.state == "exited" and self.waiting is None

    @property
    def succeeded(self) -> bool:
        return self.terminated and self.current is not None and self.current.exit_code == 0


def _terminated(st: ContainerState) -> dict[str, Any]:
    code = st.exit_code if st.exit_code is not None else 255
    reason = st.reason or ("OOMKilled" if st.oom_killed else "Completed" if code == 0 else "Error")
    out: dict[str, Any] = {"exitCode": code, "reason": reason, "startedAt": rfc3339(st.started_at),
                           "finishedAt": rfc3339(st.finished_at), "containerID": f"runc://{st.id}"}
    return out


def container_status(view: ContainerView) -> dict[str, Any]:
    cur = view.current
    if view.waiting is not None:
        waiting = {"reason": view.waiting.reason}
        if view.waiting.message:
            waiting["message"] = view.waiting.message
        state: dict[str, Any] = {"waiting": waiting}
    elif cur is None or cur.state == "created":
        state = {"waiting": {"reason": "ContainerCreating"}}
    elif cur.state == "running":
        state = {"running": {"startedAt": rfc3339(cur.started_at)}}
    else:
        state = {"terminated": _terminated(cur)}
    # a container waiting to restart shows its last run as lastState
    last = cur if view.waiting is not None and cur is not None and cur.state == "exited" else view.previous
    out: dict[str, Any] = {
        "name": view.name,
        "state": state,
        "lastState": {"terminated": _terminated(last)} if last is not None and last.state == "exited" else {},
        "ready": view.ready and view.running,
        "restartCount": cur.meta.attempt if cur is not None else 0,
        "image": view.image,
        "imageID": view.image_id,
        "started": view.started and view.running,
    }
    if cur is not None:
        out["containerID"] = f"runc://{cur.id}"
    return out


def _restarts(policy: str, view: ContainerView) -> bool:
    """Whether a terminated container will be started again."""
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return not view.succeeded
    return False


def pod_phase(spec: Mapping[str, Any], inits: list[ContainerView], apps: list[ContainerView]) -> str:
    policy = spec.get("restartPolicy") or "Always"
    for v in inits:
        if v.succeeded:
            continue
        if v.terminated and policy == "Never":
            return "Failed"
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for v in apps:
        if v.running:
            running += 1
        elif v.terminated:
            stopped += 1
            succeeded += v.succeeded
        elif v.current is not None and v.current.state == "exited":
            stopped += 1   # waiting to restart after a run: it did start once
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def _condition(ctype: str, ok: bool, now: str, old: Mapping[str, Mapping[str, Any]],
               reason: str = "", message: str = "") -> dict[str, Any]:
    status = "True" if ok else "False"
    prev = old.get(ctype)
    since = prev.get("lastTransitionTime") if prev and prev.get("status") == status else now
    cond: dict[str, Any] = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": since}
    if not ok and reason:
        cond["reason"] = reason
        cond["message"] = message
    return cond


def pod_conditions(pod: Mapping[str, Any], inits: list[ContainerView], apps: list[ContainerView], *,
                   sandbox_ready: bool, phase: str, now: str) -> list[dict[str, Any]]:
    old = {c.get("type"): c for c in ((pod.get("status") or {}).get("conditions") or [])}
    unfinished = [v.name for v in inits if not v.succeeded]
    initialized = not unfinished
    unready = [v.name for v in apps if not (v.ready and v.running)]
    if phase == "Succeeded":
        unready = []   # upstream: a pod that completed is not Ready, but with reason PodCompleted
    gates = [g.get("conditionType") for g in (pod.get("spec") or {}).get("readinessGates") or []]
    missing_gates = [g for g in gates if (old.get(g) or {}).get("status") != "True"]
    containers_ready = not unready and phase != "Succeeded"
    ready = containers_ready and not missing_gates
    conds = {
        "PodReadyToStartContainers": _condition("PodReadyToStartContainers", sandbox_ready, now, old),
        "Initialized": _condition("Initialized", initialized, now, old, "ContainersNotInitialized",
                                  f"containers with incomplete status: [{' '.join(unfinished)}]"),
        "ContainersReady": _condition("ContainersReady", containers_ready, now, old,
                                      "PodCompleted" if phase == "Succeeded" else "ContainersNotReady",
                                      "" if phase == "Succeeded" else
                                      f"containers with unready status: [{' '.join(unready)}]"),
    }
    if missing_gates and not unready:
        conds["Ready"] = _condition("Ready", False, now, old, "ReadinessGatesNotReady",
                                    f"corresponding condition of pod readiness gate \"{missing_gates[0]}\" "
                                    "does not exist." if missing_gates[0] not in old else
                                    f"the status of pod readiness gate \"{missing_gates[0]}\" is not \"True\", "
                                    f"but {old[missing_gates[0]].get('status')}")
    else:
        conds["Ready"] = _condition("Ready", ready, now, old, conds["ContainersReady"].get("reason", ""),
                                    conds["ContainersReady"].get("message", ""))
    for c in conds.values():
        if c["status"] == "False" and c.get("reason") == "PodCompleted":
            c.pop("message", None)
    out = [conds[t] for t in CONDITION_ORDER if t in conds]
    out += [c for t, c in old.items() if t not in conds]   # PodScheduled, gates, DisruptionTarget, ...
    return out
