"""The status a kubelet reports for a pod whose containers all started: Running and Ready.

A pure function of the pod, its IPs and the time, written once per pod. The shape
follows the kubelet: the five pod conditions in its order, one containerStatus per
container (running, started, ready, no restarts), init containers terminated with
``Completed`` (or running, for sidecars with ``restartPolicy: Always``), and
container IDs in the ``<runtime>://<id>`` form. ``qosClass`` is left as the API
server computed it (the write is a merge patch that does not mention it).
"""

from __future__ import annotations

import hashlib

from .nodeobject import RUNTIME

__all__ = ["running_pod_status"]

_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _image_id(image: str) -> str:
    """What a runtime reports as the image ID: the image by digest (made up, but stable)."""
    if "@sha256:" in image:
        return image
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@sha256:{_digest(image)}"


def _container_id(pod_uid: str, container: str) -> str:
    return f"{RUNTIME}://{_digest(f'{pod_uid}/{container}')}"


def _running(pod_uid: str, container: dict, now: str) -> dict:
    image = container.get("image", "")
    return {"name": container["name"], "image": image, "imageID": _image_id(image),
            "containerID": _container_id(pod_uid, container["name"]), "ready": True, "started": True,
            "restartCount": 0, "state": {"running": {"startedAt": now}}, "lastState": {}}


def _completed(pod_uid: str, container: dict, now: str) -> dict:
    image = container.get("image", "")
    cid = _container_id(pod_uid, container["name"])
    return {"name": container["name"], "image": image, "imageID": _image_id(image), "containerID": cid,
            "ready": True, "started": False, "restartCount": 0, "lastState": {},
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now,
                                     "containerID": cid}}}


def running_pod_status(pod: dict, *, host_ip: str, pod_ip: str, now: str) -> dict:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    uid = meta.get("uid", "")
    scheduled = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), None)
    conditions = []
    for ctype in _CONDITIONS:
        since = (scheduled or {}).get("lastTransitionTime") if ctype == "PodScheduled" else None
        conditions.append({"type": ctype, "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": since or now})
    init = []
    for c in spec.get("initContainers") or []:
        sidecar = c.get("restartPolicy") == "Always"
        init.append(_running(uid, c, now) if sidecar else _completed(uid, c, now))
    new = {
        "phase": "Running",
        "conditions": conditions,
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
        "startTime": status.get("startTime") or now,
        "containerStatuses": [_running(uid, c, now) for c in spec.get("containers") or []],
    }
    if init:
        new["initContainerStatuses"] = init
    return new
