"""Field ownership (``metadata.managedFields``) and server-side apply.

Upstream records, for every object, which *manager* (a client named by
``?fieldManager=`` or its User-Agent) set which fields, and uses that record to
merge ``application/apply-patch+yaml`` bodies. This module reproduces that
bookkeeping as pure functions on JSON dicts:

* :class:`FieldSet` is a set of field paths, read from and written as the
  ``FieldsV1`` trie (``{"f:spec":{"f:replicas":{}}}``);
* :func:`update_managed_fields` is what every non-apply write (create, update,
  patch, status writes) does to ``managedFields``;
* :func:`apply` is server-side apply: merge, ownership, pruning of fields a
  manager stopped applying, and conflicts (:class:`ApplyConflict`, a 409);
* :func:`scale_managed_fields` maps ownership of ``spec.replicas`` through a
  ``/scale`` write;
* :func:`decode_managed_fields` reads entries written by clients (``kubectl
  apply --server-side`` rewrites them when migrating from client-side apply).

How a field is addressed depends on the schema: struct fields and map keys are
``f:<name>``; items of associative lists (``x-kubernetes-list-type: map``) are
``k:{<key fields>}``; items of sets are ``v:<value>``; atomic lists, atomic maps
and scalars are leaves. The schemas are the official OpenAPI-derived JSON
schemas shipped with ``kubernetes-validate`` (built-in kinds), the CRD's
``openAPIV3Schema`` (custom resources), or nothing (every map granular, every
list atomic).

Objects of built-in kinds are compared the way upstream sees them: as Go structs
serialized back to JSON. :func:`normalize` imitates that round trip (a missing
non-``omitempty`` field reads back as its zero value, an empty ``omitempty``
field disappears) using the struct layout in ``data/k8s-protobuf-fields.json``.
That is why a create does not own ``spec.template`` itself (the zero Deployment
already has one) but owns ``spec.strategy.rollingUpdate`` as a whole.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import importlib.util
import json
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson

from . import errors
from .gofmt import go_float as _go_float
from .gofmt import go_quote as _go_quote
from .gofmt import go_type_name as _go_type_name

__all__ = [
    "ABSENT",
    "ApplyConflict",
    "Conflict",
    "FieldSet",
    "ManagedFieldsError",
    "apply",
    "conflict_message",
    "conflict_status",
    "decode_managed_fields",
    "fields_from_object",
    "fieldset_from_fieldsv1",
    "fieldset_to_fieldsv1",
    "is_reset",
    "manager_name",
    "normalize",
    "path_string",
    "reset_fields",
    "scale_managed_fields",
    "type_for",
    "update_managed_fields",
]

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
MAX_UPDATE_MANAGERS = 10
_ANCIENT = "ancient-changes"
_BEFORE_FIRST_APPLY = "before-first-apply"
_ANNOTATIONS_SIZE_LIMIT = 256 * 1024


class _Absent:
    """A field that is not there (``None`` is a JSON null that is there)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


# --------------------------------------------------------------------------------------------------
# Values: a hashable, tagged form of JSON values (so True, 1 and 1.0 stay apart where they must)
# --------------------------------------------------------------------------------------------------

_NULL = ("n",)


