"""Small pieces several plugins share: tolerations, node selector terms (the node
affinity language, which is not the label selector language: it has Gt/Lt and
``matchFields``), and the default score normalization."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..types import MAX_NODE_SCORE, NodeScore

NodeMatcher = Callable[[Mapping[str, str], str], bool]   # (node labels, node name) -> matches


# ---------------------------------------------------------------------------- tolerations
def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Upstream's Toleration.ToleratesTaint: an empty effect or key is a wildcard;
    ``Exists`` ignores the value, ``Equal`` (the default) compares it."""
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def first_untolerated(taints: Sequence[Mapping[str, Any]], tolerations: Sequence[Mapping[str, Any]],
                      effects: frozenset[str]) -> Mapping[str, Any] | None:
    """The first taint with one of ``effects`` that no toleration tolerates."""
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def node_taints(node: Mapping[str, Any] | None) -> list[dict]:
    return ((node or {}).get("spec") or {}).get("taints") or []


def pod_tolerations(pod: Mapping[str, Any]) -> list[dict]:
    return (pod.get("spec") or {}).get("tolerations") or []


# ---------------------------------------------------------------------------- node selectors
def _parse_int(s: str) -> int | None:
    try:
        return int(s, 10)
    except (TypeError, ValueError):
        return None


def _requirement(expr: Mapping[str, Any]) -> Callable[[Mapping[str, str]], bool] | None:
    """One NodeSelectorRequirement as a predicate over a key->value mapping;
    None when the requirement is malformed (a term holding it matches nothing)."""
    key = expr.get("key") or ""
    op = expr.get("operator")
    values = list(expr.get("values") or [])
    if op == "In":
        vs = frozenset(values)
        return lambda m: key in m and m[key] in vs
    if op == "NotIn":
        vs = frozenset(values)
        return lambda m: m.get(key) not in vs
    if op == "Exists":
        return lambda m: key in m
    if op == "DoesNotExist":
        return lambda m: key not in m
    if op in ("Gt", "Lt"):
        if len(values) != 1 or (bound := _parse_int(values[0])) is None:
            return None
        greater = op == "Gt"

        def compare(m: Mapping[str, str]) -> bool:
            raw = m.get(key)
            n = _parse_int(raw) if raw is not None else None
            if n is None:
                return False
            return n > bound if greater else n < bound
        return compare
    return None


def compile_node_selector_term(term: Mapping[str, Any]) -> NodeMatcher:
    """A NodeSelectorTerm: all of its matchExpressions (on labels) and matchFields
    (only ``metadata.name`` exists) must hold. An empty term matches nothing."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return lambda labels, name: False
    label_preds = []
    for e in exprs:
        p = _requirement(e)
        if p is None:
            return lambda labels, name: False
        label_preds.append(p)
    field_preds = []
    for f in fields:
        if f.get("key") != "metadata.name" or f.get("operator") not in ("In", "NotIn"):
            return lambda labels, name: False
        field_preds.append(_requirement(f))

    def match(labels: Mapping[str, str], name: str) -> bool:
        for p in label_preds:
            if not p(labels):
                return False
        if field_preds:
            fm = {"metadata.name": name}
            for p in field_preds:
                if not p(fm):
                    return False
        return True
    return match


def compile_node_selector(selector: Mapping[str, Any]) -> NodeMatcher:
    """A NodeSelector: its terms are ORed; no terms matches nothing."""
    terms = [compile_node_selector_term(t or {}) for t in selector.get("nodeSelectorTerms") or []]

    def match(labels: Mapping[str, str], name: str) -> bool:
        return any(t(labels, name) for t in terms)
    return match


def node_names_from_selector(selector: Mapping[str, Any]) -> frozenset[str] | None:
    """The node names a required node affinity can only ever match, when every term
    pins ``metadata.name In [...]`` (upstream's PreFilter shortcut); otherwise None.
    An empty set means the terms contradict themselves (no node can match)."""
    names: set[str] = set()
    for term in selector.get("nodeSelectorTerms") or []:
        pinned: set[str] | None = None
        for f in (term or {}).get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In":
                vals = set(f.get("values") or [])
                pinned = vals if pinned is None else pinned & vals
        if pinned is None:
            return None    # an unpinned term: any node may match (terms are ORed)
        names |= pinned
    return frozenset(names)


# ---------------------------------------------------------------------------- scores
def default_normalize_score(scores: list[NodeScore], reverse: bool = False, max_priority: int = MAX_NODE_SCORE) -> None:
    """Upstream's helper.DefaultNormalizeScore: scale to 0..max by the highest score;
    ``reverse`` turns "more is worse" counts into scores. All zero: 0 (max if reversed)."""
    highest = max((s.score for s in scores), default=0)
    if highest == 0:
        if reverse:
            for s in scores:
                s.score = max_priority
        return
    for s in scores:
        v = max_priority * s.score // highest
        s.score = max_priority - v if reverse else v


def default_normalize_array(scores: np.ndarray, reverse: bool = False,
                            max_priority: int = MAX_NODE_SCORE) -> np.ndarray:
    """:func:`default_normalize_score` over an int64 array (the batch path); same integer
    arithmetic (floor division), so the same answers."""
    highest = int(scores.max()) if len(scores) else 0
    if highest == 0:
        return np.full(len(scores), max_priority, dtype=np.int64) if reverse else scores
    v = max_priority * scores // highest
    return max_priority - v if reverse else v


def pod_priority(pod: Mapping[str, Any]) -> int:
    p = (pod.get("spec") or {}).get("priority")
    return int(p) if p is not None else 0
