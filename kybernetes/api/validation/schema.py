"""Type and unknown-field checks driven by the official OpenAPI-derived JSON schemas.

Upstream decodes a request body into typed Go structs. Two things fall out of
that, and both are reproduced here by one walk over the object, guided by a
compiled form of the schemas that ship with ``kubernetes-validate``:

* a JSON value of the wrong type (``"data": ["a"]``) makes decoding fail with
  ``json: cannot unmarshal array into Go struct field ConfigMap.data of type
  map[string]string`` (the server answers 400 BadRequest);
* a field the struct does not have is dropped, and reported as
  ``unknown field "spec.foo"`` when ``fieldValidation`` is Strict or Warn.

Duplicate JSON keys are the other strict-decoding complaint
(``duplicate field "metadata.labels"``); :func:`decode_json` finds them in the raw
body and merges duplicate objects the way Go's decoder does (a repeated map or
struct is decoded into the same value, a repeated list or scalar replaces it).

The schemas are compiled lazily, one definition at a time, into small
:class:`Node` objects; the walk is a tight recursive function, so a typical
ConfigMap costs a few microseconds and a Deployment a few dozen.

The same compiled nodes know where ``resource.Quantity`` values live, which is
how :func:`normalize_quantities` rewrites every quantity into upstream's
canonical form (and rounds ResourceLists up to milli units, as
``SetDefaults_ResourceList`` does).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from typing import Any

from .. import quantity as _q

SCHEMA_VERSION = "v1.33.0"

# node kinds
STRUCT, MAP, ARRAY, STR, INT, NUM, BOOL, ANY, INTSTR, QTY, BYTES, TIME = range(12)

_SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INTSTR,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QTY,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": TIME,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": TIME,
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": ANY,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": ANY,
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": ANY,
}

_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class Node:
    __slots__ = ("kind", "props", "elem", "gotype", "struct", "bits", "qty", "resource_list", "_raw", "_defs")

    def __init__(self, kind: int) -> None:
        self.kind = kind
        self.props: dict[str, Node] | None = None
        self.elem: Node | None = None
        self.gotype = ""
        self.struct = ""  # Go struct name (no package) for STRUCT nodes
        self.bits = 64
        self.qty: bool | None = None  # holds a Quantity somewhere below
        self.resource_list = False


class _Schemas:
    def __init__(self) -> None:
        self.defs: dict[str, dict] | None = None
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        self.nodes: dict[str, Node] = {}

    def load(self) -> None:
        if self.defs is not None:
            return
        spec = importlib.util.find_spec("kubernetes_validate")
        if spec is None or not spec.submodule_search_locations:
            self.defs = {}
            return
        base = list(spec.submodule_search_locations)[0]
        path = os.path.join(base, "kubernetes-json-schema", f"{SCHEMA_VERSION}-local", "_definitions.json")
        try:
            with open(path, "rb") as f:
                raw = json.load(f)
        except OSError:
            self.defs = {}
            return
        defs = raw.get("$defs") or raw.get("definitions") or {}
        self.defs = defs
        for name, d in defs.items():
            for gvk in d.get("x-kubernetes-group-version-kind") or ():
                key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
                # prefer the definition whose name ends with the kind (skips e.g. DeleteOptions aliases)
                if key not in self.by_gvk or name.endswith("." + key[2]):
                    self.by_gvk[key] = name

    def root(self, group: str, version: str, kind: str) -> Node | None:
        self.load()
        name = self.by_gvk.get((group, version, kind))
        if name is None:
            return None
        return self.def_node(name)

    def def_node(self, name: str) -> Node:
        node = self.nodes.get(name)
        if node is not None:
            return node
        special = _SPECIAL.get(name)
        if special is not None:
            node = Node(special)
            node.gotype = {INTSTR: "intstr.IntOrString", QTY: "resource.Quantity", TIME: "v1.Time", ANY: "interface {}"}[special]
            self.nodes[name] = node
            return node
        d = self.defs.get(name, {}) if self.defs else {}
        parts = name.split(".")
        gotype = f"{parts[-2]}.{parts[-1]}" if len(parts) >= 2 else name
        if "properties" in d:
            node = Node(STRUCT)
            node.gotype = gotype
            node.struct = parts[-1]
            self.nodes[name] = node  # register before compiling children (recursive types)
            node.props = {k: self.compile(v, name) for k, v in d["properties"].items()}
            return node
        node = self.compile(d, name)
        self.nodes[name] = node
        return node

    def compile(self, sch: dict, owner: str) -> Node:
        ref = sch.get("$ref")
        if ref:
            return self.def_node(ref.rsplit("/", 1)[-1])
        if "properties" in sch:  # inline struct (not used by the k8s schemas, but be safe)
            node = Node(STRUCT)
            node.gotype = owner.rsplit(".", 1)[-1]
            node.struct = node.gotype
            node.props = {k: self.compile(v, owner) for k, v in sch["properties"].items()}
            return node
        one_of = sch.get("oneOf")
        if one_of:
            kinds = {t for o in one_of for t in _types(o)}
            if kinds == {"string", "integer"}:
                n = Node(INTSTR)
                n.gotype = "intstr.IntOrString"
                return n
            if kinds == {"string", "number"}:
                n = Node(QTY)
                n.gotype = "resource.Quantity"
                return n
            n = Node(ANY)
            n.gotype = "interface {}"
            return n
        types = _types(sch)
        if "object" in types:
            ap = sch.get("additionalProperties")
            if isinstance(ap, dict) and ap:
                n = Node(MAP)
                n.elem = self.compile(ap, owner)
                if n.elem.kind == QTY:
                    n.resource_list = owner.startswith("io.k8s.api.core.v1.")
                    n.gotype = "v1.ResourceList" if n.resource_list else "map[string]resource.Quantity"
                else:
                    n.gotype = "map[string]" + n.elem.gotype
                return n
            n = Node(ANY)
            n.gotype = "map[string]interface {}"
            return n
        if "array" in types:
            n = Node(ARRAY)
            items = sch.get("items")
            n.elem = self.compile(items, owner) if isinstance(items, dict) else _any()
            n.gotype = "[]" + n.elem.gotype
            return n
        if "string" in types:
            fmt = sch.get("format")
            if fmt == "byte":
                n = Node(BYTES)
                n.gotype = "[]uint8"
                return n
            if fmt == "date-time":
                n = Node(TIME)
                n.gotype = "v1.Time"
                return n
            n = Node(STR)
            n.gotype = "string"
            return n
        if "integer" in types:
            n = Node(INT)
            if sch.get("format") == "int32":
                n.bits = 32
                n.gotype = "int32"
            else:
                n.gotype = "int64"
            return n
        if "number" in types:
            n = Node(NUM)
            n.gotype = "float64"
            return n
        if "boolean" in types:
            n = Node(BOOL)
            n.gotype = "bool"
            return n
        return _any()


def _any() -> Node:
    n = Node(ANY)
    n.gotype = "interface {}"
    return n


def _types(sch: dict) -> tuple[str, ...]:
    t = sch.get("type")
    if t is None:
        return ()
    if isinstance(t, str):
        return (t,)
    return tuple(x for x in t if x != "null")


SCHEMAS = _Schemas()


def root_node(group: str, version: str, kind: str) -> Node | None:
    return SCHEMAS.root(group, version, kind)


# --- the walk ------------------------------------------------------------------------------

def _json_kind(v: Any) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


class _Walk:
    __slots__ = ("type_errs", "abort_errs", "unknown", "want_unknown")

    def __init__(self, want_unknown: bool) -> None:
        self.type_errs: list[str] = []
        self.abort_errs: list[str] = []
        self.unknown: list[str] = []
        self.want_unknown = want_unknown

    def type_err(self, value_kind: str, struct: str, tpath: str, gotype: str) -> None:
        if struct:
            self.type_errs.append(f"json: cannot unmarshal {value_kind} into Go struct field {struct}.{tpath} of type {gotype}")
        else:
            self.type_errs.append(f"json: cannot unmarshal {value_kind} into Go value of type {gotype}")

    def walk(self, node: Node, v: Any, upath: str, tpath: str, struct: str) -> None:
        if v is None:
            return
        k = node.kind
        if k == STRUCT:
            if type(v) is not dict:
                self.type_err(_json_kind(v), struct, tpath, node.gotype)
                return
            props = node.props
            sname = node.struct
            for key, val in v.items():
                child = props.get(key)
                if child is None:
                    if self.want_unknown:
                        self.unknown.append(upath + "." + key if upath else key)
                    continue
                if val is None:
                    continue
                ck = child.kind
                if ck == STR:
                    if type(val) is not str:
                        self.type_err(_json_kind(val), sname, tpath + "." + key if tpath else key, "string")
                    continue
                if ck == ANY:
                    continue
                if ck == BOOL:
                    if type(val) is not bool:
                        self.type_err(_json_kind(val), sname, tpath + "." + key if tpath else key, "bool")
                    continue
                if ck == INT and type(val) is int and _INT32_MIN <= val <= _INT32_MAX:
                    continue
                self.walk(child, val, upath + "." + key if upath else key, tpath + "." + key if tpath else key, sname)
        elif k == STR:
            if type(v) is not str:
                self.type_err(_json_kind(v), struct, tpath, "string")
        elif k == ARRAY:
            if type(v) is not list:
                self.type_err(_json_kind(v), struct, tpath, node.gotype)
                return
            elem = node.elem
            ek = elem.kind
            if ek == STR:
                for item in v:
                    if item is not None and type(item) is not str:
                        self.type_err(_json_kind(item), struct, tpath, "string")
                return
            if ek == ANY:
                return
            for idx, item in enumerate(v):
                self.walk(elem, item, f"{upath}[{idx}]", tpath, struct)
        elif k == MAP:
            if type(v) is not dict:
                self.type_err(_json_kind(v), struct, tpath, node.gotype)
                return
            elem = node.elem
            ek = elem.kind
            if ek == STR:
                for item in v.values():
                    if item is not None and type(item) is not str:
                        self.type_err(_json_kind(item), struct, tpath, "string")
                return
            if ek == ANY:
                return
            for key, item in v.items():
                self.walk(elem, item, upath + "." + key if upath else key, tpath, struct)
        elif k == INT:
            if type(v) is int:
                if node.bits == 32:
                    if not (_INT32_MIN <= v <= _INT32_MAX):
                        self.type_err(f"number {v}", struct, tpath, node.gotype)
                elif not (_INT64_MIN <= v <= _INT64_MAX):
                    self.type_err(f"number {v}", struct, tpath, node.gotype)
            elif type(v) is float:
                self.type_err(f"number {_float_text(v)}", struct, tpath, node.gotype)
            else:
                self.type_err(_json_kind(v), struct, tpath, node.gotype)
        elif k == BOOL:
            if type(v) is not bool:
                self.type_err(_json_kind(v), struct, tpath, "bool")
        elif k == NUM:
            if type(v) not in (int, float):
                self.type_err(_json_kind(v), struct, tpath, "float64")
        elif k == QTY:
            if type(v) is str or (type(v) in (int, float)):
                try:
                    _q.parse(v if type(v) is not str or v == v.strip() else v.strip())
                except _q.QuantityError as e:
                    self.abort_errs.append(str(e))
            else:
                self.abort_errs.append(_q.FORMAT_ERROR)
        elif k == INTSTR:
            t = type(v)
            if t is str:
                return
            if t is int:
                if not (_INT32_MIN <= v <= _INT32_MAX):
                    self.abort_errs.append(f"json: cannot unmarshal number {v} into Go value of type int32")
            elif t is float:
                self.abort_errs.append(f"json: cannot unmarshal number {_float_text(v)} into Go value of type int32")
            else:
                self.abort_errs.append(f"json: cannot unmarshal {_json_kind(v)} into Go value of type int32")
        elif k == TIME:
            if type(v) is not str:
                self.abort_errs.append(f"json: cannot unmarshal {_json_kind(v)} into Go value of type string")
            elif not _RFC3339.match(v):
                self.abort_errs.append(f'parsing time {_goq(v)} as "2006-01-02T15:04:05Z07:00": cannot parse {_goq(v)} as "2006"')
        elif k == BYTES:
            if type(v) is not str:
                self.type_err(_json_kind(v), struct, tpath, "[]uint8")
            elif not _is_base64(v):
                self.type_errs.append("illegal base64 data at input byte " + str(_bad_base64_at(v)))


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def _is_base64(s: str) -> bool:
    if "\n" in s or "\r" in s:
        s = s.replace("\n", "").replace("\r", "")
    return len(s) % 4 == 0 and bool(_B64.match(s))


def _bad_base64_at(s: str) -> int:
    for idx, ch in enumerate(s):
        if not (ch.isalnum() and ch.isascii()) and ch not in "+/=":
            return idx
    return len(s) - (len(s) % 4 or 4) if len(s) % 4 else len(s)


def _goq(s: str) -> str:
    from .fielderr import go_quote

    return go_quote(s)


def _float_text(f: float) -> str:
    r = repr(f)
    return r


def check(group: str, version: str, kind: str, obj: Any, *, unknown: bool = True) -> tuple[list[str], list[str]]:
    """(type errors, unknown field paths) of ``obj`` against the kind's schema.

    Type errors are upstream's decode messages, the one upstream would report
    first at index 0. Unknown paths are bare (``spec.replica``); see
    :func:`unknown_field_messages` for the formatted warnings.
    """
    node = SCHEMAS.root(group, version, kind)
    if node is None or not isinstance(obj, dict):
        return [], []
    w = _Walk(unknown)
    w.walk(node, obj, "", "", "")
    errs = w.abort_errs + w.type_errs if w.abort_errs else w.type_errs
    return errs, w.unknown


def _prune(node: Node, v: Any) -> None:
    k = node.kind
    if k == STRUCT:
        if type(v) is not dict:
            return
        props = node.props or {}
        for key in [key for key in v if key not in props]:
            del v[key]
        for key, val in v.items():
            if val is not None and props[key].kind in (STRUCT, ARRAY, MAP):
                _prune(props[key], val)
    elif k in (ARRAY, MAP):
        elem = node.elem
        if elem is None or elem.kind not in (STRUCT, ARRAY, MAP):
            return
        items = v if type(v) is list else v.values() if type(v) is dict else ()
        for item in items:
            if item is not None:
                _prune(elem, item)


def prune_unknown(group: str, version: str, kind: str, obj: Any) -> None:
    """Drop fields the kind's schema does not have, in place: what decoding into
    upstream's typed structs does (for fieldValidation Warn and Ignore)."""
    node = SCHEMAS.root(group, version, kind)
    if node is not None and isinstance(obj, dict):
        _prune(node, obj)