def _canon(v: Any) -> tuple:
    if v is None:
        return _NULL
    if v is True or v is False:
        return ("b", v)
    if isinstance(v, int):
        return ("i", v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 2**63:
            return ("i", int(v))
        return ("d", v)
    if isinstance(v, str):
        return ("s", v)
    if isinstance(v, (list, tuple)):
        return ("l", tuple(_canon(x) for x in v))
    if isinstance(v, dict):
        return ("m", tuple(sorted((k, _canon(x)) for k, x in v.items())))
    return ("s", str(v))


def _uncanon(c: tuple) -> Any:
    tag = c[0]
    if tag == "n":
        return None
    if tag in ("b", "i", "d", "s"):
        return c[1]
    if tag == "l":
        return [_uncanon(x) for x in c[1]]
    return {k: _uncanon(x) for k, x in c[1]}


def _csort(c: tuple) -> tuple:
    """Sort key that orders values as structured-merge-diff does: numbers, strings, bools, lists, maps, null."""
    tag = c[0]
    if tag in ("i", "d"):
        return (0, c[1])
    if tag == "s":
        return (1, c[1])
    if tag == "b":
        return (2, c[1])
    if tag == "l":
        return (3, tuple(_csort(x) for x in c[1]))
    if tag == "m":
        return (4, tuple((k, _csort(x)) for k, x in c[1]))
    return (5,)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality where ints and floats compare by value but bools are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for k, x in a.items():
            if k not in b or not _equal(x, b[k]):
                return False
        return True
    return a == b


def _json_prep(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return int(v)
    if isinstance(v, list):
        return [_json_prep(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_prep(x) for k, x in v.items()}
    return v


def _go_json(v: Any, sort_keys: bool = True) -> str:
    """Compact JSON as Go's encoding/json writes it (HTML characters escaped, map keys sorted)."""
    s = json.dumps(_json_prep(v), ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
    return (
        s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def _value_string(c: tuple) -> str:
    """structured-merge-diff's value.ToString, used in conflict paths."""
    tag = c[0]
    if tag == "n":
        return "null"
    if tag == "d":
        return _go_float(c[1])
    if tag == "i":
        return str(c[1])
    if tag == "s":
        return _go_quote(c[1])
    if tag == "b":
        return "true" if c[1] else "false"
    if tag == "l":
        return "[" + ",".join(_value_string(x) for x in c[1]) + "]"
    return "".join(f"{k}={_value_string(x)}" for k, x in c[1])


# --------------------------------------------------------------------------------------------------
# Path elements: ("f", name) | ("k", ((field, canon), ...)) | ("v", canon) | ("i", index)
# --------------------------------------------------------------------------------------------------

def _pe_sort(pe: tuple) -> tuple:
    kind = pe[0]
    if kind == "f":
        return (0, pe[1])
    if kind == "k":
        return (1, tuple((n, _csort(c)) for n, c in pe[1]))
    if kind == "v":
        return (2, _csort(pe[1]))
    return (3, pe[1])


def _pe_key(pe: tuple) -> str:
    """The FieldsV1 key of a path element."""
    kind = pe[0]
    if kind == "f":
        return "f:" + pe[1]
    if kind == "k":
        return "k:{" + ",".join(_go_json(n) + ":" + _go_json(_uncanon(c)) for n, c in pe[1]) + "}"
    if kind == "v":
        return "v:" + _go_json(_uncanon(pe[1]))
    return "i:" + str(pe[1])


class _PEUnknown(Exception):
    pass


def _pe_parse(s: str) -> tuple:
    if len(s) < 2:
        raise ValueError("key must be 2 characters long:")
    if s[1] != ":":
        raise ValueError(f"missing colon: {s}")
    t, rest = s[0], s[2:]
    if t == "f":
        return ("f", rest)
    if t == "v":
        return ("v", _canon(json.loads(rest)))
    if t == "k":
        obj = json.loads(rest)
        if not isinstance(obj, dict):
            raise ValueError("ReadObjectCB: expect { or n, but found " + (rest[:1] or "EOF"))
        return ("k", tuple(sorted((k, _canon(v)) for k, v in obj.items())))
    if t == "i":
        try:
            return ("i", int(rest))
        except ValueError:
            raise ValueError(f'strconv.Atoi: parsing {_go_quote(rest)}: invalid syntax') from None
    raise _PEUnknown(s)


def _pe_string(pe: tuple) -> str:
    kind = pe[0]
    if kind == "f":
        return "." + pe[1]
    if kind == "k":
        return "[" + ",".join(f"{n}={_value_string(c)}" for n, c in pe[1]) + "]"
    if kind == "v":
        return "[=" + _value_string(pe[1]) + "]"
    return f"[{pe[1]}]"


def path_string(path: tuple) -> str:
    """A path as upstream prints it: ``.spec.containers[name="app"].image``."""
    return "".join(_pe_string(pe) for pe in path)


# --------------------------------------------------------------------------------------------------
# FieldSet
# --------------------------------------------------------------------------------------------------


class FieldSet:
    """A set of field paths, stored as a trie: ``members`` are the paths that end at this
    level, ``children`` the sets below a path element. Treat instances as immutable once
    built; the set operations return new sets (sharing unchanged subtrees)."""

    __slots__ = ("children", "members")

    def __init__(self, paths: Iterator[tuple] | list[tuple] | None = None) -> None:
        self.members: set[tuple] = set()
        self.children: dict[tuple, FieldSet] = {}
        if paths:
            for p in paths:
                self.insert(p)

    # -- building
    def insert(self, path: tuple) -> None:
        if not path:
            return
        s = self
        for pe in path[:-1]:
            c = s.children.get(pe)
            if c is None:
                c = s.children[pe] = FieldSet()
            s = c
        s.members.add(path[-1])

    # -- queries
    def empty(self) -> bool:
        if self.members:
            return False
        return all(c.empty() for c in self.children.values())

    def has(self, path: tuple) -> bool:
        if not path:
            return False
        s = self
        for pe in path[:-1]:
            s = s.children.get(pe)  # type: ignore[assignment]
            if s is None:
                return False
        return path[-1] in s.members

    __contains__ = has

    def with_prefix(self, pe: tuple) -> FieldSet:
        return self.children.get(pe) or _EMPTY

    def paths(self) -> Iterator[tuple]:
        """All paths, in upstream's iteration order (members, then children, each sorted)."""
        yield from self._iter(())

    def _iter(self, prefix: tuple) -> Iterator[tuple]:
        for pe in sorted(self.members, key=_pe_sort):
            yield prefix + (pe,)
        for pe in sorted(self.children, key=_pe_sort):
            yield from self.children[pe]._iter(prefix + (pe,))

    def __iter__(self) -> Iterator[tuple]:
        return self.paths()

    def __len__(self) -> int:
        return len(self.members) + sum(len(c) for c in self.children.values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSet):
            return NotImplemented
        return set(self.paths()) == set(other.paths())

    def __hash__(self) -> int:  # pragma: no cover - sets are not used as keys
        return hash(frozenset(self.paths()))

    def __repr__(self) -> str:
        return "FieldSet(" + ", ".join(path_string(p) for p in self.paths()) + ")"

    def __str__(self) -> str:
        return "\n".join(path_string(p) for p in self.paths())

    # -- algebra
    def union(self, other: FieldSet) -> FieldSet:
        out = FieldSet()
        out.members = self.members | other.members
        ch = dict(self.children)
        for pe, c in other.children.items():
            mine = ch.get(pe)
            ch[pe] = c if mine is None else mine.union(c)
        out.children = ch
        return out

    __or__ = union

    def intersection(self, other: FieldSet) -> FieldSet:
        out = FieldSet()
        out.members = self.members & other.members
        for pe, c in self.children.items():
            oc = other.children.get(pe)
            if oc is not None:
                r = c.intersection(oc)
                if not r.empty():
                    out.children[pe] = r
        return out

    __and__ = intersection

    def difference(self, other: FieldSet) -> FieldSet:
        """Paths of self not in other (a child set survives even if other has its path as a member)."""
        out = FieldSet()
        out.members = self.members - other.members
        for pe, c in self.children.items():
            oc = other.children.get(pe)
            if oc is None:
                out.children[pe] = c
            else:
                r = c.difference(oc)
                if not r.empty():
                    out.children[pe] = r
        return out

    __sub__ = difference

    def recursive_difference(self, other: FieldSet) -> FieldSet:
        """Like difference, but a member of other also removes everything below it."""
        out = FieldSet()
        out.members = self.members - other.members
        for pe, c in self.children.items():
            if pe in other.members:
                continue
            oc = other.children.get(pe)
            if oc is None:
                out.children[pe] = c
            else:
                r = c.recursive_difference(oc)
                if not r.empty():
                    out.children[pe] = r
        return out

    def copy(self) -> FieldSet:
        out = FieldSet()
        out.members = set(self.members)
        out.children = {pe: c.copy() for pe, c in self.children.items()}
        return out

    # -- FieldsV1
    def to_fieldsv1(self) -> dict:
        return self._emit(False)

    def _emit(self, include_self: bool) -> dict:
        out: dict = {}
        members = self.members
        children = self.children
        if include_self and (members or children):
            out["."] = {}
        if not children:
            for pe in sorted(members, key=_pe_sort):
                out["f:" + pe[1] if pe[0] == "f" else _pe_key(pe)] = {}
            return out
        for pe in sorted(members.union(children), key=_pe_sort):
            c = children.get(pe)
            key = "f:" + pe[1] if pe[0] == "f" else _pe_key(pe)
            if c is None:
                out[key] = {}
            else:
                out[key] = c._emit(pe in members)
        return out

    @classmethod
    def from_fieldsv1(cls, fields: Any) -> FieldSet:
        """Parse a FieldsV1 trie. Raises ValueError for malformed input; unknown element
        kinds are skipped, as upstream does."""
        if fields is None:
            return FieldSet()
        if not isinstance(fields, dict):
            raise ValueError(f"ReadMapCB: expect {{ or n, but found {_fieldsv1_kind(fields)}")
        s, _member = _read_fieldsv1(fields)
        return s if s is not None else FieldSet()


_EMPTY = FieldSet()


def _fieldsv1_kind(v: Any) -> str:
    if isinstance(v, list):
        return "["
    if isinstance(v, str):
        return '"'
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v)[:1]


def _read_fieldsv1(node: dict) -> tuple[FieldSet | None, bool]:
    children: FieldSet | None = None
    is_member = False
    for key, sub in node.items():
        if key == ".":
            is_member = True
            continue
        try:
            pe = ("f", key[2:]) if key[:2] == "f:" else _pe_parse(key)
        except _PEUnknown:
            continue
        except (ValueError, json.JSONDecodeError) as e:
            raise ValueError(f"parsing key as path element: {e}") from None
        if sub is None:
            sub = {}
        if not isinstance(sub, dict):
            raise ValueError(f"ReadMapCB: expect {{ or n, but found {_fieldsv1_kind(sub)}")
        grand, child_member = _read_fieldsv1(sub)
        if child_member:
            if children is None:
                children = FieldSet()
            children.members.add(pe)
        if grand is not None:
            if children is None:
                children = FieldSet()
            children.children[pe] = grand
    if children is None:
        is_member = True
    return children, is_member


def fieldset_to_fieldsv1(fs: FieldSet) -> dict:
    return fs.to_fieldsv1()


def fieldset_from_fieldsv1(fields: Any) -> FieldSet:
    return FieldSet.from_fieldsv1(fields)


def _fs(*dotted: str) -> FieldSet:
    return FieldSet([tuple(("f", p) for p in d.split(".")) for d in dotted])


# Paths the server sets; nobody owns them (upstream's stripMetaManager).
_STRIP = _fs(
    "apiVersion", "kind", "metadata", "metadata.name", "metadata.namespace", "metadata.creationTimestamp",
    "metadata.selfLink", "metadata.uid", "metadata.clusterName", "metadata.generation",
    "metadata.managedFields", "metadata.resourceVersion",
)


# --------------------------------------------------------------------------------------------------
# Schema types (structured-merge-diff's atoms)
# --------------------------------------------------------------------------------------------------


class _MapT:
    __slots__ = ("_compile", "_fields", "atomic", "defaults", "elem", "props")

    def __init__(self, props: dict | None, elem: Any, atomic: bool, compile_fn: Callable | None = None,
                 defaults: dict | None = None) -> None:
        self.props = props or {}  # name -> raw schema (compiled lazily) or _T
        self.elem = elem  # _T | None | callable returning _T
        self.atomic = atomic
        self.defaults = defaults or {}
        self._fields: dict[str, _T] = {}
        self._compile = compile_fn

    def has(self, name: str) -> bool:
        return name in self.props

    def field(self, name: str) -> _T | None:
        t = self._fields.get(name)
        if t is not None:
            return t
        raw = self.props.get(name)
        if raw is None:
            return None
        t = raw if isinstance(raw, _T) else self._compile(raw)  # type: ignore[misc]
        self._fields[name] = t
        return t

    def child(self, name: str) -> _T:
        """The type of a key: the declared field, else the element type, else untyped."""
        t = self.field(name)
        if t is not None:
            return t
        e = self.elem
        if e is None:
            return UNTYPED
        if not isinstance(e, _T):
            e = self.elem = e()
        return e


class _ListT:
    __slots__ = ("atomic", "elem", "key_defaults", "keys")

    def __init__(self, elem: Any, atomic: bool, keys: tuple = (), key_defaults: dict | None = None) -> None:
        self.elem = elem
        self.atomic = atomic
        self.keys = keys
        self.key_defaults = key_defaults or {}

    def elem_t(self) -> _T:
        e = self.elem
        if not isinstance(e, _T):
            e = self.elem = e()
        return e


class _T:
    """An atom: any of scalar / list / map; the value decides which applies."""

    __slots__ = ("list", "map", "name", "scalar")

    def __init__(self, scalar: bool = False, lst: _ListT | None = None, mp: _MapT | None = None, name: str = "") -> None:
        self.scalar = scalar
        self.list = lst
        self.map = mp
        self.name = name

    def __repr__(self) -> str:
        return f"<type {self.name or '?'}>"


def _mk_untyped() -> tuple[_T, _T]:
    untyped = _T(True, None, None, "__untyped_atomic_")
    untyped.list = _ListT(untyped, True)
    untyped.map = _MapT({}, untyped, True)
    deduced = _T(True, _ListT(untyped, True), None, "__untyped_deduced_")
    deduced.map = _MapT({}, deduced, False)
    return untyped, deduced


UNTYPED, DEDUCED = _mk_untyped()

SCALAR = _T(True, name="scalar")

_S, _L, _M = 0, 1, 2


def _kind_of(t: _T, v: Any) -> int:
    """Which part of the atom handles value v (deduceAtom + handleAtom)."""
    if isinstance(v, dict):
        if t.map is not None:
            return _M
    elif isinstance(v, list):
        if t.list is not None:
            return _L
    elif v is not None and v is not ABSENT and t.scalar:
        return _S
    if t.map is not None:
        return _M
    if t.scalar:
        return _S
    if t.list is not None:
        return _L
    return _S


# ---- compiling the official schemas ---------------------------------------------------------------

_SCHEMA_VERSION = "v1.33.0"
_SPECIAL_DEFS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "scalar",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "scalar",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "scalar",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "scalar",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": "untyped",
}
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


class _Schemas:
    def __init__(self) -> None:
        self.defs: dict[str, dict] | None = None
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        self.types: dict[str, _T] = {}
        self.crd_types: dict[tuple, _T] = {}

    def load(self) -> None:
        if self.defs is not None:
            return
        self.defs = {}
        spec = importlib.util.find_spec("kubernetes_validate")
        if spec is None or not spec.submodule_search_locations:
            return
        base = next(iter(spec.submodule_search_locations))
        path = os.path.join(base, "kubernetes-json-schema", f"{_SCHEMA_VERSION}-local", "_definitions.json")
        try:
            with open(path, "rb") as f:
                raw = json.load(f)
        except OSError:
            return
        self.defs = raw.get("$defs") or raw.get("definitions") or {}
        for name, d in self.defs.items():
            for gvk in d.get("x-kubernetes-group-version-kind") or ():
                key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
                if key not in self.by_gvk or name.endswith("." + key[2]):
                    self.by_gvk[key] = name

    def def_type(self, name: str) -> _T:
        t = self.types.get(name)
        if t is not None:
            return t
        self.load()
        special = _SPECIAL_DEFS.get(name)
        if special == "scalar":
            t = _T(True, name=name)
        elif special == "untyped":
            t = UNTYPED
        else:
            t = _T(name=name)
            self.types[name] = t  # before compiling: recursive definitions
            sch = (self.defs or {}).get(name, {})
            c = _compile(sch, builtin=True, preserve=False, resolver=self.def_type)
            t.scalar, t.list, t.map = c.scalar, c.list, c.map
        self.types[name] = t
        return t


_SCHEMAS = _Schemas()


def _schema_types(sch: dict) -> list[str]:
    t = sch.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if x != "null"]
    return []


def _list_relation(sch: dict) -> tuple[bool, tuple]:
    lt = sch.get("x-kubernetes-list-type")
    if lt is not None:
        if lt == "set":
            return False, ()
        if lt == "map":
            return False, tuple(sch.get("x-kubernetes-list-map-keys") or ())
        return True, ()
    ps = sch.get("x-kubernetes-patch-strategy")
    if ps in ("merge", "merge,retainKeys"):
        key = sch.get("x-kubernetes-patch-merge-key")
        return False, ((key,) if key else ())
    return True, ()


def _compile(sch: Any, *, builtin: bool, preserve: bool, resolver: Callable[[str], _T] | None) -> _T:
    """One schema (JSON-schema or OpenAPI v3 flavour) to an atom."""
    if not isinstance(sch, dict):
        return DEDUCED
    ref = sch.get("$ref")
    if ref is None and isinstance(sch.get("allOf"), list) and len(sch["allOf"]) == 1 and isinstance(sch["allOf"][0], dict):
        ref = sch["allOf"][0].get("$ref")
    if ref and resolver is not None:
        t = resolver(ref.rsplit("/", 1)[-1])
        mt = sch.get("x-kubernetes-map-type")
        if mt in ("atomic", "granular") and t.map is not None and t.map.atomic != (mt == "atomic"):
            base = t
            m = _MapT(base.map.props, base.map.elem, mt == "atomic", base.map._compile, base.map.defaults)
            m._fields = base.map._fields
            return _T(base.scalar, base.list, m, base.name + "/" + mt)
        return t
    if sch.get("x-kubernetes-preserve-unknown-fields") is True:
        preserve = True

    def sub(s: Any) -> _T:
        return _compile(s, builtin=builtin, preserve=preserve, resolver=resolver)

    if (("oneOf" in sch or "anyOf" in sch or sch.get("x-kubernetes-int-or-string"))
            and not _schema_types(sch) and "properties" not in sch and "items" not in sch):
        return _T(True, name="int-or-string")
    types = _schema_types(sch)
    typ = types[0] if types else ""

    def make_map() -> _MapT:
        props = sch.get("properties") or {}
        ap = sch.get("additionalProperties")
        elem: Any
        if isinstance(ap, dict) and ap:
            elem = (lambda ap=ap: sub(ap))
        elif ap is True or (isinstance(ap, dict) and not ap) or preserve or not props:
            elem = DEDUCED
        else:
            elem = None
        atomic = sch.get("x-kubernetes-map-type") == "atomic"
        defaults = {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}
        return _MapT(dict(props), elem, atomic, sub, defaults)

    def make_list() -> _ListT:
        atomic, keys = _list_relation(sch)
        items = sch.get("items")
        elem: Any = (lambda items=items: sub(items)) if isinstance(items, dict) else UNTYPED
        kd = {}
        if keys and builtin and "protocol" in keys:
            kd["protocol"] = "TCP"
        if keys and isinstance(items, dict) and "$ref" not in items:
            for k in keys:
                p = (items.get("properties") or {}).get(k)
                if isinstance(p, dict) and "default" in p:
                    kd[k] = p["default"]
        return _ListT(elem, atomic, keys, kd)

    if typ == "object":
        return _T(False, None, make_map())
    if typ == "array":
        return _T(False, make_list(), None)
    if typ in ("string", "integer", "number", "boolean"):
        return SCALAR
    if not typ:
        return _T(True, make_list(), make_map())
    return SCALAR


def _parse_gvk(gvk: Any, api_version: str = "", kind: str = "") -> tuple[str, str, str]:
    if isinstance(gvk, (tuple, list)) and len(gvk) == 3:
        return (gvk[0] or "", gvk[1] or "", gvk[2] or "")
    if isinstance(gvk, dict):
        return (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
    if isinstance(gvk, str) and gvk:
        # "apps/v1, Kind=Deployment" or "apps/v1/Deployment"
        if ", Kind=" in gvk:
            gv, k = gvk.split(", Kind=", 1)
            g, _, v = gv.rpartition("/")
            return (g, v, k)
        parts = gvk.split("/")
        if len(parts) == 3:
            return (parts[0], parts[1], parts[2])
        if len(parts) == 2:
            return ("", parts[0], parts[1])
    g, _, v = (api_version or "").rpartition("/")
    return (g, v, kind)


def _gvk_string(gvk: tuple[str, str, str]) -> str:
    """schema.GroupVersionKind.String(): ``apps/v1, Kind=Deployment``, ``/v1, Kind=Pod``."""
    g, v, k = gvk
    return f"{g}/{v}, Kind={k}"


def type_for(gvk: Any, crd_schema: dict | None = None) -> _T:
    """The schema of a kind: a built-in definition, the CRD's ``openAPIV3Schema`` when given
    (with ``metadata`` typed as ObjectMeta, as upstream does), or a deduced schema."""
    key = _parse_gvk(gvk)
    if crd_schema is not None:
        h = hashlib.sha1(json.dumps(crd_schema, sort_keys=True, default=str).encode()).hexdigest()
        ck = key + (h,)
        t = _SCHEMAS.crd_types.get(ck)
        if t is None:
            t = _crd_type(crd_schema)
            if len(_SCHEMAS.crd_types) > 256:
                _SCHEMAS.crd_types.clear()
            _SCHEMAS.crd_types[ck] = t
        return t
    _SCHEMAS.load()
    name = _SCHEMAS.by_gvk.get(key)
    if name is not None:
        return _SCHEMAS.def_type(name)
    return _crd_type(None)


def _crd_type(sch: dict | None) -> _T:
    root = _compile(sch or {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    builtin=False, preserve=False, resolver=None)
    if root.map is None:
        root = _T(False, None, _MapT({}, DEDUCED, False))
    m = root.map
    props = dict(m.props)
    props["apiVersion"] = SCALAR
    props["kind"] = SCALAR
    props["metadata"] = _SCHEMAS.def_type(_OBJECT_META) if _schemas_loaded() else DEDUCED
    nm = _MapT(props, m.elem, m.atomic, m._compile, m.defaults)
    return _T(root.scalar, root.list, nm, "custom")


def _schemas_loaded() -> bool:
    _SCHEMAS.load()
    return bool(_SCHEMAS.defs)


# --------------------------------------------------------------------------------------------------
# Go struct layout: what a built-in object looks like after a round trip through its Go type
# --------------------------------------------------------------------------------------------------


class _GoTypes:
    def __init__(self) -> None:
        self.messages: dict[str, dict] | None = None
        self.kinds: dict[str, str] = {}

    def load(self) -> None:
        if self.messages is not None:
            return
        path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "k8s-protobuf-fields.json")
        try:
            with open(path, "rb") as f:
                raw = json.load(f)
        except OSError:
            self.messages = {}
            return
        self.messages = raw.get("messages") or {}
        self.kinds = raw.get("kinds") or {}

    def message_for(self, gvk: tuple[str, str, str]) -> str | None:
        self.load()
        g, v, k = gvk
        return self.kinds.get(f"{g}/{v}/{k}" if g else f"{v}/{k}")


_GO = _GoTypes()

_SPECIAL_ZERO = {"time": None, "microtime": None, "duration": "0s", "quantity": "0", "intorstring": 0,
                 "rawjson": None, "unknown": None, "schemaorarray": None, "schemaorbool": None,
                 "schemaorstringarray": None}
_SCALAR_ZERO = {"string": "", "bool": False, "bytes": None}


def _scalar_zero(typ: str) -> Any:
    if typ in _SCALAR_ZERO:
        return _SCALAR_ZERO[typ]
    if typ in ("float", "double"):
        return 0
    return 0


def _is_zero_scalar(v: Any, typ: str) -> bool:
    if v is None:
        return True
    if typ == "bool":
        return v is False
    if typ == "string" or typ == "bytes":
        return v == ""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float)):
        return v == 0
    return False


def normalize(obj: Any, gvk: Any = None) -> Any:
    """``obj`` as upstream sees it after decoding into the kind's Go struct and encoding it
    again: missing fields that are not ``omitempty`` appear with their zero value, empty
    ``omitempty`` fields disappear, struct fields come in Go order and map keys sorted.
    Unknown fields are kept (after the known ones). Kinds without a Go type (custom
    resources) are returned unchanged."""
    if not isinstance(obj, dict):
        return obj
    if gvk is None:
        g, _, v = (obj.get("apiVersion") or "").rpartition("/")
        key = (g, v, obj.get("kind") or "")
    else:
        key = _parse_gvk(gvk)
    msg = _GO.message_for(key)
    if msg is None:
        return obj
    out: dict = {}
    for k in ("kind", "apiVersion"):
        if k in obj:
            out[k] = obj[k]
    body = _norm_struct(obj, msg)
    for k, v in body.items():
        out[k] = v
    return out


# field kinds of a compiled Go layout
_F_SCALAR, _F_LIST, _F_MAP, _F_STRUCT, _F_SPECIAL, _F_ITEMS = range(6)


class _Layout:
    """A Go struct's JSON layout: fields by key (inline structs flattened), the keys that
    read back even when missing, and the Go order of the keys."""

    __slots__ = ("fields", "must", "order")

    def __init__(self) -> None:
        self.fields: dict[str, tuple] = {}
        self.must: list[str] = []
        self.order: dict[str, int] = {}


_LAYOUTS: dict[str, _Layout] = {}


def _layout(msg_name: str) -> _Layout:
    lay = _LAYOUTS.get(msg_name)
    if lay is not None:
        return lay
    lay = _LAYOUTS[msg_name] = _Layout()
    _fill_layout(lay, msg_name)
    return lay


def _fill_layout(lay: _Layout, msg_name: str) -> None:
    msg = (_GO.messages or {}).get(msg_name)
    if msg is None:
        return
    for f in msg.get("fields", ()):
        if f.get("inline"):
            if f.get("message"):
                _fill_layout(lay, f["message"])
            continue
        key = f.get("json")
        if not key:
            continue
        typ = f.get("type") or ""
        omit = bool(f.get("omitempty"))
        ptr = bool(f.get("ptr"))
        sub = f.get("message") or ""
        sub_msg = (_GO.messages or {}).get(sub) if sub else None
        special = (sub_msg or {}).get("special") or ""
        if f.get("label") == "repeated" and typ != "map":
            kind = _F_LIST
            zero: Any = None
            must = not omit
        elif typ == "map":
            kind = _F_MAP
            zero = None
            must = not omit
        elif typ == "message":
            if special == "items":
                kind, zero, must = _F_ITEMS, None, not omit
            elif special:
                kind = _F_SPECIAL
                zero = None if ptr else _SPECIAL_ZERO.get(special)
                must = not (ptr and omit)
            else:
                kind = _F_STRUCT
                zero = None if ptr else ABSENT  # ABSENT: the struct's own zero layout
                must = not (ptr and omit)
        else:
            kind = _F_SCALAR
            zero = None if ptr else _scalar_zero(typ)
            must = not omit
        elem_struct = sub if (sub and not special and typ in ("message", "map") and
                              (typ != "map" or f.get("value") == "message")) else ""
        lay.fields[key] = (kind, omit, ptr, elem_struct, typ, zero)
        lay.order[key] = len(lay.order)
        if must:
            lay.must.append(key)


def _norm_struct(d: dict, msg_name: str) -> dict:
    lay = _layout(msg_name)
    fields = lay.fields
    items: dict = {}
    unknown: dict = {}
    for key, v in d.items():
        f = fields.get(key)
        if f is None:
            if key != "kind" and key != "apiVersion":
                unknown[key] = v
            continue
        if f[0] == _F_SCALAR:  # _norm_value's scalar case, inline
            if v is None:
                if f[1]:
                    continue
                items[key] = f[5]
            elif f[1] and not f[2] and _is_zero_scalar(v, f[4]):
                continue
            else:
                items[key] = v
            continue
        r = _norm_value(f, v)
        if r is not ABSENT:
            items[key] = r
    for key in lay.must:
        if key not in d:
            f = fields[key]
            z = f[5]
            if z is ABSENT:
                items[key] = _norm_struct({}, f[3]) if f[3] else {}
            else:
                items[key] = z
    if len(items) > 1:
        order = lay.order
        out = {k: items[k] for k in sorted(items, key=order.__getitem__)}
    else:
        out = items
    if unknown:
        out.update(unknown)
    return out


def _norm_value(f: tuple, v: Any) -> Any:
    kind, omit, ptr, sub, typ, zero = f
    if kind == _F_SCALAR:
        if v is None:
            return ABSENT if omit else zero
        if omit and not ptr and _is_zero_scalar(v, typ):
            return ABSENT
        return v
    if kind == _F_STRUCT:
        if v is None:
            if ptr:
                return ABSENT if omit else None
            return _norm_struct({}, sub) if sub else {}
        if isinstance(v, dict) and sub:
            return _norm_struct(v, sub)
        return v
    if kind == _F_LIST or kind == _F_ITEMS:
        if v is None:
            return ABSENT if omit else None
        if not isinstance(v, list):
            return v
        if not v and omit:
            return ABSENT
        if sub:
            return [_norm_struct(x, sub) if isinstance(x, dict) else (_norm_struct({}, sub) if x is None else x)
                    for x in v]
        return list(v)
    if kind == _F_MAP:
        if v is None:
            return ABSENT if omit else None
        if not isinstance(v, dict):
            return v
        if not v and omit:
            return ABSENT
        if sub:
            return {k: (_norm_struct(x, sub) if isinstance(x, dict) else x) for k, x in sorted(v.items())}
        return dict(sorted(v.items()))
    # special (Time, Quantity, IntOrString, RawExtension, ...)
    if v is None:
        if ptr:
            return ABSENT if omit else None
        return zero
    return v


_ZERO_TYPED: dict[tuple[str, str, str], Any] = {}


def _zero_typed(gvk: tuple[str, str, str]) -> Any:
    """``_typed(None, gvk, True)``, the zero object of a built-in kind, computed once per kind.
    Shared: only for read-only use (the comparison of a create)."""
    z = _ZERO_TYPED.get(gvk)
    if z is None:
        z = _ZERO_TYPED[gvk] = _typed(None, gvk, True)
    return z


def _typed(obj: Any, gvk: tuple[str, str, str], go: bool) -> Any:
    if obj is None:
        obj = {}
    if not isinstance(obj, dict):
        return obj
    o = obj
    meta = o.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        o = dict(o)
        o["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
    return normalize(o, gvk) if go else o


# --------------------------------------------------------------------------------------------------
# Walks over typed values: field sets, comparison, merge, removal
# --------------------------------------------------------------------------------------------------


class _ItemError(Exception):
    pass


def _item_pe(lt: _ListT, item: Any) -> tuple:
    if lt.keys:
        if item is None:
            raise _ItemError("associative list with keys may not have a null element")
        if not isinstance(item, dict):
            raise _ItemError("associative list with keys may not have non-map elements")
        fields = []
        for k in lt.keys:
            if k in item:
                fields.append((k, _canon(item[k])))
            else:
                dflt = lt.key_defaults.get(k, ABSENT)
                if dflt is ABSENT:
                    et = lt.elem_t()
                    if et.map is not None and k in et.map.defaults:
                        dflt = et.map.defaults[k]
                if dflt is ABSENT or dflt is None:
                    raise _ItemError(f"associative list with keys has an element that omits key field {_go_quote(k)} "
                                     "(and doesn't have default value)")
                fields.append((k, _canon(dflt)))
        fields.sort(key=lambda x: x[0])
        return ("k", tuple(fields))
    if isinstance(item, dict):
        raise _ItemError("associative list without keys has an element that's a map type")
    if isinstance(item, list):
        raise _ItemError("not supported: associative list with lists as elements")
    if item is None:
        raise _ItemError("associative list without keys has an element that's an explicit null")
    return ("v", _canon(item))


def _validate(v: Any, t: _T, path: tuple, errs: list[tuple[tuple, str]]) -> None:
    """structured-merge-diff's validation of an apply config (keys, duplicates, shapes,
    undeclared fields); errors are (path, message)."""
    if v is None:
        return
    k = _kind_of(t, v)
    if k == _S:
        if isinstance(v, (dict, list)) and t.map is None and t.list is None:
            errs.append((path, f"expected any scalar, got {_go_type_name(v)}"))
        return
    if k == _L:
        if not isinstance(v, list):
            errs.append((path, f"expected list, got {_go_type_name(v)}"))
            return
        lt = t.list
        et = lt.elem_t()  # type: ignore[union-attr]
        seen: set = set()
        for i, item in enumerate(v):
            if lt.atomic and not lt.keys:  # type: ignore[union-attr]
                pe: tuple = ("i", i)
            else:
                try:
                    pe = _item_pe(lt, item)  # type: ignore[arg-type]
                except _ItemError as e:
                    errs.append((path, f"element {i}: {e}"))
                    return
                if pe in seen:
                    errs.append((path, f"duplicate entries for key {_pe_string(pe)}"))
                seen.add(pe)
            _validate(item, et, path + (pe,), errs)
        return
    if not isinstance(v, dict):
        errs.append((path, f"expected map, got {_go_type_name(v)}"))
        return
    mt = t.map
    for key, val in v.items():
        p = path + (("f", key),)
        if not mt.has(key) and mt.elem is None:  # type: ignore[union-attr]
            errs.append((p, "field not declared in schema"))
            return
        _validate(val, mt.child(key), p, errs)  # type: ignore[union-attr]


def _validation_message(errs: list[tuple[tuple, str]]) -> str:
    msgs = [f"{path_string(p)}: {m}" if p else m for p, m in errs]
    if len(msgs) == 1:
        return msgs[0]
    return "\n".join(["errors:"] + ["  " + m for m in msgs])


def _to_field_set(v: Any, t: _T, path: tuple, out: FieldSet) -> None:
    k = _kind_of(t, v)
    if k == _S:
        out.insert(path)
        return
    if k == _L:
        lt = t.list
        if lt.atomic:  # type: ignore[union-attr]
            out.insert(path)
            return
        if not isinstance(v, list):
            return
        pes = []
        for item in v:
            try:
                pes.append(_item_pe(lt, item))  # type: ignore[arg-type]
            except _ItemError:
                pes.append(None)
        seen: set = set()
        dups: set = set()
        for pe in pes:
            if pe is None:
                continue
            if pe in seen:
                if pe not in dups:
                    out.insert(path + (pe,))
                    dups.add(pe)
            else:
                seen.add(pe)
        et = lt.elem_t()  # type: ignore[union-attr]
        for pe, item in zip(pes, v):
            if pe is None or pe in dups:
                continue
            p = path + (pe,)
            _to_field_set(item, et, p, out)
            out.insert(p)
        return
    mt = t.map
    if mt.atomic:  # type: ignore[union-attr]
        out.insert(path)
        return
    if not isinstance(v, dict):
        return
    for key, val in v.items():
        p = path + (("f", key),)
        declared = mt.has(key)  # type: ignore[union-attr]
        _to_field_set(val, mt.child(key), p, out)  # type: ignore[union-attr]
        if val is None or (isinstance(val, dict) and not val) or not declared:
            out.insert(p)


def _field_set_of(v: Any, t: _T) -> FieldSet:
    out = FieldSet()
    _to_field_set(v, t, (), out)
    return out


class _Cmp:
    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.removed = FieldSet()
        self.modified = FieldSet()
        self.added = FieldSet()

    def filtered(self, reset: FieldSet | None) -> _Cmp:
        if reset is None or reset.empty():
            return self
        c = _Cmp()
        c.removed = self.removed.recursive_difference(reset)
        c.modified = self.modified.recursive_difference(reset)
        c.added = self.added.recursive_difference(reset)
        return c


def _leaf(l: Any, r: Any, path: tuple, c: _Cmp) -> None:
    if l is ABSENT:
        c.added.insert(path)
    elif r is ABSENT:
        c.removed.insert(path)
    elif not _equal(l, r):
        c.modified.insert(path)


def _same(a: Any, b: Any) -> bool:
    """Strict JSON equality: same Python types at every node (so no True/1 or 1/1.0 mixing)
    and equal values (NaN never equals itself). Two values that are the same this way have
    nothing to compare: the walk over them records no change."""
    ta = type(a)
    if ta is not type(b):
        return False
    if ta is dict:
        if len(a) != len(b):
            return False
        for k, x in a.items():
            y = b.get(k, ABSENT)
            if y is ABSENT or not _same(x, y):
                return False
        return True
    if ta is list:
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if not _same(x, y):
                return False
        return True
    if ta is str or ta is int or ta is bool or a is None:
        return a == b
    if ta is float:
        return a == b
    return False


def _node_for(s: FieldSet, prefix: tuple) -> FieldSet:
    """The trie node of a path prefix, created on the way as insert() does."""
    for pe in prefix:
        c = s.children.get(pe)
        if c is None:
            c = s.children[pe] = FieldSet()
        s = c
    return s


def _whole_into(node: FieldSet, pe: tuple, v: Any, t: _T) -> None:
    """What _compare records for a value present on one side only: its path and every
    path below it (items of granular lists and fields of granular maps, recursively;
    an item whose key repeats is recorded but not walked)."""
    node.members.add(pe)
    k = _kind_of(t, v)
    if k == _S:
        return
    if k == _L:
        lt = t.list
        if lt.atomic or not isinstance(v, list) or not v:  # type: ignore[union-attr]
            return
        order, groups = _index_items(lt, v)  # type: ignore[arg-type]
        if not order:
            return
        child = node.children.get(pe)
        if child is None:
            child = node.children[pe] = FieldSet()
        et = lt.elem_t()  # type: ignore[union-attr]
        for ipe in order:
            g = groups[ipe]
            if len(g) == 1:
                _whole_into(child, ipe, g[0], et)
            else:
                child.members.add(ipe)
        return
    mt = t.map
    if mt.atomic or not isinstance(v, dict) or not v:  # type: ignore[union-attr]
        return
    child = node.children.get(pe)
    if child is None:
        child = node.children[pe] = FieldSet()
    for key, x in v.items():
        _whole_into(child, ("f", key), x, mt.child(key))  # type: ignore[union-attr]


# Shortcuts of the comparison (values on one side only, identical subtrees, the cached zero
# object of a create). They never change a result; tests turn them off to check that.
_FAST = True


def _compare(l: Any, r: Any, t: _T, path: tuple, c: _Cmp) -> None:
    if _FAST:
        if l is ABSENT:
            if r is not ABSENT and path:
                _whole_into(_node_for(c.added, path[:-1]), path[-1], r, t)
                return
        elif r is ABSENT:
            if path:
                _whole_into(_node_for(c.removed, path[:-1]), path[-1], l, t)
                return
        elif l == r and _same(l, r):
            return  # nothing changed below here
    lk = _kind_of(t, l) if l is not ABSENT else None
    rk = _kind_of(t, r) if r is not ABSENT else None
    if lk is not None and rk is not None and lk != rk:
        # the two sides take different shapes (untyped values): each shape's walk sees the
        # other side as missing children; a leaf-like walk records a modification
        _compare_as(lk, l, r, t, path, c)
        _compare_as(rk, l, r, t, path, c)
        return
    _compare_as(rk if rk is not None else lk, l, r, t, path, c)  # type: ignore[arg-type]


def _compare_as(kind: int, l: Any, r: Any, t: _T, path: tuple, c: _Cmp) -> None:
    if kind == _S:
        _leaf(l, r, path, c)
        return
    if kind == _L:
        lt = t.list
        lv = l if isinstance(l, list) else None
        rv = r if isinstance(r, list) else None
        if lt.atomic or (not lv and not rv):  # type: ignore[union-attr]
            _leaf(l, r, path, c)
            return
        _compare_items(lt, lv or [], rv or [], path, c)  # type: ignore[arg-type]
    else:
        mt = t.map
        lv = l if isinstance(l, dict) else None
        rv = r if isinstance(r, dict) else None
        if mt.atomic or (not lv and not rv):  # type: ignore[union-attr]
            _leaf(l, r, path, c)
            return
        lv = lv or {}
        rv = rv or {}
        for key in list(lv) + [k for k in rv if k not in lv]:
            _compare(lv.get(key, ABSENT), rv.get(key, ABSENT), mt.child(key), path + (("f", key),), c)  # type: ignore[union-attr]
    if l is ABSENT:
        c.added.insert(path)
    elif r is ABSENT:
        c.removed.insert(path)


def _index_items(lt: _ListT, items: list) -> tuple[list[tuple], dict[tuple, list]]:
    order: list[tuple] = []
    groups: dict[tuple, list] = {}
    for item in items:
        try:
            pe = _item_pe(lt, item)
        except _ItemError:
            continue
        g = groups.get(pe)
        if g is None:
            groups[pe] = [item]
            order.append(pe)
        else:
            g.append(item)
    return order, groups


def _compare_items(lt: _ListT, lv: list, rv: list, path: tuple, c: _Cmp) -> None:
    lorder, lg = _index_items(lt, lv)
    rorder, rg = _index_items(lt, rv)
    et = lt.elem_t()
    for pe in lorder + [p for p in rorder if p not in lg]:
        ll = lg.get(pe, [])
        rl = rg.get(pe, [])
        p = path + (pe,)
        if len(ll) <= 1 and len(rl) <= 1:
            _compare(ll[0] if ll else ABSENT, rl[0] if rl else ABSENT, et, p, c)
        elif len(ll) >= 2 and len(rl) >= 2:
            if not (len(ll) == len(rl) and all(_equal(a, b) for a, b in zip(ll, rl))):
                c.modified.insert(p)
        elif len(ll) >= 2:
            if rl:
                _compare(ABSENT, rl[0], et, p, c)
            c.removed.insert(p)
        else:
            if ll:
                _compare(ll[0], ABSENT, et, p, c)
            c.added.insert(p)


def _comparison(old: Any, new: Any, t: _T) -> _Cmp:
    c = _Cmp()
    _compare(old, new, t, (), c)
    return c


class _MergeError(Exception):
    pass


def _merge(l: Any, r: Any, t: _T, path: tuple) -> Any:
    """Merge config r into live l; ABSENT means "no output"."""
    if r is ABSENT:
        lk = _kind_of(t, l)
        return _merge_as(lk, l, ABSENT, t, path)
    rk = _kind_of(t, r)
    if l is not ABSENT and _kind_of(t, l) != rk:
        l = ABSENT
    return _merge_as(rk, l, r, t, path)


def _merge_as(kind: int, l: Any, r: Any, t: _T, path: tuple) -> Any:
    if kind == _S:
        return r if r is not ABSENT else l
    if kind == _L:
        lt = t.list
        lv = l if isinstance(l, list) else None
        rv = r if isinstance(r, list) else None
        if lt.atomic or (not lv and not rv):  # type: ignore[union-attr]
            return r if r is not ABSENT else l
        out = _merge_items(lt, lv or [], rv or [], path)  # type: ignore[arg-type]
        return out if out else ABSENT
    mt = t.map
    lv = l if isinstance(l, dict) else None
    rv = r if isinstance(r, dict) else None
    if mt.atomic or (not lv and not rv):  # type: ignore[union-attr]
        return r if r is not ABSENT else l
    lv = lv or {}
    rv = rv or {}
    out: dict = {}
    for key in list(lv) + [k for k in rv if k not in lv]:
        m = _merge(lv.get(key, ABSENT), rv.get(key, ABSENT), mt.child(key), path + (("f", key),))  # type: ignore[union-attr]
        if m is not ABSENT:
            out[key] = m
    return out if out else ABSENT


def _merge_items(lt: _ListT, lv: list, rv: list, path: tuple) -> list:
    et = lt.elem_t()
    lhs: list[tuple[tuple, Any]] = []
    lmap: dict[tuple, Any] = {}
    for item in lv:
        try:
            pe = _item_pe(lt, item)
        except _ItemError as e:
            raise _MergeError(f"{path_string(path)}: element {len(lhs)}: {e}") from None
        if pe in lmap:
            lmap[pe] = None  # duplicated in the live object
        else:
            lmap[pe] = item
        lhs.append((pe, item))
    rhs: list[tuple[tuple, Any]] = []
    rmap: dict[tuple, Any] = {}
    for i, item in enumerate(rv):
        try:
            pe = _item_pe(lt, item)
        except _ItemError as e:
            raise _MergeError(f"{path_string(path)}: element {i}: {e}") from None
        if pe in rmap:
            raise _MergeError(f"{path_string(path)}: duplicate entries for key {_pe_string(pe)}")
        rmap[pe] = item
        rhs.append((pe, item))
    shared = [pe for pe, _ in rhs if pe in lmap]
    si = 0
    nxt = shared[0] if shared else None
    si = 1
    out: list = []
    merged: set = set()

    def emit(lc: Any, rc: Any, pe: tuple) -> None:
        m = _merge(lc, rc, et, path + (pe,))
        if m is not ABSENT:
            out.append(m)

    li = ri = 0
    L, R = len(lhs), len(rhs)
    while li < L or ri < R:
        if li < L and ri < R:
            lpe = lhs[li][0]
            if lpe == rhs[ri][0]:
                merged.add(lpe)
                emit(lmap[lpe], rmap[lpe], lpe)
                li += 1
                ri += 1
                nxt = shared[si] if si < len(shared) else None
                si += 1
                continue
            if lpe in rmap and nxt is not None and nxt != lpe:
                li += 1
                continue
        if li < L:
            lpe, litem = lhs[li]
            if lpe not in rmap:
                emit(litem, ABSENT, lpe)
                li += 1
                continue
            if lpe in merged:
                li += 1
        if ri < R:
            rpe = rhs[ri][0]
            merged.add(rpe)
            emit(lmap.get(rpe, ABSENT), rmap[rpe], rpe)
            ri += 1
            if nxt is not None and nxt == rpe:
                nxt = shared[si] if si < len(shared) else None
                si += 1
    return out


def _remove(v: Any, s: FieldSet, t: _T) -> Any:
    """Remove the paths of s from v (a container left empty reads back as null)."""
    k = _kind_of(t, v)
    if k == _S:
        return v
    if k == _L:
        lt = t.list
        if not isinstance(v, list) or not v or lt.atomic:  # type: ignore[union-attr]
            return None
        et = lt.elem_t()  # type: ignore[union-attr]
        out = []
        for item in v:
            try:
                pe = _item_pe(lt, item)  # type: ignore[arg-type]
            except _ItemError:
                out.append(item)
                continue
            if pe in s.members:
                continue
            sub = s.children.get(pe)
            if sub is not None and not sub.empty():
                item = _remove(item, sub, et)
            out.append(item)
        return out if out else None
    mt = t.map
    if not isinstance(v, dict) or not v or mt.atomic:  # type: ignore[union-attr]
        return None
    outd: dict = {}
    for key, val in v.items():
        pe = ("f", key)
        if pe in s.members:
            continue
        sub = s.children.get(pe)
        if sub is not None and not sub.empty():
            val = _remove(val, sub, mt.child(key))  # type: ignore[union-attr]
        outd[key] = val
    return outd if outd else None


def _named_members(s: FieldSet, t: _T | None) -> FieldSet:
    """EnsureNamedFieldsAreMembers: a declared struct field with children becomes a member too."""
    out = FieldSet()
    out.members = set(s.members)
    mt = t.map if t is not None else None
    lt = t.list if t is not None else None
    for pe, c in s.children.items():
        ct: _T | None = None
        if pe[0] == "f" and mt is not None:
            if mt.has(pe[1]):
                out.members.add(pe)
            ct = mt.child(pe[1])
        elif pe[0] == "k" and lt is not None:
            ct = lt.elem_t()
        out.children[pe] = _named_members(c, ct)
    return out


# --------------------------------------------------------------------------------------------------
# Managers
# --------------------------------------------------------------------------------------------------


class _VSet(NamedTuple):
    set: FieldSet
    api_version: str
    applied: bool


class _Managed:
    __slots__ = ("fields", "times")

    def __init__(self) -> None:
        self.fields: dict[str, _VSet] = {}
        self.times: dict[str, str | None] = {}


@functools.lru_cache(maxsize=1024)
def _identifier(manager: str, operation: str, api_version: str, subresource: str) -> str:
    """BuildManagerIdentifier: the entry's JSON without time and fields (and without
    apiVersion for Apply), as Go marshals it."""
    parts = []
    if manager:
        parts.append('"manager":' + _go_json(manager))
    if operation:
        parts.append('"operation":' + _go_json(operation))
    if api_version and operation != "Apply":
        parts.append('"apiVersion":' + _go_json(api_version))
    if subresource:
        parts.append('"subresource":' + _go_json(subresource))
    return "{" + ",".join(parts) + "}"


def _ident_fields(ident: str) -> dict:
    return dict(_ident_fields_cached(ident))


@functools.lru_cache(maxsize=1024)
def _ident_fields_cached(ident: str) -> dict:
    try:
        d = json.loads(ident)
        return d if isinstance(d, dict) else {}
    except ValueError:
        return {}


class ManagedFieldsError(ValueError):
    """``metadata.managedFields`` that cannot be decoded (upstream falls back to the stored ones)."""


def _go_entry_repr(e: dict) -> str:
    """A rough rendering of Go's ``%v`` of a ManagedFieldsEntry, for error messages."""
    fv = e.get("fieldsV1")
    fvs = "nil" if fv is None else "&FieldsV1{" + _go_json(fv) + "}"
    t = e.get("time")
    return "{" + " ".join([str(e.get("manager") or ""), str(e.get("operation") or ""), str(e.get("apiVersion") or ""),
                           (str(t) if t else "<nil>"), str(e.get("fieldsType") or ""), fvs,
                           str(e.get("subresource") or "")]) + "}"


def _decode(entries: Any) -> _Managed:
    m = _Managed()
    if entries is None:
        return m
    if not isinstance(entries, list):
        raise ManagedFieldsError("managedFields must be a list")
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            raise ManagedFieldsError(f"managed fields entry {i} must be an object")
        op = e.get("operation") or ""
        if op not in ("Apply", "Update"):
            raise ManagedFieldsError("operation must be `Apply` or `Update`")
        av = e.get("apiVersion") or ""
        if not isinstance(av, str) or not av:
            raise ManagedFieldsError("apiVersion must not be empty")
        ft = e.get("fieldsType") or ""
        if ft != "FieldsV1":
            if not ft:
                raise ManagedFieldsError(f"missing fieldsType in managed fields entry {i}")
            raise ManagedFieldsError(f"invalid fieldsType {_go_quote(str(ft))} in managed fields entry {i}")
        mgr = e.get("manager") or ""
        sub = e.get("subresource") or ""
        if not isinstance(mgr, str) or not isinstance(sub, str):
            raise ManagedFieldsError(
                f"error decoding manager from {_go_entry_repr(e)}: manager and subresource must be strings")
        ident = _identifier(mgr, op, av, sub)
        try:
            s = FieldSet.from_fieldsv1(e.get("fieldsV1") if e.get("fieldsV1") is not None else {})
        except ValueError as err:
            raise ManagedFieldsError(
                f"error decoding versioned set from {_go_entry_repr(e)}: error decoding set: {err}") from None
        m.fields[ident] = _VSet(s, av, op == "Apply")
        m.times[ident] = _norm_time(e.get("time"))
    return m


def _norm_time(t: Any) -> str | None:
    if not t or not isinstance(t, str):
        return None
    return _norm_time_str(t)


@functools.lru_cache(maxsize=1024)
def _norm_time_str(t: str) -> str:
    try:
        d = _dt.datetime.fromisoformat(t)
    except ValueError:
        return t
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.UTC)
    return d.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unix(t: str | None) -> int:
    if not t or not isinstance(t, str):
        return 0 if not t else _unix_uncached(t)
    return _unix_str(t)


@functools.lru_cache(maxsize=1024)
def _unix_str(t: str) -> int:
    return _unix_uncached(t)


def _unix_uncached(t: Any) -> int:
    try:
        d = _dt.datetime.fromisoformat(t)
    except ValueError:
        return 0
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.UTC)
    return int(d.timestamp())


