"""Strategic merge patch (``application/strategic-merge-patch+json``), kubectl's default.

The semantics follow upstream's ``k8s.io/apimachinery/pkg/util/strategicpatch``
(``StrategicMergeMapPatch`` on the server, ``CreateTwoWayMergePatch`` /
``CreateThreeWayMergePatch`` in kubectl), including its error messages, with
the per-field metadata read from the official schemas (``api.patchmeta``):

* objects merge key by key; ``null`` deletes a key;
* lists whose field has patch strategy ``merge`` are merged: lists of objects
  item by item on the field's merge key, lists of scalars as a union; every
  other list (and a map field with strategy ``replace``) is replaced;
* directives: ``$patch: replace|delete`` in an object (replace it wholesale,
  or delete it), ``{"$patch": "replace"}`` / ``{<key>: v, "$patch": "delete"}``
  as items of a merged list (replace the list, delete the item),
  ``$retainKeys`` (drop every key of the live object not listed),
  ``$setElementOrder/<field>`` (final order of a merged list) and
  ``$deleteFromPrimitiveList/<field>`` (remove scalars from a merged list).

Entry points: :func:`apply` (what the server runs),
:func:`create_two_way_merge_patch` and :func:`create_three_way_merge_patch`
(what kubectl computes). Errors are :class:`StrategicMergePatchError` (a
:class:`~kybernetes.api.patch.PatchError`) carrying the HTTP status upstream
answers with (``code``: 400, 422 or 500) and its ``reason``.

Neither input is modified; the result of :func:`apply` may share unchanged
subtrees with ``doc`` (never with ``patch``, whose values are copied).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from . import patchmeta
from .gofmt import go_float as _go_float
from .gofmt import go_type_name
from .patch import PatchError
from .patchmeta import EMPTY, Node
from .registry import Resource

__all__ = [
    "StrategicMergePatchError",
    "apply",
    "apply_with_schema",
    "create_three_way_merge_patch",
    "create_two_way_merge_patch",
    "go_format",
    "merging_maps_have_conflicts",
]

DIRECTIVE = "$patch"
DELETE = "delete"
REPLACE = "replace"
MERGE = "merge"
RETAIN_KEYS_STRATEGY = "retainKeys"
RETAIN_KEYS = "$retainKeys"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"
SET_ELEMENT_ORDER = "$setElementOrder"
_DEL_PREFIX = DELETE_FROM_PRIMITIVE_LIST + "/"
_SEO_PREFIX = SET_ELEMENT_ORDER + "/"


# ============================================================ errors


class StrategicMergePatchError(PatchError):
    """A patch upstream refuses. ``code`` is the HTTP status upstream answers with:

    * 400 (reason ``BadRequest``, message ``str(e)``): malformed directives
      (``invalid patch format of retainKeys`` and friends);
    * 422 (reason ``Invalid``): lists of lists / retainKeys mismatch; upstream's
      Status then says only "the server rejected our request due to an error in
      our request" (see :attr:`status_message`), with empty ``details``;
    * 500 (reason ""): everything else (``map: map[...] does not contain declared
      merge key: name``, ``unknown patch type: ...``): upstream returns a plain
      error, which the API server reports as a 500 Status with that message.
    """

    def __init__(self, message: str, code: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def reason(self) -> str:
        return {400: "BadRequest", 422: "Invalid"}.get(self.code, "")

    @property
    def status_message(self) -> str:
        if self.code == 422:
            return "the server rejected our request due to an error in our request"
        return self.message


def _err(msg: str) -> StrategicMergePatchError:
    return StrategicMergePatchError(msg, 500)


def _bad_request(msg: str) -> StrategicMergePatchError:
    return StrategicMergePatchError(msg, 400)


def _err_no_list_of_lists() -> StrategicMergePatchError:
    return StrategicMergePatchError("lists of lists are not supported", 422)


def _err_bad_primitive_list() -> StrategicMergePatchError:
    return _bad_request("invalid patch format of primitive list")


def _err_bad_retain_keys() -> StrategicMergePatchError:
    return _bad_request("invalid patch format of retainKeys")


def _err_bad_set_element_order() -> StrategicMergePatchError:
    return _bad_request("invalid patch format of setElementOrder list")


def _err_unsupported() -> StrategicMergePatchError:
    return _bad_request("strategic merge patch format is not supported")


def _err_no_merge_key(m: dict, key: str) -> StrategicMergePatchError:
    return _err(f"map: {go_format(m)} does not contain declared merge key: {key}")


def _err_bad_arg_type(expected: str, actual: Any) -> StrategicMergePatchError:
    return _err(f"expected a {expected}, but received a {_go_type(actual)}")


def _err_bad_patch_type(t: Any, m: dict) -> StrategicMergePatchError:
    return _err(f"unknown patch type: {_go_format_s(t)} in map: {go_format(m)}")


_MAP_T = "map[string]interface {}"
_SLICE_T = "[]interface {}"


# ============================================================ Go-compatible formatting


def _go_type(v: Any) -> str:
    """``%s`` of ``reflect.TypeOf(v)`` for a decoded JSON value."""
    return "%!s(<nil>)" if v is None else go_type_name(v)


def go_format(v: Any) -> str:
    """Go's ``fmt.Sprintf("%v", v)`` of a decoded JSON value (maps print sorted)."""
    if v is None:
        return "<nil>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_format(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(go_format(x) for x in v) + "]"
    return str(v)


