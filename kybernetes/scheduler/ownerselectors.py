"""The selectors of the Services, ReplicationControllers, ReplicaSets and StatefulSets
that select a pod (upstream's helper.DefaultSelector): PodTopologySpread's cluster-default
constraints spread a pod among the others those objects select, and apply only to pods
something selects."""

from __future__ import annotations

from typing import Any

from ..api.selectors import LabelSelector, SelectorError, label_selector_from_dict, selector_from_set
from ..client import Informer, SharedInformerFactory

__all__ = ["OwnerSelectors"]


class OwnerSelectors:
    """Informers on the four kinds; ``__call__(pod)`` lists the matching selectors."""

    def __init__(self, informers: SharedInformerFactory) -> None:
        self.by_map: list[Informer] = [informers.informer("", "v1", "services"),
                                       informers.informer("", "v1", "replicationcontrollers")]
        self.by_selector: list[Informer] = [informers.informer("apps", "v1", "replicasets"),
                                            informers.informer("apps", "v1", "statefulsets")]

    def informers(self) -> list[Informer]:
        return self.by_map + self.by_selector

    def __call__(self, pod: dict) -> list[LabelSelector]:
        meta = pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        if not labels:
            return []
        ns = meta.get("namespace", "")
        out: list[LabelSelector] = []
        for informer in self.by_map:
            for obj in informer.by_index("namespace", ns):
                selector_map = (obj.get("spec") or {}).get("selector") or {}
                if selector_map and all(labels.get(k) == v for k, v in selector_map.items()):
                    out.append(selector_from_set(selector_map))
        for informer in self.by_selector:
            for obj in informer.by_index("namespace", ns):
                selector = _selector(obj)
                if selector is not None and not selector.empty and selector.matches(labels):
                    out.append(selector)
        return out


def _selector(obj: dict) -> Any:
    try:
        return label_selector_from_dict((obj.get("spec") or {}).get("selector"))
    except SelectorError:
        return None
