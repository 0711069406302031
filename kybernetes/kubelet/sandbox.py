"""The files a pod's containers share, as the kubelet writes them: ``/etc/hosts``,
``/etc/hostname`` and ``/etc/resolv.conf``, bind-mounted into every container. A
``hostNetwork`` pod gets the node's hostname and the node's hosts file (plus its
hostAliases), as upstream.

DNS (dnsPolicy): ``ClusterFirst`` points at the cluster DNS service when the kubelet
knows one (``--cluster-dns``), with the cluster search domains and ``ndots:5``; with no
cluster DNS it gets the search domains and *no* nameserver, never the host's resolver
(upstream falls back to the host's, which would let a pod resolve outside names).
``Default`` is the same here for the same reason. ``None`` uses only ``dnsConfig``.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["etc_hosts", "pod_hostname", "resolv_conf", "write_pod_files"]


def pod_hostname(pod: Mapping[str, Any]) -> tuple[str, str]:
    """(hostname, fqdn-or-empty): ``spec.hostname`` or the pod's name (at most 63
    characters), and with ``spec.subdomain`` the name under the namespace's service domain."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    host = (spec.get("hostname") or meta.get("name", ""))[:63].rstrip("-.")
    return host, ""


def etc_hosts(pod: Mapping[str, Any], ip: str, *, cluster_domain: str, node_hosts: str | None = None) -> str:
    """The pod's hosts file; ``node_hosts`` (the node's own file) for a hostNetwork pod."""
    spec = pod.get("spec") or {}
    meta = pod.get("metadata") or {}
    host, _ = pod_hostname(pod)
    lines = ["# Kubernetes-managed hosts file.",
             "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
             "fe00::0\tip6-mcastprefix", "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"]
    if node_hosts is not None:
        lines = ["# Kubernetes-managed hosts file (host network).", *node_hosts.rstrip("\n").splitlines()]
    elif ip:
        if spec.get("subdomain"):
            fqdn = f"{host}.{spec['subdomain']}.{meta.get('namespace', 'default')}.svc.{cluster_domain}"
            lines.append(f"{ip}\t{fqdn}\t{host}")
        else:
            lines.append(f"{ip}\t{host}")
    entries = spec.get("hostAliases") or []
    if entries:
        lines.append("")
        lines.append("# Entries added by HostAliases.")
        for alias in entries:
            lines.append(f"{alias.get('ip', '')}\t" + "\t".join(alias.get("hostnames") or []))
    return "\n".join(lines) + "\n"


def resolv_conf(pod: Mapping[str, Any], *, cluster_dns: list[str], cluster_domain: str) -> str:
    spec = pod.get("spec") or {}
    ns = (pod.get("metadata") or {}).get("namespace", "default")
    policy = spec.get("dnsPolicy") or "ClusterFirst"
    nameservers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet", "Default"):
        if policy != "Default":
            nameservers = list(cluster_dns)
            searches = [f"{ns}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain]
            options = ["ndots:5"]
    config = spec.get("dnsConfig") or {}
    nameservers += [n for n in config.get("nameservers") or [] if n not in nameservers]
    searches += [s for s in config.get("searches") or [] if s not in searches]
    for opt in config.get("options") or []:
        name = opt.get("name", "")
        text = f"{name}:{opt['value']}" if opt.get("value") not in (None, "") else name
        options = [o for o in options if o.split(":")[0] != name] + [text]
    lines = [f"nameserver {n}" for n in nameservers[:3]]
    if searches:
        lines.append("search " + " ".join(searches[:32]))
    if options:
        lines.append("options " + " ".join(options))
    return "\n".join(lines) + "\n"


def write_pod_files(pod_dir: Path, pod: Mapping[str, Any], ip: str, *, cluster_dns: list[str],
                    cluster_domain: str) -> list[dict[str, Any]]:
    """Write the shared files and return them as OCI bind mounts."""
    pod_dir.mkdir(parents=True, exist_ok=True)
    host_network = bool((pod.get("spec") or {}).get("hostNetwork"))
    node_hosts = Path("/etc/hosts").read_text(errors="replace") if host_network else None
    files = {"hosts": etc_hosts(pod, ip, cluster_domain=cluster_domain, node_hosts=node_hosts),
             "hostname": (socket.gethostname() if host_network else pod_hostname(pod)[0]) + "\n",
             "resolv.conf": resolv_conf(pod, cluster_dns=cluster_dns, cluster_domain=cluster_domain)}
    mounts = []
    for name, text in files.items():
        path = pod_dir / name
        path.write_text(text)
        mounts.append({"destination": f"/etc/{name}", "type": "bind", "source": str(path),
                       "options": ["rbind", "rprivate", "rw"]})
    return mounts
