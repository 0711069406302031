"""A container's environment as the kubelet builds it (makeEnvironmentVariables).

- ``envFrom`` sources come first, in order: ConfigMaps and Secrets with an optional
  prefix. Keys that are not valid variable names are skipped with a warning.
- ``env`` entries follow, in order, each replacing an earlier variable of its name.
  A ``value`` is ``$(VAR)``-expanded against the variables defined so far (and the
  service variables).
- ``valueFrom`` reads a ConfigMap or Secret key, a field of the pod (fieldRef), or a
  resource of the container (resourceFieldRef). Without a limit, resourceFieldRef uses
  the node's allocatable, as the kubelet does.

A missing source that is not ``optional`` is an error with the kubelet's wording (the
pod then shows CreateContainerConfigError), e.g. ``configmap "app" not found`` or
``couldn't find key mode in ConfigMap default/app``.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..api.quantity import parse_quantity
from .runtime.spec import expand

__all__ = ["EnvError", "resolve_env", "service_env"]

_VALID_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_LABEL_PATH = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")

Lookup = Callable[[str, str], Mapping[str, Any] | None]     # (namespace, name) -> object or None


class EnvError(ValueError):
    pass


def pod_field(pod: Mapping[str, Any], path: str, pod_ip: str, host_ip: str) -> str:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": pod_ip, "status.podIPs": pod_ip, "status.hostIP": host_ip, "status.hostIPs": host_ip,
    }
    if path in simple:
        return simple[path]
    m = _LABEL_PATH.match(path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    if path in ("metadata.labels", "metadata.annotations"):
        values = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
    raise EnvError(f"unsupported fieldRef fieldPath {path!r}")


def container_resource(container: Mapping[str, Any], ref: Mapping[str, Any], allocatable: Mapping[str, str]) -> str:
    kind, _, name = (ref.get("resource") or "").partition(".")
    if kind not in ("limits", "requests") or not name:
        raise EnvError(f"unsupported resourceFieldRef resource {ref.get('resource')!r}")
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(name)
    if value is None and kind == "requests":
        value = (resources.get("limits") or {}).get(name)      # a request defaults to the limit
    if value is None:
        value = allocatable.get(name, "0")
    divisor = parse_quantity(ref.get("divisor") or "1")
    if divisor <= 0:
        raise EnvError(f"invalid resourceFieldRef divisor {ref.get('divisor')!r}")
    return str(math.ceil(parse_quantity(value) / divisor))


def _data(obj: Mapping[str, Any], secret: bool) -> dict[str, str]:
    if not secret:
        out = dict(obj.get("data") or {})
        for k, v in (obj.get("binaryData") or {}).items():
            out.setdefault(k, base64.b64decode(v).decode(errors="replace"))
        return out
    return {k: base64.b64decode(v).decode(errors="replace") for k, v in (obj.get("data") or {}).items()}


def resolve_env(pod: Mapping[str, Any], container: Mapping[str, Any], *, configmaps: Lookup, secrets: Lookup,
                allocatable: Mapping[str, str], pod_ip: str = "", host_ip: str = "",
                service_env: Mapping[str, str] | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """The container's variables in order, and warnings (skipped envFrom keys)."""
    ns = (pod.get("metadata") or {}).get("namespace", "")
    values: dict[str, str] = {}
    warnings: list[str] = []
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        for kind, ref in (("configmap", source.get("configMapRef")), ("secret", source.get("secretRef"))):
            if not ref:
                continue
            obj = (configmaps if kind == "configmap" else secrets)(ns, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'{kind} "{ref.get("name", "")}" not found')
            invalid = []
            for key, value in _data(obj, kind == "secret").items():
                name = prefix + key
                if not _VALID_NAME.match(name):
                    invalid.append(name)
                    continue
                values[name] = value
            if invalid:
                label = "configMap" if kind == "configmap" else "secret"
                warnings.append(f"Keys [{', '.join(sorted(invalid))}] from the EnvFrom {label} {ns}/{ref.get('name', '')} "
                                "were skipped since they are considered invalid environment variable names.")
    for entry in container.get("env") or []:
        name = entry["name"]
        source = entry.get("valueFrom")
        if source is None:
            values[name] = expand(entry.get("value") or "", {**(service_env or {}), **values})
            continue
        if "fieldRef" in source:
            values[name] = pod_field(pod, source["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif "resourceFieldRef" in source:
            values[name] = container_resource(container, source["resourceFieldRef"], allocatable)
        else:
            secret = "secretKeyRef" in source
            ref = source.get("secretKeyRef") if secret else source.get("configMapKeyRef")
            if not ref:
                raise EnvError(f"env {name}: unsupported valueFrom")
            kind, label = ("secret", "Secret") if secret else ("configmap", "ConfigMap")
            obj = (secrets if secret else configmaps)(ns, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    continue
                raise EnvError(f'{kind} "{ref.get("name", "")}" not found')
            data = _data(obj, secret)
            if ref.get("key") not in data:
                if ref.get("optional"):
                    continue
                raise EnvError(f"couldn't find key {ref.get('key')} in {label} {ns}/{ref.get('name', '')}")
            values[name] = data[ref["key"]]
    for name, value in (service_env or {}).items():   # the container's own win, as upstream
        values.setdefault(name, value)
    return list(values.items()), warnings


def service_env(service: Mapping[str, Any]) -> dict[str, str]:
    """The Docker-links-style variables that tell containers where a Service is
    (``KUBERNETES_SERVICE_HOST``, ``KUBERNETES_PORT_443_TCP`` ...)."""
    spec = service.get("spec") or {}
    ip, ports = spec.get("clusterIP") or "", spec.get("ports") or []
    if not ip or ip == "None" or not ports:
        return {}
    prefix = (service.get("metadata") or {}).get("name", "").upper().replace("-", "_")
    host = f"[{ip}]" if ":" in ip else ip
    out = {f"{prefix}_SERVICE_HOST": ip, f"{prefix}_SERVICE_PORT": str(ports[0].get("port"))}
    for port in ports:
        if port.get("name"):
            out[f"{prefix}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}"] = str(port.get("port"))
    first = ports[0]
    out[f"{prefix}_PORT"] = f"{(first.get('protocol') or 'TCP').lower()}://{host}:{first.get('port')}"
    for port in ports:
        proto = port.get("protocol") or "TCP"
        key = f"{prefix}_PORT_{port.get('port')}_{proto.upper()}"
        out[key] = f"{proto.lower()}://{host}:{port.get('port')}"
        out[f"{key}_PROTO"] = proto.lower()
        out[f"{key}_PORT"] = str(port.get("port"))
        out[f"{key}_ADDR"] = ip
    return out
