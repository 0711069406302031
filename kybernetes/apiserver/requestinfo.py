"""What a request asks for: the verb, the API group/version, the resource, the
namespace, the name and the subresource, read off the URL the way upstream's
RequestInfoFactory does (so authorization and audit see the same attributes).
"""

from __future__ import annotations

from dataclasses import dataclass

# /api/v1/namespaces/<ns>/status and .../finalize are subresources of the namespace.
_NAMESPACE_SUBRESOURCES = {"status", "finalize"}


@dataclass(slots=True)
class RequestInfo:
    is_resource: bool
    path: str
    verb: str = ""
    api_prefix: str = ""  # "api" | "apis"
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    parts: tuple[str, ...] = ()


def request_info(method: str, path: str, query: dict[str, str] | None = None) -> RequestInfo:
    query = query or {}
    segments = [s for s in path.strip("/").split("/")]
    if not segments or segments[0] not in ("api", "apis"):
        return RequestInfo(False, path, verb=method.lower())
    prefix = segments[0]
    rest = segments[1:]
    if prefix == "api":
        group = ""
        if not rest:
            return RequestInfo(False, path, verb=method.lower(), api_prefix=prefix)
        version, rest = rest[0], rest[1:]
    else:
        if len(rest) < 2:
            return RequestInfo(False, path, verb=method.lower(), api_prefix=prefix,
                               group=rest[0] if rest else "")
        group, version, rest = rest[0], rest[1], rest[2:]
    info = RequestInfo(True, path, api_prefix=prefix, group=group, version=version)
    if not rest:
        info.is_resource = False
        info.verb = method.lower()
        return info
    if rest[0] == "namespaces":
        if len(rest) > 1:
            info.namespace = rest[1]
            if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
                rest = rest[2:]
    info.parts = tuple(rest)
    info.resource = rest[0]
    if len(rest) >= 2:
        info.name = rest[1]
    if len(rest) >= 3:
        info.subresource = rest[2]
    if info.resource == "namespaces" and info.name:
        info.namespace = info.name
    m = method.upper()
    if m == "GET" or m == "HEAD":
        if query.get("watch") in ("true", "1"):
            info.verb = "watch"
        elif info.name:
            info.verb = "get"
        else:
            info.verb = "list"
    elif m == "POST":
        info.verb = "create"
    elif m == "PUT":
        info.verb = "update"
    elif m == "PATCH":
        info.verb = "patch"
    elif m == "DELETE":
        info.verb = "delete" if info.name else "deletecollection"
    else:
        info.verb = m.lower()
    return info
