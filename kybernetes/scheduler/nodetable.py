"""A column view of a snapshot's nodes, for the vectorised Filter/Score path.

The per-node plugins cost tens of microseconds of Python per node per pod; on
thousands of nodes that is the whole scheduling budget. What the common plugins read
(allocatable and requested resources, the cordon flag, the taints) fits in a few
numpy columns aligned with ``Snapshot.node_list``, so a plugin can answer for every
node at once (``filter_batch`` / ``score_batch``, see ``framework.py``).

Taints are not columns: nodes with the same taint list share a *taint-set id*, and a
plugin evaluates the pod's tolerations once per distinct set, then maps the answers
through ``taint_id``. Most clusters have a handful of distinct sets.

The table is kept up to date row by row: the scheduler cache tells it which NodeInfos
it re-copied into the snapshot (:meth:`NodeTable.update_rows`) and rebuilds it when
the node order changes. Snapshots the cache does not manage (tests, one-off readers)
check the NodeInfos' generations on every use instead (:meth:`NodeTable.refresh`).

Integers stay exact: every quantity is an int64, and a table whose quantities could
overflow int64 arithmetic or lose precision as float64 (> 2**53) says so (``exact``)
so that callers fall back to the per-node plugins rather than give different answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .types import NodeInfo

__all__ = ["EXACT_LIMIT", "NodeTable", "small", "taint_set_key"]

# Quantities at or above this could differ between Python ints and numpy (int64 products,
# float64 fractions of a sum of two); a table holding one is not used.
EXACT_LIMIT = 2 ** 52

_INT_COLUMNS = ("alloc_cpu", "alloc_memory", "alloc_ephemeral", "alloc_pods",
                "req_cpu", "req_memory", "req_ephemeral", "num_pods", "nz_cpu", "nz_memory")

TaintKey = tuple[tuple[str, str, str], ...]


def taint_set_key(node: Mapping[str, Any] | None) -> TaintKey:
    """A node's taints as a hashable value. Only key, value and effect matter to the
    plugins, each read with ``or ""`` -- so the normalised form answers the same."""
    taints = ((node or {}).get("spec") or {}).get("taints") or []
    return tuple((t.get("key") or "", t.get("value") or "", t.get("effect") or "") for t in taints)


def _row(info: NodeInfo) -> tuple[int, ...]:
    a, r = info.allocatable, info.requested
    return (a.milli_cpu, a.memory, a.ephemeral_storage, a.allowed_pod_number,
            r.milli_cpu, r.memory, r.ephemeral_storage, len(info.pods), info.non_zero_cpu, info.non_zero_memory)


def _unschedulable(info: NodeInfo) -> bool:
    return bool(((info.node or {}).get("spec") or {}).get("unschedulable"))


def small(*values: int) -> bool:
    """Whether pod-side quantities are small enough for the batch arithmetic."""
    return _fits(values)


def _fits(values: Iterable[int]) -> bool:
    return all(-EXACT_LIMIT < v < EXACT_LIMIT for v in values)


class NodeTable:
    """Columns over ``nodes`` (see the module docstring). Rows follow the node order."""

    def __init__(self, nodes: Sequence[NodeInfo]) -> None:
        self.rebuild(nodes)

    # ------------------------------------------------------------------ building
    def rebuild(self, nodes: Sequence[NodeInfo]) -> None:
        self.nodes: list[NodeInfo] = list(nodes)
        self.names: list[str] = [n.name for n in self.nodes]
        self.index: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        rows = [_row(info) for info in self.nodes]
        self._inexact_rows: set[int] = {i for i, row in enumerate(rows) if not _fits(row)}
        for i in self._inexact_rows:   # keep the columns int64; these rows are never read
            rows[i] = (0,) * len(_INT_COLUMNS)
        for j, col in enumerate(_INT_COLUMNS):
            setattr(self, col, np.fromiter((row[j] for row in rows), dtype=np.int64, count=len(rows)))
        self.unschedulable = np.array([_unschedulable(i) for i in self.nodes], dtype=bool)
        self.taint_sets: list[TaintKey] = []
        self._taint_ids: dict[TaintKey, int] = {}
        self.taint_id = np.array([self._taint_set_id(taint_set_key(i.node)) for i in self.nodes], dtype=np.intp)
        self.generations = [i.generation for i in self.nodes]
        # image name -> how many nodes hold it (ImageLocality's spread, without a scan per pod);
        # each row's image map is remembered by identity (NodeInfo.set_node makes a new one)
        self._images: list[dict[str, int]] = [i.image_sizes for i in self.nodes]
        self.image_nodes: dict[str, int] = {}
        for sizes in self._images:
            self._count_images(sizes, 1)

    def _count_images(self, sizes: Mapping[str, int], delta: int) -> None:
        counts = self.image_nodes
        for name in sizes:
            left = counts.get(name, 0) + delta
            if left:
                counts[name] = left
            else:
                del counts[name]

    def _taint_set_id(self, key: TaintKey) -> int:
        tid = self._taint_ids.get(key)
        if tid is None:
            tid = self._taint_ids[key] = len(self.taint_sets)
            self.taint_sets.append(key)
        return tid

    def update_row(self, i: int, info: NodeInfo) -> None:
        """Re-read row ``i`` from ``info`` (which must be the node at that position)."""
        self.nodes[i] = info
        row = _row(info)
        if _fits(row):
            self._inexact_rows.discard(i)
            for col, v in zip(_INT_COLUMNS, row):
                getattr(self, col)[i] = v
        else:
            self._inexact_rows.add(i)
        self.unschedulable[i] = _unschedulable(info)
        self.taint_id[i] = self._taint_set_id(taint_set_key(info.node))
        self.generations[i] = info.generation
        if self._images[i] is not info.image_sizes:
            self._count_images(self._images[i], -1)
            self._count_images(info.image_sizes, 1)
            self._images[i] = info.image_sizes

    def update_rows(self, infos: Iterable[NodeInfo]) -> None:
        """Re-read the rows of these NodeInfos (looked up by name). Distinct taint sets
        are only ever added here; a rebuild drops the unused ones."""
        for info in infos:
            i = self.index.get(info.name)
            if i is not None:
                self.update_row(i, info)

    def refresh(self, nodes: Sequence[NodeInfo]) -> None:
        """For snapshots nobody maintains: rebuild if the node list changed, else re-read
        the rows whose NodeInfo generation moved. O(nodes); cheap for small snapshots."""
        if len(nodes) != len(self.nodes) or any(a is not b for a, b in zip(nodes, self.nodes)):
            self.rebuild(nodes)
            return
        for i, info in enumerate(nodes):
            if info.generation != self.generations[i]:
                self.update_row(i, info)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def exact(self) -> bool:
        """Every quantity is small enough for numpy to compute what Python would."""
        return not self._inexact_rows

    def labels(self, i: int) -> Mapping[str, str]:
        return self.nodes[i].labels