def _encode(m: _Managed) -> list[dict] | None:
    if not m.fields:
        return None
    entries = []
    for ident, vs in m.fields.items():
        idf = _ident_fields(ident)
        e: dict = {}
        if idf.get("manager"):
            e["manager"] = idf["manager"]
        op = "Apply" if vs.applied else (idf.get("operation") or "")
        if op:
            e["operation"] = op
        if vs.api_version:
            e["apiVersion"] = vs.api_version
        t = m.times.get(ident)
        if t:
            e["time"] = t
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = vs.set.to_fieldsv1()
        if idf.get("subresource"):
            e["subresource"] = idf["subresource"]
        entries.append(e)
    entries.sort(key=lambda e: (e.get("operation", ""), _unix(e.get("time")), e.get("manager", ""),
                                e.get("apiVersion", ""), e.get("subresource", "")))
    return entries


def is_reset(entries: Any) -> bool:
    """True when a write asks to clear ownership: ``managedFields: []`` or ``[{}]``."""
    if not isinstance(entries, list):
        return False
    if not entries:
        return True
    if len(entries) == 1 and isinstance(entries[0], dict):
        return all(v is None or v == "" for v in entries[0].values())
    return False


def decode_managed_fields(obj_or_entries: Any) -> list[dict]:
    """Check ``managedFields`` (an object, or the list itself) the way upstream decodes them
    and return the entries normalized (time in UTC seconds). Raises
    :class:`ManagedFieldsError` with upstream's message when they cannot be decoded."""
    entries = obj_or_entries
    if isinstance(obj_or_entries, dict):
        entries = (obj_or_entries.get("metadata") or {}).get("managedFields")
    m = _decode(entries)
    return _encode(m) or []