def _go_format_s(v: Any) -> str:
    """Go's ``%s`` of a decoded JSON value (bad verbs print ``%!s(type=value)``)."""
    if isinstance(v, str):
        return v
    if v is None:
        return "%!s(<nil>)"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_format_s(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go_format_s(x) for x in v) + "]"
    return f"%!s({_go_type(v)}={go_format(v)})"


# ============================================================ value helpers


def _copy(v: Any) -> Any:
    """Deep copy of a JSON value (much faster than ``copy.deepcopy``)."""
    if isinstance(v, dict):
        return {k: _copy(x) if isinstance(x, (dict, list)) else x for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) if isinstance(x, (dict, list)) else x for x in v]
    return v


def _deq(a: Any, b: Any) -> bool:
    """``reflect.DeepEqual`` on decoded JSON: like ``==`` but 1 != 1.0 != True."""
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is dict:
        if len(a) != len(b):
            return False
        for k, x in a.items():
            if k not in b or not _deq(x, b[k]):
                return False
        return True
    if ta is list:
        return len(a) == len(b) and all(_deq(x, y) for x, y in zip(a, b))
    return a == b


def _skey(v: Any) -> Any:
    """A hashable key with Go interface-equality semantics (type and value)."""
    t = type(v)
    if t is dict or t is list:
        return (t.__name__, json.dumps(v, sort_keys=True, default=str))
    return (t, v)


def _geq(a: Any, b: Any) -> bool:
    """Go ``==`` on two interface values holding scalars."""
    return type(a) is type(b) and a == b


def _kind_of(v: Any) -> str:
    if isinstance(v, dict):
        return "map"
    if isinstance(v, list):
        return "slice"
    return "scalar"


def _slice_elem_kind(*slices: list) -> str:
    """``sliceElementType``: the common element kind, or an upstream error."""
    prev: Any = _UNSET
    for s in slices:
        for v in s:
            t = type(v)
            if prev is _UNSET:
                prev = t
                if t is list:
                    raise _err_no_list_of_lists()
            elif t is not prev:
                raise _err("list element types are not identical: " + go_format(list(slices)))
    if prev is _UNSET:
        raise _err("no elements in any of the given slices")
    return "map" if prev is dict else "scalar"


_UNSET = object()


def _strategy(node: Node) -> tuple[bool, str]:
    """``extractRetainKeysPatchStrategy``: (has retainKeys, the other strategy)."""
    s = node.patch_strategies
    if not s:
        return False, ""
    if len(s) == 1:
        return (True, "") if s[0] == RETAIN_KEYS_STRATEGY else (False, s[0])
    if len(s) == 2:
        if s[0] == RETAIN_KEYS_STRATEGY:
            return True, s[1]
        if s[1] == RETAIN_KEYS_STRATEGY:
            return True, s[0]
    raise _err(f"unexpected patch strategy: [{' '.join(s)}]")


def _extract_key(s: str, prefix: str) -> str:
    head, sep, tail = s.partition("/")
    if not sep or head != prefix:
        if prefix == DELETE_FROM_PRIMITIVE_LIST:
            raise _err_bad_primitive_list()
        if prefix == SET_ELEMENT_ORDER:
            raise _err_bad_set_element_order()
        raise _err(f"fail to find unknown prefix {prefix!r} in {s}\n")
    return tail


def _node_name(node: Node) -> str:
    return {"struct": "struct", "map": "map", "list": "slice", "scalar": "string"}.get(node.kind, "interface")


# ============================================================ applying a patch


class _Opts:
    __slots__ = ("ignore_nulls", "parallel")

    def __init__(self, parallel: bool, ignore_nulls: bool) -> None:
        self.parallel = parallel  # MergeParallelList: process $deleteFromPrimitiveList (server side)
        self.ignore_nulls = ignore_nulls  # IgnoreUnmatchedNulls


_SERVER = _Opts(True, True)
_PATCH_MERGE = _Opts(False, False)


def _schema(resource: Resource) -> Node:
    node = patchmeta.schema_for(resource.group, resource.version, resource.kind)
    if node is None:
        raise _err_unsupported()
    return node


