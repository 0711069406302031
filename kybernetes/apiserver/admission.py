"""Built-in admission: what upstream's default admission chain does that the
generic store does not.

- NamespaceLifecycle: namespaced objects may only be created in a namespace
  that exists and is not terminating.
- Service IP and NodePort allocation (upstream does this in the Service REST
  storage; here it is a mutating step before storage, with the same results).
- ServiceAccount: new pods run as a service account (``default`` unless named) and
  get its token, the cluster CA and their namespace mounted (``kube-api-access-*``).
- DefaultTolerationSeconds: new pods tolerate the node lifecycle controller's
  not-ready and unreachable NoExecute taints for 300 s, so that their controllers
  replace them on another node when theirs stops answering.
"""

from __future__ import annotations

import ipaddress
import random

from ..api import errors
from .resources import Attributes
from .watchcache import WatchCache

_IMMORTAL = {"default", "kube-system", "kube-public"}


class NamespaceLifecycle:
    def __init__(self, cache: WatchCache) -> None:
        self.cache = cache

    async def __call__(self, a: Attributes) -> None:
        if a.operation != "CREATE" or not a.resource.namespaced or not a.namespace:
            return
        ns = self.cache.cache("core/namespaces").get(f"/registry/core/namespaces/{a.namespace}")
        if ns is None:
            raise errors.not_found("namespaces", "", a.namespace)
        if (ns.obj.get("status") or {}).get("phase") == "Terminating" or ns.obj["metadata"].get("deletionTimestamp"):
            raise errors.APIError(
                403, "Forbidden",
                f'{a.resource.group_resource} "{a.name}" is forbidden: unable to create new content in namespace '
                f"{a.namespace} because it is being terminated",
                details={"name": a.name, **({"group": a.resource.group} if a.resource.group else {}),
                         "kind": a.resource.plural,
                         "causes": [{"reason": "NamespaceTerminating",
                                     "message": f"namespace {a.namespace} is being terminated",
                                     "field": "metadata.namespace"}]},
            )


NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300    # --default-not-ready/unreachable-toleration-seconds


