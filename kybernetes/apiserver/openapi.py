"""OpenAPI documents built from the registry: ``/openapi/v3`` (index and one
document per group version) and ``/openapi/v2`` (JSON and gnostic protobuf).

What kubectl does with them:

* ``apply``, ``create -f``, ``replace -f`` (1.29+) look in the v3 document of
  the object's group version for a PATCH operation whose
  ``x-kubernetes-group-version-kind`` is the object's GVK and which lists the
  ``fieldValidation`` query parameter; only then do they send
  ``fieldValidation=Strict`` instead of validating client side.
* ``explain`` reads ``components.schemas``: the top-level kind is found by its
  ``x-kubernetes-group-version-kind``, fields are followed through
  ``allOf: [{$ref}]`` links, and types are printed from ``type`` (which must be
  a plain string) or from the referenced definition's name.
* kubectl 1.27/1.28 do the ``fieldValidation`` check on ``/openapi/v2``, and
  every version builds client-side-apply strategic merge patches from the v2
  models. client-go only ever decodes v2 as *protobuf* (a gnostic
  ``openapi.v2.Document``): it asks ``/openapi/v2`` with
  ``Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`` and,
  on 403/404/406, asks ``/swagger-2.0.0.pb-v1``; a JSON body fails to decode.
  :meth:`OpenAPI.v2_protobuf` provides that encoding.

Schemas come from the official definitions that ``kubernetes-validate`` ships
(converted there for JSON-schema validation). They are turned back into
OpenAPI: ``type: ["string", "null"]`` becomes ``type: string``, the
``apiVersion``/``kind`` enums that package adds are dropped, ``IntOrString``
and ``Quantity`` become the string types upstream publishes, refs point at
``#/definitions`` (v2) or ``#/components/schemas`` (v3), and in v3 a ref with
sibling keywords (a property's description) is wrapped as ``allOf: [{$ref}]``.
What that package does not carry cannot be restored: field ``enum`` lists
(and the "Possible enum values" text upstream appends to descriptions) and
``default`` values.

Documents are built lazily, kept as bytes, and rebuilt after
:meth:`OpenAPI.invalidate` (the registry changed, e.g. a CRD was added).
Hashes are upstream's: the uppercase hex SHA-512 of the served bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from time import time
from typing import Any

import orjson

from ..api.registry import Registry, Resource

__all__ = [
    "V2_PROTOBUF_ACCEPT",
    "V2_PROTOBUF_CONTENT_TYPE",
    "V3_PROTOBUF_CONTENT_TYPE",
    "OpenAPI",
    "Reply",
    "content_hash",
]

SPEC_VERSION = "v1.33.0"
SCHEMA_DIR = f"{SPEC_VERSION}-local"

V2_PROTOBUF_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
V2_PROTOBUF_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
V3_PROTOBUF_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
DELETE_OPTIONS = META + "DeleteOptions"
STATUS = META + "Status"
PATCH = META + "Patch"
WATCH_EVENT = META + "WatchEvent"
OBJECT_META = META + "ObjectMeta"
LIST_META = META + "ListMeta"
API_RESOURCE_LIST = META + "APIResourceList"
API_GROUP = META + "APIGroup"
API_GROUP_LIST = META + "APIGroupList"
API_VERSIONS = META + "APIVersions"
VERSION_INFO = "io.k8s.apimachinery.pkg.version.Info"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"

PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)

_DESC_API_VERSION = (
    "APIVersion defines the versioned schema of this representation of an object. Servers should convert "
    "recognized schemas to the latest internal value, and may reject unrecognized values. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
)
_DESC_KIND = (
    "Kind is a string value representing the REST resource this object represents. Servers may infer this "
    "from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)
_DESC_METADATA = (
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
_DESC_LIST_METADATA = (
    "Standard list metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)

# IntOrString and Quantity: v3 publishes them as ``oneOf`` alternatives (so kubectl
# explain prints the definition's name, ``<IntOrString>``), v2 as strings with a format.
_DESC_INT_OR_STRING = (
    "IntOrString holds either an int32 or a string. In JSON and YAML it is written as whichever of the two it "
    "holds, so that one field can take, for example, a port name or a port number."
)
_DESC_QUANTITY = (
    "Quantity is a fixed-point number, written in JSON and YAML as a string such as \"250m\", \"1Gi\" or "
    "\"2e3\": an optionally signed decimal number followed by an optional suffix, either a binary SI suffix "
    "(Ki, Mi, Gi, Ti, Pi, Ei), a decimal SI suffix (n, u, m, \"\", k, M, G, T, P, E) or a decimal exponent "
    "(e or E and an integer). Values are exact; precision below nano units is rounded up. The server writes "
    "a canonical form that keeps the input's suffix family and uses the largest suffix that leaves the "
    "number whole, so \"1536Mi\" stays \"1536Mi\" while \"2048Mi\" becomes \"2Gi\"."
)
_SPECIAL_DEFS: dict[str, dict] = {
    INT_OR_STRING: {"description": _DESC_INT_OR_STRING, "format": "int-or-string",
                    "oneOf": [{"type": "integer"}, {"type": "string"}]},
    QUANTITY: {"description": _DESC_QUANTITY, "oneOf": [{"type": "string"}, {"type": "number"}]},
}
_SPECIAL_DEFS_V2: dict[str, dict] = {
    INT_OR_STRING: {"description": _DESC_INT_OR_STRING, "type": "string", "format": "int-or-string"},
    QUANTITY: {"description": _DESC_QUANTITY, "type": "string"},
}

# --------------------------------------------------------------------------
# Query and path parameters
# --------------------------------------------------------------------------

# name -> (type, description)
_PARAMS: dict[str, tuple[str, str]] = {
    "allowWatchBookmarks": ("boolean", (
        "allowWatchBookmarks asks for watch events of type \"BOOKMARK\". Servers may ignore it and send "
        "bookmarks whenever they choose; clients must not rely on them. Ignored unless watch is set.")),
    "continue": ("string", (
        "The continue token returned by a previous list call that had a limit, used to fetch the next chunk "
        "of results. The rest of the query must be the same as the call that returned the token. An expired "
        "token (after about five to fifteen minutes) answers 410 ResourceExpired. Not allowed with watch.")),
    "fieldSelector": ("string", "A selector restricting the returned objects by their fields. Defaults to everything."),
    "labelSelector": ("string", "A selector restricting the returned objects by their labels. Defaults to everything."),
    "limit": ("integer", (
        "The largest number of objects a list call should return. If more exist the server sets "
        "metadata.continue, which fetches the next chunk. Not allowed with watch.")),
    "resourceVersion": ("string", (
        "resourceVersion constrains which versions of the resources the request may be served from. "
        "See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions. Defaults to unset.")),
    "resourceVersionMatch": ("string", (
        "resourceVersionMatch says how resourceVersion is applied to list calls (NotOlderThan or Exact). "
        "It is strongly recommended whenever resourceVersion is set. Defaults to unset.")),
    "sendInitialEvents": ("boolean", (
        "With watch=true, sendInitialEvents=true starts the watch with synthetic ADDED events for the "
        "objects that exist, followed by a BOOKMARK annotated \"k8s.io/initial-events-end\". Requires "
        "resourceVersionMatch=NotOlderThan.")),
    "timeoutSeconds": ("integer", "Timeout for the list or watch call; the call ends after this many seconds."),
    "watch": ("boolean", (
        "Watch for changes to the described resources and return them as a stream of add, update and remove "
        "notifications. Specify resourceVersion.")),
    "dryRun": ("string", (
        "When present, modifications are not persisted. The only valid value is \"All\": every dry-run stage "
        "is processed. An invalid or unrecognized value answers an error and the request is not processed.")),
    "fieldManager": ("string", (
        "fieldManager names the actor making these changes. At most 128 printable characters "
        "(https://golang.org/pkg/unicode/#IsPrint). Required for apply patches, optional otherwise.")),
    "fieldValidation": ("string", (
        "fieldValidation says how the server treats objects with unknown or duplicate fields: \"Ignore\" "
        "drops them silently; \"Warn\" drops them and answers a warning for each (the default since "
        "v1.23); \"Strict\" fails the request with a BadRequest listing every unknown and duplicate field.")),
    "force": ("boolean", (
        "force makes an apply request take ownership of fields other managers hold instead of failing with "
        "a conflict. Must be unset for patches that are not apply patches.")),
    "gracePeriodSeconds": ("integer", (
        "Seconds before the object is deleted; a non-negative integer. Zero deletes immediately. Unset "
        "uses the kind's default.")),
    "ignoreStoreReadErrorWithClusterBreakingPotential": ("boolean", (
        "Deletes an object that cannot be read from storage (for example undecryptable or undecodable data). "
        "Unsafe: it skips finalizers and precondition checks and may break the cluster. Defaults to false.")),
    "orphanDependents": ("boolean", (
        "Deprecated: use propagationPolicy. Whether dependents are orphaned: true adds the \"orphan\" "
        "finalizer, false removes it.")),
    "propagationPolicy": ("string", (
        "Whether and how garbage collection acts on dependents: 'Orphan' orphans them, 'Background' deletes "
        "them in the background, 'Foreground' deletes them before the owner.")),
    "pretty": ("string", "If 'true', the output is pretty printed. Values 1, y, yes and on count as true too."),
    "name": ("string", "name of the {kind}"),
    "namespace": ("string", "object name and auth scope, such as for teams and projects"),
    "path": ("string", "Path is the URL path to use for the current proxy request to {kind}."),
    "pathParam": ("string", "path to the resource"),
    # pods/log
    "container": ("string", "The container to act on. Defaults to the only container if the pod has one."),
    "follow": ("boolean", "Follow the log stream of the pod. Defaults to false."),
    "insecureSkipTLSVerifyBackend": ("boolean", (
        "Skip verifying the identity of the kubelet serving the logs (unsafe: the logs could come from an "
        "impostor). Defaults to false.")),
    "limitBytes": ("integer", "Stop returning log output after this many bytes. Defaults to no limit."),
    "previous": ("boolean", "Return the logs of the previous, terminated container. Defaults to false."),
    "sinceSeconds": ("integer", "Only return logs newer than this many seconds. Only one of sinceSeconds or sinceTime."),
    "stream": ("string", "Which log stream to return: \"All\", \"Stdout\" or \"Stderr\". Defaults to \"All\"."),
    "tailLines": ("integer", "Return this many lines from the end of the log. Defaults to the whole log."),
    "timestamps": ("boolean", "Prefix every log line with an RFC3339 timestamp. Defaults to false."),
    # exec / attach / portforward
    "command": ("string", "Command to run; not run in a shell. Repeat the parameter for each argument."),
    "stderr": ("boolean", "Redirect the standard error stream of the container for this call."),
    "stdin": ("boolean", "Redirect the standard input stream of the container for this call. Defaults to false."),
    "stdout": ("boolean", "Redirect the standard output stream of the container for this call."),
    "tty": ("boolean", "Allocate a terminal for this call. Defaults to false."),
    "ports": ("integer", "Ports of the pod to forward."),
}

LIST_PARAMS = ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion",
               "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch")
WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
PATCH_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force")
DELETE_PARAMS = ("dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential",
                 "orphanDependents", "propagationPolicy")
DELETECOLLECTION_PARAMS = ("continue", "dryRun", "fieldSelector", "gracePeriodSeconds",
                           "ignoreStoreReadErrorWithClusterBreakingPotential", "labelSelector", "limit",
                           "orphanDependents", "propagationPolicy", "resourceVersion", "resourceVersionMatch",
                           "sendInitialEvents", "timeoutSeconds")
LOG_PARAMS = ("container", "follow", "insecureSkipTLSVerifyBackend", "limitBytes", "previous", "sinceSeconds",
              "stream", "tailLines", "timestamps")
EXEC_PARAMS = ("command", "container", "stderr", "stdin", "stdout", "tty")
ATTACH_PARAMS = ("container", "stderr", "stdin", "stdout", "tty")
PORTFORWARD_PARAMS = ("ports",)

CONNECT_SUBRESOURCES = {"exec": EXEC_PARAMS, "attach": ATTACH_PARAMS, "portforward": PORTFORWARD_PARAMS}

# Response media types.
_OBJ_BUILTIN = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
_OBJ_CUSTOM = ("application/json", "application/yaml")
_STREAM = ("application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch")


def content_hash(body: bytes) -> str:
    """The hash upstream puts in ``?hash=`` and (quoted) in ETag: uppercase hex SHA-512."""
    return hashlib.sha512(body).hexdigest().upper()


def etag_of(body: bytes) -> str:
    return '"' + content_hash(body) + '"'


# --------------------------------------------------------------------------
# Definitions: loading and conversion
# --------------------------------------------------------------------------

_defs_lock = threading.Lock()
_raw_defs: dict[str, dict] | None = None


def _definitions_path() -> str | None:
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        return None
    base = next(iter(spec.submodule_search_locations))
    return os.path.join(base, "kubernetes-json-schema", SCHEMA_DIR, "_definitions.json")


def _load_raw_defs() -> dict[str, dict]:
    global _raw_defs
    with _defs_lock:
        if _raw_defs is None:
            path = _definitions_path()
            defs: dict[str, dict] = {}
            if path:
                try:
                    with open(path, "rb") as f:
                        raw = orjson.loads(f.read())
                    defs = raw.get("$defs") or raw.get("definitions") or {}
                except OSError:
                    defs = {}
            _raw_defs = defs
        return _raw_defs


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _plain_type(t: Any) -> Any:
    if isinstance(t, list):
        real = [x for x in t if x != "null"]
        return real[0] if real else None
    return t


def _normalize(s: Any, prop: str | None = None) -> Any:
    """kubernetes-validate's JSON-schema form -> neutral OpenAPI form (refs as bare names under ``$ref``)."""
    if not isinstance(s, dict):
        return s
    out: dict[str, Any] = {}
    for k, v in s.items():
        if k == "$ref" and isinstance(v, str):
            out["$ref"] = _ref_name(v)
        elif k == "type":
            t = _plain_type(v)
            if t:
                out["type"] = t
        elif k == "enum" and prop in ("apiVersion", "kind"):
            continue  # added by kubernetes-validate, not in upstream's documents
        elif k == "properties" and isinstance(v, dict):
            out["properties"] = {pk: _normalize(pv, pk) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            out[k] = _normalize(v)
        elif k in ("allOf", "oneOf", "anyOf") and isinstance(v, list):
            out[k] = [_normalize(x) for x in v]
        else:
            out[k] = v
    return out


class _Defs:
    """The neutral (bare-name refs) definitions, with GVK lookup and closure."""

    def __init__(self) -> None:
        raw = _load_raw_defs()
        self.defs: dict[str, dict] = {}
        for name, d in raw.items():
            self.defs[name] = dict(_SPECIAL_DEFS[name]) if name in _SPECIAL_DEFS else _normalize(d)
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        for name, d in self.defs.items():
            for g in d.get("x-kubernetes-group-version-kind") or ():
                key = (g.get("group", ""), g.get("version", ""), g.get("kind", ""))
                if key not in self.by_gvk or name.endswith("." + key[2]):
                    self.by_gvk[key] = name
        self._refs: dict[str, tuple[str, ...]] = {}

    def refs_of(self, name: str, defs: dict[str, dict]) -> tuple[str, ...]:
        got = self._refs.get(name) if defs is self.defs else None
        if got is not None:
            return got
        found: list[str] = []
        _collect_refs(defs.get(name, {}), found)
        out = tuple(dict.fromkeys(found))
        if defs is self.defs:
            self._refs[name] = out
        return out


def _collect_refs(s: Any, out: list[str]) -> None:
    if isinstance(s, dict):
        for k, v in s.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            elif k == "properties" and isinstance(v, dict):
                for pv in v.values():
                    _collect_refs(pv, out)
            elif isinstance(v, (dict, list)) and k not in ("enum", "default", "example", "x-kubernetes-unions",
                                                           "x-kubernetes-group-version-kind"):
                _collect_refs(v, out)
    elif isinstance(s, list):
        for x in s:
            _collect_refs(x, out)


_defs_singleton: _Defs | None = None


def _shared_defs() -> _Defs:
    global _defs_singleton
    if _defs_singleton is None:
        d = _Defs()
        with _defs_lock:
            if _defs_singleton is None:
                _defs_singleton = d
    return _defs_singleton


def _to_v3(s: Any) -> Any:
    """Neutral -> OpenAPI 3.0: refs under #/components/schemas, a ref with siblings as allOf."""
    if not isinstance(s, dict):
        return s
    out: dict[str, Any] = {}
    ref = s.get("$ref") if isinstance(s.get("$ref"), str) else None
    if ref is not None and len(s) > 1:
        out["allOf"] = [{"$ref": "#/components/schemas/" + ref}]
    for k, v in s.items():
        if k == "$ref" and isinstance(v, str):
            if len(s) == 1:
                out["$ref"] = "#/components/schemas/" + v
        elif k == "properties" and isinstance(v, dict):
            out[k] = {pk: _to_v3(pv) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            out[k] = _to_v3(v)
        elif k in ("allOf", "oneOf", "anyOf") and isinstance(v, list):
            out[k] = out.get(k, []) + [_to_v3(x) for x in v]
        else:
            out[k] = v
    return out


_V2_DROP = ("nullable", "oneOf", "anyOf", "not", "x-kubernetes-validations")


def _to_v2(s: Any) -> Any:
    """Neutral -> Swagger 2.0: refs under #/definitions (siblings kept, as upstream publishes them)."""
    if not isinstance(s, dict):
        return s
    out: dict[str, Any] = {}
    for k, v in s.items():
        if k == "$ref" and isinstance(v, str):
            out["$ref"] = "#/definitions/" + v
        elif k in _V2_DROP:
            continue
        elif k == "properties" and isinstance(v, dict):
            out[k] = {pk: _to_v2(pv) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = _to_v2(v)
        elif k == "allOf" and isinstance(v, list):
            out[k] = [_to_v2(x) for x in v]
        else:
            out[k] = v
    if isinstance(out.get("type"), list):
        out["type"] = _plain_type(out["type"])
    return out


# --------------------------------------------------------------------------
# Custom resource schemas
# --------------------------------------------------------------------------

def custom_definition_name(group: str, version: str, kind: str) -> str:
    """Upstream's name for a CRD kind's definition: the group reversed, then version and kind."""
    return ".".join(list(reversed(group.split("."))) + [version, kind])


def _v2_custom(s: Any) -> Any:
    """A CRD openAPIV3Schema node in the shape upstream publishes in v2 (structural parts only)."""
    if not isinstance(s, dict):
        return s
    out: dict[str, Any] = {}
    for k, v in s.items():
        if k in _V2_DROP:
            continue
        if k == "properties" and isinstance(v, dict):
            out[k] = {pk: _v2_custom(pv) for pk, pv in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = _v2_custom(v)
        elif k == "allOf" and isinstance(v, list):
            out[k] = [_v2_custom(x) for x in v]
        else:
            out[k] = v
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    if out.get("x-kubernetes-preserve-unknown-fields"):
        for k in ("type", "properties", "additionalProperties", "items", "required"):
            out.pop(k, None)
    return out


def _custom_defs(r: Resource, schema: dict | None) -> dict[str, dict]:
    """Neutral definitions for a custom kind and its list."""
    name = custom_definition_name(r.group, r.version, r.kind)
    base: dict[str, Any] = dict(schema) if isinstance(schema, dict) else {}
    props = dict(base.get("properties") or {})
    props["apiVersion"] = {**(props.get("apiVersion") or {}), "description": _DESC_API_VERSION, "type": "string"}
    props["kind"] = {**(props.get("kind") or {}), "description": _DESC_KIND, "type": "string"}
    props["metadata"] = {"$ref": OBJECT_META, "description": _DESC_METADATA}
    base["properties"] = dict(sorted(props.items()))
    base["type"] = "object"
    if not isinstance(schema, dict) or not schema.get("properties"):
        base.setdefault("x-kubernetes-preserve-unknown-fields", True)
    base["x-kubernetes-group-version-kind"] = [{"group": r.group, "kind": r.kind, "version": r.version}]
    lst = {
        "description": f"{r.list_kind} is a list of {r.kind}",
        "properties": {
            "apiVersion": {"description": _DESC_API_VERSION, "type": "string"},
            "items": {"description": f"List of {r.plural}. More info: "
                                     "https://git.k8s.io/community/contributors/devel/api-conventions.md",
                      "items": {"$ref": name}, "type": "array"},
            "kind": {"description": _DESC_KIND, "type": "string"},
            "metadata": {"$ref": LIST_META, "description": _DESC_LIST_METADATA},
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": r.group, "kind": r.list_kind, "version": r.version}],
    }
    return {name: base, name + "List": lst}


# --------------------------------------------------------------------------
# Operations (a neutral model rendered into v3 and v2)
# --------------------------------------------------------------------------

@dataclass(slots=True)
class _Op:
    method: str
    op_id: str
    description: str
    action: str
    gvk: tuple[str, str, str] | None
    params: tuple[str, ...] = ()
    body: str | None = None  # definition name of the request body
    body_kind: str = ""  # "object" | "patch" | "delete"
    responses: dict[str, str | None] = field(default_factory=dict)  # code -> def name / "string:<type>" / None
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    tag: str = ""


@dataclass(slots=True)
class _PathItem:
    path: str
    params: list[tuple[str, str, str]]  # (param key, location, kind used in the description)
    ops: list[_Op] = field(default_factory=list)


_METHOD_ORDER = ("get", "put", "post", "delete", "options", "head", "patch")


def _group_words(group: str) -> list[str]:
    if not group:
        return ["core"]
    g = group.removesuffix(".k8s.io")
    return [w for w in g.replace("-", ".").split(".") if w]


def _tag(group: str, version: str) -> str:
    words = _group_words(group)
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:]) + "_" + version


def _gv_camel(group: str, version: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in _group_words(group)) + version[:1].upper() + version[1:]


def _gv_path(group: str, version: str) -> str:
    """Index key of a group version: 'api/v1', 'apis/apps/v1'."""
    return f"api/{version}" if not group else f"apis/{group}/{version}"


class _Builder:
    """Collects the path items and definition roots of a set of resources."""

    def __init__(self, defs: _Defs, custom: dict[tuple[str, str, str], dict | None]) -> None:
        self.defs = defs
        self.custom = custom
        self.items: dict[str, _PathItem] = {}
        self.roots: list[str] = []
        self.extra_defs: dict[str, dict] = {}

    # -- helpers -------------------------------------------------------
    def def_for(self, group: str, version: str, kind: str) -> str:
        name = self.defs.by_gvk.get((group, version, kind))
        if name:
            return name
        return custom_definition_name(group, version, kind)

    def root(self, name: str | None) -> None:
        if name and not name.startswith("string:"):
            self.roots.append(name)

    def item(self, path: str, params: list[tuple[str, str, str]]) -> _PathItem:
        it = self.items.get(path)
        if it is None:
            it = self.items[path] = _PathItem(path, params)
        return it

    def add(self, path: str, params: list[tuple[str, str, str]], op: _Op) -> None:
        it = self.item(path, params)
        it.ops.append(op)
        self.root(op.body)
        for ref in op.responses.values():
            self.root(ref)

    # -- discovery paths -----------------------------------------------
    def add_gv_root(self, group: str, version: str) -> None:
        prefix = "/api/" + version if not group else f"/apis/{group}/{version}"
        op = _Op("get", f"get{_gv_camel(group, version)}APIResources", "get available resources", "", None,
                 responses={"200": API_RESOURCE_LIST, "401": None},
                 produces=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 consumes=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 tag=_tag(group, version))
        self.add(prefix + "/", [], op)

    def add_group_root(self, group: str) -> None:
        camel = "".join(w[:1].upper() + w[1:] for w in _group_words(group))
        op = _Op("get", f"get{camel}APIGroup", "get information of a group", "", None,
                 responses={"200": API_GROUP, "401": None},
                 produces=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 consumes=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 tag=_tag(group, "").rstrip("_"))
        self.add(f"/apis/{group}/", [], op)

    def add_core_versions(self) -> None:
        op = _Op("get", "getCoreAPIVersions", "get available API versions", "", None,
                 responses={"200": API_VERSIONS, "401": None},
                 produces=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 consumes=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 tag="core")
        self.add("/api/", [], op)

    def add_group_list(self) -> None:
        op = _Op("get", "getAPIVersions", "get available API versions", "", None,
                 responses={"200": API_GROUP_LIST, "401": None},
                 produces=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 consumes=("application/json", "application/yaml", "application/vnd.kubernetes.protobuf"),
                 tag="apis")
        self.add("/apis/", [], op)

    def add_version(self) -> None:
        op = _Op("get", "getCodeVersion", "get the version information for this server", "", None,
                 responses={"200": VERSION_INFO, "401": None}, produces=("application/json",),
                 consumes=("application/json",), tag="version")
        self.add("/version/", [], op)

    # -- resources -------------------------------------------------------
    def add_resource(self, r: Resource) -> None:
        g, v, kind = r.group, r.version, r.kind
        custom = (g, v, kind) in self.custom or (g, v, kind) not in self.defs.by_gvk
        if custom:
            self.extra_defs.update(_custom_defs(r, self.custom.get((g, v, kind))))
        obj = self.def_for(g, v, kind)
        lst = self.def_for(g, v, r.list_kind)
        gvk = (g, v, kind)
        gv = _gv_camel(g, v)
        tag = _tag(g, v)
        prefix = "/api/" + v if not g else f"/apis/{g}/{v}"
        ns_seg = "/namespaces/{namespace}" if r.namespaced else ""
        nsd = "Namespaced" if r.namespaced else ""
        produces = _OBJ_CUSTOM if custom else _OBJ_BUILTIN
        verbs = set(r.verbs)
        coll = f"{prefix}{ns_seg}/{r.plural}"
        item = coll + "/{name}"
        ns_p = [("namespace", "path", kind)] if r.namespaced else []
        coll_params = ns_p + [("pretty", "query", kind)]
        item_params = [("name", "path", kind)] + ns_p + [("pretty", "query", kind)]
        list_produces = produces + (_STREAM if not custom else ("application/json;stream=watch",))

        if "list" in verbs:
            self.add(coll, coll_params, _Op(
                "get", f"list{gv}{nsd}{kind}", f"list or watch objects of kind {kind}", "list", gvk,
                LIST_PARAMS, responses={"200": lst, "401": None}, produces=list_produces, consumes=("*/*",),
                tag=tag))
            self.root(obj)
            if r.namespaced:
                self.add(f"{prefix}/{r.plural}", [("pretty", "query", kind)],
                         _Op("get", f"list{gv}{kind}ForAllNamespaces", f"list or watch objects of kind {kind}",
                             "list", gvk, LIST_PARAMS, responses={"200": lst, "401": None},
                             produces=list_produces, consumes=("*/*",), tag=tag))
        if "create" in verbs:
            self.add(coll, coll_params, _Op(
                "post", f"create{gv}{nsd}{kind}", f"create {_article(kind)} {kind}", "post", gvk, WRITE_PARAMS,
                body=obj, body_kind="object",
                responses={"200": obj, "201": obj, "202": obj, "401": None},
                produces=produces, consumes=("*/*",), tag=tag))
        if "deletecollection" in verbs:
            self.add(coll, coll_params, _Op(
                "delete", f"delete{gv}Collection{nsd}{kind}", f"delete collection of {kind}", "deletecollection",
                gvk, DELETECOLLECTION_PARAMS, body=DELETE_OPTIONS, body_kind="delete",
                responses={"200": STATUS, "401": None}, produces=produces, consumes=("*/*",), tag=tag))
        if "get" in verbs:
            self.add(item, item_params, _Op(
                "get", f"read{gv}{nsd}{kind}", f"read the specified {kind}", "get", gvk,
                responses={"200": obj, "401": None}, produces=produces, consumes=("*/*",), tag=tag))
        if "update" in verbs:
            self.add(item, item_params, _Op(
                "put", f"replace{gv}{nsd}{kind}", f"replace the specified {kind}", "put", gvk, WRITE_PARAMS,
                body=obj, body_kind="object", responses={"200": obj, "201": obj, "401": None},
                produces=produces, consumes=("*/*",), tag=tag))
        if "delete" in verbs:
            self.add(item, item_params, _Op(
                "delete", f"delete{gv}{nsd}{kind}", f"delete {_article(kind)} {kind}", "delete", gvk,
                DELETE_PARAMS, body=DELETE_OPTIONS, body_kind="delete",
                responses={"200": STATUS, "202": STATUS, "401": None}, produces=produces, consumes=("*/*",),
                tag=tag))
        if "patch" in verbs:
            self.add(item, item_params, _Op(
                "patch", f"patch{gv}{nsd}{kind}", f"partially update the specified {kind}", "patch", gvk,
                PATCH_PARAMS, body=PATCH, body_kind="patch", responses={"200": obj, "201": obj, "401": None},
                produces=produces, consumes=PATCH_TYPES, tag=tag))
        if "watch" in verbs:
            watch_produces = produces + _STREAM if not custom else produces + ("application/json;stream=watch",)
            wl = [(p, "query", kind) for p in LIST_PARAMS]
            wcoll = f"{prefix}/watch{ns_seg}/{r.plural}"
            self.add(wcoll, _sorted_params(ns_p + [("pretty", "query", kind)] + wl), _Op(
                "get", f"watch{gv}{nsd}{kind}List",
                f"watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a "
                "list operation instead.", "watchlist", gvk, responses={"200": WATCH_EVENT, "401": None},
                produces=watch_produces, consumes=("*/*",), tag=tag))
            self.add(wcoll + "/{name}", _sorted_params(item_params + wl), _Op(
                "get", f"watch{gv}{nsd}{kind}",
                f"watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list "
                "operation instead, filtered to a single item with the 'fieldSelector' parameter.", "watch", gvk,
                responses={"200": WATCH_EVENT, "401": None}, produces=watch_produces, consumes=("*/*",), tag=tag))
            if r.namespaced:
                self.add(f"{prefix}/watch/{r.plural}", _sorted_params([("pretty", "query", kind)] + wl), _Op(
                    "get", f"watch{gv}{kind}ListForAllNamespaces",
                    f"watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a "
                    "list operation instead.", "watchlist", gvk, responses={"200": WATCH_EVENT, "401": None},
                    produces=watch_produces, consumes=("*/*",), tag=tag))
        for sub in r.subresources.values():
            self.add_subresource(r, sub, item, item_params, gv, nsd, tag, produces)

    def add_subresource(self, r: Resource, sub: Any, item: str, item_params: list, gv: str, nsd: str,
                        tag: str, produces: tuple[str, ...]) -> None:
        kind = r.kind
        name = sub.name
        cap = name[:1].upper() + name[1:]
        sg = sub.group if sub.group else r.group
        sv = sub.version if sub.version else r.version
        sgvk = (sg, sv, sub.kind)
        path = f"{item}/{name}"
        verbs = set(sub.verbs)
        if name == "proxy":
            self._add_proxy(r, sub, item, item_params, gv, nsd, tag)
            return
        if name in CONNECT_SUBRESOURCES:
            qp = CONNECT_SUBRESOURCES[name]
            for method in ("get", "post"):
                if (method == "get" and "get" in verbs) or (method == "post" and "create" in verbs):
                    self.add(path, item_params, _Op(
                        method, f"connect{gv}{method.capitalize()}{nsd}{kind}{cap}",
                        f"connect {method.upper()} requests to {name} of {kind}", "connect", sgvk, qp,
                        responses={"200": "string:*/*", "401": None}, produces=("*/*",), consumes=("*/*",),
                        tag=tag))
            return
        if name == "log":
            self.add(path, item_params, _Op(
                "get", f"read{gv}{nsd}{kind}Log", f"read log of the specified {kind}", "get", (r.group, r.version, kind),
                LOG_PARAMS, responses={"200": "string:text/plain", "401": None},
                produces=("text/plain", "application/json", "application/yaml",
                          "application/vnd.kubernetes.protobuf"), consumes=("*/*",), tag=tag))
            return
        obj = self.def_for(sg, sv, sub.kind)
        if (sg, sv, sub.kind) not in self.defs.by_gvk and sub.kind == r.kind:
            obj = self.def_for(r.group, r.version, r.kind)
        if "create" in verbs:
            self.add(path, item_params, _Op(
                "post", f"create{gv}{nsd}{kind}{cap}", f"create {name} of {_article(kind)} {kind}", "post", sgvk,
                WRITE_PARAMS, body=obj, body_kind="object",
                responses={"200": obj, "201": obj, "202": obj, "401": None}, produces=produces,
                consumes=("*/*",), tag=tag))
        if "get" in verbs:
            self.add(path, item_params, _Op(
                "get", f"read{gv}{nsd}{kind}{cap}", f"read {name} of the specified {kind}", "get", sgvk,
                responses={"200": obj, "401": None}, produces=produces, consumes=("*/*",), tag=tag))
        if "update" in verbs:
            self.add(path, item_params, _Op(
                "put", f"replace{gv}{nsd}{kind}{cap}", f"replace {name} of the specified {kind}", "put", sgvk,
                WRITE_PARAMS, body=obj, body_kind="object", responses={"200": obj, "201": obj, "401": None},
                produces=produces, consumes=("*/*",), tag=tag))
        if "patch" in verbs:
            self.add(path, item_params, _Op(
                "patch", f"patch{gv}{nsd}{kind}{cap}", f"partially update {name} of the specified {kind}",
                "patch", sgvk, PATCH_PARAMS, body=PATCH, body_kind="patch",
                responses={"200": obj, "201": obj, "401": None}, produces=produces, consumes=PATCH_TYPES, tag=tag))
        if "delete" in verbs:
            self.add(path, item_params, _Op(
                "delete", f"delete{gv}{nsd}{kind}{cap}", f"delete {name} of {_article(kind)} {kind}", "delete",
                sgvk, DELETE_PARAMS, body=DELETE_OPTIONS, body_kind="delete",
                responses={"200": STATUS, "202": STATUS, "401": None}, produces=produces, consumes=("*/*",),
                tag=tag))

    def _add_proxy(self, r: Resource, sub: Any, item: str, item_params: list, gv: str, nsd: str,
                   tag: str) -> None:
        kind = r.kind
        sgvk = (sub.group or r.group, sub.version or r.version, sub.kind)
        methods = {"get": "get", "put": "update", "post": "create", "delete": "delete", "options": "get",
                   "head": "get", "patch": "patch"}
        base = item + "/proxy"
        for path, params, suffix in (
            (base, item_params[:-1] + [("path", "query", sub.kind)], ""),
            (base + "/{path}", item_params[:-1] + [("pathParam", "path", sub.kind)], "WithPath"),
        ):
            for method, verb in methods.items():
                if verb not in sub.verbs:
                    continue
                self.add(path, _sorted_params(params), _Op(
                    method, f"connect{gv}{method.capitalize()}{nsd}{kind}Proxy{suffix}",
                    f"connect {method.upper()} requests to proxy of {kind}", "connect", sgvk,
                    responses={"200": "string:*/*", "401": None}, produces=("*/*",), consumes=("*/*",), tag=tag))

    # -- definitions ---------------------------------------------------------
    def closure(self) -> dict[str, dict]:
        """Neutral definitions reachable from the roots (sorted by name)."""
        base = self.defs.defs
        seen: dict[str, dict] = {}
        stack = list(dict.fromkeys(self.roots))
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            d = self.extra_defs.get(name)
            src = self.extra_defs if d is not None else base
            if d is None:
                d = base.get(name)
            if d is None:
                continue
            seen[name] = d
            for ref in self.defs.refs_of(name, src):
                if ref not in seen:
                    stack.append(ref)
        return dict(sorted(seen.items()))


def _article(kind: str) -> str:
    return "an" if kind[:1] in "AEIOU" else "a"


def _sorted_params(params: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    seen: dict[str, tuple[str, str, str]] = {}
    for p in params:
        seen.setdefault(p[0], p)
    return sorted(seen.values(), key=lambda p: _PARAM_NAME.get(p[0], p[0]))


_PARAM_NAME = {"pathParam": "path"}


def _param_desc(key: str, kind: str) -> str:
    return _PARAMS[key][1].replace("{kind}", kind)


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

def _v3_param(key: str, loc: str, kind: str = "") -> dict:
    typ, _ = _PARAMS[key]
    p: dict[str, Any] = {"name": _PARAM_NAME.get(key, key), "in": loc, "description": _param_desc(key, kind)}
    if loc == "path":
        p["required"] = True
    p["schema"] = {"type": typ, "uniqueItems": True}
    return p


def _v2_param(key: str, loc: str, kind: str = "") -> dict:
    typ, _ = _PARAMS[key]
    p: dict[str, Any] = {"uniqueItems": True, "type": typ, "description": _param_desc(key, kind),
                         "name": _PARAM_NAME.get(key, key), "in": loc}
    if loc == "path":
        p["required"] = True
    return p


def _gvk_ext(gvk: tuple[str, str, str]) -> dict:
    return {"group": gvk[0], "kind": gvk[2], "version": gvk[1]}


def _render_v3_op(op: _Op, kind: str) -> dict:
    out: dict[str, Any] = {"tags": [op.tag], "description": op.description, "operationId": op.op_id}
    if op.params:
        out["parameters"] = [_v3_param(p, "query", kind) for p in op.params]
    if op.body:
        ref = {"$ref": "#/components/schemas/" + op.body}
        if op.body_kind == "patch":
            out["requestBody"] = {"content": {t: {"schema": ref} for t in PATCH_TYPES}, "required": True}
        elif op.body_kind == "delete":
            out["requestBody"] = {"content": {"*/*": {"schema": ref}}}
        else:
            out["requestBody"] = {"content": {"*/*": {"schema": ref}}, "required": True}
    responses: dict[str, Any] = {}
    for code, target in op.responses.items():
        desc = {"200": "OK", "201": "Created", "202": "Accepted", "401": "Unauthorized"}.get(code, "OK")
        if target is None:
            responses[code] = {"description": desc}
        elif target.startswith("string:"):
            responses[code] = {"description": desc,
                               "content": {target[7:]: {"schema": {"type": "string"}}}}
        else:
            ref = {"$ref": "#/components/schemas/" + target}
            responses[code] = {"description": desc, "content": {t: {"schema": ref} for t in op.produces}}
    out["responses"] = responses
    if op.action:
        out["x-kubernetes-action"] = op.action
    if op.gvk is not None:
        out["x-kubernetes-group-version-kind"] = _gvk_ext(op.gvk)
    return out


def _render_v2_op(op: _Op, kind: str) -> dict:
    out: dict[str, Any] = {"description": op.description, "consumes": list(op.consumes),
                           "produces": list(op.produces), "schemes": ["https"], "tags": [op.tag],
                           "operationId": op.op_id}
    params: list[dict] = []
    if op.body:
        body: dict[str, Any] = {"name": "body", "in": "body", "schema": {"$ref": "#/definitions/" + op.body}}
        if op.body_kind != "delete":
            body["required"] = True
        params.append(body)
    params.extend(_v2_param(p, "query", kind) for p in op.params)
    if params:
        out["parameters"] = params
    responses: dict[str, Any] = {}
    for code, target in op.responses.items():
        desc = {"200": "OK", "201": "Created", "202": "Accepted", "401": "Unauthorized"}.get(code, "OK")
        if target is None:
            responses[code] = {"description": desc}
        elif target.startswith("string:"):
            responses[code] = {"description": desc, "schema": {"type": "string"}}
        else:
            responses[code] = {"description": desc, "schema": {"$ref": "#/definitions/" + target}}
    out["responses"] = responses
    if op.action:
        out["x-kubernetes-action"] = op.action
    if op.gvk is not None:
        out["x-kubernetes-group-version-kind"] = _gvk_ext(op.gvk)
    return out


def _render_paths(items: dict[str, _PathItem], render_op: Callable[[_Op, str], dict],
                  render_param: Callable[[str, str, str], dict]) -> dict:
    paths: dict[str, Any] = {}
    for path in sorted(items):
        it = items[path]
        entry: dict[str, Any] = {}
        by_method = {op.method: op for op in it.ops}
        for m in _METHOD_ORDER:
            op = by_method.get(m)
            if op is not None:
                kind = op.gvk[2] if op.gvk else ""
                entry[m] = render_op(op, kind)
        if it.params:
            entry["parameters"] = [render_param(key, loc, kind) for key, loc, kind in _sorted_params(it.params)]
        paths[path] = entry
    return paths


_SECURITY_SCHEME = {"type": "apiKey", "description": "Bearer Token authentication", "name": "authorization",
                    "in": "header"}


# --------------------------------------------------------------------------
# gnostic openapi.v2.Document protobuf encoding
# --------------------------------------------------------------------------

def _varint(n: int) -> bytes:
    if n < 0:
        n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(num: int, payload: bytes) -> bytes:
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def _pstr(num: int, s: str) -> bytes:
    return _ld(num, s.encode()) if s else b""


def _pbool(num: int, b: Any) -> bytes:
    return _varint(num << 3) + b"\x01" if b else b""


def _pint(num: int, n: Any) -> bytes:
    return _varint(num << 3) + _varint(int(n)) if n else b""


def _pdouble(num: int, x: Any) -> bytes:
    return _varint(num << 3 | 1) + struct.pack("<d", float(x)) if x else b""


def _any(value: Any) -> bytes:
    # gnostic's Any keeps the YAML text of a value; JSON is valid YAML (flow style).
    return _pstr(2, json.dumps(value, separators=(",", ":"), sort_keys=False))


def _named_any(name: str, value: Any) -> bytes:
    return _pstr(1, name) + _ld(2, _any(value))


def _vendor(d: dict, num: int) -> bytes:
    return b"".join(_ld(num, _named_any(k, v)) for k, v in d.items() if k.startswith("x-"))


# Schema message field numbers.
_SCHEMA_STR = {"$ref": 1, "format": 2, "title": 3, "description": 4, "pattern": 13, "discriminator": 26}
_SCHEMA_DBL = {"multipleOf": 6, "maximum": 7, "minimum": 9}
_SCHEMA_BOOL = {"exclusiveMaximum": 8, "exclusiveMinimum": 10, "uniqueItems": 16, "readOnly": 27}
_SCHEMA_INT = {"maxLength": 11, "minLength": 12, "maxItems": 14, "minItems": 15, "maxProperties": 17,
               "minProperties": 18}


def _pb_schema(s: dict) -> bytes:
    out = bytearray()
    for k, num in _SCHEMA_STR.items():
        v = s.get(k)
        if isinstance(v, str):
            out += _pstr(num, v)
    if "default" in s:
        out += _ld(5, _any(s["default"]))
    for k, num in _SCHEMA_DBL.items():
        if isinstance(s.get(k), (int, float)) and not isinstance(s.get(k), bool):
            out += _pdouble(num, s[k])
    for k, num in _SCHEMA_BOOL.items():
        out += _pbool(num, s.get(k) is True)
    for k, num in _SCHEMA_INT.items():
        if isinstance(s.get(k), int) and not isinstance(s.get(k), bool):
            out += _pint(num, s[k])
    for r in s.get("required") or ():
        out += _pstr(19, r) if r else _ld(19, b"")
    for e in s.get("enum") or ():
        out += _ld(20, _any(e))
    ap = s.get("additionalProperties")
    if isinstance(ap, dict):
        out += _ld(21, _ld(1, _pb_schema(ap)))
    elif isinstance(ap, bool):
        out += _ld(21, _varint(2 << 3) + (b"\x01" if ap else b"\x00"))
    t = s.get("type")
    if t:
        out += _ld(22, b"".join(_pstr(1, x) for x in (t if isinstance(t, list) else [t])))
    items = s.get("items")
    if isinstance(items, dict):
        out += _ld(23, _ld(1, _pb_schema(items)))
    elif isinstance(items, list):
        out += _ld(23, b"".join(_ld(1, _pb_schema(x)) for x in items))
    for x in s.get("allOf") or ():
        out += _ld(24, _pb_schema(x))
    props = s.get("properties")
    if isinstance(props, dict):
        out += _ld(25, b"".join(_ld(1, _pstr(1, pk) + _ld(2, _pb_schema(pv))) for pk, pv in props.items()))
    if "example" in s:
        out += _ld(30, _any(s["example"]))
    out += _vendor(s, 31)
    return bytes(out)


def _pb_param(p: dict) -> bytes:
    loc = p.get("in")
    if loc == "body":
        body = (_pstr(1, p.get("description", "")) + _pstr(2, p.get("name", "")) + _pstr(3, "body")
                + _pbool(4, p.get("required")) + _ld(5, _pb_schema(p.get("schema") or {})) + _vendor(p, 6))
        return _ld(1, body)  # Parameter.body_parameter
    if loc == "query":
        sub = (_pbool(1, p.get("required")) + _pstr(2, "query") + _pstr(3, p.get("description", ""))
               + _pstr(4, p.get("name", "")) + _pstr(6, p.get("type", "")) + _pstr(7, p.get("format", ""))
               + _pbool(20, p.get("uniqueItems")) + _vendor(p, 23))
        return _ld(2, _ld(3, sub))  # NonBodyParameter.query_parameter_sub_schema
    if loc == "path":
        sub = (_pbool(1, p.get("required")) + _pstr(2, "path") + _pstr(3, p.get("description", ""))
               + _pstr(4, p.get("name", "")) + _pstr(5, p.get("type", "")) + _pstr(6, p.get("format", ""))
               + _pbool(19, p.get("uniqueItems")) + _vendor(p, 22))
        return _ld(2, _ld(4, sub))
    if loc == "header":
        sub = (_pbool(1, p.get("required")) + _pstr(2, "header") + _pstr(3, p.get("description", ""))
               + _pstr(4, p.get("name", "")) + _pstr(5, p.get("type", "")) + _pstr(6, p.get("format", ""))
               + _pbool(19, p.get("uniqueItems")) + _vendor(p, 22))
        return _ld(2, _ld(1, sub))
    raise ValueError(f"unsupported parameter location {loc!r}")


def _pb_params_item(p: dict) -> bytes:
    if "$ref" in p:
        return _ld(2, _pstr(1, p["$ref"]))  # ParametersItem.json_reference
    return _ld(1, _pb_param(p))  # ParametersItem.parameter


def _pb_operation(op: dict) -> bytes:
    out = bytearray()
    for t in op.get("tags") or ():
        out += _pstr(1, t)
    out += _pstr(2, op.get("summary", "")) + _pstr(3, op.get("description", "")) + _pstr(5, op.get("operationId", ""))
    for t in op.get("produces") or ():
        out += _pstr(6, t)
    for t in op.get("consumes") or ():
        out += _pstr(7, t)
    for p in op.get("parameters") or ():
        out += _ld(8, _pb_params_item(p))
    resp = bytearray()
    for code, r in (op.get("responses") or {}).items():
        body = _pstr(1, r.get("description", ""))
        if "schema" in r:
            body += _ld(2, _ld(1, _pb_schema(r["schema"])))  # SchemaItem.schema
        body += _vendor(r, 5)
        resp += _ld(1, _pstr(1, code) + _ld(2, _ld(1, body)))  # NamedResponseValue{ResponseValue.response}
    out += _ld(9, bytes(resp))
    for t in op.get("schemes") or ():
        out += _pstr(10, t)
    out += _pbool(11, op.get("deprecated"))
    out += _vendor(op, 13)
    return bytes(out)


_PATHITEM_OPS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _pb_path_item(item: dict) -> bytes:
    out = bytearray()
    for m, num in _PATHITEM_OPS.items():
        if m in item:
            out += _ld(num, _pb_operation(item[m]))
    for p in item.get("parameters") or ():
        out += _ld(9, _pb_params_item(p))
    out += _vendor(item, 10)
    return bytes(out)


def encode_v2_protobuf(doc: dict) -> bytes:
    """Encode a Swagger 2.0 document (as built here) as a gnostic ``openapi.v2.Document``."""
    out = bytearray()
    out += _pstr(1, doc.get("swagger", "2.0"))
    info = doc.get("info") or {}
    out += _ld(2, _pstr(1, info.get("title", "")) + _pstr(2, info.get("version", ""))
               + _pstr(3, info.get("description", "")) + _vendor(info, 7))
    for num, key in ((5, "schemes"), (6, "consumes"), (7, "produces")):
        for v in doc.get(key) or ():
            out += _pstr(num, v)
    paths = b"".join(_ld(2, _pstr(1, p) + _ld(2, _pb_path_item(it))) for p, it in (doc.get("paths") or {}).items())
    out += _ld(8, paths)
    defs = b"".join(_ld(1, _pstr(1, n) + _ld(2, _pb_schema(s))) for n, s in (doc.get("definitions") or {}).items())
    out += _ld(9, defs)
    for req in doc.get("security") or ():
        out += _ld(12, b"".join(_ld(1, _pstr(1, k) + _ld(2, b"".join(_pstr(1, x) for x in v)))
                                for k, v in req.items()))
    sec = doc.get("securityDefinitions") or {}
    if sec:
        items = bytearray()
        for name, d in sec.items():
            if d.get("type") == "apiKey":
                body = (_pstr(1, "apiKey") + _pstr(2, d.get("name", "")) + _pstr(3, d.get("in", ""))
                        + _pstr(4, d.get("description", "")) + _vendor(d, 5))
                items += _ld(1, _pstr(1, name) + _ld(2, _ld(2, body)))
        out += _ld(13, bytes(items))
    return bytes(out)


# --------------------------------------------------------------------------
# The service object
# --------------------------------------------------------------------------

@dataclass(slots=True)
class Reply:
    """What to send for one OpenAPI request."""

    status: int
    body: bytes
    headers: dict[str, str]


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    for tag in if_none_match.split(","):
        tag = tag.strip()
        tag = tag.removeprefix("W/")
        if tag == etag:
            return True
    return False


def _accepts(accept: str | None, media: str) -> bool:
    if not accept:
        return False
    for part in accept.split(","):
        if part.split(";", 1)[0].strip().lower() == media:
            return True
    return False


def _accepts_json(accept: str | None) -> bool:
    if not accept:
        return True
    for part in accept.split(","):
        mt = part.split(";", 1)[0].strip().lower()
        if mt in ("application/json", "application/*", "*/*", "*"):
            return True
    return False


class OpenAPI:
    """OpenAPI documents for a registry; bytes are cached until :meth:`invalidate`."""

    title = "Kubernetes"
    version = SPEC_VERSION

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = threading.RLock()
        self._custom: dict[tuple[str, str, str], dict | None] = {}
        self._v3: dict[str, tuple[bytes, str]] | None = None
        self._index: bytes | None = None
        self._v2: bytes | None = None
        self._v2_pb: bytes | None = None
        self._v2_doc: dict | None = None
        self._etags: dict[str, str] = {}
        self.build_seconds: dict[str, float] = {}

    # -- cache control -----------------------------------------------------
    def invalidate(self) -> None:
        with self._lock:
            self._v3 = None
            self._index = None
            self._v2 = None
            self._v2_pb = None
            self._v2_doc = None
            self._etags = {}

    def set_custom_schema(self, group: str, version: str, kind: str, schema: dict | None) -> None:
        """Publish ``schema`` (a CRD version's ``openAPIV3Schema``) for a custom kind; None removes it.

        A registered resource whose kind has neither a built-in definition nor a
        schema here is published as an object preserving unknown fields.
        """
        with self._lock:
            if schema is None:
                self._custom.pop((group, version, kind), None)
            else:
                self._custom[(group, version, kind)] = schema
            self.invalidate()

    # -- building ------------------------------------------------------------
    def _resources_by_gv(self) -> dict[tuple[str, str], list[Resource]]:
        by_gv: dict[tuple[str, str], list[Resource]] = {}
        for r in self.registry.all():
            by_gv.setdefault((r.group, r.version), []).append(r)
        return by_gv

    def _build_v3(self) -> None:
        t0 = time()
        defs = _shared_defs()
        docs: dict[str, tuple[bytes, str]] = {}

        def emit(key: str, b: _Builder) -> None:
            schemas = {n: _to_v3(d) for n, d in b.closure().items()}
            doc = {
                "openapi": "3.0.0",
                "info": {"title": self.title, "version": self.version},
                "paths": _render_paths(b.items, _render_v3_op, _v3_param),
                "components": {"schemas": schemas, "securitySchemes": {"BearerToken": _SECURITY_SCHEME}},
            }
            body = orjson.dumps(doc)
            docs[key] = (body, content_hash(body))

        groups = self.registry.groups()
        by_gv = self._resources_by_gv()
        b = _Builder(defs, self._custom)
        b.add_core_versions()
        emit("api", b)
        b = _Builder(defs, self._custom)
        b.add_group_list()
        emit("apis", b)
        for group, versions in groups.items():
            if group:
                b = _Builder(defs, self._custom)
                b.add_group_root(group)
                emit(f"apis/{group}", b)
            for v in versions:
                b = _Builder(defs, self._custom)
                b.add_gv_root(group, v)
                for r in sorted(by_gv.get((group, v), []), key=lambda r: r.plural):
                    b.add_resource(r)
                emit(_gv_path(group, v), b)
        b = _Builder(defs, self._custom)
        b.add_version()
        emit("version", b)
        index = {"paths": {k: {"serverRelativeURL": f"/openapi/v3/{k}?hash={h}"}
                           for k, (_, h) in sorted(docs.items())}}
        self._v3 = docs
        self._index = orjson.dumps(index)
        self.build_seconds["v3"] = time() - t0

    def _build_v2(self) -> None:
        t0 = time()
        defs = _shared_defs()
        b = _Builder(defs, self._custom)
        b.add_core_versions()
        b.add_group_list()
        b.add_version()
        by_gv = self._resources_by_gv()
        for group, versions in self.registry.groups().items():
            if group:
                b.add_group_root(group)
            for v in versions:
                b.add_gv_root(group, v)
                for r in sorted(by_gv.get((group, v), []), key=lambda r: r.plural):
                    b.add_resource(r)
        definitions = {}
        for n, d in b.closure().items():
            if n in _SPECIAL_DEFS_V2:
                definitions[n] = dict(_SPECIAL_DEFS_V2[n])
            else:
                definitions[n] = _v2_custom(_to_v2(d)) if n in b.extra_defs else _to_v2(d)
        doc = {
            "swagger": "2.0",
            "info": {"title": self.title, "version": self.version},
            "paths": _render_paths(b.items, _render_v2_op, _v2_param),
            "definitions": definitions,
            "securityDefinitions": {"BearerToken": _SECURITY_SCHEME},
            "security": [{"BearerToken": []}],
        }
        self._v2_doc = doc
        self._v2 = orjson.dumps(doc)
        self.build_seconds["v2"] = time() - t0

    # -- documents -------------------------------------------------------------
    def v3_index(self) -> bytes:
        with self._lock:
            if self._index is None:
                self._build_v3()
            assert self._index is not None
            return self._index

    def v3_paths(self) -> list[str]:
        """Every document key the index lists ('api/v1', 'apis/apps', ...)."""
        with self._lock:
            if self._v3 is None:
                self._build_v3()
            assert self._v3 is not None
            return list(self._v3)

    def v3_document(self, path: str) -> tuple[bytes, str] | None:
        """``(body, hash)`` of the document for ``path`` ('api/v1', 'apis/apps/v1'), or None."""
        path = path.strip("/")
        with self._lock:
            if self._v3 is None:
                self._build_v3()
            assert self._v3 is not None
            return self._v3.get(path)

    def v2(self) -> bytes:
        """The Swagger 2.0 document as JSON."""
        with self._lock:
            if self._v2 is None:
                self._build_v2()
            assert self._v2 is not None
            return self._v2

    def v2_document(self) -> dict:
        with self._lock:
            if self._v2_doc is None:
                self._build_v2()
            assert self._v2_doc is not None
            return self._v2_doc

    def v2_protobuf(self) -> bytes:
        """The Swagger 2.0 document as a gnostic ``openapi.v2.Document`` (what client-go decodes)."""
        with self._lock:
            if self._v2_pb is None:
                doc = self.v2_document()
                t0 = time()
                self._v2_pb = encode_v2_protobuf(doc)
                self.build_seconds["v2_protobuf"] = time() - t0
            return self._v2_pb

    def etag(self, what: str) -> str:
        """Quoted ETag of 'v3' (the index), 'v3/<path>', 'v2' or 'v2.pb' (cached until invalidated)."""
        with self._lock:
            got = self._etags.get(what)
            if got is None:
                got = self._etags[what] = self._compute_etag(what)
            return got

    def _compute_etag(self, what: str) -> str:
        if what == "v3":
            return etag_of(self.v3_index())
        if what.startswith("v3/"):
            got = self.v3_document(what[3:])
            return f'"{got[1]}"' if got else ""
        if what == "v2":
            return etag_of(self.v2())
        if what == "v2.pb":
            return etag_of(self.v2_protobuf())
        return ""

    # -- HTTP answers -------------------------------------------------------------
    def serve_v3(self, path: str = "", query_hash: str | None = None, if_none_match: str | None = None,
                 now: float | None = None) -> Reply:
        """The answer for ``GET /openapi/v3`` (path '') or ``GET /openapi/v3/<path>[?hash=...]``.

        As upstream: a stale ``hash`` redirects (301) to the current one; a
        matching ``hash`` makes the answer cacheable for a year
        (``Cache-Control: public, immutable`` and ``Expires``); the ETag is the
        quoted hash and ``If-None-Match`` gets 304.
        """
        path = path.strip("/")
        if not path:
            body = self.v3_index()
            etag = self.etag("v3")
            headers = {"Content-Type": "application/json", "ETag": etag, "Cache-Control": "no-cache, private"}
            if _etag_matches(if_none_match, etag):
                return Reply(304, b"", headers)
            return Reply(200, body, headers)
        got = self.v3_document(path)
        if got is None:
            return Reply(404, b"404 page not found\n", {"Content-Type": "text/plain; charset=utf-8",
                                                         "X-Content-Type-Options": "nosniff"})
        body, h = got
        etag = f'"{h}"'
        headers = {"Content-Type": "application/json", "ETag": etag, "Vary": "Accept"}
        if query_hash:
            if query_hash != h:
                loc = f"/openapi/v3/{path}?hash={h}"
                return Reply(301, f'<a href="{loc}">Moved Permanently</a>.\n\n'.encode(),
                             {"Location": loc, "Content-Type": "text/html; charset=utf-8"})
            headers["Cache-Control"] = "public, immutable"
            headers["Expires"] = formatdate((now if now is not None else time()) + 365 * 86400, usegmt=True)
        if _etag_matches(if_none_match, etag):
            return Reply(304, b"", headers)
        return Reply(200, body, headers)

    def serve_v2(self, accept: str | None = None, if_none_match: str | None = None) -> Reply:
        """The answer for ``GET /openapi/v2``: protobuf when asked for it, JSON otherwise, 406 when neither."""
        if _accepts(accept, V2_PROTOBUF_ACCEPT) or _accepts(accept, V2_PROTOBUF_CONTENT_TYPE):
            body = self.v2_protobuf()
            ctype = V2_PROTOBUF_CONTENT_TYPE
            etag = self.etag("v2.pb")
        elif _accepts_json(accept):
            body = self.v2()
            ctype = "application/json"
            etag = self.etag("v2")
        else:
            return Reply(406, b"406 Not Acceptable\n", {"Content-Type": "text/plain; charset=utf-8"})
        headers = {"Content-Type": ctype, "ETag": etag, "Vary": "Accept"}
        if _etag_matches(if_none_match, etag):
            return Reply(304, b"", headers)
        return Reply(200, body, headers)