def apply(doc: dict, patch: Any, resource: Resource) -> dict:
    """Apply a strategic merge ``patch`` to ``doc`` (an object of ``resource``'s kind).

    Raises :class:`StrategicMergePatchError` if upstream would refuse the patch,
    including (400 "strategic merge patch format is not supported") for kinds
    without patch metadata, i.e. custom resources.
    """
    return apply_with_schema(doc, patch, _schema(resource))


def apply_with_schema(doc: dict, patch: Any, schema: Node) -> dict:
    """:func:`apply` with an explicit root :class:`~kybernetes.api.patchmeta.Node`."""
    if patch is None:
        patch = {}
    if not isinstance(patch, dict):
        what = {list: "array", str: "string", bool: "bool"}.get(type(patch), "number")
        raise _bad_request(f"json: cannot unmarshal {what} into Go value of type map[string]interface {{}}")
    if not isinstance(doc, dict):
        doc = {}
    return _merge_map(doc, patch, schema, _SERVER)


def _merge_map(original: Any, patch: dict, node: Node, opts: _Opts) -> dict:
    """``mergeMap``: returns a new dict; ``original`` and ``patch`` are left alone."""
    if DIRECTIVE in patch:
        d = patch[DIRECTIVE]
        if d == REPLACE and isinstance(d, str):
            return {k: _copy(v) for k, v in patch.items() if k != DIRECTIVE}
        if d == DELETE and isinstance(d, str):
            return {}
        raise _err_bad_patch_type(d, patch)
    original = dict(original) if original is not None else {}
    work = patch
    if RETAIN_KEYS in patch or any(k.startswith(SET_ELEMENT_ORDER) for k in patch):
        work = dict(patch)
        _apply_retain_keys(original, work, opts)
        _merge_set_element_order(original, work, node, opts)

    for k, pv in work.items():
        is_delete_list = False
        if k.startswith(DELETE_FROM_PRIMITIVE_LIST):
            if not opts.parallel:
                original[k] = _copy(pv)
                continue
            k = _extract_key(k, DELETE_FROM_PRIMITIVE_LIST)
            is_delete_list = True

        if pv is None:
            original.pop(k, None)
            if opts.ignore_nulls:
                continue

        if k not in original:
            if not is_delete_list:
                _set_from_patch(original, k, pv, opts)
            continue

        ov = original[k]
        if type(ov) is not type(pv):
            if not is_delete_list:
                _set_from_patch(original, k, pv, opts)
            continue

        if type(ov) is dict:
            child = node.child(k)
            _, strategy = _strategy(child)
            if strategy != REPLACE:
                original[k] = _merge_map(ov, pv, child, opts)
            else:
                original[k] = _copy(pv)
        elif type(ov) is list:
            child = node.child(k)
            _, strategy = _strategy(child)
            original[k] = _merge_slice_handler(ov, pv, child, strategy, is_delete_list, opts)
        else:
            original[k] = pv
    return original


def _set_from_patch(original: dict, k: str, pv: Any, opts: _Opts) -> None:
    """A patch value taken as is: nulls discarded (server side), directive maps dropped."""
    v, keep = _clean(pv, opts.ignore_nulls)
    if keep:
        original[k] = v
    else:
        original.pop(k, None)


def _clean(v: Any, discard_nulls: bool) -> tuple[Any, bool]:
    """Copy of ``v`` after ``discardNullValuesFromPatch`` (optional) and ``removeDirectives``."""
    if isinstance(v, dict):
        if discard_nulls:
            items = [(k, x) for k, x in v.items() if x is not None]
            if any(k == DIRECTIVE for k, _ in items):
                return None, False
        else:
            if DIRECTIVE in v:
                return None, False
            items = list(v.items())
        out = {}
        for k, x in items:
            if isinstance(x, (dict, list)):
                x, keep = _clean(x, discard_nulls)
                if not keep:
                    continue
            out[k] = x
        return out, True
    if isinstance(v, list):
        out_l = []
        for x in v:
            if isinstance(x, (dict, list)):
                x, keep = _clean(x, discard_nulls)
                if not keep:
                    continue
            out_l.append(x)
        return out_l, True
    return v, True


def _remove_directives(v: Any) -> tuple[Any, bool]:
    return _clean(v, False)


