"""Patches: JSON patch (RFC 6902, via the ``jsonpatch`` library) and JSON merge
patch (RFC 7386). Strategic merge patch and server-side apply build on these
(see their own modules).
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch


class PatchError(Exception):
    """The patch could not be applied to the object (the server answers 422)."""


class PatchDecodeError(PatchError):
    """The patch document itself is malformed for its content type (the server answers 400)."""


def json_patch(doc: dict, ops: Any) -> dict:
    if not isinstance(ops, list):
        raise PatchDecodeError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        return jsonpatch.JsonPatch(ops).apply(doc)
    except jsonpatch.JsonPatchTestFailed as e:
        raise PatchError(f"the server rejected our request due to an error in our request: {e}") from e
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError, IndexError) as e:
        raise PatchError(str(e)) from e


def merge_patch(doc: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(doc) if isinstance(doc, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            result[k] = merge_patch(result.get(k), v)
        else:
            result[k] = copy.deepcopy(v)
    return result
