"""The kubelet started by an unprivileged user: the rootless runtime (a user namespace
of its own, no cgroups) runs the same images, with a pod network of its own."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import kybernetes
from kybernetes.cli.supervisor import die_with_parent
from tests.e2e.conftest import KUBECTL_PIP, Kubectl, start_cluster, stop_process, wait_for
from tests.e2e.test_kubelet import (apply, container_status, events_of, fetch, forwarded_ports, free_cluster_cidr,
                                   in_phase, node_ready, pod_json, simple_pod)
from tests.imagebuild import busybox_image

pytestmark = pytest.mark.e2e

NODE = "kyb-rootless-node"
NOBODY = 65534
MS_REC, MS_PRIVATE, MS_BIND, MS_RDONLY, MS_REMOUNT = 0x4000, 0x40000, 0x1000, 0x1, 0x20
CLONE_NEWNS = 0x00020000


class Unprivileged:
    """Runs ``kyb`` as uid/gid 65534. The interpreter, the venv and the source may sit
    where that user cannot look (e.g. under /root), so each child gets a mount namespace
    of its own in which they are bind-mounted, read-only, under a directory it can reach."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.binds: list[tuple[str, Path]] = []
        prefix = Path(sys.base_prefix).resolve()
        self.python = base / "python" / Path(os.path.realpath(sys.executable)).relative_to(prefix)
        self.binds.append((str(prefix), base / "python"))
        source = Path(kybernetes.__file__).resolve().parents[1]
        self.binds.append((str(source), base / "src"))
        self.path = [str(base / "src")]
        for i, packages in enumerate(p for p in site.getsitepackages() if os.path.isdir(p)):
            self.binds.append((os.path.realpath(packages), base / f"site{i}"))
            self.path.append(str(base / f"site{i}"))
        for _, target in self.binds:
            target.mkdir(parents=True, exist_ok=True)

    def _enter(self) -> None:
        die_with_parent()
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNS) != 0 or libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "private mount namespace")
        for source, target in self.binds:
            if libc.mount(source.encode(), str(target).encode(), None, MS_BIND | MS_REC, None) != 0:
                raise OSError(ctypes.get_errno(), f"bind {source}")
            libc.mount(None, str(target).encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, None)
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)

    def spawn(self, *args: str, log_path: Path, wait: bool = False) -> subprocess.Popen:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.base),
               "PYTHONPATH": ":".join(self.path),
               # an interpreter built with a shared libpython finds it by an absolute rpath
               "LD_LIBRARY_PATH": str(self.base / "python" / "lib")}
        proc = subprocess.Popen([str(self.python), "-m", "kybernetes.cli.main", *args], cwd=self.base,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"),
                                env=env, start_new_session=True, preexec_fn=self._enter)
        if wait:
            proc.wait(120)
        return proc


@pytest.fixture(scope="module")
def rootless(tmp_path_factory):
    base = tmp_path_factory.mktemp("kyb-rootless")
    cidr = free_cluster_cidr()
    cluster = start_cluster(base / "data", "--cluster-cidr", cidr, controllers=True, scheduler=True)
    # the agent's own data dir: somewhere the unprivileged user can reach, and its own
    home = Path(tempfile.mkdtemp(prefix="kyb-rootless-", dir="/tmp"))
    os.chmod(home, 0o755)
    agent = home / "agent"
    (agent / "agent" / "images").mkdir(parents=True)
    shutil.copy(base / "data" / "kubeconfig", agent / "kubeconfig")
    busybox_image().oci_archive(agent / "agent" / "images" / "busybox.tar", "busybox:1.36")
    busybox_image(openssl=True).oci_archive(agent / "agent" / "images" / "tls.tar", "busybox-openssl:1")
    for root, dirs, files in os.walk(agent):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, NOBODY, NOBODY)
    runner = Unprivileged(home / "mnt")
    log = base / "kubelet.log"
    flags = ["--data-dir", str(agent), "--hostname-override", NODE, "--cluster-cidr", cidr, "--port", "0"]
    kubelet = runner.spawn("kubelet", *flags, log_path=log)
    try:
        k = Kubectl(str(KUBECTL_PIP), cluster, base)
        ready = wait_for(lambda: node_ready(k, NODE), timeout=60)
        assert ready, log.read_text()[-3000:]
        yield k, log
    finally:
        stop_process(kubelet)
        runner.spawn("kubelet", "--teardown", *flags, log_path=log, wait=True)
        cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


def on_node(pod: dict) -> dict:
    pod["spec"]["nodeName"] = NODE
    return pod


def finished(k: Kubectl, name: str) -> dict | None:
    return in_phase(k, name, "Succeeded", "Failed")


