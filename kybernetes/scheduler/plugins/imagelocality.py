"""ImageLocality: prefer nodes that already hold the pod's images, weighted by image
size and by how widely the image is spread (an image on every node says nothing about
where to go, and favouring it would pile pods up). The sum is clamped between 23Mi
and 1000Mi per container before scaling to 0..100, so tiny images don't count and huge
ones don't dominate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..interface import ClusterEvent
from ..types import MAX_NODE_SCORE, SUCCESS, Code, CycleState, NodeInfo, PodInfo, Status

NAME = "ImageLocality"
MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB
_STATE = "PreScore" + NAME


def normalized_image_name(name: str) -> str:
    """``nginx`` -> ``nginx:latest``; names with a tag (or digest) stay as they are."""
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * num_containers
    sum_scores = min(max(sum_scores, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)


class ImageLocality:
    name = NAME

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def pre_score(self, state: CycleState, pod: dict, pod_info: PodInfo, nodes: Sequence[NodeInfo]) -> Status:
        spec = pod.get("spec") or {}
        containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
        images = [normalized_image_name(c.get("image") or "") for c in containers]
        snap = self.handle.snapshot() if self.handle is not None else None
        all_nodes = snap.node_list if snap is not None else list(nodes)
        total = len(all_nodes)
        if not images or not total:
            return Status(Code.SKIP)
        if snap is not None:    # the snapshot's table counts the nodes per image
            counts = snap.table.image_nodes
            spread = {img: counts.get(img, 0) / total for img in set(images)}
        else:
            spread = {img: sum(1 for n in all_nodes if img in n.image_sizes) / total for img in set(images)}
        state.write(_STATE, (images, spread))
        return Status()

    def score(self, state: CycleState, pod: dict, pod_info: PodInfo, node: NodeInfo) -> tuple[int, Status]:
        images, spread = state.read(_STATE)
        sizes = node.image_sizes
        total = 0
        for img in images:
            size = sizes.get(img)
            if size is not None:
                total += int(size * spread[img])
        return calculate_priority(total, len(images)), SUCCESS

    def score_batch(self, state: CycleState, pod: dict, pod_info: PodInfo, table: Any,
                    idx: np.ndarray) -> np.ndarray | None:
        """The common case -- none of the pod's images is on any node -- is one value for
        all; otherwise None (the framework scores per node)."""
        images, spread = state.read(_STATE)
        if any(spread.values()):
            return None
        return np.full(len(idx), calculate_priority(0, len(images)), dtype=np.int64)

    def events_to_register(self) -> list[ClusterEvent]:
        return []


def new(args: dict, handle: Any) -> ImageLocality:
    return ImageLocality(handle)