def _cap_managers(m: _Managed) -> None:
    updaters = [i for i, vs in m.fields.items() if not vs.applied]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda i: (_unix(m.times.get(i)), i))
    first: dict[str, str] = {}
    length = len(updaters)
    for ident in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        vs = m.fields[ident]
        t = m.times.get(ident)
        bucket = _identifier(_ANCIENT, "Update", vs.api_version, "")
        if vs.api_version in first:
            if bucket not in m.fields:
                m.fields[bucket] = m.fields.pop(first[vs.api_version])
            m.fields[bucket] = _VSet(vs.set.union(m.fields[bucket].set), vs.api_version, vs.applied)
            del m.fields[ident]
            length -= 1
            m.times[bucket] = t
        else:
            first[vs.api_version] = ident


# --------------------------------------------------------------------------------------------------
# Reset fields (what a strategy throws away, so nobody owns it)
# --------------------------------------------------------------------------------------------------

_STATUS_RESETS = {
    ("", "pods"): ("spec", "metadata.deletionTimestamp", "metadata.ownerReferences"),
    ("apps", "deployments"): ("spec", "metadata.labels"),
}


def reset_fields(*, group: str = "", plural: str = "", has_status: bool = True,
                 subresource: str = "") -> FieldSet | None:
    """The fields a write cannot set (upstream's GetResetFields): ``status`` for writes to the
    main resource of a kind with a status subresource, ``spec`` (and a few kind-specific
    metadata fields) for status writes, ``status`` for scale writes."""
    if subresource == "status":
        return _fs(*_STATUS_RESETS.get((group, plural), ("spec",)))
    if subresource == "scale":
        return _fs("status")
    if subresource:
        return None
    if has_status:
        return _fs("status")
    return None


