"""Strategic merge patch (kubectl's default patch type).

This first version merges like a JSON merge patch and drops the SMP directive
keys (``$patch``, ``$setElementOrder/...``, ``$retainKeys``,
``$deleteFromPrimitiveList/...``), which covers the map-only patches kubectl
sends for labels, annotations and scalar fields. List merging by patch merge
key is the next step (issue #3).
"""

from __future__ import annotations

from typing import Any

from .patch import merge_patch
from .registry import Resource


def _strip_directives(patch: Any) -> Any:
    if isinstance(patch, dict):
        return {k: _strip_directives(v) for k, v in patch.items() if not k.startswith("$")}
    if isinstance(patch, list):
        return [_strip_directives(v) for v in patch]
    return patch


def apply(doc: dict, patch: Any, resource: Resource) -> Any:
    return merge_patch(doc, _strip_directives(patch))
