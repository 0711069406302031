"""The framework runner: one :class:`Framework` per scheduler profile builds that
profile's plugins and runs them at each extension point, in the profile's order
(upstream's pkg/scheduler/framework/runtime).

The Framework is also the :class:`~.interface.Handle` plugins are built with: it gives
them the cycle's snapshot, the API client, nominated pods, PodDisruptionBudgets, an
event recorder, and ways to re-run Filter and the PreFilter extensions (preemption
simulates on copies of nodes with those).

Conventions the scheduler loop relies on:

* statuses coming out carry ``plugin`` = the plugin that decided;
* a plugin failing with anything other than a rejection becomes ``Code.ERROR`` with
  the message ``running <Point> plugin "<name>": <reason>``;
* :meth:`Framework.run_score` raises :class:`ScoreError` when a plugin errors (the pod
  then fails its cycle with that status).

The batch twins :meth:`Framework.run_filter_batch` and :meth:`Framework.run_score_batch`
answer for many nodes at once over the snapshot's :class:`~.nodetable.NodeTable`, with
the plugins' optional ``filter_batch`` / ``score_batch`` / ``normalize_batch``; they
must give exactly what the per-node methods give (tests/unit/scheduler/
test_batch_equivalence.py holds them to it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .config import Profile
from .interface import ClusterEvent, PostFilterResult, PreFilterResult
from .errors import ScoreError, fit_error_message
from .plugins.helpers import pod_priority
from .plugins.registry import in_tree_registry
from .types import MAX_NODE_SCORE, MIN_NODE_SCORE, Code, CycleState, NodeInfo, NodeScore, PodInfo, Snapshot, Status, pod_key

__all__ = ["Framework", "ScoreError", "fit_error_message", "MAX_PERMIT_TIMEOUT"]

MAX_PERMIT_TIMEOUT = 15 * 60.0          # upstream caps a Permit wait at 15 minutes
_WILDCARD = [ClusterEvent("*", "*")]
# extension points whose plugins can reject a pod, so the queue needs their events
_REJECTING_METHODS = ("pre_enqueue", "pre_filter", "filter", "reserve", "permit")


def _as_error(point: str, name: str, st: Status) -> Status:
    return Status.error(f'running {point} plugin "{name}": {st.message}', plugin=name)


def _stamp(st: Status, name: str) -> Status:
    st.plugin = name
    return st


def _int_array(values: list[int]) -> np.ndarray:
    """int64 when the values fit (they always do for in-tree plugins), else Python ints."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array(values, dtype=object)


class _WaitingPod:
    """A pod held at Permit: every plugin that asked to wait must allow it; any may
    reject it; the first plugin timeout to expire rejects it."""

    def __init__(self, pod: dict, timeouts: dict[str, float]) -> None:
        self.pod = pod
        self.pending = dict(timeouts)        # plugin -> seconds
        self.started = time.monotonic()
        self.status: Status | None = None
        self.done = asyncio.Event()

    def allow(self, plugin: str | None) -> None:
        if plugin is None:
            self.pending.clear()
        else:
            self.pending.pop(plugin, None)
        if not self.pending and self.status is None:
            self.status = Status()
            self.done.set()

    def reject(self, plugin: str, message: str) -> None:
        if self.status is None:
            self.status = Status.unschedulable(message or "rejected", plugin=plugin)
            self.done.set()