def _apply_retain_keys(original: dict, patch: dict, opts: _Opts) -> None:
    """``$retainKeys``: drop every key of ``original`` not listed (server side)."""
    if RETAIN_KEYS not in patch:
        return
    retain = patch.pop(RETAIN_KEYS)
    if not opts.parallel:
        if RETAIN_KEYS in original:
            if not _deq(original[RETAIN_KEYS], retain):
                raise _err(f"{go_format(original[RETAIN_KEYS])} and {go_format(retain)} are not deep equal: "
                           "this may happen when calculating the 3-way diff patch")
        else:
            original[RETAIN_KEYS] = _copy(retain)
        return
    if not isinstance(retain, list):
        raise _err_bad_retain_keys()
    keep = {x for x in retain if isinstance(x, str)}
    for k, v in patch.items():
        if v is None or k.startswith((DELETE_FROM_PRIMITIVE_LIST, SET_ELEMENT_ORDER)):
            continue
        if k not in keep:
            raise _err_bad_retain_keys()
    for k in [k for k in original if k not in keep]:
        del original[k]


def _merge_set_element_order(original: dict, patch: dict, node: Node, opts: _Opts) -> None:
    """``mergePatchIntoOriginal``: merge every list that has a ``$setElementOrder`` and order it."""
    for key in [k for k in patch if k.startswith(SET_ELEMENT_ORDER)]:
        order = patch.pop(key)
        if not opts.parallel:
            if key in original:
                if not _deq(original[key], order):
                    raise _err_bad_set_element_order()
            else:
                original[key] = _copy(order)
        if not isinstance(order, list):
            raise _err_bad_arg_type(_SLICE_T, order)
        okey = _extract_key(key, SET_ELEMENT_ORDER)
        found_o = okey in original
        found_p = okey in patch
        ov: list = []
        pv: list = []
        server_order = None
        if found_o:
            ov = original[okey]
            if not isinstance(ov, list):
                raise _err_bad_arg_type(_SLICE_T, ov)
        if found_p:
            pv = patch[okey]
            if not isinstance(pv, list):
                raise _err_bad_arg_type(_SLICE_T, pv)
        child = node.child(okey)
        _, strategy = _strategy(child)
        mk = child.merge_key
        _validate_patch_with_set_order_list(pv, order, mk)

        if found_o and not found_p:
            merged = ov
        elif not found_o and found_p:
            merged, _ = _remove_directives(pv)
        elif found_o and found_p:
            # upstream orders server-only items by the live list as its own slice header
            # still shows it after the merge mutated the shared backing array
            view: list = []
            merged = _merge_slice_handler(ov, pv, child, strategy, False, opts, view)
            if view:
                server_order = view
        else:
            continue

        if not mk:
            patch_items, server_only = _partition_primitives(merged, order)
        else:
            patch_items, server_only = _partition_maps(merged, order, mk)
        kind = _slice_elem_kind(ov, pv)
        original[okey] = _normalize_element_order(patch_items, server_only, order,
                                                  ov if server_order is None else server_order, mk, kind)
        patch.pop(okey, None)


def _validate_patch_with_set_order_list(patch_list: list, order: list, mk: str) -> None:
    if not order or not patch_list:
        return
    if mk:
        non_delete, _ = _extract_to_delete_items(patch_list)
    else:
        non_delete = patch_list
    pi = oi = 0
    while pi < len(non_delete) and oi < len(order):
        item = non_delete[pi]
        if isinstance(item, dict) and DIRECTIVE in item:
            pi += 1
            continue
        if _merge_key_value_equal(item, order[oi], mk):
            pi += 1
        oi += 1
    if pi < len(non_delete) and oi >= len(order):
        raise _err(f"The order in patch list:\n{go_format(patch_list)}\n doesn't match {SET_ELEMENT_ORDER} list:\n"
                   f"{go_format(order)}\n")


def _merge_key_value_equal(left: Any, right: Any, mk: str) -> bool:
    if not mk:
        return _geq(left, right)
    if not isinstance(left, dict):
        raise _err_bad_arg_type(_MAP_T, left)
    if not isinstance(right, dict):
        raise _err_bad_arg_type(_MAP_T, right)
    if mk not in left:
        raise _err_no_merge_key(left, mk)
    if mk not in right:
        raise _err_no_merge_key(right, mk)
    return _geq(left[mk], right[mk])


def _merge_slice_handler(ov: list, pv: list, field: Node, strategy: str, is_delete_list: bool, opts: _Opts,
                         view: list | None = None) -> list:
    if strategy == MERGE or is_delete_list:
        return _merge_slice(ov, pv, field.item(), field.merge_key, opts, is_delete_list, view)
    return _copy(pv)


