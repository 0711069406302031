"""Kubeconfig loading: from a kubeconfig file to what a client needs to connect.

A kubeconfig names clusters (server URL and the CA to trust), users (client
certificate and key, or a bearer token) and contexts pairing the two; the
``current-context`` picks one. :func:`load_kubeconfig` resolves that pairing into
a :class:`ClientConfig`, which :class:`kybernetes.client.rest.Client` turns into
an HTTPS session. File paths in a kubeconfig are relative to the kubeconfig's own
directory, as kubectl treats them.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class KubeconfigError(ValueError):
    """The kubeconfig is missing, malformed, or lacks what the chosen context needs."""


@dataclass
class ClientConfig:
    """Everything needed to reach one API server as one user."""

    server: str
    ca_data: bytes | None = None           # PEM
    cert_data: bytes | None = None         # PEM client certificate
    key_data: bytes | None = None          # PEM client key
    token: str | None = None
    token_file: str | None = None          # re-read on each request (projected tokens rotate)
    insecure_skip_tls_verify: bool = False
    namespace: str = "default"
    extra: dict[str, Any] = field(default_factory=dict)

    def bearer_token(self) -> str | None:
        if self.token_file:
            try:
                return Path(self.token_file).read_text().strip()
            except OSError:
                pass
        return self.token

    def ssl_context(self) -> ssl.SSLContext | bool:
        """An SSL context for the server (``False`` when the server is plain http)."""
        if self.server.startswith("http://"):
            return False
        ctx = ssl.create_default_context(cadata=self.ca_data.decode() if self.ca_data else None)
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.cert_data and self.key_data:
            # ssl only loads a certificate chain from files; write them to a private temp dir
            # for the moment of loading and remove them at once.
            with tempfile.TemporaryDirectory(prefix="kyb-client-") as d:
                cert, key = Path(d, "tls.crt"), Path(d, "tls.key")
                cert.write_bytes(self.cert_data)
                fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(self.key_data)
                ctx.load_cert_chain(str(cert), str(key))
        return ctx


def _named(items: list | None, name: str, what: str) -> dict:
    for item in items or []:
        if item.get("name") == name:
            return item.get(what) or {}
    raise KubeconfigError(f"kubeconfig has no {what} named {name!r}")


def _data_or_file(section: dict, key: str, base: Path) -> bytes | None:
    if section.get(f"{key}-data"):
        return base64.b64decode(section[f"{key}-data"])
    if section.get(key):
        p = Path(os.path.expanduser(section[key]))
        return (p if p.is_absolute() else base / p).read_bytes()
    return None


def config_from_dict(cfg: dict, *, base_dir: Path | str = ".", context: str | None = None) -> ClientConfig:
    """Resolve a parsed kubeconfig (``context`` overrides ``current-context``)."""
    base = Path(base_dir)
    ctx_name = context or cfg.get("current-context")
    if not ctx_name:
        contexts = cfg.get("contexts") or []
        if len(contexts) != 1:
            raise KubeconfigError("kubeconfig has no current-context")
        ctx_name = contexts[0]["name"]
    ctx = _named(cfg.get("contexts"), ctx_name, "context")
    cluster = _named(cfg.get("clusters"), ctx.get("cluster", ""), "cluster")
    user = _named(cfg.get("users"), ctx["user"], "user") if ctx.get("user") else {}
    if not cluster.get("server"):
        raise KubeconfigError(f"cluster {ctx.get('cluster')!r} has no server")
    token_file = user.get("tokenFile")
    if token_file and not Path(token_file).is_absolute():
        token_file = str(base / token_file)
    return ClientConfig(
        server=cluster["server"].rstrip("/"),
        ca_data=_data_or_file(cluster, "certificate-authority", base),
        cert_data=_data_or_file(user, "client-certificate", base),
        key_data=_data_or_file(user, "client-key", base),
        token=user.get("token"),
        token_file=token_file,
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
        namespace=ctx.get("namespace") or "default",
    )


def load_kubeconfig(path: str | os.PathLike | None = None, *, context: str | None = None) -> ClientConfig:
    """Load ``path`` (default ``$KUBECONFIG``, then ``~/.kube/config``)."""
    if path is None:
        path = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or os.path.expanduser("~/.kube/config")
    p = Path(path)
    try:
        cfg = yaml.safe_load(p.read_text())
    except OSError as e:
        raise KubeconfigError(f"cannot read kubeconfig {p}: {e}") from e
    if not isinstance(cfg, dict):
        raise KubeconfigError(f"kubeconfig {p} is not a mapping")
    return config_from_dict(cfg, base_dir=p.parent, context=context)