def unknown_field_messages(paths: list[str]) -> list[str]:
    return [f'unknown field "{p}"' for p in paths]


# --- duplicate fields in the raw JSON -------------------------------------------------------

class _Pairs(list):
    """object_pairs_hook result that remembers duplicate keys."""

    __slots__ = ()


def _pairs_hook(pairs: list) -> Any:
    if len(pairs) < 2:
        return dict(pairs)
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    p = _Pairs(pairs)
    return p


def _merge_go(old: Any, new: Any) -> Any:
    """Go decodes a repeated key into the existing value: maps/structs merge, others replace."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for k, v in new.items():
            merged[k] = _merge_go(merged[k], v) if k in merged else v
        return merged
    return new


def _resolve(v: Any, path: str, dups: list[str]) -> Any:
    if isinstance(v, _Pairs):
        out: dict = {}
        for k, item in v:
            p = path + "." + k if path else k
            item = _resolve(item, p, dups)
            if k in out:
                dups.append(p)
                out[k] = _merge_go(out[k], item)
            else:
                out[k] = item
        return out
    if isinstance(v, dict):
        if not _has_pairs(v):
            return v
        return {k: _resolve(item, path + "." + k if path else k, dups) for k, item in v.items()}
    if isinstance(v, list):
        if not _has_pairs(v):
            return v
        return [_resolve(item, f"{path}[{i}]", dups) for i, item in enumerate(v)]
    return v


def _has_pairs(v: Any) -> bool:
    if isinstance(v, _Pairs):
        return True
    if isinstance(v, dict):
        return any(isinstance(x, (dict, list)) and _has_pairs(x) for x in v.values())
    if isinstance(v, list):
        return any(isinstance(x, (dict, list)) and _has_pairs(x) for x in v)
    return False


def decode_json(raw: bytes | str) -> tuple[Any, list[str]]:
    """Parse a JSON body the way Go does with duplicates: (object, duplicate paths).

    Raises ``ValueError`` for malformed JSON.
    """
    obj = json.loads(raw, object_pairs_hook=_pairs_hook)
    if not _has_pairs(obj):
        return obj, []
    dups: list[str] = []
    obj = _resolve(obj, "", dups)
    return obj, dups


def duplicate_fields(raw: bytes | str) -> list[str]:
    """Upstream-formatted messages for repeated keys: ``duplicate field "metadata.name"``."""
    try:
        _, dups = decode_json(raw)
    except ValueError:
        return []
    return [f'duplicate field "{p}"' for p in dups]


# --- quantities ------------------------------------------------------------------------------

def _has_qty(node: Node, seen: set[int]) -> bool:
    if node.qty is not None:
        return node.qty
    if id(node) in seen:
        return False
    seen.add(id(node))
    k = node.kind
    if k == QTY:
        res = True
    elif k == STRUCT:
        res = False
        for child in (node.props or {}).values():
            if _has_qty(child, seen):
                res = True
    elif k in (ARRAY, MAP):
        res = _has_qty(node.elem, seen) if node.elem else False
    else:
        res = False
    node.qty = res
    return res


def _normalize(node: Node, v: Any) -> Any:
    """Return the canonical replacement for ``v`` (or ``v`` itself)."""
    k = node.kind
    if k == STRUCT:
        if type(v) is dict:
            props = node.props
            for key, val in v.items():
                child = props.get(key)
                if child is not None and val is not None and child.qty:
                    nv = _normalize(child, val)
                    if nv is not val:
                        v[key] = nv
        return v
    if k == MAP:
        if type(v) is dict:
            elem = node.elem
            if elem.kind == QTY:
                rl = node.resource_list
                for key, val in v.items():
                    if val is None:
                        continue
                    nv = _canon_qty(val, rl)
                    if nv != val or type(nv) is not type(val):
                        v[key] = nv
            else:
                for key, val in v.items():
                    if val is not None:
                        nv = _normalize(elem, val)
                        if nv is not val:
                            v[key] = nv
        return v
    if k == ARRAY:
        if type(v) is list:
            elem = node.elem
            for idx, val in enumerate(v):
                if val is not None:
                    nv = _normalize(elem, val)
                    if nv is not val:
                        v[idx] = nv
        return v
    if k == QTY:
        return _canon_qty(v, False)
    return v


_RL_CACHE: dict[Any, str] = {}


def _canon_qty(v: Any, resource_list: bool) -> Any:
    if type(v) is str:
        try:
            if resource_list:
                hit = _RL_CACHE.get(v)
                if hit is None:
                    hit = _q.round_up(v.strip(), -3)
                    if len(_RL_CACHE) > 4096:
                        _RL_CACHE.clear()
                    _RL_CACHE[v] = hit
                return hit
            return _q.canonical(v.strip())
        except _q.QuantityError:
            return v
    if type(v) in (int, float):
        try:
            return _q.round_up(v, -3) if resource_list else _q.canonical(v)
        except _q.QuantityError:
            return v
    return v


def normalize_quantities(group: str, version: str, kind: str, obj: Any) -> None:
    """Rewrite every Quantity in ``obj`` to canonical form, in place."""
    node = SCHEMAS.root(group, version, kind)
    if node is None or type(obj) is not dict:
        return
    if node.qty is None:
        _has_qty(node, set())
    if node.qty:
        _normalize(node, obj)
