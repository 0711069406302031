"""PrioritySort: the queue pops higher-priority pods first, then older ones."""

from __future__ import annotations

from typing import Any

from ..types import PodInfo
from .helpers import pod_priority

NAME = "PrioritySort"


class PrioritySort:
    name = NAME

    def less(self, a: PodInfo, a_timestamp: float, b: PodInfo, b_timestamp: float) -> bool:
        pa, pb = pod_priority(a.pod), pod_priority(b.pod)
        return pa > pb or (pa == pb and a_timestamp < b_timestamp)


def new(args: dict, handle: Any) -> PrioritySort:
    return PrioritySort()
