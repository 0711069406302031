"""Certificates for a new cluster: a CA, the API server's serving certificate,
the admin client certificate, and the admin kubeconfig.

Made once, on first start, in the data dir (``DIR/pki``); later starts reuse
them, so kubeconfigs handed out earlier keep working. The admin certificate
carries ``O=system:masters``, the group that upstream's authorizer always allows.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class ClusterPKI:
    dir: Path

    @property
    def ca_cert(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.dir / "ca.key"

    @property
    def serving_cert(self) -> Path:
        return self.dir / "apiserver.crt"

    @property
    def serving_key(self) -> Path:
        return self.dir / "apiserver.key"

    @property
    def admin_cert(self) -> Path:
        return self.dir / "admin.crt"

    @property
    def admin_key(self) -> Path:
        return self.dir / "admin.key"

    @property
    def service_account_key(self) -> Path:
        """Signs service-account tokens (upstream's --service-account-signing-key-file)."""
        return self.dir / "sa.key"


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: fast to make and to handshake with, accepted by Go's TLS stack.
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, private: bool = False) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _sign(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool = False,
    server_names: list[str] | None = None,
    client: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server_names:
        sans: list[x509.GeneralName] = []
        for n in server_names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def default_server_names(extra: list[str] | None = None) -> list[str]:
    names = ["localhost", "127.0.0.1", "::1", "kubernetes", "kubernetes.default",
             "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", socket.gethostname()]
    for n in extra or []:
        if n and n not in names and n != "0.0.0.0":
            names.append(n)
    return names


def ensure_pki(pki_dir: Path, *, server_names: list[str]) -> ClusterPKI:
    """Create whatever is missing; never replace what exists, but for a serving
    certificate that does not cover ``server_names`` (new names, flags)."""
    pki = ClusterPKI(pki_dir)
    pki_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not pki.ca_cert.exists():
        ca_key = _new_key()
        ca_name = _name(f"kybernetes-ca@{int(dt.datetime.now().timestamp())}")
        ca = _sign(subject=ca_name, key=ca_key, issuer=ca_name, issuer_key=ca_key, ca=True)
        _write(pki.ca_key, _key_pem(ca_key), private=True)
        _write(pki.ca_cert, ca.public_bytes(serialization.Encoding.PEM))
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    if not _covers(pki.serving_cert, pki.serving_key, server_names):
        key = _new_key()
        cert = _sign(subject=_name("kube-apiserver"), key=key, issuer=ca.subject, issuer_key=ca_key,
                     server_names=server_names)
        _write(pki.serving_key, _key_pem(key), private=True)
        _write(pki.serving_cert, cert.public_bytes(serialization.Encoding.PEM))
    if not pki.admin_cert.exists():
        key = _new_key()
        cert = _sign(subject=_name("kubernetes-admin", ("system:masters",)), key=key, issuer=ca.subject,
                     issuer_key=ca_key, client=True)
        _write(pki.admin_key, _key_pem(key), private=True)
        _write(pki.admin_cert, cert.public_bytes(serialization.Encoding.PEM))
    if not pki.service_account_key.exists():
        _write(pki.service_account_key, _key_pem(_new_key()), private=True)
    return pki


def write_admin_kubeconfig(pki: ClusterPKI, path: Path, *, server: str, cluster: str = "kybernetes") -> None:
    def b64(p: Path) -> str:
        return base64.b64encode(p.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": b64(pki.ca_cert)}}],
        "users": [{"name": "admin", "user": {"client-certificate-data": b64(pki.admin_cert),
                                              "client-key-data": b64(pki.admin_key)}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": "admin"}}],
        "current-context": cluster,
        "preferences": {},
    }
    _write(path, yaml.safe_dump(config, sort_keys=False).encode(), private=True)


def ensure_self_signed(cert_path: Path, key_path: Path, *, cn: str, server_names: list[str]) -> None:
    """A self-signed serving certificate for ``server_names`` (the kubelet's, as a kubelet
    without a CA-issued one makes): kept while it still covers those names."""
    if _covers(cert_path, key_path, server_names):
        return
    key = _new_key()
    name = _name(cn)
    cert = _sign(subject=name, key=key, issuer=name, issuer_key=key, server_names=server_names)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _covers(cert_path: Path, key_path: Path, server_names: list[str]) -> bool:
    """Whether a certificate (and its key) exists and names every one of ``server_names``."""
    if not (cert_path.exists() and key_path.exists()):
        return False
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have = {str(v) for v in sans.get_values_for_type(x509.IPAddress)} | set(sans.get_values_for_type(x509.DNSName))
    return set(server_names) <= have