def test_rootless_node_runs_pods_in_a_user_namespace(rootless):
    k, log = rootless
    node = k.json("get", "node", NODE)
    assert {a["type"]: a["address"] for a in node["status"]["addresses"]}["InternalIP"] == "127.0.0.1"
    apply(k, on_node(simple_pod("whoami", "id -u; cat /proc/self/uid_map; echo done", restartPolicy="Never")))
    p = wait_for(lambda: finished(k, "whoami"), timeout=60)
    assert p and p["status"]["phase"] == "Succeeded", (container_status(pod_json(k, "whoami")), events_of(k, "whoami"))
    out = k("logs", "whoami").split()
    # root inside, the unprivileged user outside: a one-id map onto 65534
    assert out == ["0", "0", str(NOBODY), "1", "done"], out
    uid = p["metadata"]["uid"]
    assert not list(Path("/sys/fs/cgroup").glob(f"*/**/*{uid.replace('-', '_')}*")), "rootless pods get no cgroups"
    k("delete", "pod", "whoami")


def test_rootless_pods_reach_each_other_but_not_out(rootless):
    k, _ = rootless
    server = on_node(simple_pod("httpd", "mkdir -p /www && echo hello-rootless > /www/index.html && "
                                "exec httpd -f -p 8080 -h /www"))
    main = server["spec"]["containers"][0]
    main["ports"] = [{"name": "http", "containerPort": 8080}]
    main["readinessProbe"] = {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1}
    main["livenessProbe"] = {"tcpSocket": {"port": 8080}, "periodSeconds": 1}
    apply(k, server)
    p = wait_for(lambda: (lambda p: p if container_status(p).get("ready") else None)(pod_json(k, "httpd")),
                 timeout=60)
    assert p, (pod_json(k, "httpd").get("status"), events_of(k, "httpd"))
    ip = p["status"]["podIP"]
    apply(k, on_node(simple_pod("fetch", f"for i in 1 2 3 4 5; do wget -q -O - http://{ip}:8080/ && exit 0; "
                                "sleep 1; done; exit 1", restartPolicy="Never")))
    done = wait_for(lambda: finished(k, "fetch"), timeout=60)
    assert done and done["status"]["phase"] == "Succeeded", k("logs", "fetch", check=False)
    assert "hello-rootless" in k("logs", "fetch")
    apply(k, on_node(simple_pod("outside", "nc -w 2 203.0.113.1 80 </dev/null 2>&1; echo rc=$?",
                                restartPolicy="Never")))
    assert wait_for(lambda: finished(k, "outside"), timeout=60)
    out = k("logs", "outside")
    assert "rc=1" in out and "unreachable" in out.lower(), out
    assert k("exec", "httpd", "--", "cat", "/proc/self/uid_map").split() == ["0", str(NOBODY), "1"]   # exec too
    forward = k.popen("port-forward", "--address", "127.0.0.1", "pod/httpd", ":8080")   # and port-forward
    try:
        assert fetch(forwarded_ports(forward, 1)["8080"]) == "hello-rootless"
    finally:
        forward.kill()
        forward.communicate(timeout=10)
    time.sleep(2)   # a few more probe periods: the liveness probe keeps passing
    assert container_status(pod_json(k, "httpd"))["restartCount"] == 0
    k("delete", "pod", "httpd", "fetch", "outside")


def test_rootless_pods_reach_the_api_server(rootless):
    k, _ = rootless
    pod = on_node(simple_pod("caller", "sleep 600"))
    pod["spec"]["containers"][0]["image"] = "busybox-openssl:1"
    apply(k, pod)
    assert wait_for(lambda: container_status(pod_json(k, "caller")).get("ready"), timeout=60)
    sa = "/var/run/secrets/kubernetes.io/serviceaccount"
    url = "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/default/pods/caller"
    got = k("exec", "caller", "--", "sh", "-c",
            f'wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat {sa}/token)" {url}')
    assert json.loads(got)["metadata"]["name"] == "caller", got
    k("delete", "pod", "caller")


def test_rootless_runtime_refuses_other_users_clearly(rootless):
    k, _ = rootless
    apply(k, on_node(simple_pod("asuser", "sleep 60", securityContext={"runAsUser": 1000})))
    waiting = wait_for(lambda: container_status(pod_json(k, "asuser")).get("state", {}).get("waiting", {}).get(
        "reason") == "CreateContainerConfigError" and container_status(pod_json(k, "asuser")), timeout=60)
    assert waiting, pod_json(k, "asuser").get("status")
    assert "cannot run as uid 1000" in waiting["state"]["waiting"]["message"]
    k("delete", "pod", "asuser")
