"""Patch metadata of the built-in kinds, read from the official schemas.

Strategic merge patch (``api.strategicpatch``) and, later, server-side apply
need to know, for every field of a built-in kind, how lists and maps combine:

* ``x-kubernetes-patch-strategy``: ``merge`` (lists merged item by item),
  ``replace`` (the value is replaced wholesale), ``retainKeys`` or
  ``merge,retainKeys``;
* ``x-kubernetes-patch-merge-key``: the field identifying an item of a merged
  list of objects (``name`` for containers, ``containerPort`` for ports);
* ``x-kubernetes-list-type`` / ``x-kubernetes-list-map-keys`` /
  ``x-kubernetes-map-type``: the structural-merge-diff view (atomic, set, map)
  that server-side apply uses.

Upstream reads the first two from Go struct tags; the OpenAPI schemas shipped by
``kubernetes-validate`` carry the same information as extensions on the
property schemas, so this module walks those (the JSON file is loaded once, and
shared with ``api.validation.schema``).

:func:`schema_for` returns the root :class:`Node` of a kind, or ``None`` for
kinds without a schema (custom resources). Nodes are built lazily, one field at
a time, and cached, so repeated lookups cost a dict access. A field the schema
does not know yields :data:`EMPTY` (no metadata: maps merge, lists replace).
"""

from __future__ import annotations

from typing import Any

__all__ = ["EMPTY", "Node", "definitions", "schema_for"]


def _types(sch: dict) -> tuple[str, ...]:
    t = sch.get("type")
    if t is None:
        return ()
    if isinstance(t, str):
        return (t,)
    return tuple(x for x in t if x != "null")


class Node:
    """Patch metadata of one field plus the shape of its value.

    Field-level metadata (from the property schema that names the field):
    ``patch_strategies`` (``("merge", "retainKeys")``), ``merge_key``,
    ``list_type``, ``list_map_keys``, ``map_type``. Shape (from the resolved
    type): ``kind`` is ``"struct"`` (fixed properties), ``"map"``
    (``additionalProperties``), ``"list"``, ``"scalar"`` or ``"any"``; ``name``
    is the definition's short name (the Go type name, e.g. ``PodSpec``) or "".
    """

    __slots__ = (
        "_additional",
        "_children",
        "_item",
        "_items",
        "_props",
        "kind",
        "list_map_keys",
        "list_type",
        "map_type",
        "merge_key",
        "name",
        "patch_strategies",
    )

    def __init__(self) -> None:
        self.name = ""
        self.kind = "any"
        self.patch_strategies: tuple[str, ...] = ()
        self.merge_key = ""
        self.list_type: str | None = None
        self.list_map_keys: tuple[str, ...] = ()
        self.map_type: str | None = None
        self._props: dict[str, dict] | None = None
        self._additional: dict | None = None
        self._items: dict | None = None
        self._children: dict[str, Node] = {}
        self._item: Node | None = None

    # -- navigation ------------------------------------------------------------------
    def child(self, key: str) -> Node:
        """The node of map key / struct field ``key`` (:data:`EMPTY` if unknown)."""
        props = self._props
        if props is not None:
            n = self._children.get(key)
            if n is None:
                sch = props.get(key)
                if sch is None:
                    return EMPTY  # not cached: unknown keys come from requests
                n = self._children[key] = _node(sch)
            return n
        if self._additional is not None:
            n = self._children.get("")
            if n is None:
                n = self._children[""] = _node(self._additional)
            return n
        return EMPTY

    def item(self) -> Node:
        """The node of this list's items (:data:`EMPTY` if not a list)."""
        n = self._item
        if n is None:
            if self._items is not None:
                n = _node(self._items)
            elif self.kind == "struct":
                n = self  # upstream: a (pointer to a) struct used as a list holds that struct
            else:
                n = EMPTY
            if self is not EMPTY:
                self._item = n
        return n

    def has_field(self, key: str) -> bool:
        return self._props is not None and key in self._props

    def field_names(self) -> tuple[str, ...]:
        return tuple(self._props) if self._props is not None else ()

    def path(self, *keys: str) -> Node:
        """Follow ``keys``; ``"[]"`` steps into list items."""
        n = self
        for k in keys:
            n = n.item() if k == "[]" else n.child(k)
        return n

    # -- patch strategy ----------------------------------------------------------------
    @property
    def patch_strategy(self) -> str:
        """The raw ``x-kubernetes-patch-strategy`` ("" if none)."""
        return ",".join(self.patch_strategies)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        bits = [self.kind]
        if self.name:
            bits.append(self.name)
        if self.patch_strategies:
            bits.append("strategy=" + self.patch_strategy)
        if self.merge_key:
            bits.append("mergeKey=" + self.merge_key)
        if self.list_type:
            bits.append("listType=" + self.list_type)
        return f"<Node {' '.join(bits)}>"


