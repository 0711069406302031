"""Rendering objects, lists, Tables and watch events in the representation a
client negotiated (see ``negotiation``). JSON is built from each cache entry's
pre-serialised bytes, so a list of thousands of objects is one join."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import orjson
import yaml

from ..api import protobuf, tables
from ..api.conversion import convert, needs_conversion
from ..api.registry import Resource
from .negotiation import JSON, PROTOBUF, YAML, Output
from .watchcache import Entry

_LIST_META_KEYS = ("resourceVersion", "continue", "remainingItemCount")


def served(resource: Resource, entry: Entry) -> dict:
    """The entry's object in the version ``resource`` serves."""
    if not needs_conversion(resource):
        return entry.obj
    if entry.extra is None:
        entry.extra = {}
    obj = entry.extra.get(resource.api_version)
    if obj is None:
        obj = entry.extra[resource.api_version] = convert(entry.obj, resource.api_version)
    return obj


def object_bytes(resource: Resource, entry: Entry) -> bytes:
    if not needs_conversion(resource):
        return entry.raw
    return orjson.dumps(served(resource, entry))


def item_bytes(resource: Resource, entry: Entry) -> bytes:
    if not needs_conversion(resource):
        return entry.item
    obj = served(resource, entry)
    return orjson.dumps({k: v for k, v in obj.items() if k != "kind" and k != "apiVersion"})


def dump_yaml(obj: object) -> bytes:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True).encode()


try:
    _Dumper = yaml.CSafeDumper  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Dumper = yaml.SafeDumper


def encode_dict(obj: dict, out: Output) -> tuple[bytes, str]:
    """Encode a plain dict (Status, Scale, a converted object) as JSON/YAML/protobuf."""
    if out.format == "yaml":
        return dump_yaml(obj), YAML
    if out.format == "protobuf" and protobuf.supports(obj.get("apiVersion", ""), obj.get("kind", "")):
        return protobuf.encode(obj), PROTOBUF
    return orjson.dumps(obj), JSON


def partial_metadata(obj: dict, version: str) -> dict:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}", "metadata": obj.get("metadata", {})}


def table(
    resource: Resource,
    entries: Iterable[Entry],
    *,
    list_meta: dict,
    version: str,
    include_object: str,
    with_columns: bool = True,
) -> dict:
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for e in entries:
        obj = served(resource, e)
        row: dict = {"cells": tables.row_cells(resource, obj, now=now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj, "v1")
        rows.append(row)
    t: dict = {"kind": "Table", "apiVersion": f"meta.k8s.io/{version}", "metadata": list_meta}
    if with_columns:
        t["columnDefinitions"] = tables.column_definitions(resource)
    t["rows"] = rows
    return t


def single(resource: Resource, entry: Entry, out: Output, *, include_object: str = "Metadata") -> tuple[bytes, str]:
    if out.format == "json":
        return object_bytes(resource, entry), JSON
    obj = served(resource, entry)
    if out.format == "table":
        t = table(resource, [entry], list_meta={"resourceVersion": str(entry.rv)}, version=out.version,
                  include_object=include_object)
        return orjson.dumps(t), JSON
    if out.format == "partial":
        return orjson.dumps(partial_metadata(obj, out.version)), JSON
    return encode_dict(obj, out)


def list_body(
    resource: Resource,
    entries: list[Entry],
    out: Output,
    *,
    list_meta: dict,
    include_object: str = "Metadata",
) -> tuple[bytes, str]:
    if out.format == "json":
        head = orjson.dumps({"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": list_meta})
        items = b",".join(item_bytes(resource, e) for e in entries)
        return head[:-1] + b',"items":[' + items + b"]}", JSON
    if out.format == "table":
        return orjson.dumps(table(resource, entries, list_meta=list_meta, version=out.version,
                                  include_object=include_object)), JSON
    if out.format == "partial":
        body = {
            "kind": "PartialObjectMetadataList",
            "apiVersion": f"meta.k8s.io/{out.version}",
            "metadata": list_meta,
            "items": [{"metadata": served(resource, e).get("metadata", {})} for e in entries],
        }
        return orjson.dumps(body), JSON
    items = []
    for e in entries:
        o = served(resource, e)
        items.append({k: v for k, v in o.items() if k not in ("kind", "apiVersion")} if out.format != "protobuf" else o)
    body = {"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": list_meta, "items": items}
    return encode_dict(body, out)


def watch_event(resource: Resource, etype: str, entry: Entry | None, out: Output, *,
                include_object: str = "Metadata", obj: dict | None = None) -> bytes:
    """One watch frame: a JSON line, or a length-prefixed protobuf frame."""
    if out.format == "protobuf":
        return protobuf.encode_watch_event(etype, obj if obj is not None else served(resource, entry))
    if obj is not None:
        payload = orjson.dumps(obj)
    elif out.format == "table":
        payload = orjson.dumps(table(resource, [entry], list_meta={"resourceVersion": str(entry.rv)},
                                     version=out.version, include_object=include_object))
    elif out.format == "partial":
        payload = orjson.dumps(partial_metadata(served(resource, entry), out.version))
    else:
        payload = object_bytes(resource, entry)
    return b'{"type":"' + etype.encode() + b'","object":' + payload + b"}\n"
