"""Content negotiation: which representation a client asked for (Accept), and
which format a request body is in (Content-Type).

Representations: plain JSON, YAML, Kubernetes protobuf, a meta.k8s.io Table
(what ``kubectl get`` prints), or PartialObjectMetadata (metadata-only clients
such as the garbage collector). The first acceptable entry of Accept wins, as
upstream; an Accept with nothing we can serve is a 406.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..api import errors

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH_YAML = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"

NOT_ACCEPTABLE_PLAIN = (
    "only the following media types are accepted: application/json, application/yaml, "
    "application/vnd.kubernetes.protobuf"
)


@dataclass(frozen=True, slots=True)
class Output:
    format: str  # "json" | "yaml" | "protobuf" | "table" | "partial"
    version: str = "v1"  # meta.k8s.io version for table/partial


OUT_JSON = Output("json")


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    parts = value.split(";")
    mt = parts[0].strip().lower()
    params: dict[str, str] = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip()
    return mt, params


def negotiate(accept: str | None, *, table_ok: bool = True, partial_ok: bool = True) -> Output:
    """Pick the output for ``accept``; raise 406 if none fits."""
    if not accept:
        return OUT_JSON
    saw_as = False
    for item in accept.split(","):
        if not item.strip():
            continue
        mt, params = parse_media_type(item)
        as_ = params.get("as")
        if as_:
            saw_as = True
            if mt not in (JSON, "application/*", "*/*") and mt != PROTOBUF and mt != YAML:
                continue
            if params.get("g") != "meta.k8s.io" or params.get("v") not in ("v1", "v1beta1"):
                continue
            if as_ == "Table" and table_ok:
                return Output("table", params["v"])
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList") and partial_ok:
                return Output("partial", params["v"])
            continue
        if mt in (JSON, "application/*", "*/*", "application/json-seq"):
            return OUT_JSON
        if mt == YAML:
            return Output("yaml")
        if mt == PROTOBUF:
            return Output("protobuf")
    if saw_as:
        raise errors.APIError(406, "NotAcceptable", NOT_ACCEPTABLE_PLAIN)
    raise errors.APIError(
        406,
        "NotAcceptable",
        "406: Not Acceptable\n\nAvailable representations: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf",
        details={},
    )


def body_format(content_type: str | None) -> str:
    """The media type of a request body, lower-cased without parameters."""
    if not content_type:
        return JSON
    return parse_media_type(content_type)[0]
