"""The FailedScheduling message, worded and ordered as upstream's FitError, and the
pieces of the algorithm that need no framework."""

from __future__ import annotations

import random

from kybernetes.scheduler.algorithm import adaptive_num_feasible_nodes, select_host
from kybernetes.scheduler.errors import NO_NODES_AVAILABLE, FitError, NoNodesAvailable, fit_error_message
from kybernetes.scheduler.types import NodeScore, Status

TAINT = "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"


def test_reasons_counted_sorted_and_post_filter_appended():
    statuses = {
        "cp": Status.unresolvable(TAINT),
        "w1": Status.unschedulable("Insufficient cpu"),
        "w2": Status.unschedulable("Insufficient cpu"),
    }
    msg = fit_error_message(3, statuses, post_filter_msg=(
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."))
    assert msg == ("0/3 nodes are available: 1 node(s) had untolerated taint "
                   "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are "
                   "available: 3 Preemption is not helpful for scheduling.")


def test_a_node_with_several_reasons_counts_each_and_sorting_is_by_string():
    statuses = {f"n{i}": Status.unschedulable("Insufficient memory") for i in range(10)}
    statuses["x"] = Status.unschedulable("Insufficient cpu", "Insufficient memory")
    statuses["y"] = Status.unschedulable("Insufficient cpu")
    msg = fit_error_message(12, statuses)
    # "11 ..." sorts before "2 ..." as strings, exactly as upstream's sort.Strings
    assert msg == "0/12 nodes are available: 11 Insufficient memory, 2 Insufficient cpu."


def test_pre_filter_message_is_not_repeated_per_node():
    st = Status.unresolvable("node(s) didn't match pod topology spread constraints (missing required label)")
    msg = fit_error_message(2, {"a": st, "b": st}, pre_filter_msg=st.message)
    assert msg == ("0/2 nodes are available: node(s) didn't match pod topology spread constraints "
                   "(missing required label).")


def test_absent_nodes_are_counted_with_their_status():
    msg = fit_error_message(5, {"a": Status.unschedulable("Insufficient cpu")},
                            absent_status=Status.unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]"))
    assert msg == "0/5 nodes are available: 1 Insufficient cpu, 4 node(s) didn't satisfy plugin(s) [NodeAffinity]."


def test_fit_error_and_no_nodes():
    err = FitError("default/p", 1, {"a": Status.unschedulable("Insufficient cpu")})
    assert str(err) == "0/1 nodes are available: 1 Insufficient cpu."
    assert NoNodesAvailable("default/p", 0).message == NO_NODES_AVAILABLE == "no nodes available to schedule pods"


def test_adaptive_number_of_feasible_nodes():
    assert adaptive_num_feasible_nodes(50, 0) == 50
    assert adaptive_num_feasible_nodes(5000, 0) == 5000 * 10 // 100
    assert adaptive_num_feasible_nodes(200, 0) == 100
    assert adaptive_num_feasible_nodes(1000, 30) == 300


def test_select_host_takes_the_best_and_breaks_ties_at_random():
    assert select_host([NodeScore("a", 1), NodeScore("b", 7), NodeScore("c", 3)]) == "b"
    rng = random.Random(1)
    picks = {select_host([NodeScore("a", 5), NodeScore("b", 5), NodeScore("c", 1)], rng) for _ in range(50)}
    assert picks == {"a", "b"}