class Framework:
    """Runs one profile's plugins; see the module docstring."""

    def __init__(self, profile: Profile, *, client: Any = None, snapshot: Callable[[], Snapshot] = lambda: Snapshot(),
                 nominator: Any = None, pdb_lister: Callable[[str], list[dict]] | None = None, recorder: Any = None,
                 registry: Mapping[str, Callable[[dict, Any], Any]] | None = None,
                 selectors_for: Callable[[dict], list] | None = None) -> None:
        self.profile = profile
        self._client = client
        self._snapshot = snapshot
        self._nominator = nominator
        self._pdb_lister = pdb_lister
        self._recorder = recorder
        self._selectors_for = selectors_for
        self._waiting: dict[str, _WaitingPod] = {}
        registry = registry if registry is not None else in_tree_registry()
        self._plugins: dict[str, Any] = {}
        for name in profile.all_plugin_names():
            if name not in registry:
                raise ValueError(f"plugin {name!r} does not exist")
            self._plugins[name] = registry[name](profile.plugin_args.get(name, {}), self)

        def at(point: str, method: str) -> list[Any]:
            out = []
            for name in profile.enabled(point):
                plugin = self._plugins[name]
                if not callable(getattr(plugin, method, None)):
                    raise ValueError(f"plugin {name!r} does not extend {point} plugin")
                out.append(plugin)
            return out

        self.pre_enqueue_plugins = at("preEnqueue", "pre_enqueue")
        self.queue_sort_plugins = at("queueSort", "less")
        self.pre_filter_plugins = at("preFilter", "pre_filter")
        self.filter_plugins = at("filter", "filter")
        self.post_filter_plugins = at("postFilter", "post_filter")
        self.pre_score_plugins = at("preScore", "pre_score")
        self.score_plugins = at("score", "score")
        self.reserve_plugins = at("reserve", "reserve")
        self.permit_plugins = at("permit", "permit")
        self.pre_bind_plugins = at("preBind", "pre_bind")
        self.bind_plugins = at("bind", "bind")
        self.post_bind_plugins = at("postBind", "post_bind")
        self.score_weights = {p.name: profile.score_weights.get(p.name, 1) or 1 for p in self.score_plugins}
        # pre-filter plugins with the add_pod/remove_pod extensions (used when simulating)
        self._extension_plugins = [p for p in self.pre_filter_plugins
                                   if callable(getattr(p, "add_pod", None)) or callable(getattr(p, "remove_pod", None))]

    # ------------------------------------------------------------------ handle
    @property
    def scheduler_name(self) -> str:
        return self.profile.scheduler_name

    @property
    def client(self) -> Any:
        return self._client

    def snapshot(self) -> Snapshot:
        return self._snapshot()

    def nominated_pods_for_node(self, node_name: str) -> list[PodInfo]:
        if self._nominator is None:
            return []
        return list(self._nominator.nominated_pods_for_node(node_name) or [])

    def pod_disruption_budgets(self, namespace: str) -> list[dict]:
        return list(self._pdb_lister(namespace) or []) if self._pdb_lister is not None else []

    def selectors_for(self, pod: dict) -> list:
        """Selectors of the Services/RCs/RSs/StatefulSets matching the pod (for
        PodTopologySpread's default constraints); none when no lister was given."""
        return list(self._selectors_for(pod) or []) if self._selectors_for is not None else []

    def record_event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        if self._recorder is not None:
            self._recorder.record(obj, type=type_, reason=reason, message=message)

    def plugin(self, name: str) -> Any:
        return self._plugins.get(name)

    @property
    def has_filter_plugins(self) -> bool:
        return bool(self.filter_plugins)

    @property
    def has_score_plugins(self) -> bool:
        return bool(self.score_plugins)

    def events_to_register(self) -> dict[str, list[ClusterEvent]]:
        """Plugin name -> the cluster events after which a pod it rejected may fit.
        Only plugins that can reject are listed; one without ``events_to_register``
        gets the wildcard ``ClusterEvent("*", "*")`` (any change)."""
        out: dict[str, list[ClusterEvent]] = {}
        for name, plugin in self._plugins.items():
            if not any(callable(getattr(plugin, m, None)) for m in _REJECTING_METHODS):
                continue
            fn = getattr(plugin, "events_to_register", None)
            out[name] = list(fn()) if callable(fn) else list(_WILDCARD)
        return out

    # ------------------------------------------------------------------ queueing
    def queue_sort_less(self, a: PodInfo, ta: float, b: PodInfo, tb: float) -> bool:
        return self.queue_sort_plugins[0].less(a, ta, b, tb)

    def pre_enqueue(self, pod: dict) -> Status:
        for pl in self.pre_enqueue_plugins:
            st = pl.pre_enqueue(pod)
            if not st.ok:
                return _stamp(st, pl.name) if st.is_rejected else _as_error("PreEnqueue", pl.name, st)
        return Status()

    # ------------------------------------------------------------------ filtering
    def run_pre_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                       nodes: Sequence[NodeInfo]) -> tuple[PreFilterResult | None, Status]:
        """PreFilter plugins in order. ``SKIP`` skips that plugin's Filter this cycle;
        a rejection fails the pod on every node; node-name results are intersected."""
        names: frozenset[str] | None = None
        narrowing: list[str] = []
        for pl in self.pre_filter_plugins:
            result, st = pl.pre_filter(state, pod, pod_info, nodes)
            if st.code == Code.SKIP:
                state.skip_filter_plugins.add(pl.name)
                continue
            if not st.ok:
                return None, (_stamp(st, pl.name) if st.is_rejected else _as_error("PreFilter", pl.name, st))
            if result is not None and result.node_names is not None:
                narrowing.append(pl.name)
                names = result.node_names if names is None else names & result.node_names
                if not names:
                    msg = (f"node(s) didn't satisfy plugin {narrowing[0]}" if len(narrowing) == 1 else
                           f"node(s) didn't satisfy plugin(s) [{' '.join(narrowing)}] simultaneously")
                    return PreFilterResult(names), Status.unresolvable(msg, plugin=narrowing[-1])
        return (PreFilterResult(names) if names is not None else None), Status()

    def run_filter(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        """Filter plugins in order (those skipped at PreFilter left out); the first
        rejection decides, with its plugin's name on the status."""
        skip = state.skip_filter_plugins
        for pl in self.filter_plugins:
            if skip and pl.name in skip:
                continue
            st = pl.filter(state, pod, pod_info, node)
            if st.code != Code.SUCCESS:
                return _stamp(st, pl.name) if st.is_rejected else _as_error("Filter", pl.name, st)
        return Status()

    def run_filter_plugins(self, state: CycleState, pod: dict, node: NodeInfo, pod_info: PodInfo | None = None) -> Status:
        return self.run_filter(state, pod, pod_info or PodInfo(pod), node)

    def run_filter_with_nominated_pods(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> Status:
        """Upstream's two passes: first as if the nominated pods of at least the pod's
        priority were already on the node (so a pod does not take room preemption made
        for another), then without them (their anti-affinity etc. must not count
        either, as they might not land there)."""
        added, state2, node2 = self._add_nominated_pods(state, pod, pod_info, node)
        if added:
            st = self.run_filter(state2, pod, pod_info, node2)
            if not st.ok:
                return st
        return self.run_filter(state, pod, pod_info, node)

    def _add_nominated_pods(self, state: CycleState, pod: dict, pod_info: PodInfo,
                            node: NodeInfo) -> tuple[bool, CycleState, NodeInfo]:
        if self._nominator is None or node.node is None:
            return False, state, node
        nominated = self._nominator.nominated_pods_for_node(node.name)
        if not nominated:
            return False, state, node
        me = pod_priority(pod)
        state2, node2, added = state, node, False
        for npi in nominated:
            if npi.key == pod_info.key or pod_priority(npi.pod) < me:
                continue
            if not added:
                state2, node2, added = state.clone(), node.clone(), True
            node2.add_pod(npi)
            st = self.run_pre_filter_extension_add_pod(state2, pod, npi, node2)
            if not st.ok:
                return False, state, node
        return added, state2, node2

    def run_pre_filter_extension_add_pod(self, state: CycleState, pod: dict, to_add: PodInfo, node: NodeInfo) -> Status:
        for pl in self._extension_plugins:
            if pl.name in state.skip_filter_plugins or not callable(getattr(pl, "add_pod", None)):
                continue
            st = pl.add_pod(state, pod, to_add, node)
            if not st.ok:
                return _as_error("AddPod", pl.name, st)
        return Status()

    def run_pre_filter_extension_remove_pod(self, state: CycleState, pod: dict, to_remove: PodInfo, node: NodeInfo) -> Status:
        for pl in self._extension_plugins:
            if pl.name in state.skip_filter_plugins or not callable(getattr(pl, "remove_pod", None)):
                continue
            st = pl.remove_pod(state, pod, to_remove, node)
            if not st.ok:
                return _as_error("RemovePod", pl.name, st)
        return Status()

    async def run_post_filter(self, state: CycleState, pod: dict, pod_info: PodInfo,
                              filtered: dict[str, Status]) -> tuple[PostFilterResult | None, Status]:
        """PostFilter plugins until one succeeds or gives up for good (unresolvable);
        otherwise an UNSCHEDULABLE status with every plugin's reasons."""
        result: PostFilterResult | None = None
        reasons: list[str] = []
        rejector = ""
        for pl in self.post_filter_plugins:
            r, st = await pl.post_filter(state, pod, pod_info, filtered)
            if st.ok or st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return r, _stamp(st, pl.name)
            if not st.is_rejected:
                return None, _as_error("PostFilter", pl.name, st)
            if r is not None:
                result = r
            reasons.extend(st.reasons)
            rejector = rejector or pl.name
        return result, Status(Code.UNSCHEDULABLE, *reasons, plugin=rejector)

    # ------------------------------------------------------------------ scoring
    def run_pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        for pl in self.pre_score_plugins:
            st = pl.pre_score(state, pod, pod_info, nodes)
            if st.code == Code.SKIP:
                state.skip_score_plugins.add(pl.name)
            elif not st.ok:
                return _as_error("PreScore", pl.name, st)
        return Status()

    def run_score(self, state: CycleState, pod: dict, pod_info: PodInfo,
                  nodes: Sequence[NodeInfo]) -> tuple[list[NodeScore], dict[str, list[NodeScore]]]:
        """Each (not skipped) Score plugin on every node, normalized, times its weight.
        Returns the totals per node (in ``nodes`` order) and the per-plugin weighted
        scores (what ``kyb explain-pending`` shows)."""
        totals = [NodeScore(n.name, 0) for n in nodes]
        per_plugin: dict[str, list[NodeScore]] = {}
        skip = state.skip_score_plugins
        for pl in self.score_plugins:
            if pl.name in skip:
                continue
            scores = []
            for node in nodes:
                value, st = pl.score(state, pod, pod_info, node)
                if not st.ok:
                    raise ScoreError(_as_error("Score", pl.name, st))
                scores.append(NodeScore(node.name, value))
            normalize = getattr(pl, "normalize_score", None)
            if normalize is not None:
                st = normalize(state, pod, scores)
                if not st.ok:
                    raise ScoreError(_as_error("NormalizeScore", pl.name, st))
            weight = self.score_weights[pl.name]
            for i, s in enumerate(scores):
                if not MIN_NODE_SCORE <= s.score <= MAX_NODE_SCORE:
                    raise ScoreError(Status.error(
                        f"plugin {pl.name!r} returns an invalid score {s.score}, it should in the range of "
                        f"[{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing", plugin=pl.name))
                s.score *= weight
                totals[i].score += s.score
            per_plugin[pl.name] = scores
        return totals, per_plugin

    # ------------------------------------------------------------------ batch filter / score
    def has_nominated_pods(self) -> bool:
        """Whether any node has nominated pods; unknown nominators count as yes."""
        if self._nominator is None:
            return False
        has = getattr(self._nominator, "has_nominated_pods", None)
        return bool(has()) if callable(has) else True

    def run_filter_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any) -> np.ndarray | None:
        """Which table rows pass every (not skipped) Filter plugin, as a bool array; None
        when some plugin cannot answer in batch for this pod, or nominated pods exist
        (their two-pass filtering stays per node) -- then the caller filters per node."""
        if self.has_nominated_pods():
            return None
        skip = state.skip_filter_plugins
        active = [pl for pl in self.filter_plugins if not (skip and pl.name in skip)]
        if any(not callable(getattr(pl, "filter_batch", None)) for pl in active):
            return None
        mask = np.ones(len(table), dtype=bool)
        for pl in active:
            m = pl.filter_batch(state, pod, pod_info, table)
            if m is None:
                return None
            mask = mask & m
        return mask

    def run_score_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                        idx: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """:meth:`run_score` for the table rows ``idx``: the weighted totals (int64, in
        ``idx`` order) and the weighted scores per plugin. A plugin without
        ``score_batch`` (or answering None) is scored per node on those rows, and one
        without ``normalize_batch`` normalizes a NodeScore list -- the answers are the
        same either way, only slower."""
        names: list[str] = []
        rows: list[np.ndarray] = []
        skip = state.skip_score_plugins
        for pl in self.score_plugins:
            if pl.name in skip:
                continue
            batch = getattr(pl, "score_batch", None)
            scores = batch(state, pod, pod_info, table, idx) if callable(batch) else None
            if scores is None:
                scores = self._score_rows(pl, state, pod, pod_info, table, idx)
            names.append(pl.name)
            rows.append(self._normalize_rows(pl, state, pod, scores, table, idx))
        if not rows:
            return np.zeros(len(idx), dtype=np.int64), {}
        # one (plugins x nodes) array: the range check and the weighting are a few numpy
        # calls for all plugins rather than a few per plugin
        scores = np.stack(rows)
        if len(idx):
            bad = (scores.min(axis=1) < MIN_NODE_SCORE) | (scores.max(axis=1) > MAX_NODE_SCORE)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                value = scores[k][(scores[k] < MIN_NODE_SCORE) | (scores[k] > MAX_NODE_SCORE)][0]
                raise ScoreError(Status.error(
                    f"plugin {names[k]!r} returns an invalid score {value}, it should in the range of "
                    f"[{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing", plugin=names[k]))
        weighted = scores * np.array([self.score_weights[n] for n in names], dtype=np.int64)[:, None]
        return weighted.sum(axis=0), dict(zip(names, weighted))

    @staticmethod
    def _score_rows(pl: Any, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                    idx: np.ndarray) -> np.ndarray:
        values = []
        nodes = table.nodes
        for i in idx.tolist():
            value, st = pl.score(state, pod, pod_info, nodes[i])
            if not st.ok:
                raise ScoreError(_as_error("Score", pl.name, st))
            values.append(value)
        return _int_array(values)

    @staticmethod
    def _normalize_rows(pl: Any, state: CycleState, pod: dict, scores: np.ndarray, table: Any,
                        idx: np.ndarray) -> np.ndarray:
        batch = getattr(pl, "normalize_batch", None)
        if callable(batch):
            out = batch(state, pod, scores, table, idx)
            if out is not None:
                return out
        normalize = getattr(pl, "normalize_score", None)
        if normalize is None:
            return scores
        names = table.names
        as_list = [NodeScore(names[i], v) for i, v in zip(idx.tolist(), scores.tolist())]
        st = normalize(state, pod, as_list)
        if not st.ok:
            raise ScoreError(_as_error("NormalizeScore", pl.name, st))
        return _int_array([s.score for s in as_list])

    # ------------------------------------------------------------------ reserve / permit
    def run_reserve(self, state: CycleState, pod: dict, node_name: str) -> Status:
        for pl in self.reserve_plugins:
            st = pl.reserve(state, pod, node_name)
            if not st.ok:
                return _stamp(st, pl.name) if st.is_rejected else _as_error("Reserve", pl.name, st)
        return Status()

    def run_unreserve(self, state: CycleState, pod: dict, node_name: str) -> None:
        for pl in reversed(self.reserve_plugins):
            pl.unreserve(state, pod, node_name)

    def run_permit(self, state: CycleState, pod: dict, node_name: str) -> Status:
        """``WAIT`` when some plugin holds the pod (see :meth:`wait_on_permit`)."""
        waits: dict[str, float] = {}
        for pl in self.permit_plugins:
            st, timeout = pl.permit(state, pod, node_name)
            if st.ok:
                continue
            if st.is_rejected:
                return _stamp(st, pl.name)
            if st.code == Code.WAIT:
                waits[pl.name] = min(float(timeout), MAX_PERMIT_TIMEOUT)
                continue
            return _as_error("Permit", pl.name, st)
        if waits:
            self._waiting[pod_key(pod)] = _WaitingPod(pod, waits)
            return Status(Code.WAIT, "one or more plugins asked to wait and no plugin rejected pod")
        return Status()

    def waiting_pods(self) -> list[str]:
        return list(self._waiting)

    def allow(self, key: str, plugin: str | None = None) -> bool:
        """Let a waiting pod through (for ``plugin`` only, or for all); False if not waiting."""
        wp = self._waiting.get(key)
        if wp is None:
            return False
        wp.allow(plugin)
        return True

    def reject(self, key: str, plugin: str = "", message: str = "") -> bool:
        wp = self._waiting.get(key)
        if wp is None:
            return False
        wp.reject(plugin, message)
        return True

    async def wait_on_permit(self, pod: dict) -> Status:
        key = pod_key(pod)
        wp = self._waiting.get(key)
        if wp is None:
            return Status()
        try:
            while wp.status is None:
                plugin, limit = min(wp.pending.items(), key=lambda kv: kv[1])
                remaining = limit - (time.monotonic() - wp.started)
                if remaining <= 0:
                    wp.reject(plugin, f"rejected due to timeout after waiting {limit:g}s at plugin {plugin}")
                    break
                try:
                    await asyncio.wait_for(wp.done.wait(), remaining)
                except TimeoutError:
                    continue
            return wp.status or Status()
        finally:
            self._waiting.pop(key, None)

    # ------------------------------------------------------------------ binding
    async def run_pre_bind(self, state: CycleState, pod: dict, node_name: str) -> Status:
        for pl in self.pre_bind_plugins:
            st = await pl.pre_bind(state, pod, node_name)
            if not st.ok:
                return _stamp(st, pl.name) if st.is_rejected else _as_error("PreBind", pl.name, st)
        return Status()

    async def run_bind(self, state: CycleState, pod: dict, node_name: str) -> Status:
        """The first bind plugin that does not ``SKIP`` binds."""
        for pl in self.bind_plugins:
            st = await pl.bind(state, pod, node_name)
            if st.code == Code.SKIP:
                continue
            if not st.ok:
                return _stamp(st, pl.name) if st.is_rejected else _as_error("Bind", pl.name, st)
            return _stamp(st, pl.name)
        return Status(Code.SKIP, "all bind plugins skipped")

    def run_post_bind(self, state: CycleState, pod: dict, node_name: str) -> None:
        for pl in self.post_bind_plugins:
            pl.post_bind(state, pod, node_name)