def _merge_slice(original: list, patch: list, item: Node, mk: str, opts: _Opts, is_delete_list: bool,
                 view: list | None = None) -> list:
    """``mergeSlice``. ``view``, if given, receives what upstream's caller still sees
    through its own header of the original slice after the merge shifted items
    (deletions) and appended new ones in place (see :func:`_merge_set_element_order`)."""
    if not original and not patch:
        return list(original)
    kind = _slice_elem_kind(original, patch)
    if kind != "map":
        if opts.parallel and is_delete_list:
            drop = {_skey(v) for v in patch}
            return [v for v in original if _skey(v) not in drop]
        merged = _dedupe_stable(original + patch)
        order_patch = patch
    else:
        if not mk:
            raise _err(f"cannot merge lists without merge key for {_node_name(item)}")
        if view is not None:
            view[:] = original
        original, order_patch, replaced = _merge_slice_special(original, patch, mk, view)
        merged = _merge_slice_plain(original, order_patch, mk, item, opts, None if replaced else view)
    if not mk:
        patch_items, server_only = _partition_primitives(merged, order_patch)
    else:
        patch_items, server_only = _partition_maps(merged, order_patch, mk)
    return _normalize_element_order(patch_items, server_only, order_patch, original, mk, kind)


def _dedupe_stable(s: list) -> list:
    seen = set()
    out = []
    for v in s:
        k = _skey(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _merge_slice_special(original: list, patch: list, mk: str,
                         view: list | None) -> tuple[list, list, bool]:
    """``mergeSliceWithSpecialElements``: apply ``$patch`` items; returns (original, patch, replaced)."""
    plain = []
    replace = False
    for v in patch:
        if DIRECTIVE not in v:
            plain.append(v)
            continue
        t = v[DIRECTIVE]
        if t == DELETE and isinstance(t, str):
            if mk not in v:
                raise _err_no_merge_key(v, mk)
            val = v[mk]
            kept = []
            for i, o in enumerate(original):
                if isinstance(o, dict) and mk in o and _geq(o[mk], val):
                    if view is not None:
                        # upstream removes in place: later items shift left, the last slot keeps its value
                        k, length = len(kept), len(kept) + len(original) - i
                        view[k:length - 1] = view[k + 1:length]
                    continue
                kept.append(o)
            original = kept
        elif t == REPLACE and isinstance(t, str):
            replace = True
        elif t == MERGE and isinstance(t, str):
            raise _err("merging lists cannot yet be specified in the patch")
        else:
            raise _err_bad_patch_type(t, v)
    if replace:
        return [_copy(v) for v in plain], [], True
    return original, plain, False


def _merge_slice_plain(original: list, patch: list, mk: str, item: Node, opts: _Opts,
                       view: list | None = None) -> list:
    """``mergeSliceWithoutSpecialElements``: merge items by merge key, append new ones."""
    merged = list(original)
    index: dict[Any, int] | None = None
    for v in patch:
        if mk not in v:
            raise _err_no_merge_key(v, mk)
        if index is None:
            index = {}
            for i, o in enumerate(merged):
                if not isinstance(o, dict):
                    raise _err(f"value for key {i} is not a map")
                if mk in o:
                    index.setdefault(_skey(o[mk]), i)
        key = _skey(v[mk])
        i = index.get(key)
        if i is not None:
            merged[i] = _merge_map(merged[i], v, item, opts)
        else:
            if view is not None and len(merged) < len(view):
                view[len(merged)] = v  # appended in place, visible through the caller's header
            index[key] = len(merged)
            merged.append(_copy(v))
    return merged


def _partition_primitives(merged: list, by: list) -> tuple[list, list]:
    present = {_skey(v) for v in by}
    inp, only = [], []
    for v in merged:
        (inp if _skey(v) in present else only).append(v)
    return inp, only


def _partition_maps(merged: list, by: list, mk: str) -> tuple[list, list]:
    present = set()
    for v in by:
        if isinstance(v, dict) and mk in v:
            present.add(_skey(v[mk]))
        elif not isinstance(v, dict):
            raise _err(f"value for key {by.index(v)} is not a map")
    inp, only = [], []
    for v in merged:
        if not isinstance(v, dict):
            raise _err_bad_arg_type(_MAP_T, v)
        if mk not in v:
            raise _err_no_merge_key(v, mk)
        (inp if _skey(v[mk]) in present else only).append(v)
    return inp, only


def _index_map(order: list, mk: str, kind: str) -> dict:
    """First position of each merge-key value (maps) or value (scalars) in ``order``."""
    idx: dict = {}
    if kind == "map":
        for i, v in enumerate(order):
            k = _skey(v.get(mk)) if isinstance(v, dict) else _skey(None)
            idx.setdefault(k, i)
    else:
        for i, v in enumerate(order):
            idx.setdefault(_skey(v), i)
    return idx


def _pos(idx: dict, v: Any, mk: str, kind: str) -> int:
    if kind == "map":
        k = _skey(v.get(mk)) if isinstance(v, dict) else _skey(None)
    else:
        k = _skey(v)
    return idx.get(k, -1)


def _normalize_element_order(patch_items: list, server_only: list, patch_order: list, server_order: list,
                             mk: str, kind: str) -> list:
    patch_items = _normalize_slice_order(patch_items, patch_order, mk, kind)
    server_only = _normalize_slice_order(server_only, server_order, mk, kind)
    return _merge_sorted(server_only, patch_items, server_order, mk, kind)


def _extract_to_delete_items(items: list) -> tuple[list, list]:
    keep, delete = [], []
    for v in items:
        if not isinstance(v, dict):
            raise _err_bad_arg_type(_MAP_T, v)
        d = v.get(DIRECTIVE, _UNSET)
        if isinstance(d, str) and d == DELETE:
            delete.append(v)
        else:
            keep.append(v)
    return keep, delete


def _normalize_slice_order(to_sort: list, order: list, mk: str, kind: str) -> list:
    """``normalizeSliceOrder``: stable sort by position in ``order``; delete items last."""
    delete: list = []
    if kind == "map":
        for lst in (to_sort, order):
            for v in lst:
                if not isinstance(v, dict):
                    raise _err_bad_arg_type(_MAP_T, v)
                if mk not in v:
                    raise _err_no_merge_key(v, mk)
        to_sort, delete = _extract_to_delete_items(to_sort)
    if len(to_sort) > 1:
        idx = _index_map(order, mk, kind)
        pos = [_pos(idx, v, mk, kind) for v in to_sort]
        if min(pos) >= 0 or len(to_sort) > 20:
            key = len(order)
            ranked = sorted(range(len(to_sort)), key=lambda i: pos[i] if pos[i] >= 0 else key)
        else:
            ranked = _go_insertion_sort(pos)
        to_sort = [to_sort[i] for i in ranked]
    return to_sort + delete


def _go_insertion_sort(pos: list[int]) -> list[int]:
    """Go's ``sort.SliceStable`` on a short slice with upstream's lenient less function
    (an item missing from the order list sorts before anything)."""
    perm = list(range(len(pos)))

    def less(a: int, b: int) -> bool:
        pa, pb = pos[a], pos[b]
        if pa >= 0 and pb >= 0:
            return pa < pb
        return True

    for i in range(1, len(perm)):
        j = i
        while j > 0 and less(perm[j], perm[j - 1]):
            perm[j], perm[j - 1] = perm[j - 1], perm[j]
            j -= 1
    return perm


def _merge_sorted(left: list, right: list, server_order: list, mk: str, kind: str) -> list:
    """``mergeSortedSlice``: interleave server-only items (left) into patch items (right)."""
    if not left:
        return right
    if not right:
        return left
    idx = _index_map(server_order, mk, kind)
    out = []
    i = j = 0
    nl, nr = len(left), len(right)
    while i < nl or j < nr:
        if i >= nl:
            out.append(right[j])
            j += 1
        elif j >= nr:
            out.append(left[i])
            i += 1
        else:
            li = _pos(idx, left[i], mk, kind)
            ri = _pos(idx, right[j], mk, kind)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


# ============================================================ computing a patch


class _Diff:
    __slots__ = ("ignore_changes", "ignore_deletions", "retain_keys", "set_element_order")

    def __init__(self, set_element_order: bool = False, ignore_changes: bool = False,
                 ignore_deletions: bool = False, retain_keys: bool = False) -> None:
        self.set_element_order = set_element_order
        self.ignore_changes = ignore_changes  # IgnoreChangesAndAdditions
        self.ignore_deletions = ignore_deletions
        self.retain_keys = retain_keys  # BuildRetainKeysDirective

    def with_retain_keys(self, rk: bool) -> _Diff:
        if rk == self.retain_keys:
            return self
        return _Diff(self.set_element_order, self.ignore_changes, self.ignore_deletions, rk)


def create_two_way_merge_patch(original: dict, modified: dict, resource: Resource) -> dict:
    """The strategic merge patch that turns ``original`` into ``modified`` (``CreateTwoWayMergePatch``)."""
    return _diff_maps(original or {}, modified or {}, _schema(resource), _Diff(set_element_order=True))


def create_three_way_merge_patch(original: dict | None, modified: dict, current: dict, resource: Resource,
                                 overwrite: bool = True) -> dict:
    """What ``kubectl apply`` sends (``CreateThreeWayMergePatch``).

    ``original`` is the last-applied configuration, ``modified`` the new one and
    ``current`` the live object. The patch holds the changes from ``current`` to
    ``modified`` (no deletions) plus the deletions from ``original`` to
    ``modified``. With ``overwrite=False`` a patch that conflicts with changes
    made from ``original`` to ``current`` raises a :class:`StrategicMergePatchError`.
    """
    schema = _schema(resource)
    original = original or {}
    modified = modified or {}
    current = current or {}
    delta = _diff_maps(current, modified, schema, _Diff(set_element_order=True, ignore_deletions=True))
    deletions = _diff_maps(original, modified, schema, _Diff(set_element_order=True, ignore_changes=True))
    patch = _merge_map(deletions, delta, schema, _PATCH_MERGE)
    if not overwrite:
        changed = _diff_maps(original, current, schema, _Diff())
        if merging_maps_have_conflicts(patch, changed, schema):
            raise _err(f"patch:\n{_to_yaml(patch)}\nconflicts with changes made from original to current:\n"
                       f"{_to_yaml(changed)}\n")
    return patch


def _to_yaml(v: Any) -> str:
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True)