# --------------------------------------------------------------------------------------------------
# The update path (create, update, patch: everything but apply)
# --------------------------------------------------------------------------------------------------


class _Ctx:
    __slots__ = ("api_version", "go", "gvk", "now", "reset", "subresource", "t")

    def __init__(self, gvk: tuple[str, str, str], t: _T, go: bool, reset: FieldSet | None, api_version: str,
                 subresource: str, now: str) -> None:
        self.gvk = gvk
        self.t = t
        self.go = go
        self.reset = reset
        self.api_version = api_version
        self.subresource = subresource
        self.now = now


def _ctx(gvk: Any, obj: dict | None, api_version: str, crd_schema: dict | None, reset: FieldSet | None,
         subresource: str, now: str) -> _Ctx:
    kind = (obj or {}).get("kind") or ""
    key = _parse_gvk(gvk, api_version, kind)
    if not key[2]:
        key = (key[0], key[1], kind)
    t = type_for(key, crd_schema)
    go = crd_schema is None and _GO.message_for(key) is not None
    return _Ctx(key, t, go, reset, api_version, subresource, _norm_time(now) or now)


def _smd_update(ctx: _Ctx, live_t: Any, new_t: Any, m: _Managed, workflow: str, force: bool) -> _Cmp:
    """structured-merge-diff's update(): other managers lose what changed (conflicts are
    raised instead when not forced) and what was removed."""
    cmp = _comparison(live_t, new_t, ctx.t).filtered(ctx.reset)
    changed = cmp.modified.union(cmp.added)
    conflicts: dict[str, FieldSet] = {}
    for ident, vs in m.fields.items():
        if ident == workflow:
            continue
        cs = vs.set.intersection(changed)
        if not cs.empty():
            conflicts[ident] = cs
    if not force and conflicts:
        raise _Conflicts(conflicts)
    for ident, cs in conflicts.items():
        vs = m.fields[ident]
        m.fields[ident] = _VSet(vs.set.difference(cs), vs.api_version, vs.applied)
    if not cmp.removed.empty():
        for ident, vs in list(m.fields.items()):
            if ident == workflow:
                continue
            m.fields[ident] = _VSet(vs.set.difference(cmp.removed), vs.api_version, vs.applied)
    for ident in [i for i, vs in m.fields.items() if vs.set.empty()]:
        del m.fields[ident]
    return cmp