EMPTY = Node()


class _Defs:
    def __init__(self) -> None:
        self.defs: dict[str, dict] | None = None
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        self.roots: dict[tuple[str, str, str], Node | None] = {}

    def load(self) -> None:
        if self.defs is not None:
            return
        defs: dict[str, dict] = {}
        by_gvk: dict[tuple[str, str, str], str] = {}
        try:
            from .validation.schema import SCHEMAS

            SCHEMAS.load()
            defs = SCHEMAS.defs or {}
            by_gvk = dict(SCHEMAS.by_gvk)
        except ImportError:  # pragma: no cover - validation package always present
            pass
        self.defs = defs
        self.by_gvk = by_gvk


_DEFS = _Defs()
_NODES: dict[int, Node] = {}


def definitions() -> dict[str, dict]:
    """The raw schema definitions (``$defs`` of ``_definitions.json``)."""
    _DEFS.load()
    return _DEFS.defs or {}


def _resolve(sch: dict) -> tuple[dict, str]:
    seen = 0
    name = ""
    while True:
        ref = sch.get("$ref")
        if not ref or seen > 16:
            return sch, name
        full = ref.rsplit("/", 1)[-1]
        name = full.rsplit(".", 1)[-1]
        sch = definitions().get(full, {})
        seen += 1


def _node(sch: Any) -> Node:
    if not isinstance(sch, dict):
        return EMPTY
    key = id(sch)
    n = _NODES.get(key)
    if n is not None:
        return n
    n = Node()
    strat = sch.get("x-kubernetes-patch-strategy")
    if isinstance(strat, str) and strat:
        n.patch_strategies = tuple(strat.split(","))
    mk = sch.get("x-kubernetes-patch-merge-key")
    if isinstance(mk, str):
        n.merge_key = mk
    lt = sch.get("x-kubernetes-list-type")
    if isinstance(lt, str):
        n.list_type = lt
    lmk = sch.get("x-kubernetes-list-map-keys")
    if isinstance(lmk, list):
        n.list_map_keys = tuple(str(x) for x in lmk)
    mt = sch.get("x-kubernetes-map-type")
    if isinstance(mt, str):
        n.map_type = mt
    target, name = _resolve(sch)
    n.name = name
    # metadata may also sit on the referenced definition (map-type does)
    if target is not sch and n.map_type is None and isinstance(target.get("x-kubernetes-map-type"), str):
        n.map_type = target["x-kubernetes-map-type"]
    props = target.get("properties")
    types = _types(target)
    if isinstance(props, dict):
        n.kind = "struct"
        n._props = props
    elif "array" in types:
        n.kind = "list"
        items = target.get("items")
        n._items = items if isinstance(items, dict) else None
    elif "object" in types:
        ap = target.get("additionalProperties")
        if isinstance(ap, dict) and ap:
            n.kind = "map"
            n._additional = ap
        else:
            n.kind = "any"
    elif types or "oneOf" in target:
        n.kind = "scalar"
    else:
        n.kind = "any"
    _NODES[key] = n
    return n


def schema_for(group: str, version: str, kind: str) -> Node | None:
    """The root node of a built-in kind, or ``None`` if the schemas do not know it."""
    gvk = (group, version, kind)
    try:
        return _DEFS.roots[gvk]
    except KeyError:
        pass
    _DEFS.load()
    name = _DEFS.by_gvk.get(gvk)
    root = None
    if name is not None and name in definitions():
        root = _node(definitions()[name])
        root.name = name.rsplit(".", 1)[-1]
    _DEFS.roots[gvk] = root
    return root
