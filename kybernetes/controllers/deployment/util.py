"""Pure helpers of the Deployment controller: no I/O, plain dicts in and out.

Everything here decides *what* the controller should do (which ReplicaSet is the
new one, how many replicas each one gets, which annotations and conditions to
write); :mod:`.controller` only reads caches and performs the writes. Keeping
the arithmetic here lets the unit tests check it against upstream's cases
(pkg/controller/deployment/util in kubernetes/kubernetes) without a server.

Conventions: a Deployment or ReplicaSet is a dict as served by the API server
(defaulted, so ``spec.replicas`` is present); functions that change an object
say so and mutate the copy they are given; times are POSIX seconds.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from typing import Any

from ..base import parse_time, rfc3339

__all__ = [
    "AVAILABLE", "DESIRED_REPLICAS_ANNOTATION", "MAX_REPLICAS_ANNOTATION", "POD_TEMPLATE_HASH_LABEL",
    "PROGRESSING", "REPLICA_FAILURE", "REVISION_ANNOTATION", "REVISION_HISTORY_ANNOTATION",
    "calculate_status", "compute_hash", "deployment_complete", "deployment_progressing",
    "deployment_timed_out", "filter_active", "find_new_replica_set", "find_old_replica_sets",
    "max_surge", "max_unavailable", "new_rs_replicas", "proportional_scale", "resolve_fenceposts",
    "safe_encode", "scaled_value", "set_new_rs_annotations",
]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
POD_TEMPLATE_HASH_LABEL = "pod-template-hash"

# annotations of the Deployment that are about the Deployment itself, not its pods' history
ANNOTATIONS_NOT_COPIED = frozenset({LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
                                    DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION,
                                    ROLLBACK_TO_ANNOTATION})
MAX_REVISION_HISTORY_CHARS = 2000   # upstream caps revision-history at this many characters
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # no vowels (no words), no 0/1/3 (look like letters)
MAX_INT32 = 2**31 - 1               # progressDeadlineSeconds of "no deadline"

PROGRESSING, AVAILABLE, REPLICA_FAILURE = "Progressing", "Available", "ReplicaFailure"
REASON_NEW_RS = "NewReplicaSetCreated"
REASON_FOUND_NEW_RS = "FoundNewReplicaSet"
REASON_RS_UPDATED = "ReplicaSetUpdated"
REASON_NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
REASON_TIMED_OUT = "ProgressDeadlineExceeded"
REASON_FAILED_RS_CREATE = "ReplicaSetCreateError"
REASON_PAUSED = "DeploymentPaused"
REASON_RESUMED = "DeploymentResumed"
REASON_MIN_AVAILABLE = "MinimumReplicasAvailable"
REASON_MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# ---------------------------------------------------------------------------- small accessors
def meta(obj: dict | None) -> dict:
    return (obj or {}).get("metadata") or {}


def spec(obj: dict | None) -> dict:
    return (obj or {}).get("spec") or {}


def status(obj: dict | None) -> dict:
    return (obj or {}).get("status") or {}


def annotations(obj: dict | None) -> dict:
    return meta(obj).get("annotations") or {}


def replicas(obj: dict | None) -> int:
    """``spec.replicas`` of a Deployment or ReplicaSet (the API defaults a missing one to 1)."""
    r = spec(obj).get("replicas")
    return 1 if r is None else int(r)


def _count(obj: dict | None, field: str) -> int:
    return int(status(obj).get(field) or 0)


# ---------------------------------------------------------------------------- template hash
def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(s: str) -> str:
    """Map each character onto :data:`SAFE_ALPHABET` (upstream's rand.SafeEncodeString), so
    names built from hashes never spell words and stay valid DNS labels."""
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in s)


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """The ``pod-template-hash`` of a pod template: FNV-32a of its canonical JSON (sorted
    keys, no spaces), then the collision count as four little-endian bytes when set.
    Stable across processes and restarts, which is what lets a restarted controller
    find the ReplicaSets it made."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if collision_count is not None:
        data += int(collision_count & 0xFFFFFFFF).to_bytes(4, "little")
    return safe_encode(str(fnv32a(data)))


def _normalized(value: Any) -> Any:
    """Drop empty maps/lists/None so ``{}`` and a missing field compare equal (as Go's
    typed structs, where an empty map and an absent one both mean 'none')."""
    if isinstance(value, dict):
        out = {k: _normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def template_without_hash(template: dict | None) -> dict:
    t = copy.deepcopy(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH_LABEL, None)
    return _normalized(t)


def equal_ignore_hash(a: dict | None, b: dict | None) -> bool:
    """Whether two pod templates are the same but for the ``pod-template-hash`` label."""
    return template_without_hash(a) == template_without_hash(b)


# ---------------------------------------------------------------------------- surge / unavailable
def scaled_value(value: int | str | None, total: int, *, round_up: bool) -> int:
    """An IntOrString such as ``2`` or ``"25%"`` as a number of replicas out of ``total``."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    s = str(value)
    if not s.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage ({s!r})")
    try:
        pct = int(s[:-1])
    except ValueError:
        raise ValueError(f"invalid value {s!r}: not an integer percentage") from None
    exact = pct * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(surge: int | str | None, unavailable: int | str | None, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) in replicas: surge rounds up, unavailable rounds down,
    and when both come out zero one replica may be unavailable, or nothing could move."""
    s = scaled_value(surge, desired, round_up=True)
    u = scaled_value(unavailable, desired, round_up=False)
    if s == 0 and u == 0:
        u = 1
    return s, u


def strategy_type(d: dict) -> str:
    return (spec(d).get("strategy") or {}).get("type") or "RollingUpdate"


def is_rolling(d: dict) -> bool:
    return strategy_type(d) == "RollingUpdate"


def _rolling_params(d: dict) -> tuple[Any, Any]:
    ru = (spec(d).get("strategy") or {}).get("rollingUpdate") or {}
    return ru.get("maxSurge"), ru.get("maxUnavailable")


def max_surge(d: dict) -> int:
    if not is_rolling(d):
        return 0
    return resolve_fenceposts(*_rolling_params(d), replicas(d))[0]


def max_unavailable(d: dict) -> int:
    """Never more than the Deployment's replicas; 0 for Recreate and for zero replicas."""
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    return min(resolve_fenceposts(*_rolling_params(d), replicas(d))[1], replicas(d))


def has_progress_deadline(d: dict) -> bool:
    pds = spec(d).get("progressDeadlineSeconds")
    return pds is not None and int(pds) != MAX_INT32


# ---------------------------------------------------------------------------- ordering and finding
def _created_key(rs: dict) -> tuple:
    return (parse_time(meta(rs).get("creationTimestamp")) or 0.0, meta(rs).get("name", ""))


def by_creation(rses: Iterable[dict]) -> list[dict]:
    """Oldest first; the name breaks ties (timestamps have one-second resolution)."""
    return sorted(rses, key=_created_key)


def revision_of(obj: dict | None) -> int:
    try:
        return int(annotations(obj).get(REVISION_ANNOTATION) or 0)
    except ValueError:
        return 0


def max_revision(rses: Iterable[dict | None]) -> int:
    return max((revision_of(rs) for rs in rses if rs is not None), default=0)


def by_revision(rses: Iterable[dict]) -> list[dict]:
    return sorted(rses, key=lambda rs: (revision_of(rs), *_created_key(rs)))


def find_new_replica_set(d: dict, rses: Iterable[dict]) -> dict | None:
    """The ReplicaSet running the Deployment's current template; the oldest wins if there
    are several (which can only come from a past hash collision)."""
    want = template_without_hash(spec(d).get("template"))
    for rs in by_creation(rses):
        if template_without_hash(spec(rs).get("template")) == want:
            return rs
    return None


def find_old_replica_sets(d: dict, rses: list[dict]) -> tuple[list[dict], list[dict]]:
    """(old ReplicaSets that still want pods, all old ReplicaSets)."""
    new = find_new_replica_set(d, rses)
    new_uid = meta(new).get("uid") if new is not None else None
    old = [rs for rs in rses if new is None or meta(rs).get("uid") != new_uid]
    return [rs for rs in old if replicas(rs) != 0], old


def filter_active(rses: Iterable[dict | None]) -> list[dict]:
    return [rs for rs in rses if rs is not None and replicas(rs) > 0]


def find_active_or_latest(new: dict | None, olds: list[dict]) -> dict | None:
    """The one ReplicaSet to give all replicas to, when that is unambiguous: the only active
    one, or (none active) the new one, else the newest old one. None when several are active."""
    active = filter_active([*olds, new])
    if not active:
        if new is not None:
            return new
        return by_creation(olds)[-1] if olds else None
    return active[0] if len(active) == 1 else None


def replica_count(rses: Iterable[dict | None]) -> int:
    """Sum of ``spec.replicas`` (what the ReplicaSets are asked to run)."""
    return sum(replicas(rs) for rs in rses if rs is not None)


def actual_count(rses: Iterable[dict | None]) -> int:
    return sum(_count(rs, "replicas") for rs in rses if rs is not None)


def ready_count(rses: Iterable[dict | None]) -> int:
    return sum(_count(rs, "readyReplicas") for rs in rses if rs is not None)


def available_count(rses: Iterable[dict | None]) -> int:
    return sum(_count(rs, "availableReplicas") for rs in rses if rs is not None)


# ---------------------------------------------------------------------------- annotations
def _annotations_of(rs: dict) -> dict:
    return rs.setdefault("metadata", {}).setdefault("annotations", {})


def replicas_annotations_need_update(rs: dict, desired: int, max_replicas: int) -> bool:
    a = annotations(rs)
    return a.get(DESIRED_REPLICAS_ANNOTATION) != str(desired) or a.get(MAX_REPLICAS_ANNOTATION) != str(max_replicas)


def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    """Record the Deployment size (and size plus surge) the ReplicaSet was scaled for: the
    proportions of a later scale during a rollout are worked out from these. Mutates ``rs``."""
    if not replicas_annotations_need_update(rs, desired, max_replicas):
        return False
    a = _annotations_of(rs)
    a[DESIRED_REPLICAS_ANNOTATION] = str(desired)
    a[MAX_REPLICAS_ANNOTATION] = str(max_replicas)
    return True


def copy_deployment_annotations(d: dict, rs: dict) -> bool:
    """Copy the Deployment's annotations (e.g. ``kubernetes.io/change-cause``, which
    ``kubectl rollout history`` shows) onto the ReplicaSet. Mutates ``rs``."""
    changed = False
    for k, v in annotations(d).items():
        if k in ANNOTATIONS_NOT_COPIED or annotations(rs).get(k) == v:
            continue
        _annotations_of(rs)[k] = v
        changed = True
    return changed


def set_new_rs_annotations(d: dict, rs: dict, new_revision: int, *, exists: bool,
                           history_limit_chars: int = MAX_REVISION_HISTORY_CHARS) -> bool:
    """Bring the new ReplicaSet's annotations up to date: copied Deployment annotations,
    the revision (only ever raised) and, when an older revision is reused (a rollback),
    that older number appended to ``revision-history``; a ReplicaSet about to be created
    also gets the replicas annotations. Mutates ``rs``; returns whether anything changed."""
    changed = copy_deployment_annotations(d, rs)
    a = _annotations_of(rs)
    had_revision = REVISION_ANNOTATION in a
    old_text = a.get(REVISION_ANNOTATION, "")
    try:
        old_revision = int(old_text) if old_text else 0
    except ValueError:
        return changed  # someone wrote nonsense; leave it alone, as upstream does
    if old_revision < new_revision:
        a[REVISION_ANNOTATION] = str(new_revision)
        changed = True
        if had_revision:
            history = a.get(REVISION_HISTORY_ANNOTATION, "")
            if not history:
                a[REVISION_HISTORY_ANNOTATION] = old_text
            else:
                entries = history.split(",")
                total = len(history) + len(old_text) + 1
                start = 0
                while total > history_limit_chars and start < len(entries):
                    total -= len(entries[start]) + 1  # drop the oldest entries to make room
                    start += 1
                if total <= history_limit_chars:
                    a[REVISION_HISTORY_ANNOTATION] = ",".join([*entries[start:], old_text])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def desired_replicas_annotation(rs: dict) -> int | None:
    try:
        return int(annotations(rs)[DESIRED_REPLICAS_ANNOTATION])
    except (KeyError, ValueError):
        return None


def max_replicas_annotation(rs: dict) -> int | None:
    try:
        return int(annotations(rs)[MAX_REPLICAS_ANNOTATION])
    except (KeyError, ValueError):
        return None


# ---------------------------------------------------------------------------- sizing
def new_rs_replicas(d: dict, all_rses: list[dict | None], new_rs: dict) -> int:
    """How big the new ReplicaSet may be now: all at once for Recreate; for RollingUpdate
    as much as ``replicas + maxSurge`` leaves room for, never past ``replicas``."""
    if not is_rolling(d):
        return replicas(d)
    surge, _ = resolve_fenceposts(*_rolling_params(d), replicas(d))
    current = replica_count(all_rses)
    ceiling = replicas(d) + surge
    if current >= ceiling:
        return replicas(new_rs)
    room = min(ceiling - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + room


def is_saturated(d: dict, rs: dict | None) -> bool:
    """The new ReplicaSet runs (and was sized for) exactly the Deployment's replicas, all available."""
    if rs is None:
        return False
    want = replicas(d)
    return (replicas(rs) == want and desired_replicas_annotation(rs) == want
            and _count(rs, "availableReplicas") == want)


def is_scaling_event(d: dict, rses: Iterable[dict | None]) -> bool:
    """The Deployment's replicas changed since its active ReplicaSets were last sized."""
    for rs in filter_active(rses):
        desired = desired_replicas_annotation(rs)
        if desired is not None and desired != replicas(d):
            return True
    return False


def _fraction(rs: dict, d: dict) -> int:
    """How many replicas ``rs`` should gain (or lose) to keep its share of the Deployment."""
    if replicas(d) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = max_replicas_annotation(rs)
    if annotated is None:
        # no record of the size it was made for: assume the current one (may misjudge the
        # share, but the min/max bounds in proportion() keep the total right)
        annotated = _count(d, "replicas")
    if annotated <= 0:
        return deployment_replicas - replicas(rs)
    return math.floor(replicas(rs) * deployment_replicas / annotated + 0.5) - replicas(rs)


def _proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _fraction(rs, d)
    allowed = to_add - added
    # never hand out more than is left to add (or take more than is left to remove)
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def proportional_scale(d: dict, active: list[dict]) -> tuple[list[tuple[dict, int]], str]:
    """New sizes for the active ReplicaSets of a Deployment whose size changed during a
    rollout: each keeps its share of ``replicas + maxSurge``; rounding leftovers go to
    the first in order (largest; on ties the newest when growing, the oldest when
    shrinking). Returns ([(rs, new size)] in that order, "up" | "down" | "")."""
    current = replica_count(active)
    allowed = replicas(d) + max_surge(d) if replicas(d) > 0 else 0
    to_add = allowed - current
    if to_add > 0:
        # largest first; among equals the newest first
        ordered = sorted(by_creation(active), key=lambda rs: -replicas(rs))
        ordered = _newer_first_among_equals(ordered)
        op = "up"
    elif to_add < 0:
        ordered = sorted(by_creation(active), key=lambda rs: -replicas(rs))  # stable: oldest first among equals
        op = "down"
    else:
        ordered, op = list(active), ""
    sizes: list[int] = []
    added = 0
    for rs in ordered:
        if to_add != 0:
            p = _proportion(rs, d, to_add, added)
            added += p
            sizes.append(replicas(rs) + p)
        else:
            sizes.append(replicas(rs))
    if ordered and to_add != 0:
        sizes[0] = max(0, sizes[0] + to_add - added)
    return list(zip(ordered, sizes, strict=True)), op


def _newer_first_among_equals(rses: list[dict]) -> list[dict]:
    """``rses`` is sorted by size (descending), oldest first among equals: reverse each run of equals."""
    out: list[dict] = []
    i = 0
    while i < len(rses):
        j = i
        while j < len(rses) and replicas(rses[j]) == replicas(rses[i]):
            j += 1
        out.extend(reversed(rses[i:j]))
        i = j
    return out


def unhealthy_cleanup_plan(old_rses: list[dict], max_cleanup: int) -> list[tuple[dict, int]]:
    """Scale down old ReplicaSets' unavailable replicas first (oldest ReplicaSet first, at
    most ``max_cleanup`` in all): they serve nothing, yet would hold the rollout back."""
    plan: list[tuple[dict, int]] = []
    total = 0
    for rs in by_creation(old_rses):
        if total >= max_cleanup:
            break
        unhealthy = replicas(rs) - _count(rs, "availableReplicas")
        if replicas(rs) == 0 or unhealthy <= 0:
            continue
        n = min(max_cleanup - total, unhealthy)
        plan.append((rs, replicas(rs) - n))
        total += n
    return plan


def rolling_scale_down_plan(all_rses: list[dict | None], old_rses: list[dict], d: dict) -> list[tuple[dict, int]]:
    """Scale old ReplicaSets down (oldest first) by as many replicas as are available beyond
    ``replicas - maxUnavailable``."""
    min_available = replicas(d) - max_unavailable(d)
    # a ReplicaSet just scaled down still reports its old availableReplicas until its
    # controller catches up; counting more than it asks for would scale down twice and
    # drop below the minimum (upstream sums the raw status and has that window)
    available = sum(min(replicas(rs), _count(rs, "availableReplicas")) for rs in all_rses if rs is not None)
    if available <= min_available:
        return []
    budget = available - min_available
    plan: list[tuple[dict, int]] = []
    total = 0
    for rs in by_creation(old_rses):
        if total >= budget:
            break
        if replicas(rs) == 0:
            continue
        n = min(replicas(rs), budget - total)
        plan.append((rs, replicas(rs) - n))
        total += n
    return plan


def max_scaled_down(all_rses: list[dict | None], new_rs: dict | None, d: dict) -> int:
    """How many old replicas may go now without dropping below ``replicas - maxUnavailable``,
    counting the new ReplicaSet's not-yet-available replicas as unavailable."""
    min_available = replicas(d) - max_unavailable(d)
    new_unavailable = replicas(new_rs) - _count(new_rs, "availableReplicas") if new_rs is not None else 0
    return replica_count(all_rses) - min_available - new_unavailable


def history_to_delete(old_rses: list[dict], limit: int) -> list[dict]:
    """Old ReplicaSets beyond ``revisionHistoryLimit`` to delete: lowest revisions first,
    and only those fully scaled down (spec and status) with their status caught up."""
    alive = [rs for rs in old_rses if not meta(rs).get("deletionTimestamp")]
    excess = len(alive) - limit
    if excess <= 0:
        return []
    out = []
    for rs in by_revision(alive)[:excess]:
        if (_count(rs, "replicas") != 0 or replicas(rs) != 0
                or int(meta(rs).get("generation") or 0) > int(status(rs).get("observedGeneration") or 0)):
            continue
        out.append(rs)
    return out


# ---------------------------------------------------------------------------- conditions
def new_condition(type_: str, status_: str, reason: str, message: str, now: float) -> dict:
    t = rfc3339(now)
    return {"type": type_, "status": status_, "lastUpdateTime": t, "lastTransitionTime": t,
            "reason": reason, "message": message}


def get_condition(st: dict, type_: str) -> dict | None:
    return next((c for c in st.get("conditions") or [] if c.get("type") == type_), None)


def set_condition(st: dict, cond: dict) -> None:
    """Upstream's SetDeploymentCondition: no change when status and reason are the same;
    keep lastTransitionTime when only the reason changed; the condition moves last."""
    current = get_condition(st, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return
    cond = dict(cond)
    if current is not None and current.get("status") == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    st["conditions"] = [c for c in st.get("conditions") or [] if c.get("type") != cond["type"]] + [cond]


def remove_condition(st: dict, type_: str) -> None:
    if st.get("conditions"):
        st["conditions"] = [c for c in st["conditions"] if c.get("type") != type_]


def rs_condition_to_deployment(c: dict) -> dict:
    return {"type": c.get("type"), "status": c.get("status"), "lastUpdateTime": c.get("lastTransitionTime"),
            "lastTransitionTime": c.get("lastTransitionTime"), "reason": c.get("reason"),
            "message": c.get("message")}


# ---------------------------------------------------------------------------- status
STATUS_COUNTS = ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
                 "unavailableReplicas")


def comparable_status(st: dict) -> dict:
    """A status as it would be written: zero counts and empty conditions omitted (the Go
    fields are ``omitempty``); ``collisionCount`` kept when set, even to 0 (a pointer)."""
    out = {k: int(st[k]) for k in STATUS_COUNTS if st.get(k)}
    if st.get("collisionCount") is not None:
        out["collisionCount"] = int(st["collisionCount"])
    if st.get("conditions"):
        out["conditions"] = [dict(c) for c in st["conditions"]]
    return out


def calculate_status(all_rses: list[dict | None], new_rs: dict | None, d: dict, now: float) -> dict:
    """The Deployment status the ReplicaSets add up to, with the Available condition."""
    available = available_count(all_rses)
    total = replica_count(all_rses)
    st: dict[str, Any] = {
        "observedGeneration": int(meta(d).get("generation") or 0),
        "replicas": actual_count(all_rses),
        "updatedReplicas": actual_count([new_rs]),
        "readyReplicas": ready_count(all_rses),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
        "collisionCount": status(d).get("collisionCount"),
        "conditions": [dict(c) for c in status(d).get("conditions") or []],
    }
    if available >= replicas(d) - max_unavailable(d):
        set_condition(st, new_condition(AVAILABLE, "True", REASON_MIN_AVAILABLE,
                                        "Deployment has minimum availability.", now))
    else:
        set_condition(st, new_condition(AVAILABLE, "False", REASON_MIN_UNAVAILABLE,
                                        "Deployment does not have minimum availability.", now))
    return comparable_status(st)


def deployment_complete(d: dict, st: dict) -> bool:
    want = replicas(d)
    return (int(st.get("updatedReplicas") or 0) == want and int(st.get("replicas") or 0) == want
            and int(st.get("availableReplicas") or 0) == want
            and int(st.get("observedGeneration") or 0) >= int(meta(d).get("generation") or 0))


def deployment_progressing(d: dict, st: dict) -> bool:
    """Did anything move since the status the Deployment has now: more updated, ready or
    available replicas, or fewer old ones?"""
    old = status(d)

    def n(s: dict, k: str) -> int:
        return int(s.get(k) or 0)
    old_old = n(old, "replicas") - n(old, "updatedReplicas")
    new_old = n(st, "replicas") - n(st, "updatedReplicas")
    return (n(st, "updatedReplicas") > n(old, "updatedReplicas") or new_old < old_old
            or n(st, "readyReplicas") > n(old, "readyReplicas")
            or n(st, "availableReplicas") > n(old, "availableReplicas"))


def deployment_timed_out(d: dict, st: dict, now: float) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(st, PROGRESSING)
    if cond is None or cond.get("reason") == REASON_NEW_RS_AVAILABLE:
        return False  # a finished rollout cannot time out
    if cond.get("reason") == REASON_TIMED_OUT:
        return True
    since = parse_time(cond.get("lastUpdateTime"))
    if since is None:
        return False
    return since + int(spec(d)["progressDeadlineSeconds"]) < now


def seconds_until_deadline(d: dict, new_status: dict, now: float) -> float | None:
    """When to look again at a rollout that shows no progress, to notice its deadline pass
    (None when there is nothing to watch for)."""
    cond = get_condition(status(d), PROGRESSING)
    if not has_progress_deadline(d) or cond is None:
        return None
    if deployment_complete(d, new_status) or cond.get("reason") == REASON_TIMED_OUT:
        return None
    since = parse_time(cond.get("lastUpdateTime"))
    if since is None:
        return None
    return max(0.0, since + int(spec(d)["progressDeadlineSeconds"]) - now)


def replica_failures(all_rses: list[dict | None], new_rs: dict | None) -> list[dict]:
    """ReplicaFailure conditions to show on the Deployment: the new ReplicaSet's, else any old one's."""
    def failures(rs: dict | None) -> list[dict]:
        return [rs_condition_to_deployment(c) for c in status(rs).get("conditions") or []
                if c.get("type") == REPLICA_FAILURE]
    found = failures(new_rs)
    if found:
        return found
    return [c for rs in all_rses if rs is not None for c in failures(rs)]