def _record_update(ctx: _Ctx, live_t: Any, new_t: Any, m: _Managed, manager: str) -> None:
    """FieldManager.Update below the decode: build the identifier, compare, give this
    manager what it changed, strip server fields, time-stamp, cap."""
    ident = _identifier(manager or "unknown", "Update", ctx.api_version, ctx.subresource)
    cmp = _smd_update(ctx, live_t, new_t, m, "", True)
    current = cmp.modified.union(cmp.added)
    if ctx.reset is not None:
        current = current.recursive_difference(ctx.reset)
    current = current.difference(_STRIP)
    if not current.empty():
        prev = m.fields.get(ident)
        if prev is not None:
            current = current.union(prev.set)
        m.fields[ident] = _VSet(current, ctx.api_version, False)
        m.times[ident] = ctx.now
    _cap_managers(m)


def manager_name(field_manager: str | None, user_agent: str | None) -> str:
    """The manager of a write: ``?fieldManager=`` if given, else the User-Agent up to its
    first ``/`` (printable characters only, at most 128 bytes), as upstream."""
    if field_manager:
        return field_manager
    out: list[str] = []
    size = 0
    for ch in (user_agent or "").split("/")[0]:
        if not ch.isprintable():
            continue
        n = len(ch.encode())
        if size + n > 128:
            break
        out.append(ch)
        size += n
    return "".join(out)


