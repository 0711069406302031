"""Validation of the core (``v1``) kinds, following pkg/apis/core/validation.

Functions append :class:`Cause` objects to ``errs`` in the order upstream
reports them, because clients (and tests) see that order in ``details.causes``.
Upstream iterates Go maps in random order; here map entries are visited in the
object's key order.
"""

from __future__ import annotations

import json
import posixpath
import re as _re
from typing import Any

from ..errors import Cause
from . import fielderr as fe
from . import names
from .common import (
    IS_NEGATIVE,
    is_int,
    map_selector_matches,
    non_special_ip,
    nonnegative,
    parse_qty,
    port_num,
    port_num_or_name,
    positive_quantity,
    quantity_go,
    valid_cidr_legacy,
    valid_ip_legacy,
    validate_label_selector,
)
from .meta import (
    STANDARD_FINALIZERS,
    d,
    i,
    lst,
    s,
    validate_annotations,
    validate_label_name,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)

FILE_MODE_ERR = "must be a number between 0 and 0777 (octal), both inclusive"
MAX_SECRET_SIZE = 1 * 1024 * 1024
MAX_INT32 = 2147483647

# --- names -------------------------------------------------------------------------------------

dns_subdomain = names.name_is_dns_subdomain
dns_label = names.name_is_dns_label
dns1035_label = names.name_is_dns1035_label


def dns1123_label(value: str, path: str, errs: list[Cause]) -> None:
    for msg in names.is_dns1123_label(value):
        errs.append(fe.invalid(path, value, msg))


def dns1123_subdomain(value: str, path: str, errs: list[Cause]) -> None:
    for msg in names.is_dns1123_subdomain(value):
        errs.append(fe.invalid(path, value, msg))


qualified_name = validate_label_name


def name_with(fn, value: str, path: str, errs: list[Cause]) -> None:
    for msg in fn(value, False):
        errs.append(fe.invalid(path, value, msg))


# --- resources ---------------------------------------------------------------------------------

STANDARD_RESOURCES = frozenset({
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers",
    "resourcequotas", "secrets", "persistentvolumeclaims", "configmaps", "storage", "requests.storage",
    "services.nodeports", "services.loadbalancers",
})
STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
INTEGER_RESOURCES = frozenset({
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "persistentvolumeclaims",
    "configmaps", "services.nodeports", "services.loadbalancers",
})


