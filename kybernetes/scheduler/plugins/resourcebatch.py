"""Vectorised twins of the NodeResources scorers (noderesources.py), over NodeTable rows.

Each function takes, per scored resource, the node-side "requested after placing the
pod" and "allocatable" int64 arrays (rows = candidate nodes) and returns int64 scores.
They repeat the per-node integer arithmetic step by step -- floor division, the skip
of resources a node has none of, Go's truncating division in the broken-linear shape,
round-half-even of ``round()`` -- because the batch path must give the very same
scores, not merely close ones. The quantities are bounded by ``nodetable.EXACT_LIMIT``,
so int64 products cannot overflow and int/int true division is exact in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..types import MAX_NODE_SCORE

Vectors = Sequence[tuple[np.ndarray, np.ndarray]]      # per resource: (requested, allocatable)


def _safe(alloc: np.ndarray) -> np.ndarray:
    return np.where(alloc != 0, alloc, 1)


def _weighted_mean_floor(total: np.ndarray, weight_sum: np.ndarray) -> np.ndarray:
    return np.where(weight_sum != 0, total // np.where(weight_sum != 0, weight_sum, 1), 0)


def _all_allocatable(vectors: Vectors) -> bool:
    """Every row has every resource (the common case), so no per-row skipping is needed."""
    return all(alloc.all() for _, alloc in vectors)


def least_allocated(vectors: Vectors, weights: Sequence[int]) -> np.ndarray:
    if vectors and sum(weights) > 0 and _all_allocatable(vectors):
        total = np.zeros(len(vectors[0][0]), dtype=np.int64)
        for (req, alloc), w in zip(vectors, weights):
            # an over-committed resource scores 0: (alloc - req) clipped at 0
            total += np.maximum(alloc - req, 0) * MAX_NODE_SCORE // alloc * w
        return total // sum(weights)
    m = len(vectors[0][0]) if vectors else 0
    total = np.zeros(m, dtype=np.int64)
    weight_sum = np.zeros(m, dtype=np.int64)
    for (req, alloc), w in zip(vectors, weights):
        valid = alloc != 0
        score = np.where(req > alloc, 0, (alloc - req) * MAX_NODE_SCORE // _safe(alloc))
        total += np.where(valid, score * w, 0)
        weight_sum += np.where(valid, w, 0)
    return _weighted_mean_floor(total, weight_sum)


def most_allocated(vectors: Vectors, weights: Sequence[int]) -> np.ndarray:
    m = len(vectors[0][0]) if vectors else 0
    total = np.zeros(m, dtype=np.int64)
    weight_sum = np.zeros(m, dtype=np.int64)
    for (req, alloc), w in zip(vectors, weights):
        valid = alloc != 0
        score = np.minimum(req, alloc) * MAX_NODE_SCORE // _safe(alloc) * w
        total += np.where(valid, score, 0)
        weight_sum += np.where(valid, w, 0)
    return _weighted_mean_floor(total, weight_sum)


def _go_div(a: np.ndarray, b: int) -> np.ndarray:
    q = np.abs(a) // abs(b)
    return np.where((a >= 0) == (b >= 0), q, -q)


def broken_linear(points: Sequence[tuple[int, int]]) -> Callable[[np.ndarray], np.ndarray]:
    """The shape as an array function: the first point with ``p <= utilization`` decides,
    so the points are applied last to first, each overwriting where it matches."""
    def f(p: np.ndarray) -> np.ndarray:
        out = np.full(len(p), points[-1][1], dtype=np.int64)
        for i in range(len(points) - 1, -1, -1):
            u, s = points[i]
            if i == 0:
                value = np.full(len(p), s, dtype=np.int64)
            else:
                pu, ps = points[i - 1]
                if u == pu:       # unreachable per node (p <= pu matched the point before)
                    continue
                value = ps + _go_div((s - ps) * (p - pu), u - pu)
            out = np.where(p <= u, value, out)
        return out
    return f


def requested_to_capacity_ratio(points: Sequence[tuple[int, int]]) -> Callable[[Vectors, Sequence[int]], np.ndarray]:
    raw = broken_linear(points)

    def scorer(vectors: Vectors, weights: Sequence[int]) -> np.ndarray:
        m = len(vectors[0][0]) if vectors else 0
        total = np.zeros(m, dtype=np.int64)
        weight_sum = np.zeros(m, dtype=np.int64)
        for (req, alloc), w in zip(vectors, weights):
            valid = alloc != 0
            p = np.where(req > alloc, 100, req * 100 // _safe(alloc))
            score = raw(p)
            counted = valid & (score > 0)
            total += np.where(counted, score * w, 0)
            weight_sum += np.where(counted, w, 0)
        ratio = total / np.where(weight_sum != 0, weight_sum, 1)
        return np.where(weight_sum != 0, np.rint(ratio), 0).astype(np.int64)   # round(): half to even
    return scorer


def balanced(vectors: Vectors, fallback: Callable[[list[int], list[int]], int]) -> np.ndarray:
    """BalancedAllocation: ``(1 - std of the fractions) * 100``. Rows with two fractions
    or fewer are vectorised; rows with more (three or more resources configured) go
    through ``fallback`` (the per-node function) so that summation order and ``**``
    stay Python's."""
    if len(vectors) == 2 and _all_allocatable(vectors):
        (req1, alloc1), (req2, alloc2) = vectors
        std = np.abs(np.minimum(req1 / alloc1, 1.0) - np.minimum(req2 / alloc2, 1.0)) / 2
        return np.trunc((1 - std) * MAX_NODE_SCORE).astype(np.int64)
    m = len(vectors[0][0]) if vectors else 0
    seen = np.zeros(m, dtype=np.int64)
    first = np.zeros(m)
    second = np.zeros(m)
    for req, alloc in vectors:
        valid = alloc != 0
        f = np.minimum(req / _safe(alloc), 1.0)
        first = np.where(valid & (seen == 0), f, first)
        second = np.where(valid & (seen == 1), f, second)
        seen += valid
    std = np.where(seen == 2, np.abs(first - second) / 2, 0.0)
    out = np.trunc((1 - std) * MAX_NODE_SCORE).astype(np.int64)
    for row in np.flatnonzero(seen > 2).tolist():
        out[row] = fallback([int(r[row]) for r, _ in vectors], [int(a[row]) for _, a in vectors])
    return out