def _decode_live_or_new(live: dict | None, new: dict, ignore_request: bool) -> _Managed:
    live_entries = ((live or {}).get("metadata") or {}).get("managedFields")

    def from_live() -> _Managed:
        try:
            return _decode(live_entries)
        except ManagedFieldsError:
            return _Managed()

    if ignore_request:
        return from_live()
    new_entries = (new.get("metadata") or {}).get("managedFields")
    if is_reset(new_entries):
        return _Managed()
    try:
        m = _decode(new_entries)
    except ManagedFieldsError:
        return from_live()
    if not m.fields:
        return from_live()
    return m


def update_managed_fields(
    *,
    old: dict | None,
    new: dict,
    manager: str,
    operation: str = "Update",
    subresource: str = "",
    api_version: str,
    now: str,
    gvk: Any = None,
    reset: FieldSet | None = None,
    crd_schema: dict | None = None,
) -> dict:
    """Record a non-apply write in ``new["metadata"]["managedFields"]`` (in place; returns new).

    ``old`` is the stored object (``None`` for a create), ``new`` the object about to be
    stored, after defaulting and before mutating admission (upstream computes ownership
    there, so fields added by admission belong to nobody). ``manager`` is
    ``?fieldManager=`` or the User-Agent's program name. ``reset`` is what the strategy
    wipes (see :func:`reset_fields`). ``gvk`` defaults to ``api_version`` plus
    ``new["kind"]``; pass ``crd_schema`` (the version's ``openAPIV3Schema``) for custom
    resources.

    managedFields that the client sent are used when they decode (``[]`` or ``[{}]``
    clears tracking); otherwise the stored ones are kept. Subresource writes always keep
    the stored ones. An existing object without managedFields stays untracked until
    the next apply, as upstream.
    """
    if operation != "Update":
        raise ValueError("update_managed_fields records Update operations; use apply() for Apply")
    ctx = _ctx(gvk, new if new.get("kind") else old, api_version, crd_schema, reset, subresource, now)
    cache_key = None
    if old is None and ctx.go and _FAST and "managedFields" not in (new.get("metadata") or {"managedFields": 1}):
        cache_key = (ctx.gvk, manager, subresource, api_version,
                     None if reset is None else json.dumps(reset.to_fieldsv1(), sort_keys=True), _shape(new))
        cached = _CREATE_CACHE.get(cache_key)
        if cached is not None:
            _CREATE_CACHE.move_to_end(cache_key)
            entries = orjson.loads(cached)
            for e in entries:
                if ctx.now:
                    e["time"] = ctx.now
            if entries:
                new["metadata"]["managedFields"] = entries
            return new
    m = _decode_live_or_new(old, new, subresource != "")
    meta = new.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    else:
        meta = new["metadata"] = {}
    if not m.fields and old is not None and (old.get("metadata") or {}).get("uid"):
        # an existing object nobody tracks stays untracked (upstream's skipNonAppliedManager)
        return new
    live_t = _zero_typed(ctx.gvk) if old is None and ctx.go and _FAST else _typed(old, ctx.gvk, ctx.go)
    new_t = _typed(new, ctx.gvk, ctx.go)
    _record_update(ctx, live_t, new_t, m, manager)
    enc = _encode(m)
    if enc:
        meta["managedFields"] = enc
    if cache_key is not None:
        _CREATE_CACHE[cache_key] = orjson.dumps(enc or [])
        while len(_CREATE_CACHE) > _CREATE_CACHE_SIZE:
            _CREATE_CACHE.popitem(last=False)
    return new


# A create's managedFields depend on which fields the object has, not on their values --
# except where a value can equal the kind's zero value (then the field is not "changed")
# and inside lists (their items are keyed by values). Objects created by one controller
# share that shape (every Event a scheduler writes, every Pod of a ReplicaSet), so the
# result is remembered per shape: the comparison walk costs ~0.1 ms a create.
_CREATE_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_CREATE_CACHE_SIZE = 512
_ZERO_LIKE_STRINGS = frozenset(("", "0"))


def _shape(v: Any) -> Any:
    """What a create's field set can depend on: map keys and their order, whole lists,
    and for other values their type and whether they could be a zero value."""
    t = type(v)
    if t is dict:
        return tuple((k, _shape(x)) for k, x in v.items())
    if t is list:
        return ("[", repr(v))       # repr tells 1 from "1" and True, and keeps order
    if t is str:
        return v if v in _ZERO_LIKE_STRINGS else "s"
    if t is bool or v is None:
        return v
    if t is int or t is float:
        return (t.__name__, v == 0, v != v)     # zero, and NaN (equal to nothing)
    return ("?", repr(v))


# --------------------------------------------------------------------------------------------------
# Conflicts
# --------------------------------------------------------------------------------------------------


class Conflict(NamedTuple):
    """One conflicting field: ``manager`` is the other manager's name, ``field`` the path
    as upstream prints it."""

    manager: str
    field: str
    operation: str = "Apply"
    api_version: str = ""
    subresource: str = ""
    time: str | None = None

    def describe(self) -> str:
        """printManager: ``"bob"``, ``"kubectl-edit" using apps/v1``, with the subresource."""
        s = _go_quote(self.manager)
        if self.subresource:
            s += f" with subresource {_go_quote(self.subresource)}"
        if self.operation == "Update":
            if self.time:
                return f"{s} using {self.api_version} at {self.time}"
            return f"{s} using {self.api_version}"
        return s

    @property
    def _ident(self) -> str:
        return _identifier(self.manager, self.operation, self.api_version, self.subresource)


class _Conflicts(Exception):
    def __init__(self, by_manager: dict[str, FieldSet]) -> None:
        super().__init__("conflicts")
        self.by_manager = by_manager

    def list(self) -> list[tuple[str, tuple]]:
        out = []
        for ident in sorted(self.by_manager):
            for p in self.by_manager[ident].paths():
                out.append((ident, p))
        return out


def _to_conflicts(pairs: list[tuple[str, tuple]]) -> list[Conflict]:
    out = []
    for ident, path in pairs:
        d = _ident_fields(ident)
        out.append(Conflict(d.get("manager", ""), path_string(path), d.get("operation", ""), d.get("apiVersion", ""),
                            d.get("subresource", ""), None))
    return out


def conflict_message(conflicts: list) -> str:
    cs = [_as_conflict(c) for c in conflicts]
    if len(cs) == 1:
        return f"Apply failed with 1 conflict: conflict with {cs[0].describe()}: {cs[0].field}"
    by: dict[str, list[Conflict]] = {}
    for c in cs:
        by.setdefault(c._ident, []).append(c)
    lines = []
    for ident in sorted(by):
        lines.append(f"conflicts with {by[ident][0].describe()}:")
        for c in by[ident]:
            lines.append(f"- {c.field}")
    return f"Apply failed with {len(cs)} conflicts: " + "\n".join(lines)


def _as_conflict(c: Any) -> Conflict:
    if isinstance(c, Conflict):
        return c
    return Conflict(c[0], c[1])


def conflict_status(conflicts: list) -> dict:
    """The 409 Status upstream answers an apply with conflicts."""
    cs = [_as_conflict(c) for c in conflicts]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": conflict_message(cs),
        "reason": "Conflict",
        "details": {"causes": [{"reason": "FieldManagerConflict", "message": f"conflict with {c.describe()}",
                                "field": c.field} for c in cs]},
        "code": 409,
    }


def _plain_500(message: str) -> errors.APIError:
    """An error upstream returns as a plain Go error: Status code 500, no reason, no details."""
    return errors.APIError(500, "", message)


class ApplyConflict(errors.APIError):
    """Raised by :func:`apply`: fields in the config that other managers own with another value."""

    def __init__(self, conflicts: list) -> None:
        self.conflicts = [_as_conflict(c) for c in conflicts]
        st = conflict_status(self.conflicts)
        super().__init__(409, "Conflict", st["message"], details=st["details"])


# --------------------------------------------------------------------------------------------------
# Server-side apply
# --------------------------------------------------------------------------------------------------


def _prune(ctx: _Ctx, merged: Any, m: _Managed, ident: str, last: _VSet | None) -> Any:
    """Remove what this applier owned last time and no longer applies, unless someone else
    owns it; keep fields nobody owned before (defaults, other writers' leftovers)."""
    if last is None or last.set.empty():
        return merged
    t = ctx.t
    last_e = _named_members(last.set, t)
    pruned = _remove(merged, last_e, t)
    owned = FieldSet()
    for vs in m.fields.values():
        owned = owned.union(vs.set)
    merged_set = _named_members(_field_set_of(merged, t), t)
    pruned_set = _named_members(_field_set_of(pruned, t), t)
    pruned = _remove(merged, merged_set.difference(pruned_set.union(_named_members(owned, t))), t)
    pruned_set = _named_members(_field_set_of(pruned, t), t)
    return _remove(merged, merged_set.difference(pruned_set).intersection(last_e), t)