def is_native_resource(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def is_hugepage(name: str) -> bool:
    return name.startswith("hugepages-")


def is_extended_resource(name: str) -> bool:
    if is_native_resource(name) or name.startswith("requests."):
        return False
    return not names.is_qualified_name("requests." + name)


def is_overcommit_allowed(name: str) -> bool:
    return is_native_resource(name) and not is_hugepage(name)


def is_standard_resource_name(name: str) -> bool:
    return name in STANDARD_RESOURCES or name.startswith("hugepages-") or name.startswith("requests.hugepages-")


def validate_resource_name(name: str, path: str, errs: list[Cause]) -> bool:
    before = len(errs)
    for msg in names.is_qualified_name(name):
        errs.append(fe.invalid(path, name, msg))
    if len(errs) != before:
        return False
    if "/" not in name and not is_standard_resource_name(name):
        errs.append(fe.invalid(path, name, "must be a standard resource type or fully qualified"))
        return False
    return True


def validate_container_resource_name(name: str, path: str, errs: list[Cause]) -> None:
    validate_resource_name(name, path, errs)
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not is_hugepage(name):
            errs.append(fe.invalid(path, name, "must be a standard resource for containers"))
    elif not is_native_resource(name) and not is_extended_resource(name):
        errs.append(fe.invalid(path, name, "doesn't follow extended resource name standard"))


def validate_resource_quantity_value(name: str, value: Any, path: str, errs: list[Cause]) -> None:
    qq = parse_qty(value)
    if qq is None:
        return
    if qq.value < 0:
        errs.append(fe.invalid(path, qq.canonical(), IS_NEGATIVE))
    if name in INTEGER_RESOURCES or is_extended_resource(name):
        if qq.milli_value() % 1000 != 0:
            errs.append(fe.invalid(path, quantity_go(qq), "must be an integer"))


def validate_resource_requirements(res: Any, claim_names: set[str], path: str, errs: list[Cause]) -> None:
    res = d(res)
    lim_path = path + ".limits"
    req_path = path + ".requests"
    limits = d(res.get("limits"))
    requests = d(res.get("requests"))
    lim_cpu_mem = req_cpu_mem = lim_huge = req_huge = False
    for name, value in limits.items():
        p = f"{lim_path}[{name}]"
        validate_container_resource_name(name, p, errs)
        validate_resource_quantity_value(name, value, p, errs)
        if is_hugepage(name):
            lim_huge = True
        if name in ("cpu", "memory"):
            lim_cpu_mem = True
    for name, value in requests.items():
        p = f"{req_path}[{name}]"
        validate_container_resource_name(name, p, errs)
        validate_resource_quantity_value(name, value, p, errs)
        if name in limits:
            rq = parse_qty(value)
            lq = parse_qty(limits[name])
            if rq is not None and lq is not None:
                if rq.value != lq.value and not is_overcommit_allowed(name):
                    errs.append(fe.invalid(req_path, rq.canonical(), f"must be equal to {name} limit of {lq.canonical()}"))
                elif rq.value > lq.value:
                    errs.append(fe.invalid(req_path, rq.canonical(), f"must be less than or equal to {name} limit of {lq.canonical()}"))
        elif not is_overcommit_allowed(name):
            errs.append(fe.required(lim_path, "Limit must be set for non overcommitable resources"))
        if is_hugepage(name):
            req_huge = True
        if name in ("cpu", "memory"):
            req_cpu_mem = True
    if not lim_cpu_mem and not req_cpu_mem and (req_huge or lim_huge):
        errs.append(fe.forbidden(path, "HugePages require cpu or memory"))
    seen: set[str] = set()
    for idx, claim in enumerate(lst(res.get("claims"))):
        claim = d(claim)
        cname = s(claim.get("name"))
        cp = f"{path}.claims[{idx}]"
        if not cname:
            errs.append(fe.required(cp))
            continue
        key = cname + ("/" + s(claim.get("request")) if claim.get("request") else "")
        if cname in seen or key in seen:
            errs.append(fe.duplicate(cp, key if key in seen else cname))
        seen.add(key)
        if cname not in claim_names:
            detail = "must be one of the names in pod.spec.resourceClaims"
            detail += " which is empty" if not claim_names else ": " + ", ".join(sorted(claim_names))
            errs.append(fe.not_found(cp, cname, detail))


# --- volumes ------------------------------------------------------------------------------------

def _file_mode(mode: Any, path: str, errs: list[Cause]) -> None:
    if is_int(mode) and (mode > 0o777 or mode < 0):
        errs.append(fe.invalid(path, mode, FILE_MODE_ERR))


def _path_no_backsteps(target: str, path: str, errs: list[Cause]) -> bool:
    if ".." in target.split("/"):
        errs.append(fe.invalid(path, target, "must not contain '..'"))
        return False
    return True


def local_descending_path(target: str, path: str, errs: list[Cause]) -> None:
    if target.startswith("/"):
        errs.append(fe.invalid(path, target, "must be a relative path"))
    _path_no_backsteps(target, path, errs)


def local_non_reserved_path(target: str, path: str, errs: list[Cause]) -> None:
    local_descending_path(target, path, errs)
    if target.startswith("..") and not target.startswith("../"):
        errs.append(fe.invalid(path, target, "must not start with '..'"))


def _key_to_path(kp: dict, path: str, errs: list[Cause]) -> None:
    if not s(kp.get("key")):
        errs.append(fe.required(path + ".key"))
    p = s(kp.get("path"))
    if not p:
        errs.append(fe.required(path + ".path"))
    local_non_reserved_path(p, path + ".path", errs)
    _file_mode(kp.get("mode"), path + ".mode", errs)


VALID_VOLUME_DOWNWARD_FIELDS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid")
VALID_ENV_DOWNWARD_FIELDS = (
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
)
VALID_RESOURCE_FIELDS = (
    "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory",
)


_CONVERTIBLE_FIELD_LABELS = frozenset({
    "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
    "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
})


def _split_subscript(fp: str) -> tuple[str, str] | None:
    if not fp.endswith("']"):
        return None
    parts = fp.split("['", 1)
    if len(parts) != 2 or not parts[0]:
        return None
    return parts[0], parts[1][:-2]


def _object_field_selector(fs: dict, allowed: tuple[str, ...], path: str, errs: list[Cause]) -> None:
    api_version = s(fs.get("apiVersion"))
    field_path = s(fs.get("fieldPath"))
    if not api_version:
        errs.append(fe.required(path + ".apiVersion"))
        return
    if not field_path:
        errs.append(fe.required(path + ".fieldPath"))
        return
    sub = _split_subscript(field_path)
    err = ""
    if api_version != "v1":
        err = f"unsupported pod version: {api_version}"
    elif sub is not None:
        if sub[0] not in ("metadata.annotations", "metadata.labels"):
            err = f"field label does not support subscript: {field_path}"
    elif field_path not in _CONVERTIBLE_FIELD_LABELS:
        err = f"field label not supported: {field_path}"
    if err:
        errs.append(fe.invalid(path + ".fieldPath", field_path, f"error converting fieldPath: {err}"))
        return
    if sub is not None:
        if sub[0] == "metadata.annotations":
            qualified_name(sub[1].lower(), path, errs)
        else:
            qualified_name(sub[1], path, errs)
        return
    if field_path not in allowed:
        errs.append(fe.not_supported(path + ".fieldPath", field_path, sorted(allowed)))


_CPU_DIVISORS = ("1m", "1")
_MEM_DIVISORS = ("1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei")


def _resource_field_selector(fs: dict, volume: bool, path: str, errs: list[Cause]) -> None:
    res = s(fs.get("resource"))
    if volume and not s(fs.get("containerName")):
        errs.append(fe.required(path + ".containerName"))
    elif not res:
        errs.append(fe.required(path + ".resource"))
    elif res not in VALID_RESOURCE_FIELDS and not (res.startswith("requests.hugepages-") or res.startswith("limits.hugepages-")):
        errs.append(fe.not_supported(path + ".resource", res, VALID_RESOURCE_FIELDS))
    div = fs.get("divisor")
    dq = parse_qty(div)
    if dq is None or dq.value == 0:
        return
    ds = dq.canonical()
    if res in ("limits.cpu", "requests.cpu"):
        if ds not in _CPU_DIVISORS:
            errs.append(fe.invalid(path + ".divisor", res, "only divisor's values 1m and 1 are supported with the cpu resource"))
    elif res in ("limits.memory", "requests.memory"):
        if ds not in _MEM_DIVISORS:
            errs.append(fe.invalid(path + ".divisor", res, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"))
    elif res in ("limits.ephemeral-storage", "requests.ephemeral-storage"):
        if ds not in _MEM_DIVISORS:
            errs.append(fe.invalid(path + ".divisor", res, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"))
    if res.startswith("requests.hugepages-") or res.startswith("limits.hugepages-"):
        if ds not in _MEM_DIVISORS:
            errs.append(fe.invalid(path + ".divisor", res, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the hugepages resource"))


def _downward_file(f: dict, path: str, errs: list[Cause]) -> None:
    p = s(f.get("path"))
    if not p:
        errs.append(fe.required(path + ".path"))
    local_non_reserved_path(p, path + ".path", errs)
    if f.get("fieldRef") is not None:
        _object_field_selector(d(f.get("fieldRef")), VALID_VOLUME_DOWNWARD_FIELDS, path + ".fieldRef", errs)
        if f.get("resourceFieldRef") is not None:
            errs.append(fe.invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
    elif f.get("resourceFieldRef") is not None:
        _resource_field_selector(d(f.get("resourceFieldRef")), True, path + ".resourceFieldRef", errs)
    else:
        errs.append(fe.required(path, "one of fieldRef and resourceFieldRef is required"))
    _file_mode(f.get("mode"), path + ".mode", errs)


HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")


def _projected(src: dict, path: str, errs: list[Cause]) -> None:
    _file_mode(src.get("defaultMode"), path + ".defaultMode", errs)
    all_paths: set[str] = set()
    for idx, source in enumerate(lst(src.get("sources"))):
        source = d(source)
        n = 0
        sp = f"{path}.sources[{idx}]"
        for kind, name_key in (("secret", "name"), ("configMap", "name")):
            sec = source.get(kind)
            if sec is None:
                continue
            n += 1
            sec = d(sec)
            if not s(sec.get(name_key)):
                errs.append(fe.required(f"{sp}.{kind}.name"))
            for j, kp in enumerate(lst(sec.get("items"))):
                kp = d(kp)
                _key_to_path(kp, f"{sp}.{kind}.items[{j}]", errs)
                cur = s(kp.get("path"))
                if cur:
                    if cur in all_paths:
                        errs.append(fe.invalid(path, s(sec.get("name")), "conflicting duplicate paths"))
                    all_paths.add(cur)
        if source.get("downwardAPI") is not None:
            n += 1
            for f in lst(d(source.get("downwardAPI")).get("items")):
                f = d(f)
                _downward_file(f, sp + ".downwardAPI", errs)
                cur = s(f.get("path"))
                if cur:
                    if cur in all_paths:
                        errs.append(fe.invalid(path, cur, "conflicting duplicate paths"))
                    all_paths.add(cur)
        if source.get("serviceAccountToken") is not None:
            n += 1
            sat = d(source.get("serviceAccountToken"))
            exp = i(sat.get("expirationSeconds"))
            if exp < 600:
                errs.append(fe.invalid(sp + ".serviceAccountToken.expirationSeconds", exp, "may not specify a duration less than 10 minutes"))
            if exp > 1 << 32:
                errs.append(fe.invalid(sp + ".serviceAccountToken.expirationSeconds", exp, "may not specify a duration larger than 2^32 seconds"))
            tp = s(sat.get("path"))
            if not tp:
                errs.append(fe.required(path + ".path"))
            else:
                local_non_reserved_path(tp, path + ".path", errs)
        if source.get("clusterTrustBundle") is not None:
            n += 1
            ctb = d(source.get("clusterTrustBundle"))
            cp = sp + ".clusterTrustBundle"
            if not s(ctb.get("path")):
                errs.append(fe.required(cp + ".path"))
            local_non_reserved_path(s(ctb.get("path")), cp + ".path", errs)
        if n > 1:
            errs.append(fe.forbidden(sp, "may not specify more than 1 volume type per source"))


def _volume_source(v: dict, path: str, vol_name: str, pod_meta: dict | None, errs: list[Cause]) -> None:
    n = 0

    def one(key: str) -> dict | None:
        nonlocal n
        src = v.get(key)
        if src is None:
            return None
        if n > 0:
            errs.append(fe.forbidden(f"{path}.{key}", "may not specify more than 1 volume type"))
            return None
        n += 1
        return d(src)

    def required(src: dict, source: str, *keys: str) -> None:
        for key in keys:
            if not s(src.get(key)):
                errs.append(fe.required(f"{path}.{source}.{key}"))

    src = one("emptyDir")
    if src is not None:
        sl = parse_qty(src.get("sizeLimit"))
        if sl is not None and sl.value < 0:
            errs.append(fe.forbidden(path + ".emptyDir.sizeLimit", "SizeLimit field must be a valid resource quantity"))
    src = one("hostPath")
    if src is not None:
        hp = s(src.get("path"))
        if not hp:
            errs.append(fe.required(path + ".hostPath.path"))
        else:
            _path_no_backsteps(hp, path + ".hostPath.path", errs)
            t = src.get("type")
            if t is not None and t not in HOST_PATH_TYPES:
                errs.append(fe.not_supported(path + ".hostPath.type", t, HOST_PATH_TYPES))
    src = one("gitRepo")
    if src is not None:
        required(src, "gitRepo", "repository")
        local_descending_path(s(src.get("directory")), path + ".gitRepo.directory", errs)
    src = one("gcePersistentDisk")
    if src is not None:
        required(src, "persistentDisk", "pdName")
        part = i(src.get("partition"))
        if part < 0 or part > 255:
            errs.append(fe.invalid(path + ".persistentDisk.partition", part, names.inclusive_range_error(1, 255)))
    src = one("awsElasticBlockStore")
    if src is not None:
        required(src, "awsElasticBlockStore", "volumeID")
    src = one("secret")
    if src is not None:
        required(src, "secret", "secretName")
        _file_mode(src.get("defaultMode"), path + ".secret.defaultMode", errs)
        for j, kp in enumerate(lst(src.get("items"))):
            _key_to_path(d(kp), f"{path}.secret.items[{j}]", errs)
    src = one("nfs")
    if src is not None:
        required(src, "nfs", "server", "path")
        if not s(src.get("path")).startswith("/"):
            errs.append(fe.invalid(path + ".nfs.path", s(src.get("path")), "must be an absolute path"))
    src = one("iscsi")
    if src is not None:
        required(src, "iscsi", "targetPortal", "iqn")
    src = one("glusterfs")
    if src is not None:
        required(src, "glusterfs", "endpoints", "path")
    src = one("flocker")
    if src is not None:
        if not s(src.get("datasetName")) and not s(src.get("datasetUUID")):
            errs.append(fe.required(path + ".flocker", "one of datasetName and datasetUUID is required"))
    src = one("persistentVolumeClaim")
    if src is not None:
        required(src, "persistentVolumeClaim", "claimName")
    src = one("rbd")
    if src is not None:
        if not lst(src.get("monitors")):
            errs.append(fe.required(path + ".rbd.monitors"))
        required(src, "rbd", "image")
    src = one("cinder")
    if src is not None:
        required(src, "cinder", "volumeID")
    src = one("cephfs")
    if src is not None:
        if not lst(src.get("monitors")):
            errs.append(fe.required(path + ".cephfs.monitors"))
    src = one("quobyte")
    if src is not None:
        if not s(src.get("registry")):
            errs.append(fe.required(path + ".quobyte.registry", "must be a host:port pair or multiple pairs separated by commas"))
        required(src, "quobyte", "volume")
    src = v.get("downwardAPI")
    if src is not None:
        if n > 0:
            errs.append(fe.forbidden(path + ".downwarAPI", "may not specify more than 1 volume type"))
        else:
            n += 1
            src = d(src)
            _file_mode(src.get("defaultMode"), path + ".downwardAPI.defaultMode", errs)
            for f in lst(src.get("items")):
                _downward_file(d(f), path + ".downwardAPI", errs)
    src = one("fc")
    if src is not None:
        if not lst(src.get("targetWWNs")) and not lst(src.get("wwids")):
            errs.append(fe.required(path + ".fc.targetWWNs", "must specify either targetWWNs or wwids, but not both"))
    src = one("flexVolume")
    if src is not None:
        required(src, "flexVolume", "driver")
    src = one("configMap")
    if src is not None:
        required(src, "configMap", "name")
        _file_mode(src.get("defaultMode"), path + ".configMap.defaultMode", errs)
        for j, kp in enumerate(lst(src.get("items"))):
            _key_to_path(d(kp), f"{path}.configMap.items[{j}]", errs)
    src = one("azureFile")
    if src is not None:
        required(src, "azureFile", "secretName", "shareName")
    src = one("vsphereVolume")
    if src is not None:
        required(src, "vsphereVolume", "volumePath")
    src = one("photonPersistentDisk")
    if src is not None:
        required(src, "photonPersistentDisk", "pdID")
    src = one("portworxVolume")
    if src is not None:
        required(src, "portworxVolume", "volumeID")
    src = one("azureDisk")
    if src is not None:
        required(src, "azureDisk", "diskName", "diskURI")
    src = one("storageos")
    if src is not None:
        required(src, "storageos", "volumeName")
    src = one("projected")
    if src is not None:
        _projected(src, path + ".projected", errs)
    src = one("scaleIO")
    if src is not None:
        required(src, "scaleIO", "gateway", "system", "volumeName")
    src = one("csi")
    if src is not None:
        if not s(src.get("driver")):
            errs.append(fe.required(path + ".csi.driver"))
        else:
            _csi_driver_name(s(src.get("driver")), path + ".csi.driver", errs)
    src = one("ephemeral")
    if src is not None:
        vct = src.get("volumeClaimTemplate")
        if vct is None:
            errs.append(fe.required(path + ".ephemeral.volumeClaimTemplate"))
        else:
            vct = d(vct)
            tp = path + ".ephemeral.volumeClaimTemplate"
            _pvc_template_meta(d(vct.get("metadata")), tp + ".metadata", errs)
            validate_pvc_spec(d(vct.get("spec")), tp + ".spec", errs)
        if pod_meta is not None and s(pod_meta.get("name")) and vol_name:
            pvc_name = s(pod_meta.get("name")) + "-" + vol_name
            for msg in names.is_dns1123_subdomain(pvc_name):
                errs.append(fe.invalid(path + ".name", vol_name, f"PVC name {fe.go_quote(pvc_name)}: {msg}"))
    src = one("image")
    if src is not None:
        required(src, "image", "reference")
        pp = src.get("pullPolicy")
        if pp is not None and pp not in ("Always", "IfNotPresent", "Never"):
            errs.append(fe.not_supported(path + ".image.pullPolicy", pp, ["Always", "IfNotPresent", "Never"]))
    if n == 0:
        errs.append(fe.required(path, "must specify a volume type"))


def _pvc_template_meta(meta: dict, path: str, errs: list[Cause]) -> None:
    allowed = {"labels", "annotations", "creationTimestamp"}
    for k, v in meta.items():
        if k not in allowed and v not in (None, "", {}, []):
            errs.append(fe.forbidden(path, "only labels and annotations are allowed"))
            break
    validate_labels(meta.get("labels"), path + ".labels", errs)
    validate_annotations(meta.get("annotations"), path + ".annotations", errs)


def _csi_driver_name(name: str, path: str, errs: list[Cause]) -> None:
    if len(name) > 63:
        errs.append(fe.too_long(path, 63))
    for msg in names.is_dns1123_subdomain(name.lower()):
        errs.append(fe.invalid(path, name, msg))


def validate_volumes(volumes: Any, pod_meta: dict | None, path: str, errs: list[Cause]) -> dict[str, dict]:
    all_names: set[str] = set()
    created_pvcs: set[str] = set()
    vols: dict[str, dict] = {}
    vlist = lst(volumes)
    if pod_meta is not None and s(pod_meta.get("name")):
        for vol in vlist:
            if type(vol) is dict and vol.get("ephemeral") is not None:
                created_pvcs.add(s(pod_meta.get("name")) + "-" + s(vol.get("name")))
    for idx, vol in enumerate(vlist):
        vol = d(vol)
        ip = f"{path}[{idx}]"
        np = ip + ".name"
        name = s(vol.get("name"))
        el: list[Cause] = []
        _volume_source(vol, ip, name, pod_meta, el)
        if not name:
            el.append(fe.required(np))
        else:
            dns1123_label(name, np, el)
        if name in all_names:
            el.append(fe.duplicate(np, name))
        if not el:
            all_names.add(name)
            vols[name] = vol
        else:
            errs.extend(el)
        pvc_src = vol.get("persistentVolumeClaim")
        if pvc_src is not None and s(d(pvc_src).get("claimName")) in created_pvcs:
            errs.append(fe.invalid(ip + ".persistentVolumeClaim.claimName", s(d(pvc_src).get("claimName")), "must not reference a PVC that gets created for an ephemeral volume"))
    return vols


# --- containers ---------------------------------------------------------------------------------

PROTOCOLS = ("SCTP", "TCP", "UDP")


def validate_container_ports(ports: Any, path: str, errs: list[Cause]) -> None:
    seen: set[str] = set()
    for idx, port in enumerate(lst(ports)):
        port = d(port)
        ip = f"{path}[{idx}]"
        name = s(port.get("name"))
        if name:
            msgs = names.is_valid_port_name(name)
            if msgs:
                for m in msgs:
                    errs.append(fe.invalid(ip + ".name", name, m))
            elif name in seen:
                errs.append(fe.duplicate(ip + ".name", name))
            else:
                seen.add(name)
        cp = port.get("containerPort")
        if not cp:
            errs.append(fe.required(ip + ".containerPort"))
        else:
            port_num(cp, ip + ".containerPort", errs)
        hp = port.get("hostPort")
        if hp:
            port_num(hp, ip + ".hostPort", errs)
        proto = s(port.get("protocol"))
        if not proto:
            errs.append(fe.required(ip + ".protocol"))
        elif proto not in PROTOCOLS:
            errs.append(fe.not_supported(ip + ".protocol", proto, PROTOCOLS))


def validate_env(env: Any, path: str, errs: list[Cause]) -> None:
    for idx, ev in enumerate(lst(env)):
        ev = d(ev)
        ip = f"{path}[{idx}]"
        name = s(ev.get("name"))
        if not name:
            errs.append(fe.required(ip + ".name"))
        else:
            for msg in names.is_relaxed_env_var_name(name):
                errs.append(fe.invalid(ip + ".name", name, msg))
        vf = ev.get("valueFrom")
        if vf is None:
            continue
        vf = d(vf)
        vp = ip + ".valueFrom"
        n = 0
        if vf.get("fieldRef") is not None:
            n += 1
            _object_field_selector(d(vf.get("fieldRef")), VALID_ENV_DOWNWARD_FIELDS, vp + ".fieldRef", errs)
        if vf.get("resourceFieldRef") is not None:
            n += 1
            _resource_field_selector(d(vf.get("resourceFieldRef")), False, vp + ".resourceFieldRef", errs)
        for key in ("configMapKeyRef", "secretKeyRef"):
            if vf.get(key) is not None:
                n += 1
                sel = d(vf.get(key))
                sp = f"{vp}.{key}"
                sname = s(sel.get("name"))
                for msg in names.name_is_dns_subdomain(sname):
                    errs.append(fe.invalid(sp + ".name", sname, msg))
                k = s(sel.get("key"))
                if not k:
                    errs.append(fe.required(sp + ".key"))
                else:
                    for msg in names.is_config_map_key(k):
                        errs.append(fe.invalid(sp + ".key", k, msg))
        if n == 0:
            errs.append(fe.invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
        elif s(ev.get("value")):
            errs.append(fe.invalid(vp, "", "may not be specified when `value` is not empty"))
        elif n > 1:
            errs.append(fe.invalid(vp, "", "may not have more than one field specified at a time"))


def validate_env_from(env_from: Any, path: str, errs: list[Cause]) -> None:
    for idx, ev in enumerate(lst(env_from)):
        ev = d(ev)
        ip = f"{path}[{idx}]"
        prefix = s(ev.get("prefix"))
        if prefix:
            for msg in names.is_relaxed_env_var_name(prefix):
                errs.append(fe.invalid(ip + ".prefix", prefix, msg))
        n = 0
        for key in ("configMapRef", "secretRef"):
            if ev.get(key) is not None:
                n += 1
                ref = d(ev.get(key))
                rn = s(ref.get("name"))
                if not rn:
                    errs.append(fe.required(f"{ip}.{key}.name"))
                else:
                    for msg in names.name_is_dns_subdomain(rn, True):
                        errs.append(fe.invalid(f"{ip}.{key}.name", rn, msg))
        if n == 0:
            errs.append(fe.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif n > 1:
            errs.append(fe.invalid(path, "", "may not have more than one field specified at a time"))


MOUNT_PROPAGATIONS = ("Bidirectional", "HostToContainer", "None")


def validate_volume_mounts(mounts: Any, devices: dict[str, str], volumes: dict[str, dict], ctr: dict, path: str, errs: list[Cause]) -> None:
    mountpoints: set[str] = set()
    device_paths = set(devices.values())
    for idx, m in enumerate(lst(mounts)):
        m = d(m)
        ip = f"{path}[{idx}]"
        name = s(m.get("name"))
        mp = s(m.get("mountPath"))
        if not name:
            errs.append(fe.required(ip + ".name"))
        if name not in volumes:
            errs.append(fe.not_found(ip + ".name", name))
        if not mp:
            errs.append(fe.required(ip + ".mountPath"))
        if mp in mountpoints:
            errs.append(fe.invalid(ip + ".mountPath", mp, "must be unique"))
        mountpoints.add(mp)
        if name in devices:
            errs.append(fe.invalid(ip + ".name", name, "must not already exist in volumeDevices"))
        if mp in device_paths:
            errs.append(fe.invalid(ip + ".mountPath", mp, "must not already exist as a path in volumeDevices"))
        sub = s(m.get("subPath"))
        subx = s(m.get("subPathExpr"))
        vol = volumes.get(name)
        if vol is not None and vol.get("image") is not None:
            if sub:
                errs.append(fe.invalid(ip + ".subPath", sub, "not allowed in image volume sources"))
            if subx:
                errs.append(fe.invalid(ip + ".subPathExpr", subx, "not allowed in image volume sources"))
        if sub:
            local_descending_path(sub, path + ".subPath", errs)
        if subx:
            if sub:
                errs.append(fe.invalid(ip + ".subPathExpr", subx, "subPathExpr and subPath are mutually exclusive"))
            local_descending_path(subx, path + ".subPathExpr", errs)
        prop = m.get("mountPropagation")
        if prop is not None:
            pp = path + ".mountPropagation"
            if prop not in MOUNT_PROPAGATIONS:
                errs.append(fe.not_supported(pp, prop, MOUNT_PROPAGATIONS))
            sc = d(ctr.get("securityContext"))
            if prop == "Bidirectional" and sc.get("privileged") is not True:
                errs.append(fe.forbidden(pp, "Bidirectional mount propagation is available only to privileged containers"))
        rro = m.get("recursiveReadOnly")
        if rro is not None:
            rp = path + ".recursiveReadOnly"
            if rro == "Disabled":
                pass
            elif rro in ("Enabled", "IfPossible"):
                if m.get("readOnly") is not True:
                    errs.append(fe.forbidden(rp, "may only be specified when readOnly is true"))
                if prop is not None and prop != "None":
                    errs.append(fe.forbidden(rp, "may only be specified when mountPropagation is None or not specified"))
            else:
                errs.append(fe.not_supported(rp, rro, ["Disabled", "Enabled", "IfPossible"]))


def validate_volume_devices(devices: Any, mounts: dict[str, str], volumes: dict[str, dict], path: str, errs: list[Cause]) -> None:
    dpaths: set[str] = set()
    dnames: set[str] = set()
    mount_paths = set(mounts.values())
    for idx, dev in enumerate(lst(devices)):
        dev = d(dev)
        ip = f"{path}[{idx}]"
        name = s(dev.get("name"))
        dp = s(dev.get("devicePath"))
        vol = volumes.get(name)
        is_pvc = vol is not None and (vol.get("persistentVolumeClaim") is not None or vol.get("ephemeral") is not None)
        if not name:
            errs.append(fe.required(ip + ".name"))
        if name in dnames:
            errs.append(fe.invalid(ip + ".name", name, "must be unique"))
        if vol is not None and not is_pvc:
            errs.append(fe.invalid(ip + ".name", name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"))
        if vol is None:
            errs.append(fe.not_found(ip + ".name", name))
        if not dp:
            errs.append(fe.required(ip + ".devicePath"))
        if dp in dpaths:
            errs.append(fe.invalid(ip + ".devicePath", dp, "must be unique"))
        if dp and ".." in dp.split("/"):
            errs.append(fe.invalid(ip + ".devicePath", dp, "can not contain backsteps ('..')"))
        else:
            dpaths.add(dp)
        if name in mounts:
            errs.append(fe.invalid(ip + ".name", name, "must not already exist in volumeMounts"))
        if dp in mount_paths:
            errs.append(fe.invalid(ip + ".devicePath", dp, "must not already exist as a path in volumeMounts"))
        if name:
            dnames.add(name)


def _handler(h: dict, grace: Any, path: str, errs: list[Cause], probe: bool) -> None:
    n = 0
    kinds = ("exec", "httpGet", "tcpSocket", "grpc") if probe else ("exec", "httpGet", "tcpSocket", "sleep")
    for kind in kinds:
        v = h.get(kind)
        if v is None:
            continue
        kp = f"{path}.{kind}"
        if n > 0:
            errs.append(fe.forbidden(kp, "may not specify more than 1 handler type"))
            continue
        n += 1
        v = d(v)
        if kind == "exec":
            if not lst(v.get("command")):
                errs.append(fe.required(kp + ".command"))
        elif kind == "httpGet":
            if not s(v.get("path")):
                errs.append(fe.required(kp + ".path"))
            port_num_or_name(v.get("port"), kp + ".port", errs)
            scheme = s(v.get("scheme"))
            if scheme not in ("HTTP", "HTTPS"):
                errs.append(fe.not_supported(kp + ".scheme", scheme, ["HTTP", "HTTPS"]))
            for hdr in lst(v.get("httpHeaders")):
                hn = s(d(hdr).get("name"))
                for msg in names.is_http_header_name(hn):
                    errs.append(fe.invalid(kp + ".httpHeaders", hn, msg))
        elif kind == "tcpSocket":
            port_num_or_name(v.get("port"), kp + ".port", errs)
        elif kind == "grpc":
            port = v.get("port")
            port_num(port if is_int(port) else 0, kp + ".port", errs)
        elif kind == "sleep":
            secs = i(v.get("seconds"))
            if is_int(grace) and (secs < 0 or secs > grace):
                errs.append(fe.invalid(kp, secs, f"must be non-negative and less than terminationGracePeriodSeconds ({grace})"))
    if n == 0:
        errs.append(fe.required(path, "must specify a handler type"))


def _probe(p: Any, grace: Any, path: str, errs: list[Cause]) -> dict | None:
    if p is None:
        return None
    p = d(p)
    _handler(p, grace, path, errs, True)
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        nonnegative(p.get(key), f"{path}.{key}", errs)
    tgp = p.get("terminationGracePeriodSeconds")
    if is_int(tgp) and tgp <= 0:
        errs.append(fe.invalid(path + ".terminationGracePeriodSeconds", tgp, "must be greater than 0"))
    return p


def _liveness(p: Any, grace: Any, path: str, errs: list[Cause]) -> None:
    p = _probe(p, grace, path, errs)
    if p is not None and i(p.get("successThreshold")) != 1:
        errs.append(fe.invalid(path + ".successThreshold", i(p.get("successThreshold")), "must be 1"))


def _readiness(p: Any, grace: Any, path: str, errs: list[Cause]) -> None:
    p = _probe(p, grace, path, errs)
    if p is not None and p.get("terminationGracePeriodSeconds") is not None:
        errs.append(fe.invalid(path + ".terminationGracePeriodSeconds", p.get("terminationGracePeriodSeconds"), "must not be set for readinessProbes"))


def _lifecycle(lc: Any, grace: Any, path: str, errs: list[Cause]) -> None:
    lc = d(lc)
    for key in ("postStart", "preStop"):
        h = lc.get(key)
        if h is not None:
            _handler(d(h), grace, f"{path}.{key}", errs, False)


PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def validate_security_context(sc: Any, path: str, host_users: bool, errs: list[Cause]) -> None:
    if sc is None:
        return
    sc = d(sc)
    for key in ("runAsUser", "runAsGroup"):
        v = sc.get(key)
        if is_int(v):
            for msg in names.is_valid_user_id(v):
                errs.append(fe.invalid(f"{path}.{key}", v, msg))
    pm = sc.get("procMount")
    if pm is not None:
        if pm not in ("Default", "Unmasked"):
            errs.append(fe.not_supported(path + ".procMount", pm, ["Default", "Unmasked"]))
        if host_users and pm == "Unmasked":
            errs.append(fe.invalid(path + ".procMount", pm, "`hostUsers` must be false to use `Unmasked`"))
    _seccomp(sc.get("seccompProfile"), path + ".seccompProfile", errs)
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            errs.append(fe.invalid(path, fe.go_struct("core.SecurityContext", sc), "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        caps = d(sc.get("capabilities"))
        for cap in lst(caps.get("add")):
            if cap == "CAP_SYS_ADMIN":
                errs.append(fe.invalid(path, fe.go_struct("core.SecurityContext", sc), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
    _apparmor(sc.get("appArmorProfile"), path + ".appArmorProfile", errs)


def _seccomp(sp: Any, path: str, errs: list[Cause]) -> None:
    if sp is None:
        return
    sp = d(sp)
    t = s(sp.get("type"))
    if t == "":
        errs.append(fe.required(path + ".type", "type is required when seccompProfile is set"))
    elif t not in ("Localhost", "RuntimeDefault", "Unconfined"):
        errs.append(fe.not_supported(path + ".type", t, ["Localhost", "RuntimeDefault", "Unconfined"]))
    if t == "Localhost":
        lp = sp.get("localhostProfile")
        if lp is None:
            errs.append(fe.required(path + ".localhostProfile", "must be set when seccomp type is Localhost"))
        else:
            local_descending_path(s(lp), path + ".localhostProfile", errs)
    elif sp.get("localhostProfile") is not None:
        errs.append(fe.invalid(path + ".localhostProfile", fe.go_struct("core.SeccompProfile", sp), "can only be set when seccomp type is Localhost"))


def _apparmor(ap: Any, path: str, errs: list[Cause]) -> None:
    if ap is None:
        return
    ap = d(ap)
    t = s(ap.get("type"))
    lp = ap.get("localhostProfile")
    if t == "Localhost":
        if lp is None:
            errs.append(fe.required(path + ".localhostProfile", "must be set when AppArmor type is Localhost"))
        else:
            lps = s(lp)
            if lps.strip() != lps:
                errs.append(fe.invalid(path + ".localhostProfile", lps, "must not be padded with whitespace"))
            elif not lps:
                errs.append(fe.required(path + ".localhostProfile", "must be set when AppArmor type is Localhost"))
            if len(lps) > 4095:
                errs.append(fe.too_long(path + ".localhostProfile", 4095))
    elif t in ("RuntimeDefault", "Unconfined"):
        if lp is not None:
            errs.append(fe.invalid(path + ".localhostProfile", s(lp), "can only be set when AppArmor type is Localhost"))
    elif t == "":
        errs.append(fe.required(path + ".type", "type is required when appArmorProfile is set"))
    else:
        errs.append(fe.not_supported(path + ".type", t, ["Localhost", "RuntimeDefault", "Unconfined"]))


def _container_common(c: dict, volumes: dict[str, dict], claim_names: set[str], path: str, restart_policy: str, host_users: bool, errs: list[Cause]) -> None:
    name = s(c.get("name"))
    if not name:
        errs.append(fe.required(path + ".name"))
    else:
        dns1123_label(name, path + ".name", errs)
    if not s(c.get("image")):
        errs.append(fe.required(path + ".image"))
    tmp = s(c.get("terminationMessagePolicy"))
    if tmp in ("File", "FallbackToLogsOnError"):
        pass
    elif tmp == "":
        errs.append(fe.required(path + ".terminationMessagePolicy"))
    else:
        errs.append(fe.not_supported(path + ".terminationMessagePolicy", tmp, ["File", "FallbackToLogsOnError"]))
    mounts = {s(d(m).get("name")): s(d(m).get("mountPath")) for m in lst(c.get("volumeMounts"))}
    devices = {s(d(x).get("name")): s(d(x).get("devicePath")) for x in lst(c.get("volumeDevices"))}
    if c.get("ports"):
        validate_container_ports(c.get("ports"), path + ".ports", errs)
    if c.get("env"):
        validate_env(c.get("env"), path + ".env", errs)
    if c.get("envFrom"):
        validate_env_from(c.get("envFrom"), path + ".envFrom", errs)
    if c.get("volumeMounts"):
        validate_volume_mounts(c.get("volumeMounts"), devices, volumes, c, path + ".volumeMounts", errs)
    if c.get("volumeDevices"):
        validate_volume_devices(c.get("volumeDevices"), mounts, volumes, path + ".volumeDevices", errs)
    pp = s(c.get("imagePullPolicy"))
    if pp not in PULL_POLICIES:
        if pp == "":
            errs.append(fe.required(path + ".imagePullPolicy"))
        else:
            errs.append(fe.not_supported(path + ".imagePullPolicy", pp, PULL_POLICIES))
    res = c.get("resources")
    if res:
        validate_resource_requirements(res, claim_names, path + ".resources", errs)
    rp = c.get("resizePolicy")
    if rp:
        seen: set[str] = set()
        for idx, p in enumerate(lst(rp)):
            p = d(p)
            rn = s(p.get("resourceName"))
            rpath = path + ".resizePolicy"
            if rn in seen:
                errs.append(fe.duplicate(f"{rpath}[{idx}]", rn))
            seen.add(rn)
            if rn not in ("cpu", "memory"):
                errs.append(fe.required(rpath) if rn == "" else fe.not_supported(rpath, rn, ["cpu", "memory"]))
            pol = s(p.get("restartPolicy"))
            if pol not in ("NotRequired", "RestartContainer"):
                errs.append(fe.required(rpath) if pol == "" else fe.not_supported(rpath, pol, ["NotRequired", "RestartContainer"]))
            if restart_policy == "Never" and pol != "NotRequired":
                errs.append(fe.invalid(rpath, pol, "must be 'NotRequired' when `restartPolicy` is 'Never'"))
    if c.get("securityContext") is not None:
        validate_security_context(c.get("securityContext"), path + ".securityContext", host_users, errs)


def _host_port_conflicts(containers: list, path: str, errs: list[Cause], seen: set[str] | None = None) -> None:
    seen = set() if seen is None else seen
    for ci, ctr in enumerate(containers):
        for pi, port in enumerate(lst(d(ctr).get("ports"))):
            port = d(port)
            hp = port.get("hostPort")
            if not hp:
                continue
            key = f"{s(port.get('protocol'))}/{s(port.get('hostIP'))}/{hp}"
            if key in seen:
                errs.append(fe.duplicate(f"{path}[{ci}].ports[{pi}].hostPort", key))
            else:
                seen.add(key)


def validate_containers(containers: Any, volumes: dict[str, dict], claim_names: set[str], grace: Any, path: str, restart_policy: str, host_users: bool, errs: list[Cause]) -> None:
    clist = lst(containers)
    if not clist:
        errs.append(fe.required(path))
        return
    seen: set[str] = set()
    for idx, c in enumerate(clist):
        c = d(c)
        p = f"{path}[{idx}]"
        _container_common(c, volumes, claim_names, p, restart_policy, host_users, errs)
        name = s(c.get("name"))
        if name in seen:
            errs.append(fe.duplicate(p + ".name", name))
        else:
            seen.add(name)
        if c.get("lifecycle") is not None:
            _lifecycle(c.get("lifecycle"), grace, p + ".lifecycle", errs)
        _liveness(c.get("livenessProbe"), grace, p + ".livenessProbe", errs)
        _readiness(c.get("readinessProbe"), grace, p + ".readinessProbe", errs)
        _liveness(c.get("startupProbe"), grace, p + ".startupProbe", errs)
        if c.get("restartPolicy") is not None:
            errs.append(fe.forbidden(p + ".restartPolicy", "may not be set for non-init containers"))
    _host_port_conflicts(clist, path, errs)


def validate_init_containers(inits: Any, regular: Any, volumes: dict[str, dict], claim_names: set[str], grace: Any, path: str, restart_policy: str, host_users: bool, errs: list[Cause]) -> None:
    all_names = {s(d(c).get("name")) for c in lst(regular)}
    for idx, c in enumerate(lst(inits)):
        c = d(c)
        p = f"{path}[{idx}]"
        _container_common(c, volumes, claim_names, p, restart_policy, host_users, errs)
        always = False
        rp = c.get("restartPolicy")
        if rp is not None:
            if rp != "Always":
                errs.append(fe.not_supported(p + ".restartPolicy", rp, ["Always"]))
            always = rp == "Always"
        name = s(c.get("name"))
        if name in all_names:
            errs.append(fe.duplicate(p + ".name", name))
        elif name:
            all_names.add(name)
        _host_port_conflicts([c], path, errs)
        if always:
            if c.get("lifecycle") is not None:
                _lifecycle(c.get("lifecycle"), grace, p + ".lifecycle", errs)
            _liveness(c.get("livenessProbe"), grace, p + ".livenessProbe", errs)
            _readiness(c.get("readinessProbe"), grace, p + ".readinessProbe", errs)
            _liveness(c.get("startupProbe"), grace, p + ".startupProbe", errs)
        else:
            for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(key) is not None:
                    errs.append(fe.forbidden(f"{p}.{key}", "may not be set for init containers without restartPolicy=Always"))
        if c.get("resizePolicy") and not always:
            errs.append(fe.invalid(p + ".resizePolicy", fe.GoValue("[]core.ContainerResizePolicy{...}"), "must not be set for init containers"))


_EPHEMERAL_FORBIDDEN = ("ports", "resources", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resizePolicy", "restartPolicy")


def validate_ephemeral_containers(ecs: Any, containers: Any, inits: Any, volumes: dict[str, dict], claim_names: set[str], path: str, restart_policy: str, host_users: bool, errs: list[Cause]) -> None:
    elist = lst(ecs)
    if not elist:
        return
    other = {s(d(c).get("name")) for c in lst(containers)} | {s(d(c).get("name")) for c in lst(inits)}
    all_names = set(other)
    for idx, ec in enumerate(elist):
        ec = d(ec)
        p = f"{path}[{idx}]"
        _container_common(ec, volumes, claim_names, p, restart_policy, host_users, errs)
        img = s(ec.get("image"))
        if len(img) != len(img.strip()):
            errs.append(fe.invalid(p + ".image", img, "must not have leading or trailing whitespace"))
        name = s(ec.get("name"))
        if name in all_names:
            errs.append(fe.duplicate(p + ".name", name))
        else:
            all_names.add(name)
        tcn = s(ec.get("targetContainerName"))
        if tcn and tcn not in other:
            errs.append(fe.not_found(p + ".targetContainerName", tcn))
        for key in _EPHEMERAL_FORBIDDEN:
            v = ec.get(key)
            if v not in (None, {}, []):
                errs.append(fe.forbidden(f"{p}.{key}", "cannot be set for an Ephemeral Container"))
        for j, vm in enumerate(lst(ec.get("volumeMounts"))):
            vm = d(vm)
            if s(vm.get("subPath")):
                errs.append(fe.forbidden(f"{p}.volumeMounts[{j}].subPath", "cannot be set for an Ephemeral Container"))
            if s(vm.get("subPathExpr")):
                errs.append(fe.forbidden(f"{p}.volumeMounts[{j}].subPathExpr", "cannot be set for an Ephemeral Container"))


# --- pod spec -----------------------------------------------------------------------------------

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _restart_policy(rp: str, path: str, errs: list[Cause]) -> None:
    if rp in RESTART_POLICIES:
        return
    if rp == "":
        errs.append(fe.required(path))
    else:
        errs.append(fe.not_supported(path, rp, RESTART_POLICIES))


def validate_tolerations(tols: Any, path: str, errs: list[Cause]) -> None:
    for idx, t in enumerate(lst(tols)):
        t = d(t)
        ip = f"{path}[{idx}]"
        key = s(t.get("key"))
        op = s(t.get("operator"))
        effect = s(t.get("effect"))
        if key:
            validate_label_name(key, ip + ".key", errs)
        if not key and op != "Exists":
            errs.append(fe.invalid(ip + ".operator", op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(fe.invalid(ip + ".effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        value = s(t.get("value"))
        if op in ("Equal", ""):
            msgs = names.is_valid_label_value(value)
            if msgs:
                errs.append(fe.invalid(ip + ".operator", value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(fe.invalid(ip + ".operator", value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(fe.not_supported(ip + ".operator", op, ["Equal", "Exists"]))
        if effect and effect not in TAINT_EFFECTS:
            errs.append(fe.not_supported(ip + ".effect", effect, TAINT_EFFECTS))


def _node_selector_requirement(rq: dict, path: str, errs: list[Cause], allow_invalid_values: bool) -> None:
    op = s(rq.get("operator"))
    vals = lst(rq.get("values"))
    if op in ("In", "NotIn"):
        if not vals:
            errs.append(fe.required(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist"):
        if vals:
            errs.append(fe.forbidden(path + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif op in ("Gt", "Lt"):
        if len(vals) != 1:
            errs.append(fe.required(path + ".values", "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        errs.append(fe.invalid(path + ".operator", op, "not a valid selector operator"))
    validate_label_name(s(rq.get("key")), path + ".key", errs)
    if not allow_invalid_values:
        for j, v in enumerate(vals):
            for msg in names.is_valid_label_value(s(v)):
                errs.append(fe.invalid(f"{path}.values[{j}]", s(v), msg))


def _node_selector_term(term: dict, path: str, errs: list[Cause], allow_invalid_values: bool) -> None:
    for j, rq in enumerate(lst(term.get("matchExpressions"))):
        _node_selector_requirement(d(rq), f"{path}.matchExpressions[{j}]", errs, allow_invalid_values)
    for j, rq in enumerate(lst(term.get("matchFields"))):
        rq = d(rq)
        fp = f"{path}.matchFields[{j}]"
        op = s(rq.get("operator"))
        vals = lst(rq.get("values"))
        if op in ("In", "NotIn"):
            if len(vals) != 1:
                errs.append(fe.required(fp + ".values", "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"))
        else:
            errs.append(fe.invalid(fp + ".operator", op, "not a valid selector operator"))
        key = s(rq.get("key"))
        if key != "metadata.name":
            errs.append(fe.invalid(fp + ".key", key, "not a valid field selector key"))
        else:
            for k, v in enumerate(vals):
                for msg in names.name_is_dns_subdomain(s(v)):
                    errs.append(fe.invalid(f"{fp}.values[{k}]", s(v), msg))


def validate_node_selector(ns: dict, path: str, errs: list[Cause], allow_invalid_values: bool = False) -> None:
    terms = lst(ns.get("nodeSelectorTerms"))
    tp = path + ".nodeSelectorTerms"
    if not terms:
        errs.append(fe.required(tp, "must have at least one node selector term"))
        return
    for idx, term in enumerate(terms):
        _node_selector_term(d(term), f"{tp}[{idx}]", errs, allow_invalid_values)


def _pod_affinity_term(term: dict, path: str, errs: list[Cause]) -> None:
    validate_label_selector(term.get("labelSelector"), path + ".labelSelector", errs)
    validate_label_selector(term.get("namespaceSelector"), path + ".namespaceSelector", errs)
    for ns in lst(term.get("namespaces")):
        for msg in names.is_dns1123_label(s(ns)):
            errs.append(fe.invalid(path + ".namespace", s(ns), msg))
    sel = term.get("labelSelector")
    for key in ("matchLabelKeys", "mismatchLabelKeys"):
        keys = lst(term.get(key))
        if keys:
            if sel is None:
                errs.append(fe.forbidden(f"{path}.{key}", "must not be specified when labelSelector is not set"))
            else:
                for j, k in enumerate(keys):
                    validate_label_name(s(k), f"{path}.{key}[{j}]", errs)
    mismatch = set(s(k) for k in lst(term.get("mismatchLabelKeys")))
    for j, k in enumerate(lst(term.get("matchLabelKeys"))):
        if s(k) in mismatch:
            errs.append(fe.invalid(f"{path}.matchLabelKeys[{j}]", s(k), "exists in both matchLabelKeys and mismatchLabelKeys"))
    if not s(term.get("topologyKey")):
        errs.append(fe.required(path + ".topologyKey", "can not be empty"))
    validate_label_name(s(term.get("topologyKey")), path + ".topologyKey", errs)


def validate_affinity(aff: Any, path: str, errs: list[Cause]) -> None:
    if aff is None:
        return
    aff = d(aff)
    na = aff.get("nodeAffinity")
    if na is not None:
        na = d(na)
        np = path + ".nodeAffinity"
        req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
        if req is not None:
            validate_node_selector(d(req), np + ".requiredDuringSchedulingIgnoredDuringExecution", errs)
        for idx, term in enumerate(lst(na.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            term = d(term)
            tp = f"{np}.preferredDuringSchedulingIgnoredDuringExecution[{idx}]"
            w = i(term.get("weight"))
            if w <= 0 or w > 100:
                errs.append(fe.invalid(tp + ".weight", w, "must be in the range 1-100"))
            _node_selector_term(d(term.get("preference")), tp + ".preference", errs, True)
    for key in ("podAffinity", "podAntiAffinity"):
        pa = aff.get(key)
        if pa is None:
            continue
        pa = d(pa)
        pp = f"{path}.{key}"
        for idx, term in enumerate(lst(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            _pod_affinity_term(d(term), f"{pp}.requiredDuringSchedulingIgnoredDuringExecution[{idx}]", errs)
        for idx, wt in enumerate(lst(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            wt = d(wt)
            tp = f"{pp}.preferredDuringSchedulingIgnoredDuringExecution[{idx}]"
            w = i(wt.get("weight"))
            if w <= 0 or w > 100:
                errs.append(fe.invalid(tp + ".weight", w, "must be in the range 1-100"))
            _pod_affinity_term(d(wt.get("podAffinityTerm")), tp + ".podAffinityTerm", errs)


def _pod_security_context(sc: Any, spec: dict, path: str, errs: list[Cause]) -> None:
    if sc is None:
        return
    sc = d(sc)
    for key in ("fsGroup", "runAsUser", "runAsGroup"):
        v = sc.get(key)
        if is_int(v):
            for msg in names.is_valid_group_id(v):
                errs.append(fe.invalid(f"{path}.{key}", v, msg))
    for g, gid in enumerate(lst(sc.get("supplementalGroups"))):
        if is_int(gid):
            for msg in names.is_valid_group_id(gid):
                errs.append(fe.invalid(f"{path}.supplementalGroups[{g}]", gid, msg))
    if sc.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        errs.append(fe.invalid(path + ".shareProcessNamespace", True, "ShareProcessNamespace and HostPID cannot both be enabled"))
    if spec.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        errs.append(fe.invalid(path + ".shareProcessNamespace", True, "ShareProcessNamespace and HostPID cannot both be enabled"))
    sysctls = lst(sc.get("sysctls"))
    if sysctls:
        seen: set[str] = set()
        for idx, sy in enumerate(sysctls):
            sy = d(sy)
            sp = f"{path}.sysctls[{idx}].name"
            n = s(sy.get("name"))
            if not n:
                errs.append(fe.required(sp))
            elif len(n) > 253 or not _SYSCTL_RE.fullmatch(n):
                errs.append(fe.invalid(sp, n, f"must have at most 253 characters and match regex ^{_SYSCTL_FMT}$"))
            elif n in seen:
                errs.append(fe.duplicate(sp, n))
            if spec.get("hostNetwork") is True and (n.startswith("net.") or n.startswith("net/")):
                errs.append(fe.invalid(sp, n, "may not be specified when 'hostNetwork' is true"))
            elif spec.get("hostIPC") is True and (n.startswith("kernel.shm") or n.startswith("kernel.msg") or n.startswith("kernel.sem") or n.startswith("fs.mqueue.")):
                errs.append(fe.invalid(sp, n, "may not be specified when 'hostIPC' is true"))
            seen.add(n)
    fgp = sc.get("fsGroupChangePolicy")
    if fgp is not None and fgp not in ("Always", "OnRootMismatch"):
        errs.append(fe.not_supported(path + ".fsGroupChangePolicy", fgp, ["Always", "OnRootMismatch"]))
    _seccomp(sc.get("seccompProfile"), path + ".seccompProfile", errs)
    _apparmor(sc.get("appArmorProfile"), path + ".appArmorProfile", errs)
    sgp = sc.get("supplementalGroupsPolicy")
    if sgp is not None and sgp not in ("Merge", "Strict"):
        errs.append(fe.not_supported(path + ".supplementalGroupsPolicy", sgp, ["Merge", "Strict"]))
    slc = sc.get("seLinuxChangePolicy")
    if slc is not None and slc not in ("MountOption", "Recursive"):
        errs.append(fe.not_supported(path + ".seLinuxChangePolicy", slc, ["MountOption", "Recursive"]))


_SYSCTL_SEG = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
_SYSCTL_FMT = "(" + _SYSCTL_SEG + "[\\./])*" + _SYSCTL_SEG
_SYSCTL_RE = _re.compile(_SYSCTL_FMT)


def _dns_config(cfg: Any, dns_policy: str, path: str, errs: list[Cause]) -> None:
    if dns_policy == "None":
        if cfg is None:
            errs.append(fe.required(path, "must provide `dnsConfig` when `dnsPolicy` is None"))
            return
        if not lst(d(cfg).get("nameservers")):
            errs.append(fe.required(path + ".nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None"))
            return
    if cfg is None:
        return
    cfg = d(cfg)
    ns = lst(cfg.get("nameservers"))
    if len(ns) > 3:
        errs.append(fe.invalid(path + ".nameservers", fe.GoValue(fe.go_string_slice([s(x) for x in ns])), "must not have more than 3 nameservers"))
    for idx, n in enumerate(ns):
        valid_ip_legacy(s(n), f"{path}.nameservers[{idx}]", errs)
    searches = [s(x) for x in lst(cfg.get("searches"))]
    if len(searches) > 32:
        errs.append(fe.invalid(path + ".searches", fe.GoValue(fe.go_string_slice(searches)), "must not have more than 32 search paths"))
    if len(" ".join(searches)) > 2048:
        errs.append(fe.invalid(path + ".searches", fe.GoValue(fe.go_string_slice(searches)), "must not have more than 2048 characters (including spaces) in the search list"))
    for idx, sr in enumerate(searches):
        if sr != ".":
            sr = sr[:-1] if sr.endswith(".") else sr
            for msg in names.is_dns1123_subdomain_with_underscore(sr):
                errs.append(fe.invalid(f"{path}.searches[{idx}]", sr, msg))
    for idx, opt in enumerate(lst(cfg.get("options"))):
        if not s(d(opt).get("name")):
            errs.append(fe.required(f"{path}.options[{idx}]", "must not be empty"))


def _topology_spread(constraints: Any, path: str, errs: list[Cause]) -> None:
    cl = lst(constraints)
    for idx, c in enumerate(cl):
        c = d(c)
        p = f"{path}[{idx}]"
        ms = c.get("maxSkew")
        if not is_int(ms) or ms <= 0:
            errs.append(fe.invalid(p + ".maxSkew", i(ms), "must be greater than zero"))
        if not s(c.get("topologyKey")):
            errs.append(fe.required(p + ".topologyKey", "can not be empty"))
        wu = s(c.get("whenUnsatisfiable"))
        if wu not in ("DoNotSchedule", "ScheduleAnyway"):
            errs.append(fe.not_supported(p + ".whenUnsatisfiable", wu, ["DoNotSchedule", "ScheduleAnyway"]))
        for other in cl[idx + 1:]:
            other = d(other)
            if s(other.get("topologyKey")) == s(c.get("topologyKey")) and s(other.get("whenUnsatisfiable")) == wu:
                errs.append(fe.duplicate(p + ".{topologyKey, whenUnsatisfiable}", f"{{{s(c.get('topologyKey'))}, {wu}}}"))
                break
        md = c.get("minDomains")
        if md is not None:
            if not is_int(md) or md <= 0:
                errs.append(fe.invalid(p + ".minDomains", i(md), "must be greater than zero"))
            if wu != "DoNotSchedule":
                errs.append(fe.invalid(p + ".minDomains", i(md), f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {wu}"))
        for key in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            v = c.get(key)
            if v is not None and v not in ("Honor", "Ignore"):
                errs.append(fe.not_supported(f"{p}.{key}", v, ["Honor", "Ignore"]))
        mlk = lst(c.get("matchLabelKeys"))
        if mlk:
            sel = c.get("labelSelector")
            keys: set[str] = set()
            if sel is not None:
                keys = set(d(d(sel).get("matchLabels")).keys()) | {s(d(e).get("key")) for e in lst(d(sel).get("matchExpressions"))}
            else:
                errs.append(fe.forbidden(p + ".matchLabelKeys", "must not be specified when labelSelector is not set"))
            for j, k in enumerate(mlk):
                validate_label_name(s(k), f"{p}.matchLabelKeys[{j}]", errs)
                if s(k) in keys:
                    errs.append(fe.invalid(f"{p}.matchLabelKeys[{j}]", s(k), "exists in both matchLabelKeys and labelSelector"))
        validate_label_selector(c.get("labelSelector"), p + ".labelSelector", errs)


def validate_pod_spec(spec: dict, pod_meta: dict | None, path: str, errs: list[Cause], is_pod: bool = False) -> None:
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is None:
        errs.append(fe.required(path + ".terminationGracePeriodSeconds"))
    sc = d(spec.get("securityContext"))
    host_users = sc.get("hostUsers") is not False
    vols = validate_volumes(spec.get("volumes"), pod_meta, path + ".volumes", errs) if spec.get("volumes") else {}
    claim_names: set[str] = set()
    rcs = lst(spec.get("resourceClaims"))
    for idx, rc in enumerate(rcs):
        rc = d(rc)
        rp = f"{path}.resourceClaims[{idx}]"
        cn = s(rc.get("name"))
        if not cn:
            errs.append(fe.required(rp + ".name"))
        elif cn in claim_names:
            errs.append(fe.duplicate(rp + ".name", cn))
        else:
            dns1123_label(cn, rp + ".name", errs)
            claim_names.add(cn)
        has_name = rc.get("resourceClaimName") is not None
        has_tpl = rc.get("resourceClaimTemplateName") is not None
        if has_name and has_tpl:
            errs.append(fe.invalid(rp, fe.go_struct("core.PodResourceClaim", rc), "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"))
        if not has_name and not has_tpl:
            errs.append(fe.invalid(rp, fe.go_struct("core.PodResourceClaim", rc), "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`"))
    restart_policy = s(spec.get("restartPolicy"))
    validate_containers(spec.get("containers"), vols, claim_names, grace, path + ".containers", restart_policy, host_users, errs)
    if spec.get("initContainers"):
        validate_init_containers(spec.get("initContainers"), spec.get("containers"), vols, claim_names, grace, path + ".initContainers", restart_policy, host_users, errs)
    if spec.get("ephemeralContainers"):
        validate_ephemeral_containers(spec.get("ephemeralContainers"), spec.get("containers"), spec.get("initContainers"), vols, claim_names, path + ".ephemeralContainers", restart_policy, host_users, errs)
    if spec.get("hostNetwork") is True:
        for ci, c in enumerate(lst(spec.get("containers"))):
            for pi, port in enumerate(lst(d(c).get("ports"))):
                port = d(port)
                hp = port.get("hostPort") or 0
                cp = port.get("containerPort") or 0
                if (is_pod or hp != 0) and hp != cp:
                    errs.append(fe.invalid(f"{path}.containers[{ci}].ports[{pi}].hostPort", hp, "must match `containerPort` when `hostNetwork` is true"))
    _restart_policy(restart_policy, path + ".restartPolicy", errs)
    dns_policy = s(spec.get("dnsPolicy"))
    if dns_policy not in DNS_POLICIES:
        if dns_policy == "":
            errs.append(fe.required(path + ".dnsPolicy"))
        else:
            errs.append(fe.not_supported(path + ".dnsPolicy", dns_policy, DNS_POLICIES))
    if spec.get("nodeSelector"):
        validate_labels(spec.get("nodeSelector"), path + ".nodeSelector", errs)
    if spec.get("securityContext"):
        _pod_security_context(spec.get("securityContext"), spec, path + ".securityContext", errs)
    for idx, ps in enumerate(lst(spec.get("imagePullSecrets"))):
        ps = d(ps)
        if set(ps) - {"name"}:
            errs.append(fe.invalid(f"{path}.imagePullSecrets[{idx}]", fe.go_struct("core.LocalObjectReference", ps), "only name may be set"))
    if spec.get("affinity") is not None:
        validate_affinity(spec.get("affinity"), path + ".affinity", errs)
    if spec.get("dnsConfig") is not None or dns_policy == "None":
        _dns_config(spec.get("dnsConfig"), dns_policy, path + ".dnsConfig", errs)
    for idx, rg in enumerate(lst(spec.get("readinessGates"))):
        qualified_name(s(d(rg).get("conditionType")), f"{path}.readinessGates[{idx}].conditionType", errs)
    seen_gates: set[str] = set()
    for idx, g in enumerate(lst(spec.get("schedulingGates"))):
        gn = s(d(g).get("name"))
        qualified_name(gn, f"{path}.schedulingGates[{idx}]", errs)
        if gn in seen_gates:
            errs.append(fe.duplicate(f"{path}.schedulingGates[{idx}]", gn))
        seen_gates.add(gn)
    if spec.get("topologySpreadConstraints"):
        _topology_spread(spec.get("topologySpreadConstraints"), path + ".topologySpreadConstraints", errs)
    if sc.get("hostUsers") is False:
        if spec.get("hostNetwork") is True:
            errs.append(fe.forbidden(path + ".hostNetwork", "when `pod.Spec.HostUsers` is false"))
        if spec.get("hostPID") is True:
            errs.append(fe.forbidden(path + ".HostPID", "when `pod.Spec.HostUsers` is false"))
        if spec.get("hostIPC") is True:
            errs.append(fe.forbidden(path + ".HostIPC", "when `pod.Spec.HostUsers` is false"))
    san = s(spec.get("serviceAccountName"))
    if san:
        name_with(names.name_is_dns_subdomain, san, path + ".serviceAccountName", errs)
    nn = s(spec.get("nodeName"))
    if nn:
        name_with(names.name_is_dns_subdomain, nn, path + ".nodeName", errs)
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and is_int(ads) and (ads < 1 or ads > MAX_INT32):
        errs.append(fe.invalid(path + ".activeDeadlineSeconds", ads, names.inclusive_range_error(1, MAX_INT32)))
    hn = s(spec.get("hostname"))
    if hn:
        dns1123_label(hn, path + ".hostname", errs)
    sd = s(spec.get("subdomain"))
    if sd:
        dns1123_label(sd, path + ".subdomain", errs)
    if spec.get("tolerations"):
        validate_tolerations(spec.get("tolerations"), path + ".tolerations", errs)
    for idx, ha in enumerate(lst(spec.get("hostAliases"))):
        ha = d(ha)
        valid_ip_legacy(s(ha.get("ip")), f"{path}.hostAliases[{idx}].ip", errs)
        for j, h in enumerate(lst(ha.get("hostnames"))):
            dns1123_subdomain(s(h), f"{path}.hostAliases[{idx}].hostnames[{j}]", errs)
    pcn = s(spec.get("priorityClassName"))
    if pcn:
        name_with(names.name_is_dns_subdomain, pcn, path + ".priorityClassName", errs)
    rcn = spec.get("runtimeClassName")
    if rcn is not None:
        name_with(names.name_is_dns_subdomain, s(rcn), path + ".runtimeClassName", errs)
    pp = spec.get("preemptionPolicy")
    if pp is not None:
        if pp == "":
            errs.append(fe.required(path + ".preemptionPolicy"))
        elif pp not in ("PreemptLowerPriority", "Never"):
            errs.append(fe.not_supported(path + ".preemptionPolicy", pp, ["PreemptLowerPriority", "Never"]))
    if spec.get("overhead") is not None:
        validate_resource_requirements({"limits": spec.get("overhead")}, set(), path + ".overhead", errs)
    os_ = spec.get("os")
    if os_ is not None:
        osn = s(d(os_).get("name"))
        if not osn:
            errs.append(fe.required(path + ".os.name"))
        elif osn not in ("linux", "windows"):
            errs.append(fe.not_supported(path + ".os.name", osn, ["linux", "windows"]))
        elif osn == "linux":
            if sc.get("windowsOptions") is not None:
                errs.append(fe.forbidden(path + ".securityContext.windowsOptions", "windows options cannot be set for a linux pod"))


def validate_pod_template_spec(tpl: Any, path: str, errs: list[Cause]) -> None:
    tpl = d(tpl)
    meta = d(tpl.get("metadata"))
    validate_labels(meta.get("labels"), path + ".labels", errs)
    validate_annotations(meta.get("annotations"), path + ".annotations", errs)
    spec = d(tpl.get("spec"))
    validate_pod_spec(spec, None, path + ".spec", errs)
    if spec.get("ephemeralContainers"):
        errs.append(fe.forbidden(path + ".spec.ephemeralContainers", "ephemeral containers not allowed in pod template"))


def _pod_metadata_and_spec(obj: dict, errs: list[Cause]) -> None:
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, True, dns_subdomain, errs)
    spec = d(obj.get("spec"))
    ann = d(meta.get("annotations"))
    if "kubernetes.io/config.mirror" in ann and not s(spec.get("nodeName")):
        errs.append(fe.invalid("metadata.annotations[kubernetes.io/config.mirror]", ann["kubernetes.io/config.mirror"], "must set spec.nodeName if mirror pod annotation is set"))
    if "controller.kubernetes.io/pod-deletion-cost" in ann:
        v = ann["controller.kubernetes.io/pod-deletion-cost"]
        try:
            n = int(s(v))
            ok = -(1 << 31) <= n < (1 << 31) and s(v).strip() == s(v)
        except ValueError:
            ok = False
        if not ok:
            errs.append(fe.invalid("metadata.annotations[controller.kubernetes.io/pod-deletion-cost]", v, "must be a 32bit integer"))
    validate_pod_spec(spec, meta, "spec", errs, is_pod=True)
    if not s(spec.get("serviceAccountName")):
        for vi, vol in enumerate(lst(spec.get("volumes"))):
            proj = d(vol).get("projected") if type(vol) is dict else None
            if proj is not None:
                for si, src in enumerate(lst(d(proj).get("sources"))):
                    if d(src).get("serviceAccountToken") is not None:
                        errs.append(fe.forbidden(f"spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken", "must not be specified when serviceAccountName is not set"))
    for key in ("containers", "initContainers"):
        for idx, c in enumerate(lst(spec.get(key))):
            img = s(d(c).get("image"))
            if len(img) != len(img.strip()):
                errs.append(fe.invalid(f"spec.{key}[{idx}].image", img, "must not have leading or trailing whitespace"))


def validate_pod(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    _pod_metadata_and_spec(obj, errs)
    spec = d(obj.get("spec"))
    if spec.get("ephemeralContainers"):
        errs.append(fe.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if s(spec.get("nodeName")) and lst(spec.get("schedulingGates")):
        errs.append(fe.forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
    return errs


UPDATABLE_POD_FIELDS = (
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _spec_diff(old: Any, new: Any) -> str:
    """A short, readable stand-in for upstream's cmp.Diff output."""
    lines = ["  core.PodSpec{"]
    od, nd = d(old), d(new)
    for k in list(od) + [k for k in nd if k not in od]:
        if od.get(k) != nd.get(k):
            if k in od:
                lines.append(f"- \t{k}: {json.dumps(od.get(k), sort_keys=True)},")
            if k in nd:
                lines.append(f"+ \t{k}: {json.dumps(nd.get(k), sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


def validate_pod_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _pod_metadata_and_spec(new, errs)
    nmeta, ometa = d(new.get("metadata")), d(old.get("metadata"))
    nann, oann = d(nmeta.get("annotations")), d(ometa.get("annotations"))
    mirror = "kubernetes.io/config.mirror"
    if mirror in oann and nann.get(mirror) != oann.get(mirror):
        errs.append(fe.forbidden(f"metadata.annotations[{mirror}]", "may not remove or update mirror pod annotation"))
    if mirror in nann and mirror not in oann:
        errs.append(fe.forbidden(f"metadata.annotations[{mirror}]", "may not add mirror pod annotation"))
    nspec, ospec = d(new.get("spec")), d(old.get("spec"))
    for key in ("containers", "initContainers"):
        nc, oc = lst(nspec.get(key)), lst(ospec.get(key))
        if len(nc) != len(oc):
            errs.append(fe.forbidden("spec." + key, "pod updates may not add or remove containers"))
            return errs
        for idx, c in enumerate(nc):
            img = s(d(c).get("image"))
            if not img:
                errs.append(fe.required(f"spec.{key}[{idx}].image"))
            if len(img.strip()) != len(img):
                errs.append(fe.invalid(f"spec.{key}[{idx}].image", img, "must not have leading or trailing whitespace"))
    nads, oads = nspec.get("activeDeadlineSeconds"), ospec.get("activeDeadlineSeconds")
    if nads is not None:
        if is_int(nads) and (nads < 0 or nads > MAX_INT32):
            errs.append(fe.invalid("spec.activeDeadlineSeconds", nads, names.inclusive_range_error(0, MAX_INT32)))
            return errs
        if is_int(oads) and is_int(nads) and oads < nads:
            errs.append(fe.invalid("spec.activeDeadlineSeconds", nads, "must be less than or equal to previous value"))
            return errs
    elif oads is not None:
        errs.append(fe.invalid("spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"))
    # tolerations: only additions (tolerationSeconds may change)
    ntol = [d(t) for t in lst(nspec.get("tolerations"))]
    for ot in lst(ospec.get("tolerations")):
        ot = d(ot)
        strip = {k: v for k, v in ot.items() if k != "tolerationSeconds"}
        if not any({k: v for k, v in t.items() if k != "tolerationSeconds"} == strip for t in ntol):
            errs.append(fe.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"))
            break
    else:
        if ntol:
            validate_tolerations(ntol, "spec.tolerations", errs)
    ogates = {s(d(g).get("name")) for g in lst(ospec.get("schedulingGates"))}
    for idx, g in enumerate(lst(nspec.get("schedulingGates"))):
        gn = s(d(g).get("name"))
        if gn not in ogates:
            errs.append(fe.forbidden(f"spec.schedulingGates[{idx}].name", f"only deletion is allowed, but found new scheduling gate '{gn}'"))
    if nspec == ospec:
        return errs
    munged = dict(nspec)
    for key in ("containers", "initContainers"):
        if key in munged or key in ospec:
            oc = lst(ospec.get(key))
            munged[key] = [dict(d(c), image=d(oc[idx]).get("image")) if idx < len(oc) else c for idx, c in enumerate(lst(nspec.get(key)))] if key in nspec else nspec.get(key)
            if key not in nspec:
                munged.pop(key, None)
    for key in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):
        if key in ospec:
            munged[key] = ospec[key]
        else:
            munged.pop(key, None)
    ogp = ospec.get("terminationGracePeriodSeconds")
    if is_int(ogp) and ogp < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = ogp
    if ogates:
        if munged.get("nodeSelector") != ospec.get("nodeSelector"):
            for k, v in d(ospec.get("nodeSelector")).items():
                if d(munged.get("nodeSelector")).get(k) != v:
                    errs.append(fe.invalid("spec.nodeSelector", fe.GoValue(fe.go_string_map(d(munged.get("nodeSelector")))), "only additions to spec.nodeSelector are allowed (no mutations or deletions)"))
                    break
            _copy_or_drop(munged, ospec, "nodeSelector")
        na_new = d(munged.get("affinity")).get("nodeAffinity")
        na_old = d(ospec.get("affinity")).get("nodeAffinity")
        if na_new != na_old:
            aff = dict(d(munged.get("affinity")))
            if na_old is None:
                aff.pop("nodeAffinity", None)
            else:
                aff["nodeAffinity"] = na_old
            if aff or "affinity" in ospec:
                munged["affinity"] = aff if aff or ospec.get("affinity") is not None else None
                if not aff and ospec.get("affinity") is None:
                    munged.pop("affinity", None)
            else:
                munged.pop("affinity", None)
    if _strip_nulls(munged) != _strip_nulls(ospec):
        errs.append(fe.forbidden("spec", f"pod updates may not change fields other than {UPDATABLE_POD_FIELDS}\n{_spec_diff(ospec, munged)}"))
    return errs


def _copy_or_drop(dst: dict, src: dict, key: str) -> None:
    if key in src:
        dst[key] = src[key]
    else:
        dst.pop(key, None)


def _strip_nulls(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _strip_nulls(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_strip_nulls(x) for x in v]
    return v


def validate_pod_template(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    validate_pod_template_spec(obj.get("template"), "template", errs)
    return errs


def validate_pod_template_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    validate_pod_template_spec(new.get("template"), "template", errs)
    return errs


# --- services -----------------------------------------------------------------------------------

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def _is_headless(spec: dict) -> bool:
    return s(spec.get("clusterIP")) == "None"


def validate_service(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, True, dns1035_label, errs)
    ann = d(meta.get("annotations"))
    hints, mode = ann.get("service.kubernetes.io/topology-aware-hints"), ann.get("service.kubernetes.io/topology-mode")
    if hints is not None and mode is not None and hints != mode:
        errs.append(fe.invalid("metadata.annotations[service.kubernetes.io/topology-mode]", mode, "must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified"))
    spec = d(obj.get("spec"))
    typ = s(spec.get("type"))
    ports = lst(spec.get("ports"))
    headless = _is_headless(spec)
    cips = lst(spec.get("clusterIPs"))
    if not ports and not headless and typ != "ExternalName":
        errs.append(fe.required("spec.ports"))
    if typ == "LoadBalancer" and headless:
        errs.append(fe.invalid("spec.clusterIPs[0]", s(cips[0]) if cips else "None", "may not be set to 'None' for LoadBalancer services"))
    elif typ == "NodePort" and headless:
        errs.append(fe.invalid("spec.clusterIPs[0]", s(cips[0]) if cips else "None", "may not be set to 'None' for NodePort services"))
    elif typ == "ExternalName":
        if cips:
            errs.append(fe.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        if lst(spec.get("ipFamilies")):
            errs.append(fe.forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(fe.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
        cname = s(spec.get("externalName"))
        if cname.endswith("."):
            cname = cname[:-1]
        if cname:
            dns1123_subdomain(cname, "spec.externalName", errs)
        else:
            errs.append(fe.required("spec.externalName"))
    seen_names: set[str] = set()
    for idx, sp in enumerate(ports):
        sp = d(sp)
        p = f"spec.ports[{idx}]"
        pname = s(sp.get("name"))
        if len(ports) > 1 and not pname:
            errs.append(fe.required(p + ".name"))
        elif pname:
            dns1123_label(pname, p + ".name", errs)
            if pname in seen_names:
                errs.append(fe.duplicate(p + ".name", pname))
            else:
                seen_names.add(pname)
        port = sp.get("port")
        port_num(port if is_int(port) else 0, p + ".port", errs)
        proto = s(sp.get("protocol"))
        if not proto:
            errs.append(fe.required(p + ".protocol"))
        elif proto not in PROTOCOLS:
            errs.append(fe.not_supported(p + ".protocol", proto, PROTOCOLS))
        port_num_or_name(sp.get("targetPort"), p + ".targetPort", errs)
        ap = sp.get("appProtocol")
        if ap is not None:
            qualified_name(s(ap), p + ".appProtocol", errs)
    if spec.get("selector") is not None:
        validate_labels(spec.get("selector"), "spec.selector", errs)
    sa = s(spec.get("sessionAffinity"))
    if not sa:
        errs.append(fe.required("spec.sessionAffinity"))
    elif sa not in ("ClientIP", "None"):
        errs.append(fe.not_supported("spec.sessionAffinity", sa, ["ClientIP", "None"]))
    if sa == "ClientIP":
        sac = spec.get("sessionAffinityConfig")
        cp = "spec.sessionAffinityConfig"
        if sac is None:
            errs.append(fe.required(cp, "when session affinity type is ClientIP"))
        elif d(sac).get("clientIP") is None:
            errs.append(fe.required(cp + ".clientIP", "when session affinity type is ClientIP"))
        else:
            ts = d(d(sac).get("clientIP")).get("timeoutSeconds")
            if ts is None:
                errs.append(fe.required(cp + ".clientIP.timeoutSeconds", "when session affinity type is ClientIP"))
            elif not is_int(ts) or ts <= 0 or ts > 86400:
                errs.append(fe.invalid(cp + ".clientIP.timeoutSeconds", ts, "must be greater than 0 and less than 86400"))
    elif sa == "None" and spec.get("sessionAffinityConfig") is not None:
        errs.append(fe.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"))
    _cluster_ips_related(spec, typ, errs)
    for idx, ip in enumerate(lst(spec.get("externalIPs"))):
        p = f"spec.externalIPs[{idx}]"
        before = len(errs)
        valid_ip_legacy(s(ip), p, errs)
        if len(errs) == before:
            non_special_ip(s(ip), p, errs)
    if not typ:
        errs.append(fe.required("spec.type"))
    elif typ not in SERVICE_TYPES:
        errs.append(fe.not_supported("spec.type", typ, SERVICE_TYPES))
    if typ == "ClusterIP":
        for idx, sp in enumerate(ports):
            if d(sp).get("nodePort"):
                errs.append(fe.forbidden(f"spec.ports[{idx}].nodePort", "may not be used when `type` is 'ClusterIP'"))
    node_ports: set[tuple] = set()
    for idx, sp in enumerate(ports):
        sp = d(sp)
        np = sp.get("nodePort")
        if not np:
            continue
        key = (s(sp.get("protocol")), np if isinstance(np, (int, str)) else repr(np))
        if key in node_ports:
            errs.append(fe.duplicate(f"spec.ports[{idx}].nodePort", np))
        node_ports.add(key)
    seen_ports: set[tuple] = set()
    for idx, sp in enumerate(ports):
        sp = d(sp)
        pv = sp.get("port")
        key = (s(sp.get("protocol")), pv if isinstance(pv, (int, str, type(None))) else repr(pv))
        if key in seen_ports:
            errs.append(fe.duplicate(f"spec.ports[{idx}]", fe.GoValue(f'core.ServicePort{{Name:"", Protocol:{fe.go_quote(key[0])}, AppProtocol:(*string)(nil), Port:{key[1]}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}')))
        seen_ports.add(key)
    lbsr = lst(spec.get("loadBalancerSourceRanges"))
    if lbsr:
        fp = "spec.LoadBalancerSourceRanges"
        if typ != "LoadBalancer":
            errs.append(fe.forbidden(fp, "may only be used when `type` is 'LoadBalancer'"))
        for idx, v in enumerate(lbsr):
            valid_cidr_legacy(s(v).strip(), f"{fp}[{idx}]", errs)
    elif "service.beta.kubernetes.io/load-balancer-source-ranges" in ann:
        fp = "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]"
        if typ != "LoadBalancer":
            errs.append(fe.forbidden(fp, "may only be used when `type` is 'LoadBalancer'"))
        val = s(ann["service.beta.kubernetes.io/load-balancer-source-ranges"]).strip()
        if val:
            for v in val.split(","):
                valid_cidr_legacy(v.strip(), fp, errs)
    if spec.get("allocateLoadBalancerNodePorts") is not None and typ != "LoadBalancer":
        errs.append(fe.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    if typ == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        errs.append(fe.required("allocateLoadBalancerNodePorts"))
    lbc = spec.get("loadBalancerClass")
    if lbc is not None:
        if typ != "LoadBalancer":
            errs.append(fe.forbidden("spec.loadBalancerClass", "may only be used when service type is 'LoadBalancer'"))
        else:
            qualified_name(s(lbc), "spec.loadBalancerClass", errs)
    externally = typ in ("LoadBalancer", "NodePort") or (typ == "ClusterIP" and bool(spec.get("externalIPs")))
    etp = s(spec.get("externalTrafficPolicy"))
    if not externally:
        if etp:
            errs.append(fe.invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(fe.required("spec.externalTrafficPolicy"))
    elif etp not in ("Cluster", "Local"):
        errs.append(fe.not_supported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
    hcnp = spec.get("healthCheckNodePort") or 0
    needs_hc = typ == "LoadBalancer" and etp == "Local"
    if not needs_hc:
        if hcnp:
            errs.append(fe.invalid("spec.healthCheckNodePort", hcnp, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    elif not hcnp:
        errs.append(fe.required("spec.healthCheckNodePort"))
    else:
        port_num(hcnp, "spec.healthCheckNodePort", errs)
    itp = spec.get("internalTrafficPolicy")
    if itp is None:
        if typ in ("NodePort", "LoadBalancer", "ClusterIP"):
            errs.append(fe.required("spec.internalTrafficPolicy"))
    elif itp not in ("Cluster", "Local"):
        errs.append(fe.not_supported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    td = spec.get("trafficDistribution")
    if td is not None and td != "PreferClose":
        errs.append(fe.not_supported("spec.trafficDistribution", td, ["PreferClose"]))
    return errs


def _cluster_ips_related(spec: dict, typ: str, errs: list[Cause]) -> None:
    if typ == "ExternalName":
        return
    cip = s(spec.get("clusterIP"))
    cips = [s(x) for x in lst(spec.get("clusterIPs"))]
    fams = [s(x) for x in lst(spec.get("ipFamilies"))]
    cips_go = fe.GoValue(fe.go_string_slice(cips))
    if cip:
        if not cips:
            errs.append(fe.required("spec.clusterIPs"))
        elif cips[0] != cip:
            errs.append(fe.invalid("spec.clusterIPs", cips_go, "first value must match `clusterIP`"))
    elif cips:
        errs.append(fe.invalid("spec.clusterIPs", cips_go, "must be empty when `clusterIP` is not specified"))
    seen: set[str] = set()
    for idx, f in enumerate(fams):
        if f not in ("IPv4", "IPv6"):
            errs.append(fe.not_supported(f"spec.ipFamilies[{idx}]", f, ["IPv4", "IPv6"]))
        if f in seen:
            errs.append(fe.duplicate(f"spec.ipFamilies[{idx}]", f))
        seen.add(f)
    pol = spec.get("ipFamilyPolicy")
    if pol is not None and pol not in ("PreferDualStack", "RequireDualStack", "SingleStack"):
        errs.append(fe.not_supported("spec.ipFamilyPolicy", pol, ["PreferDualStack", "RequireDualStack", "SingleStack"]))
    invalid_ips = False
    for idx, ip in enumerate(cips):
        if idx == 0 and ip == "None":
            if len(cips) > 1:
                invalid_ips = True
                errs.append(fe.invalid("spec.clusterIPs", cips_go, "'None' must be the first and only value"))
            continue
        before = len(errs)
        valid_ip_legacy(ip, f"spec.clusterIPs[{idx}]", errs)
        if len(errs) != before:
            invalid_ips = True
    if len(cips) > 2:
        errs.append(fe.invalid("spec.clusterIPs", cips_go, "may only hold up to 2 values"))
    if invalid_ips:
        return
    if len(cips) > 1:
        from .common import parse_ip_sloppy

        versions = [parse_ip_sloppy(x).version for x in cips[:2]]
        if versions[0] == versions[1]:
            errs.append(fe.invalid("spec.clusterIPs", cips_go, "may specify no more than one IP for each IP family"))
    if s(spec.get("clusterIP")) != "None" and cips and fams:
        for idx, ip in enumerate(cips):
            if idx > len(fams) - 1:
                break
            v6 = ":" in ip
            if fams[idx] == "IPv4" and v6:
                errs.append(fe.invalid(f"spec.clusterIPs[{idx}]", ip, f"expected an IPv4 value as indicated by `ipFamilies[{idx}]`"))
            if fams[idx] == "IPv6" and not v6:
                errs.append(fe.invalid(f"spec.clusterIPs[{idx}]", ip, f"expected an IPv6 value as indicated by `ipFamilies[{idx}]`"))


def _headless(spec: dict) -> bool:
    cips = lst(spec.get("clusterIPs"))
    return len(cips) == 1 and cips[0] == "None"


def _upgrade_downgrade(nspec: dict, ospec: dict, errs: list[Cause]) -> None:
    """validateUpgradeDowngradeClusterIPs and validateUpgradeDowngradeIPFamilies."""
    ocips, ncips = [s(x) for x in lst(ospec.get("clusterIPs"))], [s(x) for x in lst(nspec.get("clusterIPs"))]
    ncips_go = fe.GoValue(fe.go_string_slice(ncips if nspec.get("clusterIPs") is not None else None))
    pol = nspec.get("ipFamilyPolicy")
    if not (_headless(ospec) and _headless(nspec)):
        if len(ocips) == len(ncips):
            for idx, ip in enumerate(ocips):
                if ip != ncips[idx]:
                    errs.append(fe.invalid(f"spec.clusterIPs[{idx}]", ncips_go, "may not change once set"))
        elif len(ocips) > len(ncips):
            if not ncips:
                errs.append(fe.invalid("spec.clusterIPs[0]", ncips_go, "primary clusterIP can not be unset"))
            if ocips and ncips and ncips[0] != ocips[0]:
                errs.append(fe.invalid("spec.clusterIPs[0]", ncips_go, "may not change once set"))
            if len(ncips) == 1 and pol != "SingleStack":
                errs.append(fe.invalid("spec.ipFamilyPolicy", pol, "must be set to 'SingleStack' when releasing the secondary clusterIP"))
        elif ocips and ncips[0] != ocips[0]:
            errs.append(fe.invalid("spec.clusterIPs[0]", ncips_go, "may not change once set"))
    if _headless(nspec) != _headless(ospec) or _headless(nspec):
        return
    ofams, nfams = [s(x) for x in lst(ospec.get("ipFamilies"))], [s(x) for x in lst(nspec.get("ipFamilies"))]
    nfams_go = fe.GoValue(fe.go_string_slice(nfams if nspec.get("ipFamilies") is not None else None, "[]core.IPFamily"))
    if len(ofams) == len(nfams):
        for idx, f in enumerate(ofams):
            if f != nfams[idx]:
                errs.append(fe.invalid("spec.ipFamilies[0]", nfams_go, "may not change once set"))
    elif len(ofams) > len(nfams):
        if not ncips:
            errs.append(fe.invalid("spec.ipFamilies[0]", nfams_go, "primary ipFamily can not be unset"))
        if nfams and nfams[0] != ofams[0]:
            errs.append(fe.invalid("spec.ipFamilies[0]", ncips_go, "may not change once set"))
        if len(nfams) == 1 and pol != "SingleStack":
            errs.append(fe.invalid("spec.ipFamilyPolicy", pol, "must be set to 'SingleStack' when releasing the secondary ipFamily"))
    elif ofams and nfams and nfams[0] != ofams[0]:
        errs.append(fe.invalid("spec.ipFamilies[0]", ncips_go, "may not change once set"))


def validate_service_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    nspec, ospec = d(new.get("spec")), d(old.get("spec"))
    ntype, otype = s(nspec.get("type")), s(ospec.get("type"))
    if ntype != "ExternalName" and otype != "ExternalName":
        _upgrade_downgrade(nspec, ospec, errs)
    olbc, nlbc = ospec.get("loadBalancerClass"), nspec.get("loadBalancerClass")
    if otype == "LoadBalancer" and ntype == "LoadBalancer" and olbc != nlbc:
        errs.append(fe.invalid("spec.loadBalancerClass", nlbc, "may not change once set"))
    if otype == "LoadBalancer" and s(ospec.get("externalTrafficPolicy")) == "Local" and ntype == "LoadBalancer" and s(nspec.get("externalTrafficPolicy")) == "Local":
        if nspec.get("healthCheckNodePort") != ospec.get("healthCheckNodePort"):
            errs.append(fe.forbidden("spec.healthCheckNodePort", "field is immutable"))
    errs.extend(validate_service(new))
    return errs


# --- config maps, secrets, namespaces, ... ---------------------------------------------------------

def validate_config_map(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    total = 0
    data = obj.get("data")
    binary = d(obj.get("binaryData"))
    if data:
        for key, value in d(data).items():
            for msg in names.is_config_map_key(key):
                errs.append(fe.invalid(f"data[{key}]", key, msg))
            if key in binary:
                errs.append(fe.invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
            if isinstance(value, str):
                total += len(value) if value.isascii() else len(value.encode())
    for key, value in binary.items():
        for msg in names.is_config_map_key(key):
            errs.append(fe.invalid(f"binaryData[{key}]", key, msg))
        if isinstance(value, str):
            total += (len(value) * 3) // 4 - value.count("=", -2)
    if total > MAX_SECRET_SIZE:
        errs.append(fe.too_long("[]", MAX_SECRET_SIZE))
    return errs


def validate_config_map_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            errs.append(fe.forbidden("immutable", "field is immutable when `immutable` is set"))
        if (new.get("data") or None) != (old.get("data") or None):
            errs.append(fe.forbidden("data", "field is immutable when `immutable` is set"))
        if (new.get("binaryData") or None) != (old.get("binaryData") or None):
            errs.append(fe.forbidden("binaryData", "field is immutable when `immutable` is set"))
    errs.extend(validate_config_map(new))
    return errs


def _b64len(v: Any) -> int:
    if not isinstance(v, str):
        return 0
    v = v.replace("\n", "").replace("\r", "")
    return (len(v) * 3) // 4 - (v.count("=", -2) if v.endswith("=") else 0)


def _b64decode(v: Any) -> bytes:
    import base64

    try:
        return base64.b64decode(s(v), validate=False)
    except ValueError:
        return b""


def validate_secret(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, True, dns_subdomain, errs)
    data = d(obj.get("data"))
    total = 0
    for key, value in data.items():
        for msg in names.is_config_map_key(key):
            errs.append(fe.invalid(f"data[{key}]", key, msg))
        total += _b64len(value)
    if total > MAX_SECRET_SIZE:
        errs.append(fe.too_long("data", MAX_SECRET_SIZE))
    typ = s(obj.get("type"))
    if typ == "kubernetes.io/service-account-token":
        if not s(d(meta.get("annotations")).get("kubernetes.io/service-account.name")):
            errs.append(fe.required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif typ == "kubernetes.io/dockercfg":
        if ".dockercfg" not in data:
            errs.append(fe.required("data[.dockercfg]"))
        else:
            _json_object(_b64decode(data[".dockercfg"]), "data[.dockercfg]", errs)
    elif typ == "kubernetes.io/dockerconfigjson":
        if ".dockerconfigjson" not in data:
            errs.append(fe.required("data[.dockerconfigjson]"))
        else:
            _json_object(_b64decode(data[".dockerconfigjson"]), "data[.dockerconfigjson]", errs)
    elif typ == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(fe.required("data[username]"))
            errs.append(fe.required("data[password]"))
    elif typ == "kubernetes.io/ssh-auth":
        if not _b64len(data.get("ssh-privatekey")):
            errs.append(fe.required("data[ssh-privatekey]"))
    elif typ == "kubernetes.io/tls":
        if "tls.crt" not in data:
            errs.append(fe.required("data[tls.crt]"))
        if "tls.key" not in data:
            errs.append(fe.required("data[tls.key]"))
    return errs


def _json_object(raw: bytes, path: str, errs: list[Cause]) -> None:
    try:
        v = json.loads(raw)
    except ValueError as e:
        errs.append(fe.invalid(path, "<secret contents redacted>", f"invalid character in JSON: {e.msg}"))
        return
    if not isinstance(v, dict):
        errs.append(fe.invalid(path, "<secret contents redacted>", "json: cannot unmarshal into Go value of type map[string]interface {}"))


def validate_secret_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    nt, ot = s(new.get("type")), s(old.get("type"))
    if nt != ot:
        errs.append(fe.immutable("type", nt))
    if old.get("immutable") is True:
        if new.get("immutable") is not True:
            errs.append(fe.forbidden("immutable", "field is immutable when `immutable` is set"))
        if (new.get("data") or None) != (old.get("data") or None):
            errs.append(fe.forbidden("data", "field is immutable when `immutable` is set"))
    errs.extend(validate_secret(new))
    return errs


def validate_namespace(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), False, dns_label, errs)
    for f in lst(d(obj.get("spec")).get("finalizers")):
        f = s(f)
        qualified_name(f, "spec.finalizers", errs)
        if "/" not in f and f not in STANDARD_FINALIZERS:
            errs.append(fe.invalid("spec.finalizers", f, "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def validate_namespace_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


def validate_service_account(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    return errs


def validate_service_account_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_service_account(new))
    return errs


def validate_endpoints(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    for idx, ss in enumerate(lst(obj.get("subsets"))):
        ss = d(ss)
        p = f"subsets[{idx}]"
        if not lst(ss.get("addresses")) and not lst(ss.get("notReadyAddresses")):
            errs.append(fe.required(p, "must specify `addresses` or `notReadyAddresses`"))
        for key in ("addresses", "notReadyAddresses"):
            for j, addr in enumerate(lst(ss.get(key))):
                addr = d(addr)
                ap = f"{p}.{key}[{j}]"
                ip = s(addr.get("ip"))
                valid_ip_legacy(ip, ap + ".ip", errs)
                hn = s(addr.get("hostname"))
                if hn:
                    dns1123_label(hn, ap + ".hostname", errs)
                nn = addr.get("nodeName")
                if nn is not None:
                    name_with(names.name_is_dns_subdomain, s(nn), ap + ".nodeName", errs)
                non_special_ip(ip, ap + ".ip", errs)
        ports = lst(ss.get("ports"))
        for j, port in enumerate(ports):
            port = d(port)
            pp = f"{p}.ports[{j}]"
            pn = s(port.get("name"))
            if len(ports) > 1 and not pn:
                errs.append(fe.required(pp + ".name"))
            elif pn:
                dns1123_label(pn, pp + ".name", errs)
            pv = port.get("port")
            port_num(pv if is_int(pv) else 0, pp + ".port", errs)
            proto = s(port.get("protocol"))
            if not proto:
                errs.append(fe.required(pp + ".protocol"))
            elif proto not in PROTOCOLS:
                errs.append(fe.not_supported(pp + ".protocol", proto, PROTOCOLS))
            ap_ = port.get("appProtocol")
            if ap_ is not None:
                qualified_name(s(ap_), pp + ".appProtocol", errs)
    return errs


def validate_endpoints_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_endpoints(new))
    return errs


ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
VOLUME_MODES = ("Block", "Filesystem")


def validate_pvc_spec(spec: dict, path: str, errs: list[Cause]) -> None:
    modes = lst(spec.get("accessModes"))
    if not modes:
        errs.append(fe.required(path + ".accessModes", "at least 1 access mode is required"))
    if spec.get("selector") is not None:
        validate_label_selector(spec.get("selector"), path + ".selector", errs)
    rwop = other = False
    for m in modes:
        if m not in ACCESS_MODES:
            errs.append(fe.not_supported(path + ".accessModes", m, ACCESS_MODES))
        if m == "ReadWriteOncePod":
            rwop = True
        elif m in ACCESS_MODES:
            other = True
    if rwop and other:
        errs.append(fe.forbidden(path + ".accessModes", "may not use ReadWriteOncePod with other access modes"))
    requests = d(d(spec.get("resources")).get("requests"))
    sp = path + ".resources[storage]"
    if "storage" not in requests:
        errs.append(fe.required(sp))
    elif positive_quantity(requests["storage"], sp, errs):
        validate_resource_quantity_value("storage", requests["storage"], sp, errs)
    scn = spec.get("storageClassName")
    if scn:
        name_with(names.name_is_dns_subdomain, s(scn), path + ".storageClassName", errs)
    vm = spec.get("volumeMode")
    if vm is not None and vm not in VOLUME_MODES:
        errs.append(fe.not_supported(path + ".volumeMode", vm, VOLUME_MODES))
    for key in ("dataSource", "dataSourceRef"):
        ds = spec.get(key)
        if ds is None:
            continue
        ds = d(ds)
        dp = f"{path}.{key}"
        if not s(ds.get("name")):
            errs.append(fe.required(dp + ".name"))
        if not s(ds.get("kind")):
            errs.append(fe.required(dp + ".kind"))
        group = s(ds.get("apiGroup"))
        if not group and s(ds.get("kind")) != "PersistentVolumeClaim":
            errs.append(fe.invalid(dp, s(ds.get("kind")), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
        if group:
            dns1123_subdomain(group, dp + ".apiGroup", errs)
        if key == "dataSourceRef" and s(ds.get("namespace")):
            dns1123_label(s(ds.get("namespace")), dp + ".namespace", errs)
    vac = spec.get("volumeAttributesClassName")
    if vac:
        name_with(names.name_is_dns_subdomain, s(vac), path + ".volumeAttributesClassName", errs)


def validate_pvc(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    validate_pvc_spec(d(obj.get("spec")), "spec", errs)
    return errs


def validate_pvc_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_pvc(new))
    nspec = dict(d(new.get("spec")))
    ospec = dict(d(old.get("spec")))
    if not ospec.get("volumeName"):
        if "volumeName" in nspec:
            ospec["volumeName"] = nspec["volumeName"]
        else:
            ospec.pop("volumeName", None)
    if ospec.get("storageClassName") is None and nspec.get("storageClassName") is not None:
        oann = d(d(old.get("metadata")).get("annotations"))
        beta = oann.get("volume.beta.kubernetes.io/storage-class")
        if beta is None or beta == nspec.get("storageClassName"):
            ospec["storageClassName"] = nspec["storageClassName"]
    bound = s(d(new.get("status")).get("phase")) == "Bound"
    if bound:
        nres = dict(d(nspec.get("resources")))
        nreq = dict(d(nres.get("requests")))
        if "storage" in d(d(ospec.get("resources")).get("requests")) or "storage" in nreq:
            ost = d(d(ospec.get("resources")).get("requests")).get("storage")
            if ost is None:
                nreq.pop("storage", None)
            else:
                nreq["storage"] = ost
            nres["requests"] = nreq
            nspec["resources"] = nres
        if nspec.get("volumeAttributesClassName") is not None:
            nspec["volumeAttributesClassName"] = ospec.get("volumeAttributesClassName")
    if _strip_nulls(nspec) != _strip_nulls(ospec):
        errs.append(fe.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n" + _spec_diff(ospec, nspec).replace("core.PodSpec", "core.PersistentVolumeClaimSpec")))
    osz = parse_qty(d(d(d(old.get("spec")).get("resources")).get("requests")).get("storage"))
    nsz = parse_qty(d(d(d(new.get("spec")).get("resources")).get("requests")).get("storage"))
    if osz is not None and nsz is not None and nsz.value < osz.value:
        cap = parse_qty(d(d(old.get("status")).get("capacity")).get("storage"))
        if cap is None or nsz.value <= cap.value:
            errs.append(fe.forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"))
    if d(new.get("spec")).get("volumeMode") != d(old.get("spec")).get("volumeMode"):
        errs.append(fe.immutable("volumeMode", d(new.get("spec")).get("volumeMode")))
    return errs


RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")


def validate_pv(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    meta = d(obj.get("metadata"))
    validate_object_meta(meta, False, dns_subdomain, errs)
    spec = d(obj.get("spec"))
    modes = lst(spec.get("accessModes"))
    if not modes:
        errs.append(fe.required("spec.accessModes"))
    rwop = other = False
    for m in modes:
        if m not in ACCESS_MODES:
            errs.append(fe.not_supported("spec.accessModes", m, ACCESS_MODES))
        if m == "ReadWriteOncePod":
            rwop = True
        elif m in ACCESS_MODES:
            other = True
    if rwop and other:
        errs.append(fe.forbidden("spec.accessModes", "may not use ReadWriteOncePod with other access modes"))
    cap = d(spec.get("capacity"))
    if not cap:
        errs.append(fe.required("spec.capacity"))
    if "storage" not in cap or len(cap) > 1:
        errs.append(fe.not_supported("spec.capacity", fe.GoValue(fe.go_map({k: str(v) for k, v in cap.items()}).replace("map[string]string", "core.ResourceList")), ["storage"]))
    for k, v in cap.items():
        p = f"spec.capacity[{k}]"
        if positive_quantity(v, p, errs):
            validate_resource_quantity_value(k, v, p, errs)
    rp = spec.get("persistentVolumeReclaimPolicy")
    if rp is not None and rp not in RECLAIM_POLICIES:
        errs.append(fe.not_supported("spec.persistentVolumeReclaimPolicy", rp, RECLAIM_POLICIES))
    scn = s(spec.get("storageClassName"))
    if scn:
        name_with(names.name_is_dns_subdomain, scn, "spec.storageClassName", errs)
    vm = spec.get("volumeMode")
    if vm is not None and vm not in VOLUME_MODES:
        errs.append(fe.not_supported("spec.volumeMode", vm, VOLUME_MODES))
    na = spec.get("nodeAffinity")
    if na is not None:
        req = d(na).get("required")
        if req is None:
            errs.append(fe.required("spec.nodeAffinity.required", "must specify required node constraints"))
        else:
            validate_node_selector(d(req), "spec.nodeAffinity.required", errs)
    sources = [k for k in _PV_SOURCES if spec.get(k) is not None]
    if not sources:
        errs.append(fe.required("spec", "must specify a volume type"))
    for extra in sources[1:]:
        errs.append(fe.forbidden("spec." + extra, "may not specify more than 1 volume type"))
    if sources:
        src = d(spec.get(sources[0]))
        sp = "spec." + sources[0]
        if sources[0] == "hostPath":
            hp = s(src.get("path"))
            if not hp:
                errs.append(fe.required(sp + ".path"))
            else:
                _path_no_backsteps(hp, sp + ".path", errs)
                t = src.get("type")
                if t is not None and t not in HOST_PATH_TYPES:
                    errs.append(fe.not_supported(sp + ".type", t, HOST_PATH_TYPES))
            if posixpath.normpath(hp or ".") == "/" and rp == "Recycle":
                errs.append(fe.forbidden("spec.persistentVolumeReclaimPolicy", "may not be 'recycle' for a hostPath mount of '/'"))
        elif sources[0] == "local":
            lp = s(src.get("path"))
            if not lp:
                errs.append(fe.required(sp + ".path"))
            else:
                _path_no_backsteps(lp, sp + ".path", errs)
            if na is None:
                errs.append(fe.required("spec.nodeAffinity", "Local volume requires node affinity"))
        elif sources[0] == "nfs":
            if not s(src.get("server")):
                errs.append(fe.required(sp + ".server"))
            if not s(src.get("path")):
                errs.append(fe.required(sp + ".path"))
            if not s(src.get("path")).startswith("/"):
                errs.append(fe.invalid(sp + ".path", s(src.get("path")), "must be an absolute path"))
        elif sources[0] == "csi":
            if not s(src.get("driver")):
                errs.append(fe.required(sp + ".driver"))
            else:
                _csi_driver_name(s(src.get("driver")), sp + ".driver", errs)
            if not s(src.get("volumeHandle")):
                errs.append(fe.required(sp + ".volumeHandle"))
    return errs


_PV_SOURCES = (
    "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte", "cephfs",
    "iscsi", "cinder", "fc", "flexVolume", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume",
    "azureDisk", "scaleIO", "local", "storageos", "csi",
)


def validate_pv_update(new: dict, old: dict) -> list[Cause]:
    errs = validate_pv(new)
    nspec, ospec = d(new.get("spec")), d(old.get("spec"))
    nsrc = {k: nspec.get(k) for k in _PV_SOURCES if nspec.get(k) is not None}
    osrc = {k: ospec.get(k) for k in _PV_SOURCES if ospec.get(k) is not None}
    ocsi, ncsi = d(osrc.get("csi")), d(nsrc.get("csi"))
    if ocsi and ncsi and ocsi.get("controllerExpandSecretRef") is None and ncsi.get("controllerExpandSecretRef") is not None:
        nsrc = dict(nsrc, csi={k: v for k, v in ncsi.items() if k != "controllerExpandSecretRef"})
    if nsrc != osrc:
        errs.append(fe.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation\n"))
    if nspec.get("volumeMode") != ospec.get("volumeMode"):
        errs.append(fe.immutable("volumeMode", nspec.get("volumeMode")))
    if ospec.get("nodeAffinity") is not None and nspec.get("nodeAffinity") != ospec.get("nodeAffinity"):
        errs.append(fe.invalid("nodeAffinity", fe.go_struct("core.VolumeNodeAffinity", d(nspec.get("nodeAffinity"))), "field is immutable"))
    return errs


def validate_node(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), False, dns_subdomain, errs)
    spec = d(obj.get("spec"))
    _node_taints(spec.get("taints"), errs)
    _node_resources(obj, errs)
    cidrs = [s(x) for x in lst(spec.get("podCIDRs"))]
    for idx, c in enumerate(cidrs):
        valid_cidr_legacy(c, f"spec.podCIDRs[{idx}]", errs)
    if len(cidrs) > 1:
        seen: set[str] = set()
        for idx, c in enumerate(cidrs):
            if c in seen:
                errs.append(fe.duplicate(f"spec.podCIDRs[{idx}]", c))
            seen.add(c)
    return errs


def _node_taints(taints: Any, errs: list[Cause]) -> None:
    unique: dict[str, set[str]] = {}
    for idx, t in enumerate(lst(taints)):
        t = d(t)
        p = f"metadata.taints[{idx}]"
        key = s(t.get("key"))
        validate_label_name(key, p + ".key", errs)
        msgs = names.is_valid_label_value(s(t.get("value")))
        if msgs:
            errs.append(fe.invalid(p + ".value", s(t.get("value")), ";".join(msgs)))
        eff = s(t.get("effect"))
        if not eff:
            errs.append(fe.required(p + ".effect"))
        elif eff not in TAINT_EFFECTS:
            errs.append(fe.not_supported(p + ".effect", eff, TAINT_EFFECTS))
        if key in unique.get(eff, set()):
            rendered = f'core.Taint{{Key:{fe.go_quote(key)}, Value:{fe.go_quote(s(t.get("value")))}, Effect:{fe.go_quote(eff)}, TimeAdded:<nil>}}'
            errs.append(Cause(fe.DUPLICATE, f"Duplicate value: {rendered}: taints must be unique by key and effect pair", p))
            continue
        unique.setdefault(eff, set()).add(key)


def _node_resources(obj: dict, errs: list[Cause]) -> None:
    status = d(obj.get("status"))
    for part in ("capacity", "allocatable"):
        for k, v in d(status.get(part)).items():
            validate_resource_quantity_value(k, v, f"status.{part}.{k}", errs)


def validate_node_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _node_resources(new, errs)
    seen: list = []
    for idx, a in enumerate(lst(d(new.get("status")).get("addresses"))):
        if a in seen:
            errs.append(fe.duplicate(f"status.addresses[{idx}]", fe.go_struct("core.NodeAddress", d(a))))
        seen.append(a)
    nspec, ospec = d(new.get("spec")), d(old.get("spec"))
    ocidrs, ncidrs = lst(ospec.get("podCIDRs")), lst(nspec.get("podCIDRs"))
    if ocidrs:
        if len(ocidrs) != len(ncidrs):
            errs.append(fe.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'))
        else:
            for a, b in zip(ocidrs, ncidrs):
                if a != b:
                    errs.append(fe.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'))
    if s(ospec.get("providerID")) and ospec.get("providerID") != nspec.get("providerID"):
        errs.append(fe.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'))
    _node_taints(nspec.get("taints"), errs)
    if nspec.get("externalID") != ospec.get("externalID"):
        errs.append(fe.forbidden("spec.externalID", "may not be updated"))
    return errs


def _legacy_event(obj: dict, reporting_field: str, errs: list[Cause]) -> None:
    meta = d(obj.get("metadata"))
    ns = s(meta.get("namespace"))
    io_ns = s(d(obj.get("involvedObject")).get("namespace"))
    if not obj.get("eventTime"):
        if not io_ns:
            if ns not in ("", "default"):
                errs.append(fe.invalid("involvedObject.namespace", io_ns, "does not match event.namespace"))
        elif ns != io_ns:
            errs.append(fe.invalid("involvedObject.namespace", io_ns, "does not match event.namespace"))
    else:
        if not io_ns and ns not in ("default", "kube-system"):
            errs.append(fe.invalid("involvedObject.namespace", io_ns, "does not match event.namespace"))
        rc = s(obj.get("reportingComponent"))
        if not rc:
            errs.append(fe.required(reporting_field))
        qualified_name(rc, reporting_field, errs)
        ri = s(obj.get("reportingInstance"))
        if not ri:
            errs.append(fe.required("reportingInstance"))
        if len(ri) > 128:
            errs.append(fe.invalid("reportingInstance", "", "can have at most 128 characters"))
        act = s(obj.get("action"))
        if not act:
            errs.append(fe.required("action"))
        if len(act) > 128:
            errs.append(fe.invalid("action", "", "can have at most 128 characters"))
        reason = s(obj.get("reason"))
        if not reason:
            errs.append(fe.required("reason"))
        if len(reason) > 128:
            errs.append(fe.invalid("reason", "", "can have at most 128 characters"))
        if len(s(obj.get("message"))) > 1024:
            errs.append(fe.invalid("message", "", "can have at most 1024 characters"))
    for msg in names.is_dns1123_subdomain(ns):
        errs.append(fe.invalid("namespace", ns, msg))


def validate_event(obj: dict) -> list[Cause]:
    """core/v1 Event: upstream's legacy rules (v1 skips the strict ones), plus ObjectMeta."""
    errs: list[Cause] = []
    _legacy_event(obj, "reportingComponent", errs)
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    return errs


def validate_event_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    _legacy_event(new, "reportingComponent", errs)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    return errs


def events_v1_as_core(obj: dict) -> dict:
    """An events.k8s.io/v1 Event seen with core field names (what upstream validates)."""
    out = dict(obj)
    out["involvedObject"] = obj.get("regarding") or {}
    out["message"] = obj.get("note") or ""
    out["reportingComponent"] = obj.get("reportingController") or ""
    out["count"] = d(obj.get("series")).get("count", obj.get("deprecatedCount") or 0)
    return out


def validate_events_v1(obj: dict) -> list[Cause]:
    ev = events_v1_as_core(obj)
    errs: list[Cause] = []
    _legacy_event(ev, "reportingController", errs)
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    series = obj.get("series")
    if series is not None:
        series = d(series)
        if i(series.get("count")) < 2:
            errs.append(fe.invalid("series.count", "", "should be at least 2"))
        if not series.get("lastObservedTime"):
            errs.append(fe.required("series.lastObservedTime"))
    if not obj.get("eventTime"):
        errs.append(fe.required("eventTime"))
    if s(obj.get("type")) not in ("Normal", "Warning"):
        errs.append(fe.invalid("type", "", f"has invalid value: {s(obj.get('type'))}"))
    if obj.get("deprecatedFirstTimestamp"):
        errs.append(fe.invalid("firstTimestamp", "", "needs to be unset"))
    if obj.get("deprecatedLastTimestamp"):
        errs.append(fe.invalid("lastTimestamp", "", "needs to be unset"))
    if obj.get("deprecatedCount"):
        errs.append(fe.invalid("count", "", "needs to be unset"))
    src = d(obj.get("deprecatedSource"))
    if s(src.get("component")) or s(src.get("host")):
        errs.append(fe.invalid("source", "", "needs to be unset"))
    return errs


def validate_events_v1_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    _legacy_event(events_v1_as_core(new), "reportingController", errs)
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    for field, path in (("series", "series"), ("regarding", "involvedObject"), ("reason", "reason"), ("note", "message"),
                        ("type", "type"), ("eventTime", "eventTime"), ("action", "action"), ("related", "related"),
                        ("reportingController", "reportingController"), ("reportingInstance", "reportingInstance")):
        if field == "series":
            continue
        if new.get(field) != old.get(field):
            errs.append(fe.immutable(path, new.get(field) if isinstance(new.get(field), (str, int)) or new.get(field) is None else fe.go_struct("core." + field[:1].upper() + field[1:], new.get(field))))
    return errs


def validate_resource_quota(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _quota_spec(d(obj.get("spec")), errs)
    status = d(obj.get("status"))
    for part in ("hard", "used"):
        for k, v in d(status.get(part)).items():
            p = f"status.{part}[{k}]"
            _quota_resource_name(k, p, errs)
            validate_resource_quantity_value(k, v, p, errs)
    return errs


QUOTA_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass")


def _quota_resource_name(name: str, path: str, errs: list[Cause]) -> None:
    ok = validate_resource_name(name, path, errs)
    if ok and "/" not in name and not (
        name in STANDARD_RESOURCES or name.startswith("requests.hugepages-") or name.startswith("count/")
    ):
        errs.append(fe.invalid(path, name, "must be a standard resource for quota"))


def _quota_spec(spec: dict, errs: list[Cause]) -> None:
    for k, v in d(spec.get("hard")).items():
        p = f"spec.hard[{k}]"
        _quota_resource_name(k, p, errs)
        validate_resource_quantity_value(k, v, p, errs)
    scopes = [s(x) for x in lst(spec.get("scopes"))]
    for sc in scopes:
        if sc not in QUOTA_SCOPES:
            errs.append(fe.invalid("spec.scopes", fe.GoValue(fe.go_string_slice(scopes, "[]core.ResourceQuotaScope")), "unsupported scope"))
    if ("BestEffort" in scopes and "NotBestEffort" in scopes) or ("Terminating" in scopes and "NotTerminating" in scopes):
        errs.append(fe.invalid("spec.scopes", fe.GoValue(fe.go_string_slice(scopes, "[]core.ResourceQuotaScope")), "conflicting scopes"))


def validate_resource_quota_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _quota_spec(d(new.get("spec")), errs)
    ns = set(s(x) for x in lst(d(new.get("spec")).get("scopes")))
    os_ = set(s(x) for x in lst(d(old.get("spec")).get("scopes")))
    if ns != os_:
        errs.append(fe.invalid("spec.scopes", fe.GoValue(fe.go_string_slice([s(x) for x in lst(d(new.get("spec")).get("scopes"))], "[]core.ResourceQuotaScope")), fe.IMMUTABLE))
    return errs


def validate_limit_range(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    seen_types: set[str] = set()
    for idx, item in enumerate(lst(d(obj.get("spec")).get("limits"))):
        item = d(item)
        p = f"spec.limits[{idx}]"
        t = s(item.get("type"))
        before = len(errs)
        qualified_name(t, p + ".type", errs)
        if len(errs) == before and "/" not in t and t not in ("Pod", "Container", "PersistentVolumeClaim"):
            errs.append(fe.invalid(p + ".type", t, "must be a standard limit type or fully qualified"))
        if t in seen_types:
            errs.append(fe.duplicate(p + ".type", t))
        seen_types.add(t)
        parts = {}
        for part in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            vals = d(item.get(part))
            if t == "Pod" and part in ("default", "defaultRequest"):
                if vals:
                    errs.append(fe.forbidden(f"{p}.{part}", "may not be specified when `type` is 'Pod'"))
                continue
            for k in vals:
                kp = f"{p}.{part}[{k}]"
                if t in ("Pod", "Container"):
                    validate_container_resource_name(k, kp, errs)
                else:
                    validate_resource_name(k, kp, errs)
            parts[part] = {k: parse_qty(v) for k, v in vals.items()}
        if t == "PersistentVolumeClaim" and "storage" not in parts.get("min", {}) and "storage" not in parts.get("max", {}):
            errs.append(fe.required(p + ".limits", "either minimum or maximum storage value is required, but neither was provided"))
        keys = set()
        for v in parts.values():
            keys |= set(v)
        for k in keys:
            mn, mx = parts.get("min", {}).get(k), parts.get("max", {}).get(k)
            df, dr = parts.get("default", {}).get(k), parts.get("defaultRequest", {}).get(k)
            ratio = parts.get("maxLimitRequestRatio", {}).get(k)
            if mn and mx and mn.value > mx.value:
                errs.append(fe.invalid(f"{p}.min[{k}]", quantity_go(mn), f"min value {mn} is greater than max value {mx}"))
            if dr and mn and mn.value > dr.value:
                errs.append(fe.invalid(f"{p}.defaultRequest[{k}]", quantity_go(dr), f"min value {mn} is greater than default request value {dr}"))
            if dr and mx and dr.value > mx.value:
                errs.append(fe.invalid(f"{p}.defaultRequest[{k}]", quantity_go(dr), f"default request value {dr} is greater than max value {mx}"))
            if dr and df and dr.value > df.value:
                errs.append(fe.invalid(f"{p}.defaultRequest[{k}]", quantity_go(dr), f"default request value {dr} is greater than default limit value {df}"))
            if df and mn and mn.value > df.value:
                errs.append(fe.invalid(f"{p}.default[{k}]", quantity_go(mn), f"min value {mn} is greater than default value {df}"))
            if df and mx and df.value > mx.value:
                errs.append(fe.invalid(f"{p}.default[{k}]", quantity_go(mx), f"default value {df} is greater than max value {mx}"))
            if ratio and ratio.value < 1:
                errs.append(fe.invalid(f"{p}.maxLimitRequestRatio[{k}]", quantity_go(ratio), f"ratio {ratio} is less than 1"))
    return errs


def validate_limit_range_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    errs.extend(validate_limit_range(new))
    return errs


def validate_replication_controller(obj: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta(obj.get("metadata"), True, dns_subdomain, errs)
    _rc_spec(d(obj.get("spec")), errs)
    return errs


def _rc_spec(spec: dict, errs: list[Cause]) -> None:
    nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds", errs)
    sel = d(spec.get("selector"))
    if not sel:
        errs.append(fe.required("spec.selector"))
    nonnegative(spec.get("replicas"), "spec.replicas", errs)
    tpl = spec.get("template")
    if tpl is None:
        errs.append(fe.required("spec.template"))
        return
    tpl = d(tpl)
    labels = d(d(tpl.get("metadata")).get("labels"))
    if sel and not map_selector_matches(sel, labels):
        errs.append(fe.invalid("spec.template.metadata.labels", fe.GoValue(fe.go_string_map(labels or None)), "`selector` does not match template `labels`"))
    validate_pod_template_spec(tpl, "spec.template", errs)
    rp = s(d(tpl.get("spec")).get("restartPolicy"))
    if rp != "Always":
        errs.append(fe.not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if d(tpl.get("spec")).get("activeDeadlineSeconds") is not None:
        errs.append(fe.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicationController is not Supported"))


def validate_replication_controller_update(new: dict, old: dict) -> list[Cause]:
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _rc_spec(d(new.get("spec")), errs)
    return errs


def validate_binding(obj: dict) -> list[Cause]:
    """ValidatePodBinding (a Binding has no stored object; only its target is checked)."""
    errs: list[Cause] = []
    target = d(obj.get("target"))
    kind = s(target.get("kind"))
    if kind and kind != "Node":
        errs.append(fe.not_supported("target.kind", kind, ["Node", "<empty>"]))
    if not s(target.get("name")):
        errs.append(fe.required("target.name"))
    return errs


def validate_binding_update(new: dict, old: dict) -> list[Cause]:
    return validate_binding(new)


def validate_pod_status_update(new: dict, old: dict) -> list[Cause]:
    """ValidatePodStatusUpdate (the parts that matter: identity, nodeName, QoS class, IPs)."""
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    status, ostatus = d(new.get("status")), d(old.get("status"))
    for idx, cond in enumerate(lst(status.get("conditions"))):
        t = s(d(cond).get("type"))
        if t not in ("PodScheduled", "Ready", "Initialized"):
            qualified_name(t, f"metadata.conditions[{idx}].Type", errs)
    if s(d(new.get("spec")).get("nodeName")) != s(d(old.get("spec")).get("nodeName")):
        errs.append(fe.forbidden("status.nodeName", "may not be changed directly"))
    nnn = s(status.get("nominatedNodeName"))
    if nnn and nnn != s(ostatus.get("nominatedNodeName")):
        name_with(names.name_is_dns_subdomain, nnn, "status.nominatedNodeName", errs)
    if s(status.get("qosClass")) != s(ostatus.get("qosClass")) and ostatus.get("qosClass"):
        errs.append(fe.immutable("status.qosClass", s(status.get("qosClass"))))
    for idx, pip in enumerate(lst(status.get("podIPs"))):
        valid_ip_legacy(s(d(pip).get("ip")), f"status.podIPs[{idx}]", errs)
    hips = lst(status.get("hostIPs"))
    if hips and s(status.get("hostIP")) != s(d(hips[0]).get("ip")):
        errs.append(fe.invalid("status.hostIPs[0].ip", s(d(hips[0]).get("ip")), "must be equal to `hostIP`"))
    for idx, hip in enumerate(hips):
        valid_ip_legacy(s(d(hip).get("ip")), f"status.hostIPs[{idx}]", errs)
    return errs


def validate_pod_ephemeral_containers_update(new: dict, old: dict) -> list[Cause]:
    """ValidatePodEphemeralContainersUpdate: only ephemeral containers may be added."""
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _pod_metadata_and_spec(new, errs)
    if "kubernetes.io/config.mirror" in d(d(old.get("metadata")).get("annotations")):
        return [fe.forbidden("", "static pods do not support ephemeral containers")]
    new_by_name = {s(d(c).get("name")): c for c in lst(d(new.get("spec")).get("ephemeralContainers"))}
    for oc in lst(d(old.get("spec")).get("ephemeralContainers")):
        name = s(d(oc).get("name"))
        if name not in new_by_name:
            errs.append(fe.forbidden("spec.ephemeralContainers", f"existing ephemeral containers {fe.go_quote(name)} may not be removed\n"))
        elif _strip_nulls(new_by_name[name]) != _strip_nulls(oc):
            errs.append(fe.forbidden("spec.ephemeralContainers", f"existing ephemeral containers {fe.go_quote(name)} may not be changed\n"))
    return errs


def validate_pod_resize(new: dict, old: dict) -> list[Cause]:
    """ValidatePodResize: only container cpu/memory resources (and resize policies) may change."""
    errs: list[Cause] = []
    validate_object_meta_update(new.get("metadata"), old.get("metadata"), errs)
    _pod_metadata_and_spec(new, errs)
    nspec, ospec = dict(d(new.get("spec"))), d(old.get("spec"))
    for key in ("containers", "initContainers"):
        nc, oc = lst(nspec.get(key)), lst(ospec.get(key))
        if len(nc) != len(oc) or key not in nspec:
            continue
        munged = []
        for a, b in zip(nc, oc):
            a = dict(d(a))
            b = d(b)
            res = dict(d(a.get("resources")))
            for part in ("limits", "requests"):
                cur = dict(d(res.get(part)))
                old_part = d(d(b.get("resources")).get(part))
                for r in ("cpu", "memory"):
                    cur.pop(r, None)
                    if r in old_part:
                        cur[r] = old_part[r]
                if cur or part in d(b.get("resources")):
                    res[part] = cur
                else:
                    res.pop(part, None)
            a["resources"] = res
            if "resizePolicy" in b:
                a["resizePolicy"] = b["resizePolicy"]
            else:
                a.pop("resizePolicy", None)
            munged.append(a)
        nspec[key] = munged
    if _strip_nulls(nspec) != _strip_nulls(ospec):
        errs.append(fe.forbidden("spec", "only cpu and memory resources are mutable"))
    return errs
