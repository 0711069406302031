"""ObjectMeta validation (apimachinery ValidateObjectMeta / ValidateObjectMetaUpdate).

Shared by every kind, custom resources included. ``name_fn`` is the kind's name
rule (DNS-1123 subdomain for most kinds, DNS-1123 label for namespaces,
DNS-1035 label for services, path-segment names for RBAC objects, ...).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..errors import Cause
from . import fielderr as fe
from . import names

NameFn = Callable[[str, bool], Iterable[str]]

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)
FIELD_MANAGER_MAX = 128
MAX_SUBRESOURCE_NAME_LENGTH = 256
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
IS_NEGATIVE = "must be greater than or equal to 0"


def d(x: Any) -> dict:
    return x if isinstance(x, dict) else {}


def lst(x: Any) -> list:
    return x if isinstance(x, list) else []


def sub(parent: dict, key: str) -> dict:
    """``parent[key]`` as a dict to fill in: a new empty one replaces anything else first."""
    v = parent.get(key)
    if type(v) is not dict:
        v = {}
        parent[key] = v
    return v


def s(x: Any) -> str:
    return x if isinstance(x, str) else ""


def i(x: Any, default: int = 0) -> int:
    if isinstance(x, bool):
        return default
    if isinstance(x, int):
        return x
    if isinstance(x, float) and x == int(x):
        return int(x)
    return default


def nonnegative(value: Any, path: str, errs: list[Cause]) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        errs.append(fe.invalid(path, value, IS_NEGATIVE))


def validate_labels(labels: Any, path: str, errs: list[Cause]) -> None:
    if not labels or not isinstance(labels, dict):
        return
    for k, v in labels.items():
        for msg in names.is_qualified_name(k):
            errs.append(fe.invalid(path, k, msg))
        if not isinstance(v, str):
            v = "" if v is None else str(v)
        for msg in names.is_valid_label_value(v):
            errs.append(fe.invalid(path, v, msg))


def validate_label_name(key: str, path: str, errs: list[Cause]) -> None:
    for msg in names.is_qualified_name(key):
        errs.append(fe.invalid(path, key, msg))


def validate_annotations(annotations: Any, path: str, errs: list[Cause]) -> None:
    if not annotations or not isinstance(annotations, dict):
        return
    total = 0
    for k, v in annotations.items():
        for msg in names.is_qualified_name(k.lower()):
            errs.append(fe.invalid(path, k, msg))
        total += len(k.encode()) + (len(v.encode()) if isinstance(v, str) else 0)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(fe.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))


def _owner_ref_go(ref: dict) -> str:
    def b(x: Any) -> str:
        return "(*bool)(nil)" if x is None else f"&{'true' if x else 'false'}"

    return (
        f"v1.OwnerReference{{APIVersion:{fe.go_quote(s(ref.get('apiVersion')))}, Kind:{fe.go_quote(s(ref.get('kind')))}, "
        f"Name:{fe.go_quote(s(ref.get('name')))}, UID:{fe.go_quote(s(ref.get('uid')))}, "
        f"Controller:{b(ref.get('controller'))}, BlockOwnerDeletion:{b(ref.get('blockOwnerDeletion'))}}}"
    )


def _split_api_version(api_version: str) -> tuple[str, str] | None:
    if not api_version:
        return "", ""
    if api_version == "v1":
        return "", "v1"
    parts = api_version.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    return None


def validate_owner_references(refs: Any, path: str, errs: list[Cause]) -> None:
    if not refs or not isinstance(refs, list):
        return
    first_controller = ""
    for ref in refs:
        ref = d(ref)
        api_version = s(ref.get("apiVersion"))
        kind = s(ref.get("kind"))
        gv = _split_api_version(api_version)
        version = gv[1] if gv else ""
        group = gv[0] if gv else ""
        if not version:
            errs.append(fe.invalid(path + ".apiVersion", api_version, "version must not be empty"))
        if not kind:
            errs.append(fe.invalid(path + ".kind", kind, "kind must not be empty"))
        if not s(ref.get("name")):
            errs.append(fe.invalid(path + ".name", s(ref.get("name")), "name must not be empty"))
        if not s(ref.get("uid")):
            errs.append(fe.invalid(path + ".uid", s(ref.get("uid")), "uid must not be empty"))
        if group == "" and version == "v1" and kind == "Event":
            errs.append(fe.invalid(path, fe.GoValue(_owner_ref_go(ref)), "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller") is True:
            cur = kind + "/" + s(ref.get("name"))
            if first_controller:
                rendered = "[]v1.OwnerReference{" + ", ".join(_owner_ref_go(d(r)) for r in refs) + "}"
                errs.append(
                    fe.invalid(
                        path,
                        fe.GoValue(rendered),
                        f'Only one reference can have Controller set to true. Found "true" in references for {first_controller} and {cur}',
                    )
                )
            else:
                first_controller = cur


def validate_finalizers(finalizers: Any, path: str, errs: list[Cause]) -> None:
    if not finalizers or not isinstance(finalizers, list):
        return
    orphan = delete = False
    for f in finalizers:
        f = s(f)
        for msg in names.is_qualified_name(f):
            errs.append(fe.invalid(path, f, msg))
        if f == "orphan":
            orphan = True
        elif f == "foregroundDeletion":
            delete = True
    if orphan and delete:
        errs.append(fe.invalid(path, fe.GoValue(fe.go_string_slice(finalizers)), "finalizer orphan and foregroundDeletion cannot be both set"))


def validate_kube_finalizers(finalizers: Any, path: str, errs: list[Cause]) -> None:
    if not finalizers or not isinstance(finalizers, list):
        return
    for idx, f in enumerate(finalizers):
        f = s(f)
        if "/" not in f and f not in STANDARD_FINALIZERS:
            errs.append(fe.invalid(f"{path}[{idx}]", f, "name is neither a standard finalizer name nor is it fully qualified"))


def validate_field_manager(manager: str, path: str, errs: list[Cause]) -> None:
    if len(manager) > FIELD_MANAGER_MAX:
        errs.append(fe.too_long(path, FIELD_MANAGER_MAX))
    pos = 0
    for ch in manager:
        if not (ch.isprintable() or ch == " "):
            errs.append(fe.invalid(path, manager, f"invalid character U+{ord(ch):04X} (at position {pos})"))
        pos += len(ch.encode())


def validate_managed_fields(entries: Any, path: str, errs: list[Cause]) -> None:
    if not entries or not isinstance(entries, list):
        return
    for idx, e in enumerate(entries):
        e = d(e)
        p = f"{path}[{idx}]"
        op = s(e.get("operation"))
        if op not in ("Apply", "Update"):
            errs.append(fe.invalid(p + ".operation", op, "must be `Apply` or `Update`"))
        ft = s(e.get("fieldsType"))
        if ft and ft != "FieldsV1":
            errs.append(fe.invalid(p + ".fieldsType", ft, "must be `FieldsV1`"))
        validate_field_manager(s(e.get("manager")), p + ".manager", errs)
        if len(s(e.get("subresource"))) > MAX_SUBRESOURCE_NAME_LENGTH:
            errs.append(fe.too_long(p + ".subresource", MAX_SUBRESOURCE_NAME_LENGTH))


def validate_object_meta(
    meta: Any,
    namespaced: bool,
    name_fn: NameFn,
    errs: list[Cause],
    path: str = "metadata",
    kube_finalizers: bool = True,
) -> None:
    """ValidateObjectMeta (with core's extra finalizer check when ``kube_finalizers``)."""
    meta = d(meta)
    gen_name = s(meta.get("generateName"))
    if gen_name:
        for msg in name_fn(gen_name, True):
            errs.append(fe.invalid(path + ".generateName", gen_name, msg))
    name = s(meta.get("name"))
    if not name:
        errs.append(fe.required(path + ".name", "name or generateName is required"))
    else:
        for msg in name_fn(name, False):
            errs.append(fe.invalid(path + ".name", name, msg))
    ns = s(meta.get("namespace"))
    if namespaced:
        if not ns:
            errs.append(fe.required(path + ".namespace"))
        else:
            for msg in names.is_dns1123_label(ns):
                errs.append(fe.invalid(path + ".namespace", ns, msg))
    elif ns:
        errs.append(fe.forbidden(path + ".namespace", "not allowed on this type"))
    gen = meta.get("generation")
    if gen is not None:
        nonnegative(gen, path + ".generation", errs)
    labels = meta.get("labels")
    if labels:
        validate_labels(labels, path + ".labels", errs)
    ann = meta.get("annotations")
    if ann:
        validate_annotations(ann, path + ".annotations", errs)
    refs = meta.get("ownerReferences")
    if refs:
        validate_owner_references(refs, path + ".ownerReferences", errs)
    fins = meta.get("finalizers")
    if fins:
        validate_finalizers(fins, path + ".finalizers", errs)
    mf = meta.get("managedFields")
    if mf:
        validate_managed_fields(mf, path + ".managedFields", errs)
    if fins and kube_finalizers:
        validate_kube_finalizers(fins, path + ".finalizers", errs)


def validate_object_meta_update(new: Any, old: Any, errs: list[Cause], path: str = "metadata", kube_finalizers: bool = True) -> None:
    """ValidateObjectMetaUpdate: immutable identity, no new finalizers while deleting.

    ``resourceVersion`` and ``generation`` are not checked: the server sets both
    from the stored object before validating (as upstream's store does).
    """
    new = d(new)
    old = d(old)
    if old.get("deletionTimestamp"):
        old_f = set(s(x) for x in lst(old.get("finalizers")))
        extra = sorted(set(s(x) for x in lst(new.get("finalizers"))) - old_f)
        if extra:
            errs.append(
                fe.forbidden(
                    path + ".finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers " + fe.go_string_slice(extra),
                )
            )
    for key in ("name", "namespace", "uid"):
        nv, ov = s(new.get(key)), s(old.get(key))
        if nv != ov:
            errs.append(fe.immutable(f"{path}.{key}", nv))
    for key in ("creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
        nv, ov = new.get(key), old.get(key)
        if nv != ov and key in new:
            errs.append(fe.immutable(f"{path}.{key}", nv))
    validate_labels(new.get("labels"), path + ".labels", errs)
    validate_annotations(new.get("annotations"), path + ".annotations", errs)
    validate_owner_references(new.get("ownerReferences"), path + ".ownerReferences", errs)
    validate_managed_fields(new.get("managedFields"), path + ".managedFields", errs)
    if kube_finalizers:
        validate_kube_finalizers(new.get("finalizers"), path + ".finalizers", errs)
