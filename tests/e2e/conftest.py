"""Fixtures that start real ``kyb`` processes and drive them like a user does:
with kubectl (the pip-installed 1.37 and, when present, the machine's version
dispatcher) and the official Python client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from kybernetes.cli.supervisor import die_with_parent

VENV_BIN = Path(sys.executable).parent
KUBECTL_PIP = VENV_BIN / "kubectl"
KUBECTL_MACHINE = Path("/usr/bin/kubectl")


def kubectl_variants() -> list[tuple[str, str, str]]:
    """(id, binary, emulated version). The machine's kubectl is a dispatcher that runs
    the client matching the server's reported minor, so an emulated version picks it."""
    out = []
    if KUBECTL_PIP.exists():
        out.append(("kubectl-1.37", str(KUBECTL_PIP), ""))
    if KUBECTL_MACHINE.exists():
        out.append(("kubectl-1.33", str(KUBECTL_MACHINE), ""))
        out.append(("kubectl-1.30", str(KUBECTL_MACHINE), "1.30"))
        out.append(("kubectl-1.27", str(KUBECTL_MACHINE), "1.27"))
    return out


@dataclass
class Cluster:
    data_dir: Path
    url: str
    proc: subprocess.Popen
    log_path: Path

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig)

    def log(self) -> str:
        try:
            return self.log_path.read_text()
        except OSError:
            return ""


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal a process we started (by PID) and wait for it; SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def wait_for(fn, timeout: float = 60.0, interval: float = 0.1):
    """Poll until fn() is truthy and return its value (the last falsy one after the
    deadline, which only bounds a broken run)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def spawn_kyb(*args: str, log_path: Path, stdout: int = subprocess.DEVNULL) -> subprocess.Popen:
    """A ``kyb`` process logging to ``log_path``. It gets SIGTERM if the test process dies
    (a killed pytest runs no teardown), so nothing a test starts outlives it."""
    return subprocess.Popen([sys.executable, "-m", "kybernetes.cli.main", *args], stdout=stdout,
                            stderr=open(log_path, "ab"), start_new_session=True, preexec_fn=die_with_parent)


def start_controller_manager(kubeconfig: Path, log_path: Path, *flags: str) -> subprocess.Popen:
    """A ``kyb controller-manager`` process against ``kubeconfig``, logging to ``log_path``."""
    return spawn_kyb("controller-manager", "--kubeconfig", str(kubeconfig), *flags, log_path=log_path)


def start_cluster(data_dir: Path, *extra: str, timeout: float = 30.0, controllers: bool = False,
                  scheduler: bool = False) -> Cluster:
    """A ``kyb server`` on a free port. Without ``controllers`` (``scheduler``) it runs no
    controller manager (scheduler), so tests of API semantics (a namespace staying
    Terminating, a pod staying Pending, ...) see none. It never runs the node agent: tests
    that run real containers start ``kyb kubelet`` themselves (see test_kubelet.py)."""
    log_path = data_dir.parent / f"{data_dir.name}.log"
    extra = ("--disable-agent", *extra)
    if not controllers:
        extra = ("--disable-controller-manager", *extra)
    if not scheduler:
        extra = ("--disable-scheduler", *extra)
    proc = spawn_kyb("server", "--data-dir", str(data_dir), "--https-port", "0", *extra, log_path=log_path,
                     stdout=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    url = ""
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            if proc.poll() is not None:
                break
            continue
        if line.startswith("kyb: serving on "):
            url = line.split("kyb: serving on ", 1)[1].strip()
            break
    if not url:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"kyb server did not start:\n{log_path.read_text()}")
    # keep draining stdout so the child never blocks on a full pipe
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return Cluster(data_dir, url, proc, log_path)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("kyb")
    c = start_cluster(base / "data")
    yield c
    c.stop()


class Kubectl:
    def __init__(self, binary: str, cluster: Cluster, home: Path) -> None:
        self.binary = binary
        self.cluster = cluster
        self.home = home

    def env(self) -> dict:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.cluster.kubeconfig)
        env["HOME"] = str(self.home)
        return env

    def run(self, *args: str, check: bool = True, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        p = subprocess.run([self.binary, *args], capture_output=True, text=True, env=self.env(), input=input,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def __call__(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).stdout

    def json(self, *args: str) -> dict:
        return json.loads(self(*args, "-o", "json"))

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env(), start_new_session=True, preexec_fn=die_with_parent)


@pytest.fixture(scope="module", params=kubectl_variants(), ids=lambda p: p[0])
def kubectl(request, tmp_path_factory):
    name, binary, emulated = request.param
    if emulated:
        c = start_cluster(tmp_path_factory.mktemp(name) / "data", "--emulated-version", emulated)
        request.addfinalizer(c.stop)
    else:
        c = request.getfixturevalue("cluster")
    k = Kubectl(binary, c, tmp_path_factory.mktemp("home"))
    k.version = name.removeprefix("kubectl-")
    return k


@pytest.fixture(scope="module")
def k8s_client(cluster):
    from kubernetes import config

    api_client = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield api_client
    api_client.close()


class RawClient:
    """Plain HTTPS requests with the admin client certificate (or none)."""

    def __init__(self, cluster: Cluster, *, anonymous: bool = False) -> None:
        import base64
        import ssl

        import urllib3
        import yaml

        cfg = yaml.safe_load(cluster.kubeconfig.read_text())
        d = Path(tempfile.mkdtemp(prefix="kyb-raw-"))
        (d / "ca.crt").write_bytes(base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"]))
        user = cfg["users"][0]["user"]
        (d / "c.crt").write_bytes(base64.b64decode(user["client-certificate-data"]))
        (d / "c.key").write_bytes(base64.b64decode(user["client-key-data"]))
        kw = {} if anonymous else {"cert_file": str(d / "c.crt"), "key_file": str(d / "c.key")}
        self.http = urllib3.PoolManager(ca_certs=str(d / "ca.crt"), cert_reqs=ssl.CERT_REQUIRED, **kw)
        self.url = cluster.url

    def request(self, method: str, path: str, *, body=None, headers: dict | None = None, preload: bool = True,
                timeout: float = 30):
        h = {"Accept": "application/json"}
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        return self.http.request(method, self.url + path, body=body, headers=h, preload_content=preload,
                                 timeout=timeout, retries=False)

    def json(self, method: str, path: str, **kw) -> tuple[int, dict]:
        r = self.request(method, path, **kw)
        return r.status, json.loads(r.data) if r.data else {}


@pytest.fixture(scope="module")
def raw(cluster):
    return RawClient(cluster)