def _diff_maps(original: dict, modified: dict, node: Node, opts: _Diff) -> dict:
    patch: dict = {}
    retain: list = []
    for key, mv in modified.items():
        if opts.retain_keys and mv is not None:
            retain.append(key)
        if key not in original:
            if not opts.ignore_changes:
                patch[key] = _copy(mv)
            continue
        ov = original[key]
        if key == DIRECTIVE:
            if not isinstance(ov, str) or not isinstance(mv, str):
                raise _err(f"invalid value for special key: {DIRECTIVE}")
            if mv != ov:
                patch[key] = mv
            continue
        if type(ov) is not type(mv):
            if not opts.ignore_changes:
                patch[key] = _copy(mv)
            continue
        if type(ov) is dict:
            child = node.child(key)
            rk, strategy = _strategy(child)
            if strategy == REPLACE:
                if not opts.ignore_changes:
                    patch[key] = _copy(mv)
            else:
                pv = _diff_maps(ov, mv, child, opts.with_retain_keys(rk))
                if pv:
                    patch[key] = pv
        elif type(ov) is list:
            child = node.child(key)
            rk, strategy = _strategy(child)
            if strategy == MERGE:
                add, delete, order = _diff_lists(ov, mv, child.item(), child.merge_key, opts.with_retain_keys(rk))
                if add:
                    patch[key] = add
                if delete:
                    patch[_DEL_PREFIX + key] = delete
                if order:
                    patch[_SEO_PREFIX + key] = order
            elif not opts.ignore_changes and not _deq(ov, mv):
                patch[key] = _copy(mv)
        elif not opts.ignore_changes and not _deq(ov, mv):
            patch[key] = mv
    if not opts.ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    if retain and (patch or any(v is not None and k not in modified for k, v in original.items())):
        patch[RETAIN_KEYS] = _sort_scalars(retain)
    return patch


