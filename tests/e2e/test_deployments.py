"""Deployments end to end, driven by kubectl against ``kyb server`` (API server and
controller manager), with a fake kubelet (tests/e2e/fakekubelet.py) that binds pods
and reports them Ready, as the real scheduler and kubelet will: create, scale,
rolling update within maxSurge/maxUnavailable at every observed step, rollout
history/undo/pause/resume/restart/status, deletion with each propagation policy, and
a controller manager killed mid-rollout."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from .conftest import (KUBECTL_MACHINE, KUBECTL_PIP, Kubectl, start_cluster, start_controller_manager, stop_process,
                       wait_for)
from .fakekubelet import FakeKubelet

pytestmark = pytest.mark.e2e




@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-deploy") / "data", controllers=True)
    yield c
    c.stop()


@pytest.fixture(scope="module")
def k(cluster, tmp_path_factory):
    return Kubectl(str(KUBECTL_PIP), cluster, tmp_path_factory.mktemp("home"))


@pytest.fixture
def ns(k, cluster):
    """A fresh namespace with a fake kubelet serving it."""
    name = f"d-{uuid.uuid4().hex[:6]}"
    k("create", "ns", name)
    kubelet = FakeKubelet(cluster.kubeconfig, name, ready_delay=0.1).start()
    yield name, kubelet
    kubelet.stop()


def pods(k: Kubectl, ns: str, selector: str = "app=web") -> list[dict]:
    return [p for p in k.json("get", "pods", "-n", ns, "-l", selector)["items"]
            if not p["metadata"].get("deletionTimestamp")]


def replicasets(k: Kubectl, ns: str) -> list[dict]:
    return k.json("get", "rs", "-n", ns)["items"]


def revision(obj: dict) -> str:
    return obj["metadata"].get("annotations", {}).get("deployment.kubernetes.io/revision", "")


def rollout_status(k: Kubectl, ns: str, name: str = "web") -> str:
    out = k("rollout", "status", f"deployment/{name}", "-n", ns, "--timeout=90s", timeout=120)
    assert f'deployment "{name}" successfully rolled out' in out
    return out


class BoundsWatcher:
    """Watches pods and ReplicaSets (kubectl get --watch) during a rollout and checks
    upstream's guarantees at every observed step: the ReplicaSets never ask for more
    than replicas+maxSurge pods, and never fewer than replicas-maxUnavailable pods are
    Ready (the fake kubelet never makes a Ready pod unready)."""

    def __init__(self, k: Kubectl, ns: str, *, max_total: int, min_ready: int) -> None:
        self.max_total, self.min_ready = max_total, min_ready
        self.rs: dict[str, int] = {}
        self.ready: set[str] = set()
        self.violations: list[str] = []
        self.steps = 0
        self.procs = [k.popen("get", kind, "-n", ns, "--watch", "-o", "json", "--output-watch-events")
                      for kind in ("rs", "pods")]
        self.threads = [threading.Thread(target=self._read, args=(p,), daemon=True) for p in self.procs]
        self.lock = threading.Lock()
        for t in self.threads:
            t.start()

    def _read(self, proc: subprocess.Popen) -> None:
        decoder = json.JSONDecoder()
        buf = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            buf += line
            try:
                event, end = decoder.raw_decode(buf.lstrip())
            except json.JSONDecodeError:
                continue
            buf = buf.lstrip()[end:]
            self._observe(event["type"], event["object"])

    def _observe(self, etype: str, obj: dict) -> None:
        name = obj["metadata"]["name"]
        with self.lock:
            self.steps += 1
            if obj["kind"] == "ReplicaSet":
                if etype == "DELETED":
                    self.rs.pop(name, None)
                else:
                    self.rs[name] = obj["spec"].get("replicas", 0)
                total = sum(self.rs.values())
                if total > self.max_total:
                    self.violations.append(f"replicasets ask for {total} pods: {self.rs}")
            else:
                conds = {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions") or []}
                if etype != "DELETED" and not obj["metadata"].get("deletionTimestamp") and conds.get("Ready") == "True":
                    self.ready.add(name)
                else:
                    self.ready.discard(name)
                if self.ready_seen_full and len(self.ready) < self.min_ready:
                    self.violations.append(f"only {len(self.ready)} ready pods: {sorted(self.ready)}")
                self.ready_seen_full = self.ready_seen_full or len(self.ready) >= self.min_ready

    ready_seen_full = False  # the initial listing arrives pod by pod: judge once it is complete

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
            p.wait(10)


def test_deployment_lifecycle(k, ns):
    ns, _kubelet = ns
    k("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3", "-n", ns)
    rollout_status(k, ns)
    dep = k.json("get", "deployment", "web", "-n", ns)
    # the revision annotation is written with the status: the spec's generation does not move
    assert dep["metadata"]["generation"] == 1 and revision(dep) == "1"

    # kubectl get rs,pods with upstream's columns
    out = k("get", "rs,pods", "-n", ns)
    assert re.search(r"^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$", out, re.M), out
    assert re.search(r"^replicaset\.apps/web-[a-z0-9]{6,10}\s+3\s+3\s+3\s+\S+$", out, re.M), out
    assert re.search(r"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$", out, re.M), out
    assert len(re.findall(r"^pod/web-[a-z0-9]+-[a-z0-9]{5}\s+1/1\s+Running\s+0\s+\S+$", out, re.M)) == 3, out
    out = k("get", "deployment", "web", "-n", ns)
    assert re.search(r"^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$", out, re.M), out
    assert re.search(r"^web\s+3/3\s+3\s+3\s+\S+$", out, re.M), out
    (rs1,) = replicasets(k, ns)
    assert revision(rs1) == "1"
    hash1 = rs1["metadata"]["labels"]["pod-template-hash"]
    assert rs1["metadata"]["name"] == f"web-{hash1}"
    assert all(p["metadata"]["labels"]["pod-template-hash"] == hash1 for p in pods(k, ns))

    # a deleted pod is replaced
    victim = pods(k, ns)[0]["metadata"]["name"]
    k("delete", "pod", victim, "-n", ns)
    assert wait_for(lambda: (names := {p["metadata"]["name"] for p in pods(k, ns)}) and victim not in names
                    and len(names) == 3)

    # scale to 10 and to 0
    k("scale", "deployment/web", "--replicas=10", "-n", ns)
    rollout_status(k, ns)
    assert len(pods(k, ns)) == 10
    k("scale", "deployment/web", "--replicas=0", "-n", ns)
    assert wait_for(lambda: not pods(k, ns))
    k("scale", "deployment/web", "--replicas=4", "-n", ns)
    rollout_status(k, ns)

    # a new image: a new ReplicaSet, the old one scaled down within the bounds at every step
    # (25% of 4: maxSurge 1, maxUnavailable 1)
    watcher = BoundsWatcher(k, ns, max_total=5, min_ready=3)
    try:
        time.sleep(0.5)  # let both watches list what exists
        k("set", "image", "deployment/web", "nginx=nginx:1.26", "-n", ns)
        rollout_status(k, ns)
        assert wait_for(lambda: len(pods(k, ns)) == 4)
    finally:
        watcher.stop()
    assert not watcher.violations, watcher.violations[:5]
    assert watcher.steps > 10
    rss = {rs["metadata"]["name"]: rs for rs in replicasets(k, ns)}
    assert len(rss) == 2
    new = next(rs for rs in rss.values() if rs["metadata"]["name"] != rs1["metadata"]["name"])
    assert revision(new) == "2" and new["spec"]["replicas"] == 4
    assert rss[rs1["metadata"]["name"]]["spec"]["replicas"] == 0
    assert {p["spec"]["containers"][0]["image"] for p in pods(k, ns)} == {"nginx:1.26"}
    dep = k.json("get", "deployment", "web", "-n", ns)
    assert revision(dep) == "2"
    conds = {c["type"]: c for c in dep["status"]["conditions"]}
    assert conds["Available"]["status"] == "True" and conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conds["Progressing"]["message"] == f'ReplicaSet "{new["metadata"]["name"]}" has successfully progressed.'

    # history and undo
    out = k("rollout", "history", "deployment/web", "-n", ns)
    assert re.search(r"^REVISION\s+CHANGE-CAUSE$", out, re.M) and re.search(r"^1\s+<none>$", out, re.M) \
        and re.search(r"^2\s+<none>$", out, re.M), out
    out = k("rollout", "history", "deployment/web", "-n", ns, "--revision=1")
    assert "nginx:1.25" in out
    k("rollout", "undo", "deployment/web", "-n", ns)
    rollout_status(k, ns)
    rss = {rs["metadata"]["name"]: rs for rs in replicasets(k, ns)}
    assert len(rss) == 2  # the first ReplicaSet was reused ...
    assert revision(rss[rs1["metadata"]["name"]]) == "3"  # ... under a new revision
    assert rss[rs1["metadata"]["name"]]["spec"]["replicas"] == 4
    assert {p["spec"]["containers"][0]["image"] for p in pods(k, ns)} == {"nginx:1.25"}
    k("rollout", "undo", "deployment/web", "-n", ns, "--to-revision=2")
    rollout_status(k, ns)
    assert revision(k.json("get", "deployment", "web", "-n", ns)) == "4"
    assert {p["spec"]["containers"][0]["image"] for p in pods(k, ns)} == {"nginx:1.26"}

    # pause: template changes wait; resume: they roll out
    k("rollout", "pause", "deployment/web", "-n", ns)
    k("set", "image", "deployment/web", "nginx=nginx:1.27", "-n", ns)

    def paused_condition():
        dep = k.json("get", "deployment", "web", "-n", ns)
        conds = {c["type"]: c for c in dep["status"].get("conditions", [])}
        return conds.get("Progressing", {}).get("reason") == "DeploymentPaused" and dep
    dep = wait_for(paused_condition)
    assert dep, "no DeploymentPaused condition"
    assert len(replicasets(k, ns)) == 2
    assert {p["spec"]["containers"][0]["image"] for p in pods(k, ns)} == {"nginx:1.26"}
    k("rollout", "resume", "deployment/web", "-n", ns)
    rollout_status(k, ns)
    assert {p["spec"]["containers"][0]["image"] for p in pods(k, ns)} == {"nginx:1.27"}

    # restart: a new ReplicaSet with the restartedAt annotation in its template
    k("rollout", "restart", "deployment/web", "-n", ns)
    rollout_status(k, ns)
    assert wait_for(lambda: len(pods(k, ns)) == 4)
    latest = max(replicasets(k, ns), key=lambda rs: int(revision(rs)))
    assert "kubectl.kubernetes.io/restartedAt" in latest["spec"]["template"]["metadata"]["annotations"]
    assert all(p["metadata"]["labels"]["pod-template-hash"] == latest["metadata"]["labels"]["pod-template-hash"]
               for p in pods(k, ns))
    assert revision(latest) == "6"


def owned_by(obj: dict, owner_uid: str) -> bool:
    return any(r["uid"] == owner_uid for r in obj["metadata"].get("ownerReferences", []))


@pytest.mark.parametrize("cascade", ["background", "foreground", "orphan"])
def test_delete_deployment_with_each_propagation_policy(k, ns, cascade):
    ns, _kubelet = ns
    k("create", "deployment", "web", "--image=nginx", "--replicas=2", "-n", ns)
    rollout_status(k, ns)
    (rs,) = replicasets(k, ns)
    pod_names = {p["metadata"]["name"] for p in pods(k, ns)}
    out = k("delete", "deployment", "web", "-n", ns, f"--cascade={cascade}", timeout=90)
    assert 'deployment.apps "web" deleted' in out
    assert k.run("get", "deployment", "web", "-n", ns, check=False).returncode != 0
    if cascade == "orphan":
        time.sleep(1.0)  # give a wrong collector the chance to act
        left = replicasets(k, ns)
        assert [r["metadata"]["uid"] for r in left] == [rs["metadata"]["uid"]]
        assert not left[0]["metadata"].get("ownerReferences")
        assert {p["metadata"]["name"] for p in pods(k, ns)} == pod_names
        assert all(owned_by(p, rs["metadata"]["uid"]) for p in pods(k, ns))
    elif cascade == "foreground":
        # kubectl waited for the deployment to go, which happens only after its dependents
        assert not replicasets(k, ns)
        assert not pods(k, ns)
    else:
        assert wait_for(lambda: not replicasets(k, ns) and not pods(k, ns))


def test_rollout_with_the_machine_kubectl(cluster, ns, tmp_path):
    """kubectl 1.33 (picked by the machine's dispatcher from the server's version)."""
    ns, _kubelet = ns
    k = Kubectl(str(KUBECTL_MACHINE), cluster, tmp_path)
    k("create", "deployment", "api", "--image=nginx:1", "--replicas=2", "-n", ns)
    rollout_status(k, ns, "api")
    k("set", "image", "deployment/api", "nginx=nginx:2", "-n", ns)
    rollout_status(k, ns, "api")
    assert re.search(r"^2\s+<none>$", k("rollout", "history", "deployment/api", "-n", ns), re.M)
    k("rollout", "undo", "deployment/api", "-n", ns)
    rollout_status(k, ns, "api")
    assert {p["spec"]["containers"][0]["image"] for p in pods(k, ns, "app=api")} == {"nginx:1"}


# ---------------------------------------------------------------------------- restart mid-rollout
def start_manager(kubeconfig: Path, log_path: Path) -> subprocess.Popen:
    return start_controller_manager(kubeconfig, log_path, "--leader-elect", "false")


def test_controller_manager_killed_mid_rollout_finishes_without_extra_pods(tmp_path):
    cluster = start_cluster(tmp_path / "data")  # the API server alone; the manager runs separately
    manager = start_manager(cluster.kubeconfig, tmp_path / "cm.log")
    k = Kubectl(str(KUBECTL_PIP), cluster, tmp_path / "home")
    kubelet = None
    try:
        k("create", "ns", "roll")
        kubelet = FakeKubelet(cluster.kubeconfig, "roll").start()
        k("create", "deployment", "web", "--image=nginx:1", "--replicas=6", "-n", "roll")
        rollout_status(k, "roll")
        watcher = BoundsWatcher(k, "roll", max_total=8, min_ready=5)  # 25% of 6: surge 2, unavailable 1
        try:
            time.sleep(0.5)
            kubelet.hold()  # new pods stay unready: the rollout stops part-way
            k("set", "image", "deployment/web", "nginx=nginx:2", "-n", "roll")
            assert wait_for(lambda: len(replicasets(k, "roll")) == 2 and len(pods(k, "roll")) == 8)
            manager.send_signal(signal.SIGKILL)
            manager.wait(10)
            kubelet.release()
            time.sleep(0.5)
            manager = start_manager(cluster.kubeconfig, tmp_path / "cm.log")
            rollout_status(k, "roll")
            assert wait_for(lambda: len(pods(k, "roll")) == 6)
            time.sleep(1.0)
        finally:
            watcher.stop()
        assert not watcher.violations, watcher.violations[:5]
        assert len(pods(k, "roll")) == 6
        assert {p["spec"]["containers"][0]["image"] for p in pods(k, "roll")} == {"nginx:2"}
        assert sorted(rs["spec"]["replicas"] for rs in replicasets(k, "roll")) == [0, 6]
    finally:
        if kubelet is not None:
            kubelet.stop()
        stop_process(manager)
        cluster.stop()