class DefaultTolerationSeconds:
    """Upstream's admission plugin of that name: on pod create, add
    ``{key: <taint>, operator: Exists, effect: NoExecute, tolerationSeconds: 300}`` for
    the not-ready and the unreachable taint, each unless some toleration already
    covers that key (or every key) for NoExecute (or every effect)."""

    async def __call__(self, a: Attributes) -> None:
        if a.operation != "CREATE" or a.subresource or a.obj is None \
                or (a.resource.group, a.resource.plural) != ("", "pods"):
            return
        spec = a.obj.setdefault("spec", {})
        tolerations = spec.get("tolerations") or []

        def covered(key: str) -> bool:
            return any((t.get("key") or "") in ("", key) and (t.get("effect") or "") in ("", "NoExecute")
                       for t in tolerations)

        added = [{"key": key, "operator": "Exists", "effect": "NoExecute",
                  "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}
                 for key in (NOT_READY_TAINT, UNREACHABLE_TAINT) if not covered(key)]
        if added:
            spec["tolerations"] = [*tolerations, *added]


SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"   # upstream's utilrand alphabet (no vowels, no 0/1/3)


class ServiceAccount:
    """Upstream's admission plugin of that name, for new pods: ``serviceAccountName``
    defaults to ``default``, and unless automounting is off (the pod's choice first,
    then the account's), a ``kube-api-access-<random>`` projected volume (a token, the
    cluster CA, the namespace) is mounted read-only at the service-account path in every
    container that mounts nothing there itself. Unlike upstream, a missing account is
    not an error: a cluster without the controller manager never gets ``default``."""

    def __init__(self, cache: WatchCache) -> None:
        self.cache = cache

    async def __call__(self, a: Attributes) -> None:
        if a.operation != "CREATE" or a.subresource or a.obj is None \
                or (a.resource.group, a.resource.plural) != ("", "pods"):
            return
        if "kubernetes.io/config.mirror" in ((a.obj.get("metadata") or {}).get("annotations") or {}):
            return
        spec = a.obj.setdefault("spec", {})
        name = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = spec["serviceAccount"] = name
        account = self.cache.cache("core/serviceaccounts").get(f"/registry/core/serviceaccounts/{a.namespace}/{name}")
        automount = spec.get("automountServiceAccountToken")
        if automount is None and account is not None:
            automount = account.obj.get("automountServiceAccountToken")
        if automount is False:
            return
        containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
        needs = [c for c in containers
                 if not any(m.get("mountPath") == SERVICE_ACCOUNT_MOUNT for m in c.get("volumeMounts") or [])]
        if not needs:
            return
        taken = {v.get("name") for v in spec.get("volumes") or []}
        volume = "kube-api-access-" + "".join(random.choices(_SUFFIX_ALPHABET, k=5))
        while volume in taken:
            volume = "kube-api-access-" + "".join(random.choices(_SUFFIX_ALPHABET, k=5))
        spec["volumes"] = [*(spec.get("volumes") or []), {"name": volume, "projected": {"sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}],
            "defaultMode": 420}}]
        for c in needs:
            c["volumeMounts"] = [*(c.get("volumeMounts") or []),
                                 {"name": volume, "readOnly": True, "mountPath": SERVICE_ACCOUNT_MOUNT}]


class ServiceAllocator:
    """Cluster IPs from ``--service-cluster-ip-range`` and NodePorts from
    ``--service-node-port-range``. Reservations live in memory, rebuilt from
    the cache at start, so one API server process never hands out a duplicate."""

    def __init__(self, cache: WatchCache, *, cidr: str, node_ports: tuple[int, int] = (30000, 32767)) -> None:
        self.cache = cache
        self.network = ipaddress.ip_network(cidr)
        self.node_ports = node_ports
        self._ips: set[str] = set()
        self._ports: set[int] = set()
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        for e in self.cache.cache("core/services").entries():
            self._reserve_from(e.obj)
        self._loaded = True

    def _reserve_from(self, svc: dict) -> None:
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
            if ip and ip != "None":
                self._ips.add(ip)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                self._ports.add(int(p["nodePort"]))

    def release(self, svc: dict) -> None:
        spec = svc.get("spec") or {}
        for ip in spec.get("clusterIPs") or []:
            self._ips.discard(ip)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                self._ports.discard(int(p["nodePort"]))

    @property
    def kubernetes_ip(self) -> str:
        return str(self.network.network_address + 1)

    def _allocate_ip(self) -> str:
        size = self.network.num_addresses
        base = self.network.network_address
        for _ in range(1000):
            ip = str(base + random.randint(2, size - 2))
            if ip not in self._ips:
                return ip
        for i in range(2, size - 1):
            ip = str(base + i)
            if ip not in self._ips:
                return ip
        raise errors.internal("failed to allocate a serviceIP: range is full")

    async def __call__(self, a: Attributes) -> None:
        if a.resource.group != "" or a.resource.plural != "services" or a.obj is None:
            return
        if a.operation not in ("CREATE", "UPDATE") or a.subresource:
            return
        self._load()
        spec = a.obj.setdefault("spec", {})
        old_spec = (a.old or {}).get("spec") or {}
        svc_type = spec.get("type", "ClusterIP")
        field_causes = []
        if svc_type == "ExternalName":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        else:
            ip = spec.get("clusterIP") or old_spec.get("clusterIP")
            if not ip:
                ip = self._allocate_ip()
            elif ip != "None" and a.operation == "CREATE":
                try:
                    addr = ipaddress.ip_address(ip)
                except ValueError:
                    addr = None
                if addr is None or addr not in self.network:
                    field_causes.append(errors.invalid(
                        "spec.clusterIPs", [ip],
                        f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {self.network}"))
                elif ip in self._ips:
                    field_causes.append(errors.invalid(
                        "spec.clusterIPs", [ip], f"failed to allocate IP {ip}: provided IP is already allocated"))
            if field_causes:
                raise errors.invalid_object("Service", "", a.name, field_causes)
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        if svc_type in ("NodePort", "LoadBalancer"):
            old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old_spec.get("ports") or []}
            for p in spec.get("ports") or []:
                if not p.get("nodePort"):
                    prev = old_ports.get((p.get("port"), p.get("protocol", "TCP")))
                    p["nodePort"] = prev or self._allocate_port()
        else:
            for p in spec.get("ports") or []:
                p.pop("nodePort", None)
        if not a.dry_run:
            if spec.get("clusterIP") and spec["clusterIP"] != "None":
                self._ips.add(spec["clusterIP"])
            for p in spec.get("ports") or []:
                if p.get("nodePort"):
                    self._ports.add(int(p["nodePort"]))

    def _allocate_port(self) -> int:
        lo, hi = self.node_ports
        for _ in range(1000):
            port = random.randint(lo, hi)
            if port not in self._ports:
                return port
        for port in range(lo, hi + 1):
            if port not in self._ports:
                return port
        raise errors.internal("failed to allocate a nodePort: range is full")