def _apply_once(ctx: _Ctx, live_t: Any, config: dict, m: _Managed, manager: str, force: bool) -> tuple[Any, bool]:
    """SMD Apply plus the managers wrapped around it. Returns (new typed object, changed)."""
    ident = _identifier(manager, "Apply", "", ctx.subresource)
    try:
        merged = _merge(live_t, config, ctx.t, ())
    except _MergeError as e:
        raise _plain_500(f"failed to merge config: {e}") from None
    if merged is ABSENT:
        merged = {}
    last = m.fields.get(ident)
    cfg = _field_set_of(config, ctx.t)
    if ctx.reset is not None:
        cfg = cfg.recursive_difference(ctx.reset)
    m.fields[ident] = _VSet(cfg, ctx.api_version, True)
    merged = _prune(ctx, merged, m, ident, last)
    if merged is None:
        merged = {}
    _smd_update(ctx, live_t, merged, m, ident, force)
    changed = not _equal(live_t, merged)
    # strip server-owned fields from this manager's set
    vs = m.fields.get(ident)
    if vs is not None:
        s = vs.set.difference(_STRIP)
        if s.empty():
            del m.fields[ident]
        else:
            m.fields[ident] = _VSet(s, vs.api_version, True)
    if changed:
        m.times[ident] = ctx.now
    return merged, changed


def _copy_managed(m: _Managed) -> _Managed:
    c = _Managed()
    c.fields = dict(m.fields)
    c.times = dict(m.times)
    return c


def _allowed_from_last_applied(ctx: _Ctx, live: dict, live_t: Any) -> FieldSet | None:
    ann = ((live.get("metadata") or {}).get("annotations") or {})
    raw = ann.get(LAST_APPLIED_ANNOTATION) if isinstance(ann, dict) else None
    if not raw or not isinstance(raw, str):
        return None
    try:
        last = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("apiVersion") != ctx.api_version:
        return None
    s = _field_set_of(last, ctx.t)
    cmp = _comparison(last, live_t, ctx.t)
    return s.difference(cmp.modified).difference(cmp.added).difference(cmp.removed)


def _last_applied_value(config: dict) -> str:
    c = json.loads(json.dumps(config))
    meta = c.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
        meta["annotations"].pop(LAST_APPLIED_ANNOTATION, None)
    return _go_json(c) + "\n"


def _set_last_applied(obj: dict, value: str) -> None:
    meta = obj.setdefault("metadata", {})
    ann = meta.get("annotations")
    if not isinstance(ann, dict):
        ann = {}
    ann = dict(ann)
    ann[LAST_APPLIED_ANNOTATION] = value
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in ann.items())
    if size > _ANNOTATIONS_SIZE_LIMIT:
        del ann[LAST_APPLIED_ANNOTATION]
    meta["annotations"] = ann


def fields_from_object(obj: Any, gvk: Any = None, crd_schema: dict | None = None) -> FieldSet:
    """The fields an object sets, as apply records them for its config."""
    if gvk is None and isinstance(obj, dict):
        g, _, v = (obj.get("apiVersion") or "").rpartition("/")
        gvk = (g, v, obj.get("kind") or "")
    return _field_set_of(obj, type_for(gvk, crd_schema))


def apply(
    *,
    live: dict | None,
    config: dict,
    manager: str,
    force: bool,
    api_version: str,
    now: str,
    gvk: Any,
    subresource: str = "",
    reset: FieldSet | None = None,
    crd_schema: dict | None = None,
) -> dict:
    """Server-side apply of ``config`` (the decoded apply-patch body) onto ``live`` (the
    stored object, ``None`` when the apply creates it). Returns the new object with
    ``metadata.managedFields`` set; the server still runs defaulting, admission, its
    strategy and validation on it, as after any patch.

    Raises :class:`ApplyConflict` (409) when config changes fields other managers own and
    ``force`` is false; ``errors.APIError`` 400 for a config of another kind or version
    (``invalid object type: apps/v1, Kind=Deployment``) or one carrying managedFields.
    A no-op apply returns a copy of ``live`` (with managedFields possibly updated: the
    applier now co-owns the fields it applied)."""
    key = _parse_gvk(gvk, api_version, (live or {}).get("kind") or config.get("kind") or "")
    av = config.get("apiVersion")
    cg, _, cv = av.rpartition("/") if isinstance(av, str) else ("", "", "")
    ckind = config.get("kind") if isinstance(config.get("kind"), str) else ""
    if (cg, cv, ckind) != key:
        raise errors.bad_request(f"invalid object type: {_gvk_string((cg, cv, ckind))}")
    cmeta = config.get("metadata")
    if isinstance(cmeta, dict) and cmeta.get("managedFields") is not None:
        raise errors.bad_request("metadata.managedFields must be nil")
    ctx = _ctx(key, live or config, api_version, crd_schema, reset, subresource, now)
    verrs: list[tuple[tuple, str]] = []
    _validate(config, ctx.t, (), verrs)
    if verrs:
        ns = cmeta.get("namespace", "") if isinstance(cmeta, dict) else ""
        name = cmeta.get("name", "") if isinstance(cmeta, dict) else ""
        raise _plain_500(f"failed to create typed patch object ({ns}/{name}; {_gvk_string(key)}): "
                         + _validation_message(verrs))
    live_obj = live if live is not None else {}
    try:
        m = _decode((live_obj.get("metadata") or {}).get("managedFields"))
    except ManagedFieldsError as e:
        raise _plain_500(f"failed to decode managed fields: {e}") from None
    live_t = _typed(live_obj, ctx.gvk, ctx.go)
    if not m.fields:
        # skipNonAppliedManager: what is already there belongs to "before-first-apply"
        empty_t = _typed({}, ctx.gvk, ctx.go)
        uctx = _Ctx(ctx.gvk, ctx.t, ctx.go, ctx.reset, ctx.api_version, ctx.subresource, ctx.now)
        _record_update(uctx, empty_t, live_t, m, _BEFORE_FIRST_APPLY)

    def attempt(force_: bool) -> tuple[Any, bool, _Managed]:
        mc = _copy_managed(m)
        new_t, changed = _apply_once(ctx, live_t, config, mc, manager, force_)
        return new_t, changed, mc

    try:
        new_t, changed, m2 = attempt(force)
    except _Conflicts as c:
        pairs = c.list()
        if manager == "kubectl":
            allowed = _allowed_from_last_applied(ctx, live_obj, live_t)
            if allowed is not None:
                rest = [(i, p) for i, p in pairs if not allowed.has(p)]
                if rest:
                    raise ApplyConflict(_to_conflicts(rest)) from None
                new_t, changed, m2 = attempt(True)
            else:
                raise ApplyConflict(_to_conflicts(pairs)) from None
        else:
            raise ApplyConflict(_to_conflicts(pairs)) from None
    if changed:
        result = copy.deepcopy(normalize(new_t, ctx.gvk) if ctx.go else new_t)
    else:
        result = copy.deepcopy(live_obj)
    if not isinstance(result, dict):
        result = {}
    meta = result.get("metadata")
    if not isinstance(meta, dict):
        meta = result["metadata"] = {}
    meta.pop("managedFields", None)
    if manager == "kubectl":
        ann = meta.get("annotations")
        if isinstance(ann, dict) and ann.get(LAST_APPLIED_ANNOTATION):
            _set_last_applied(result, _last_applied_value(config))
    enc = _encode(m2)
    if enc:
        result["metadata"]["managedFields"] = enc
    return result


# --------------------------------------------------------------------------------------------------
# /scale
# --------------------------------------------------------------------------------------------------

_SCALE_GV = "autoscaling/v1"
_REPLICAS_IN_SCALE = (("f", "spec"), ("f", "replicas"))


def scale_managed_fields(
    *,
    entries: Any,
    old_replicas: Any,
    new_replicas: Any,
    manager: str,
    api_version: str,
    now: str,
    replicas_path: tuple | str = ("spec", "replicas"),
) -> list[dict] | None:
    """The parent's managedFields after a write to its ``/scale`` subresource.

    Upstream translates ownership of the parent's replicas field into a Scale object,
    records the write there (manager with ``subresource: scale``), and translates back:
    whoever owned the replicas loses them when they change, and the scaler's entry is
    written with the parent's apiVersion and, as upstream, without a time. When nobody
    owned the replicas the Scale is untracked and nothing changes. ``entries`` are the
    parent's managedFields, ``api_version`` the parent's group/version, ``replicas_path``
    its replicas field (a CRD's ``specReplicasPath`` such as ``.spec.replicas`` is
    accepted). Returns the new list (``None``: no entries).

    One deliberate difference: a scale write that leaves the replicas unchanged returns
    the entries as they were (upstream re-adds the owners with a second, time-less entry).
    """
    if isinstance(replicas_path, str):
        rp = tuple(("f", p) for p in replicas_path.lstrip(".").split(".") if p)
    else:
        rp = tuple(("f", p) for p in replicas_path)
    parent = _decode(entries)
    if _equal(old_replicas, new_replicas):
        return _encode(parent)
    # ToSubresource: owners of the replicas own spec.replicas of the Scale (autoscaling/v1)
    scale = _Managed()
    for ident, vs in parent.fields.items():
        if vs.api_version == api_version and vs.set.has(rp):
            scale.fields[ident] = _VSet(FieldSet([_REPLICAS_IN_SCALE]), _SCALE_GV, vs.applied)
            scale.times[ident] = parent.times.get(ident)
    scale = _decode(_encode(scale))
    if scale.fields:
        # the Scale write: everyone loses spec.replicas, the scaler gets it
        scale = _Managed()
        ident = _identifier(manager or "unknown", "Update", _SCALE_GV, "scale")
        scale.fields[ident] = _VSet(FieldSet([_REPLICAS_IN_SCALE]), _SCALE_GV, False)
        scale.times[ident] = _norm_time(now) or now
    # ToParent
    out = _Managed()
    sf = dict(scale.fields)
    for ident, vs in parent.fields.items():
        if vs.api_version != api_version or not vs.set.has(rp):
            out.fields[ident] = vs
            out.times[ident] = parent.times.get(ident)
            continue
        if ident not in sf:
            s = vs.set.difference(FieldSet([rp]))
            if not s.empty():
                out.fields[ident] = _VSet(s, vs.api_version, vs.applied)
                out.times[ident] = parent.times.get(ident)
        else:
            out.fields[ident] = vs
            out.times[ident] = parent.times.get(ident)
            del sf[ident]
    for ident, vs in sf.items():
        if vs.set.has(_REPLICAS_IN_SCALE):
            out.fields[ident] = _VSet(FieldSet([rp]), api_version, vs.applied)
            out.times[ident] = parent.times.get(ident)
    return _encode(out)
