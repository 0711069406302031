"""The Deployment controller's pure decisions (kybernetes.controllers.deployment.util),
checked against upstream's documented cases and, where inputs vary, with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kybernetes.controllers.deployment import util as u

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def deployment(replicas: int = 3, *, surge=1, unavailable=0, strategy: str = "RollingUpdate",
               annotations: dict | None = None, generation: int = 1, status: dict | None = None, **spec) -> dict:
    strat: dict = {"type": strategy}
    if strategy == "RollingUpdate":
        strat["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"metadata": {"name": "web", "namespace": "ns", "uid": "d-uid", "generation": generation,
                         "annotations": dict(annotations or {})},
            "spec": {"replicas": replicas, "strategy": strat, "selector": {"matchLabels": {"app": "web"}},
                     "template": TEMPLATE, "progressDeadlineSeconds": 600, **spec},
            "status": dict(status or {})}


def rs(name: str, size: int, *, created: str = "2024-01-01T00:00:00Z", available: int = 0,
       revision: int | None = None, max_replicas: int | None = None, desired: int | None = None,
       template: dict | None = None, **status) -> dict:
    ann = {}
    if revision is not None:
        ann[u.REVISION_ANNOTATION] = str(revision)
    if max_replicas is not None:
        ann[u.MAX_REPLICAS_ANNOTATION] = str(max_replicas)
    if desired is not None:
        ann[u.DESIRED_REPLICAS_ANNOTATION] = str(desired)
    return {"metadata": {"name": name, "uid": f"uid-{name}", "creationTimestamp": created, "annotations": ann},
            "spec": {"replicas": size, "template": template or {"metadata": {"labels": {"app": name}}}},
            "status": {"availableReplicas": available, **status}}


# ---------------------------------------------------------------------------- surge / unavailable
@pytest.mark.parametrize(("surge", "unavailable", "desired", "expected"), [
    ("0%", "0%", 0, (0, 1)),        # both zero: one may be unavailable, or nothing could move
    ("39%", "39%", 10, (4, 3)),     # surge rounds up, unavailable down
    ("25%", "25%", 3, (1, 0)),      # the defaults on 3 replicas
    ("25%", "25%", 4, (1, 1)),
    (1, 0, 5, (1, 0)),
    (0, 0, 5, (0, 1)),
    ("100%", "100%", 7, (7, 7)),
    (None, None, 3, (0, 1)),
])
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    assert u.resolve_fenceposts(surge, unavailable, desired) == expected


@pytest.mark.parametrize(("surge", "unavailable"), [("oops", "1%"), ("55%", "urg"), ("5", 1), ("%", 1)])
def test_resolve_fenceposts_rejects_non_percentages(surge, unavailable):
    with pytest.raises(ValueError):
        u.resolve_fenceposts(surge, unavailable, 10)


def test_max_unavailable_is_bounded_and_zero_for_recreate():
    assert u.max_unavailable(deployment(2, surge=0, unavailable=5)) == 2
    assert u.max_unavailable(deployment(0, surge=0, unavailable=5)) == 0
    assert u.max_unavailable(deployment(4, strategy="Recreate")) == 0
    assert u.max_surge(deployment(4, strategy="Recreate")) == 0
    assert u.max_surge(deployment(10, surge="25%")) == 3


@given(pct=st.integers(0, 100), total=st.integers(0, 1000))
def test_scaled_percentages_bracket_the_exact_value(pct, total):
    up = u.scaled_value(f"{pct}%", total, round_up=True)
    down = u.scaled_value(f"{pct}%", total, round_up=False)
    assert down <= pct * total / 100 <= up
    assert up - down in (0, 1)


# ---------------------------------------------------------------------------- new replica set size
@pytest.mark.parametrize(("d", "new", "old", "expected"), [
    (deployment(1, surge=1), 2, 0, 2),         # nothing to add (already at replicas + surge)
    (deployment(6, surge=3), 2, 5, 4),         # room for 2 of the 4 still wanted
    (deployment(6, surge=3), 0, 6, 3),         # surge only
    (deployment(6, surge=3), 5, 0, 6),         # capped at replicas
    (deployment(6, strategy="Recreate"), 0, 6, 6),
])
def test_new_rs_replicas(d, new, old, expected):
    new_rs, old_rs = rs("new", new), rs("old", old)
    assert u.new_rs_replicas(d, [old_rs, new_rs], new_rs) == expected


# ---------------------------------------------------------------------------- hashes
def test_hash_is_stable_and_encoded_safely():
    assert u.safe_encode("0123456789") == "456789bcdf"
    # pinned: a change here renames every ReplicaSet of every existing Deployment
    assert u.compute_hash(TEMPLATE) == "5776f98846"
    assert u.compute_hash(TEMPLATE, 1) == "5ff55f7bd7"
    reordered = {"spec": {"containers": [{"image": "nginx", "name": "c"}]}, "metadata": {"labels": {"app": "web"}}}
    assert u.compute_hash(reordered) == u.compute_hash(TEMPLATE)


@given(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=4), st.integers(0, 2**31 - 1))
def test_hash_alphabet_and_collision_count(labels, collisions):
    template = {"metadata": {"labels": labels}}
    h = u.compute_hash(template, collisions)
    assert h and set(h) <= set(u.SAFE_ALPHABET) and len(h) <= 10
    assert u.compute_hash(template, collisions) == h


# ---------------------------------------------------------------------------- finding replica sets
def test_find_new_replica_set_ignores_hash_and_prefers_oldest():
    d = deployment()
    hashed = {"metadata": {"labels": {"app": "web", u.POD_TEMPLATE_HASH_LABEL: "abc"}, "annotations": {}},
              "spec": TEMPLATE["spec"]}
    older = rs("older", 1, created="2024-01-01T00:00:00Z", template=hashed)
    newer = rs("newer", 1, created="2024-01-02T00:00:00Z", template=hashed)
    other = rs("other", 1, created="2023-01-01T00:00:00Z")
    assert u.find_new_replica_set(d, [newer, other, older]) is older
    with_pods, all_old = u.find_old_replica_sets(d, [newer, other, older, rs("empty", 0)])
    assert [r["metadata"]["name"] for r in with_pods] == ["newer", "other"]
    assert len(all_old) == 3
    assert u.find_new_replica_set(d, [other]) is None


def test_find_active_or_latest():
    new, old1, old2 = rs("new", 0), rs("a", 0, created="2024-01-01T00:00:00Z"), rs("b", 0, created="2024-01-02T00:00:00Z")
    assert u.find_active_or_latest(new, [old1, old2]) is new
    assert u.find_active_or_latest(None, [old1, old2]) is old2
    busy = rs("busy", 2)
    assert u.find_active_or_latest(new, [busy, old1]) is busy
    assert u.find_active_or_latest(rs("n", 1), [busy]) is None


# ---------------------------------------------------------------------------- annotations and revisions
def test_new_replica_set_annotations_on_create():
    d = deployment(4, surge=1, annotations={"kubernetes.io/change-cause": "v2", u.REVISION_ANNOTATION: "7",
                                            u.LAST_APPLIED_ANNOTATION: "{}"})
    new = rs("new", 0)
    assert u.set_new_rs_annotations(d, new, 3, exists=False)
    assert new["metadata"]["annotations"] == {
        "kubernetes.io/change-cause": "v2", u.REVISION_ANNOTATION: "3",
        u.DESIRED_REPLICAS_ANNOTATION: "4", u.MAX_REPLICAS_ANNOTATION: "5"}
    assert not u.set_new_rs_annotations(d, new, 3, exists=True)   # nothing left to change


def test_reused_revision_goes_to_history():
    d = deployment()
    back = rs("back", 0, revision=1)
    assert u.set_new_rs_annotations(d, back, 3, exists=True)
    assert back["metadata"]["annotations"][u.REVISION_ANNOTATION] == "3"
    assert back["metadata"]["annotations"][u.REVISION_HISTORY_ANNOTATION] == "1"
    u.set_new_rs_annotations(d, back, 5, exists=True)
    assert back["metadata"]["annotations"][u.REVISION_HISTORY_ANNOTATION] == "1,3"
    # the history is capped: oldest entries drop out first
    u.set_new_rs_annotations(d, back, 6, exists=True, history_limit_chars=4)
    assert back["metadata"]["annotations"][u.REVISION_HISTORY_ANNOTATION] == "3,5"
    # a lower revision never replaces a higher one
    assert not u.set_new_rs_annotations(d, back, 2, exists=True)


def test_revision_helpers():
    assert u.max_revision([rs("a", 0, revision=3), rs("b", 0, revision=12), rs("c", 0), None]) == 12
    assert u.revision_of(rs("bad", 0) | {"metadata": {"annotations": {u.REVISION_ANNOTATION: "x"}}}) == 0


def test_history_to_delete_keeps_limit_and_busy_ones():
    olds = [rs("r1", 0, revision=1), rs("r2", 1, revision=2, replicas=1), rs("r3", 0, revision=3),
            rs("r4", 0, revision=4)]
    names = [r["metadata"]["name"] for r in u.history_to_delete(olds, 1)]
    assert names == ["r1", "r3"]     # r2 still has a replica; r4 is kept by the limit
    assert u.history_to_delete(olds, 10) == []


# ---------------------------------------------------------------------------- proportional scaling
def test_proportional_scale_up_mid_rollout():
    d = deployment(20, surge=3, unavailable=2)
    old, new = rs("old", 8, max_replicas=13), rs("new", 5, created="2024-01-02T00:00:00Z", max_replicas=13)
    plan, op = u.proportional_scale(d, [new, old])
    assert op == "up"
    assert [(r["metadata"]["name"], n) for r, n in plan] == [("old", 14), ("new", 9)]


def test_proportional_scale_down_and_to_zero():
    old, new = rs("old", 8, max_replicas=13), rs("new", 5, created="2024-01-02T00:00:00Z", max_replicas=13)
    plan, op = u.proportional_scale(deployment(5, surge=3, unavailable=2), [new, old])
    assert op == "down" and [n for _, n in plan] == [5, 3]
    plan, _ = u.proportional_scale(deployment(0, surge=3, unavailable=2), [new, old])
    assert [n for _, n in plan] == [0, 0]


def test_proportional_scale_ties_go_to_newest_when_growing():
    a = rs("a", 2, created="2024-01-01T00:00:00Z", max_replicas=5)
    b = rs("b", 2, created="2024-01-02T00:00:00Z", max_replicas=5)
    plan, _ = u.proportional_scale(deployment(4, surge=2), [a, b])     # 4 -> 6: +1 each by share
    assert [r["metadata"]["name"] for r, _ in plan] == ["b", "a"]
    plan, _ = u.proportional_scale(deployment(1, surge=0, unavailable=1), [a, b])   # 4 -> 1
    assert [r["metadata"]["name"] for r, _ in plan] == ["a", "b"]
    assert sum(n for _, n in plan) == 1


@settings(max_examples=300)
@given(sizes=st.lists(st.integers(1, 40), min_size=1, max_size=4),
       replicas=st.integers(0, 120), surge=st.integers(0, 6))
def test_proportional_scale_keeps_total_and_never_goes_negative(sizes, replicas, surge):
    """ReplicaSets sized for one Deployment size (their max-replicas annotation is what they
    add up to), scaled to another: the new sizes add up to replicas + maxSurge, none below 0
    -- except that, as upstream, the leftover of rounding is put on the first ReplicaSet
    and clamped at 0 there (four of 1 scaled to 2: each rounds to 1, the first drops to 0),
    which leaves the total above the target; the rolling update then scales down the rest."""
    total = sum(sizes)
    rses = [rs(f"rs{i}", n, created=f"2024-01-0{i + 1}T00:00:00Z", max_replicas=total) for i, n in enumerate(sizes)]
    d = deployment(replicas, surge=surge, unavailable=1)
    plan, _ = u.proportional_scale(d, rses)
    new_sizes = [n for _, n in plan]
    assert all(n >= 0 for n in new_sizes)
    target = replicas + surge if replicas else 0
    if sum(new_sizes) != target:
        assert new_sizes[0] == 0 and sum(new_sizes) > target
    assert sorted(r["metadata"]["name"] for r, _ in plan) == sorted(r["metadata"]["name"] for r in rses)


def test_scaling_event_and_saturation():
    d = deployment(5)
    assert u.is_scaling_event(d, [rs("a", 3, desired=4), None])
    assert not u.is_scaling_event(d, [rs("a", 3, desired=5), rs("b", 0, desired=1)])
    assert u.is_saturated(d, rs("n", 5, desired=5, available=5))
    assert not u.is_saturated(d, rs("n", 5, desired=5, available=4))


# ---------------------------------------------------------------------------- rolling plans
def test_unhealthy_replicas_are_cleaned_up_first():
    a = rs("a", 3, available=1, created="2024-01-01T00:00:00Z")
    b = rs("b", 2, available=0, created="2024-01-02T00:00:00Z")
    plan = u.unhealthy_cleanup_plan([b, a], 3)
    assert [(r["metadata"]["name"], n) for r, n in plan] == [("a", 1), ("b", 1)]


def test_rolling_scale_down_respects_min_available():
    d = deployment(4, surge=1, unavailable=1)      # at least 3 available
    old = rs("old", 4, available=4)
    new = rs("new", 1, available=1, created="2024-01-02T00:00:00Z")
    plan = u.rolling_scale_down_plan([old, new], [old], d)
    assert [(r["metadata"]["name"], n) for r, n in plan] == [("old", 2)]   # 5 available - 3
    assert u.max_scaled_down([old, new], new, d) == 2                       # 5 - 3 - 0 unavailable new


def test_rolling_scale_down_does_not_count_replicas_already_scaled_away():
    d = deployment(4, surge=1, unavailable=1)      # at least 3 available
    # the old ReplicaSet was just scaled 4 -> 2; its status still says 4 available
    old = rs("old", 2, available=4)
    new = rs("new", 2, available=1, created="2024-01-02T00:00:00Z")
    plan = u.rolling_scale_down_plan([old, new], [old], d)
    assert plan == []                              # 2 + 1 available as asked for: nothing more may go


# ---------------------------------------------------------------------------- conditions and status
def test_set_condition_keeps_transition_time_and_ignores_repeats():
    st_: dict = {}
    u.set_condition(st_, u.new_condition("Progressing", "True", "A", "m", 100.0))
    u.set_condition(st_, u.new_condition("Progressing", "True", "A", "other", 200.0))
    assert st_["conditions"][0]["message"] == "m"
    u.set_condition(st_, u.new_condition("Progressing", "True", "B", "m2", 300.0))
    c = st_["conditions"][0]
    assert c["reason"] == "B" and c["lastTransitionTime"] == u.rfc3339(100.0) and c["lastUpdateTime"] == u.rfc3339(300.0)


def test_calculate_status_and_completion():
    d = deployment(3, surge=1, unavailable=1, generation=2)
    new = rs("new", 3, available=2, replicas=3, readyReplicas=2)
    old = rs("old", 0, replicas=1)
    st_ = u.calculate_status([old, new], new, d, 0.0)
    assert {k: v for k, v in st_.items() if k != "conditions"} == {
        "observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2,
        "unavailableReplicas": 1}
    (avail,) = st_["conditions"]
    assert (avail["type"], avail["status"], avail["reason"]) == ("Available", "True", "MinimumReplicasAvailable")
    assert not u.deployment_complete(d, st_)
    assert u.deployment_complete(d, {**st_, "replicas": 3, "availableReplicas": 3})


def test_progress_and_deadline():
    d = deployment(3, status={"replicas": 4, "updatedReplicas": 1, "availableReplicas": 3})
    assert u.deployment_progressing(d, {"replicas": 4, "updatedReplicas": 2, "availableReplicas": 3})
    assert u.deployment_progressing(d, {"replicas": 3, "updatedReplicas": 1, "availableReplicas": 3})
    assert not u.deployment_progressing(d, {"replicas": 4, "updatedReplicas": 1, "availableReplicas": 3})
    cond = u.new_condition("Progressing", "True", u.REASON_RS_UPDATED, "m", 1000.0)
    st_ = {"conditions": [cond]}
    assert not u.deployment_timed_out(d, st_, 1000.0 + 600)
    assert u.deployment_timed_out(d, st_, 1000.0 + 601)
    done = {"conditions": [{**cond, "reason": u.REASON_NEW_RS_AVAILABLE}]}
    assert not u.deployment_timed_out(d, done, 10**9)
    d["status"]["conditions"] = [cond]
    assert u.seconds_until_deadline(d, {}, 1100.0) == 500.0


def test_replica_failures_prefer_the_new_replica_set():
    fail = {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "quota",
            "lastTransitionTime": "2024-01-01T00:00:00Z"}
    new = rs("new", 1, conditions=[fail])
    old = rs("old", 1, conditions=[{**fail, "message": "old"}])
    (c,) = u.replica_failures([old, new], new)
    assert c["message"] == "quota" and c["lastUpdateTime"] == c["lastTransitionTime"]
    assert u.replica_failures([old], None)[0]["message"] == "old"
    assert u.replica_failures([rs("x", 1)], rs("y", 1)) == []