def _sort_scalars(s: list) -> list:
    return sorted(s, key=go_format)


def _go_dedupe(s: list) -> list:
    """``deduplicateScalars``, order effects included (a duplicate is replaced by the last item)."""
    s = list(s)
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _geq(s[i], s[j]):
                s[j] = s[length]
                s = s[:length]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _diff_lists(original: list, modified: list, item: Node, mk: str, opts: _Diff) -> tuple[list, list, list]:
    if not original:
        if not modified or opts.ignore_changes:
            return [], [], []
        return _copy(modified), [], []
    kind = _slice_elem_kind(original, modified)
    order: list = []
    if kind == "map":
        patch_list, delete_list = _diff_lists_of_maps(original, modified, item, mk, opts)
        patch_list = _normalize_slice_order(patch_list, modified, mk, kind)
        same = _is_order_same(original, modified, mk)
        patch_list = patch_list + delete_list
        delete_list = []
        if opts.set_element_order and ((not opts.ignore_changes and (patch_list or not same))
                                       or (not opts.ignore_deletions and patch_list)):
            order = [{mk: m[mk]} for m in modified]
    else:
        sorted_original = _sort_scalars(original)
        patch_list, delete_list = _diff_lists_of_scalars(sorted_original, modified, opts)
        patch_list = _normalize_slice_order(patch_list, modified, mk, kind)
        # upstream sorts ``original`` in place before this comparison
        if opts.set_element_order and ((not opts.ignore_deletions and delete_list)
                                       or (not opts.ignore_changes and not _deq(sorted_original, modified))):
            order = _copy(modified)
    return patch_list, delete_list, order


def _is_order_same(original: list, modified: list, mk: str) -> bool:
    if len(original) != len(modified):
        return False
    for o, m in zip(original, modified):
        if not _merge_key_value_equal(o, m, mk):
            return False
    return True


def _diff_lists_of_scalars(original_sorted: list, modified: list, opts: _Diff) -> tuple[list, list]:
    mod_sorted = _sort_scalars(modified)
    oi = mi = 0
    add: list = []
    delete: list = []
    no, nm = len(original_sorted), len(mod_sorted)
    while oi < no or mi < nm:
        o_in, m_in = oi < no, mi < nm
        os_ = go_format(original_sorted[oi]) if o_in else ""
        ms_ = go_format(mod_sorted[mi]) if m_in else ""
        if o_in and m_in and os_ == ms_:
            oi += 1
            mi += 1
        elif not o_in or (m_in and os_ > ms_):
            if not opts.ignore_changes:
                add.append(mod_sorted[mi])
            mi += 1
        else:
            if not opts.ignore_deletions:
                delete.append(original_sorted[oi])
            oi += 1
    return add, _go_dedupe(delete)


def _sorted_by_merge_key(items: list, mk: str) -> list:
    if not items:
        return items
    _slice_elem_kind(items)
    return sorted(items, key=lambda m: go_format(m.get(mk)) if isinstance(m, dict) else "")


def _diff_lists_of_maps(original: list, modified: list, item: Node, mk: str, opts: _Diff) -> tuple[list, list]:
    patch: list = []
    deletions: list = []
    os_ = _sorted_by_merge_key(original, mk)
    ms_ = _sorted_by_merge_key(modified, mk)
    oi = mi = 0
    no, nm = len(os_), len(ms_)
    while oi < no or mi < nm:
        o_in, m_in = oi < no, mi < nm
        oe = me = None
        ok = mkey = ""
        if o_in:
            oe = os_[oi]
            if mk not in oe:
                raise _err_no_merge_key(oe, mk)
            ok = go_format(oe[mk])
        if m_in:
            me = ms_[mi]
            if mk not in me:
                raise _err_no_merge_key(me, mk)
            mkey = go_format(me[mk])
        if o_in and m_in and ok == mkey:
            pv = _diff_maps(oe, me, item, opts)
            if pv:
                pv[mk] = me[mk]
                patch.append(pv)
            oi += 1
            mi += 1
        elif not o_in or (m_in and ok > mkey):
            if not opts.ignore_changes:
                patch.append(_copy(me))
            mi += 1
        else:
            if not opts.ignore_deletions:
                deletions.append({mk: oe[mk], DIRECTIVE: DELETE})
            oi += 1
    return patch, deletions


# ============================================================ conflicts (three-way, overwrite=False)


def merging_maps_have_conflicts(left: dict, right: dict, schema: Node) -> bool:
    """``MergingMapsHaveConflicts``: do two patches change a field differently?"""
    return _fields_conflict(left, right, schema, "", "")


def _fields_conflict(left: Any, right: Any, node: Node, strategy: str, mk: str) -> bool:
    if isinstance(left, dict):
        if not isinstance(right, dict):
            return True
        lm, rm = DIRECTIVE in left, DIRECTIVE in right
        if lm or rm:
            if lm != rm:
                return True
            if not _geq(left[DIRECTIVE], right[DIRECTIVE]):
                return True
        if strategy == REPLACE:
            return False
        return _maps_conflict(left, right, node)
    if isinstance(left, list):
        if not isinstance(right, list):
            return True
        return _slices_conflict(left, right, node, strategy, mk)
    return not _deq(left, right)


def _maps_conflict(left: dict, right: dict, node: Node) -> bool:
    for key, lv in left.items():
        if key == DIRECTIVE or key == RETAIN_KEYS or key not in right:
            continue
        sub, strategy, mk = EMPTY, "", ""
        if isinstance(lv, list):
            child = node.child(key)
            _, strategy = _strategy(child)
            sub, mk = child.item(), child.merge_key
        elif isinstance(lv, dict):
            child = node.child(key)
            _, strategy = _strategy(child)
            sub, mk = child, child.merge_key
        if _fields_conflict(lv, right[key], sub, strategy, mk):
            return True
    return False


def _slices_conflict(left: list, right: list, item: Node, strategy: str, mk: str) -> bool:
    kind = _slice_elem_kind(left, right)
    if strategy == MERGE:
        if kind != "map":
            return False
        lm = _slice_to_map(left, mk)
        rm = _slice_to_map(right, mk)
        for k, lv in lm.items():
            if k in rm and _fields_conflict(lv, rm[k], item, "", ""):
                return True
        return False
    if len(left) != len(right):
        return True
    if kind != "map":
        left = _sort_scalars(_go_dedupe(left))
        right = _sort_scalars(_go_dedupe(right))
    for a, b in zip(left, right):
        if _fields_conflict(a, b, item, "", ""):
            return True
    return False


def _slice_to_map(s: list, mk: str) -> dict:
    out = {}
    for v in s:
        if not isinstance(v, dict):
            raise _err(f"invalid element type in merging list:{go_format(s)}")
        if mk not in v:
            raise _err(f"cannot find merge key `{mk}` in merging list element:{go_format(v)}")
        out[_go_format_s(v[mk])] = v
    return out
