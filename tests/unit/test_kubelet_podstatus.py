"""Pure pieces of the pod worker: status, phase, conditions, back-off, the pod's /etc files."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kybernetes.kubelet.podstatus import ContainerView, Waiting, container_status, pod_conditions, pod_phase
from kybernetes.kubelet.runtime.runc import ContainerMeta, ContainerState
from kybernetes.kubelet.sandbox import etc_hosts, resolv_conf
from kybernetes.kubelet.worker import BACKOFF_MAX, Backoff, _latest, _seconds


def state(name: str, kind: str, *, code: int | None = None, attempt: int = 0, oom: bool = False) -> ContainerState:
    meta = ContainerMeta(pod_uid="u", pod_namespace="ns", pod_name="p", name=name, attempt=attempt, image="img",
                         image_id="docker.io/library/img@sha256:1", log_path="/x", id=f"{name}{attempt}")
    if kind == "running":
        return ContainerState(meta, "running", pid=1, started_at=100.0)
    return ContainerState(meta, "exited", started_at=100.0, finished_at=160.0, exit_code=code, oom_killed=oom)


def view(name: str, cur: ContainerState | None = None, **kw) -> ContainerView:
    return ContainerView(name=name, image="img", current=cur, **kw)


def test_container_status_states_and_reasons():
    assert container_status(view("a"))["state"] == {"waiting": {"reason": "ContainerCreating"}}
    running = container_status(view("a", state("a", "running"), ready=True, started=True))
    assert running["state"] == {"running": {"startedAt": "1970-01-01T00:01:40Z"}}
    assert running["ready"] and running["started"] and running["containerID"] == "runc://a0"
    done = container_status(view("a", state("a", "exited", code=0)))["state"]["terminated"]
    assert done["reason"] == "Completed" and done["exitCode"] == 0 and done["finishedAt"] == "1970-01-01T00:02:40Z"
    assert container_status(view("a", state("a", "exited", code=1)))["state"]["terminated"]["reason"] == "Error"
    oom = container_status(view("a", state("a", "exited", code=137, oom=True)))["state"]["terminated"]
    assert oom["reason"] == "OOMKilled"


def test_crash_loop_shows_the_last_run_as_last_state():
    cs = container_status(view("a", state("a", "exited", code=2, attempt=3),
                               waiting=Waiting("CrashLoopBackOff", "back-off 40s ...")))
    assert cs["state"] == {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s ..."}}
    assert cs["lastState"]["terminated"]["exitCode"] == 2 and cs["restartCount"] == 3 and not cs["ready"]


def test_phase_follows_upstream():
    spec = {"restartPolicy": "Always"}
    assert pod_phase(spec, [], [view("a")]) == "Pending"
    assert pod_phase(spec, [view("i", state("i", "running"))], [view("a")]) == "Pending"
    assert pod_phase(spec, [], [view("a", state("a", "running"))]) == "Running"
    assert pod_phase(spec, [], [view("a", state("a", "exited", code=0))]) == "Running"   # will restart
    never = {"restartPolicy": "Never"}
    assert pod_phase(never, [], [view("a", state("a", "exited", code=0))]) == "Succeeded"
    assert pod_phase(never, [], [view("a", state("a", "exited", code=0)), view("b", state("b", "exited", code=1))]) \
        == "Failed"
    assert pod_phase(never, [view("i", state("i", "exited", code=1))], [view("a")]) == "Failed"
    on_failure = {"restartPolicy": "OnFailure"}
    assert pod_phase(on_failure, [], [view("a", state("a", "exited", code=0))]) == "Succeeded"
    assert pod_phase(on_failure, [], [view("a", state("a", "exited", code=1))]) == "Running"


def test_conditions_name_the_unready_containers_and_keep_others():
    pod = {"status": {"conditions": [{"type": "PodScheduled", "status": "True"}]}}
    conds = pod_conditions(pod, [view("init", state("init", "running"))], [view("a"), view("b")],
                           sandbox_ready=True, phase="Pending", now="T")
    by = {c["type"]: c for c in conds}
    assert [c["type"] for c in conds] == ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                          "PodScheduled"]
    assert by["Initialized"]["message"] == "containers with incomplete status: [init]"
    assert by["Ready"]["reason"] == "ContainersNotReady"
    assert by["ContainersReady"]["message"] == "containers with unready status: [a b]"


def test_condition_keeps_its_transition_time_while_unchanged():
    pod = {"status": {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "EARLIER"}]}}
    apps = [view("a", state("a", "running"), ready=True)]
    conds = {c["type"]: c for c in pod_conditions(pod, [], apps, sandbox_ready=True, phase="Running", now="NOW")}
    assert conds["Ready"]["lastTransitionTime"] == "EARLIER" and conds["ContainersReady"]["lastTransitionTime"] == "NOW"


@given(st.integers(min_value=1, max_value=12))
def test_backoff_doubles_to_the_cap(n):
    b = Backoff()
    assert b.ready(0.0, 0.0)
    t = 0.0
    for _ in range(n):
        b.next(t)
        t += 1
    assert b.delay == min(10.0 * 2 ** (n - 1), BACKOFF_MAX)


def test_backoff_starts_over_after_a_quiet_spell():
    b = Backoff()
    b.next(0.0)
    b.next(1.0)
    assert b.delay == 20.0
    b.next(1.0 + 2 * BACKOFF_MAX + 1)
    assert b.delay == 10.0


def test_pull_policy_default_and_durations():
    assert _latest("busybox") and _latest("busybox:latest") and _latest("reg:5000/busybox")
    assert not _latest("busybox:1.36") and not _latest("busybox@sha256:" + "a" * 64)
    assert _seconds(10) == "10s" and _seconds(80) == "1m20s" and _seconds(300) == "5m0s" and _seconds(1.5) == "1.5s" and _seconds(0.25) == "250ms"


def test_resolv_conf_never_points_at_the_host():
    pod = {"metadata": {"namespace": "team"}, "spec": {}}
    text = resolv_conf(pod, cluster_dns=[], cluster_domain="cluster.local")
    assert "nameserver" not in text
    assert "search team.svc.cluster.local svc.cluster.local cluster.local" in text and "options ndots:5" in text
    text = resolv_conf(pod, cluster_dns=["10.43.0.10"], cluster_domain="cluster.local")
    assert text.startswith("nameserver 10.43.0.10\n")
    custom = {"metadata": {"namespace": "x"}, "spec": {"dnsPolicy": "None", "dnsConfig": {
        "nameservers": ["10.0.0.53"], "searches": ["a.example"], "options": [{"name": "ndots", "value": "2"}]}}}
    assert resolv_conf(custom, cluster_dns=["10.43.0.10"], cluster_domain="cluster.local") == \
        "nameserver 10.0.0.53\nsearch a.example\noptions ndots:2\n"


def test_etc_hosts_names_the_pod_and_its_aliases():
    pod = {"metadata": {"name": "web-1", "namespace": "ns"},
           "spec": {"hostname": "web", "subdomain": "svc", "hostAliases": [{"ip": "10.1.2.3", "hostnames": ["db"]}]}}
    text = etc_hosts(pod, "10.42.0.5", cluster_domain="cluster.local")
    assert "10.42.0.5\tweb.svc.ns.svc.cluster.local\tweb" in text
    assert "# Entries added by HostAliases.\n10.1.2.3\tdb" in text
    # a hostNetwork pod: the node's own file, then the aliases
    node = etc_hosts(pod, "192.0.2.1", cluster_domain="cluster.local", node_hosts="127.0.0.1\tlocalhost\n10.0.0.9\tbox\n")
    assert "10.0.0.9\tbox\n" in node and "web.svc" not in node and node.endswith("10.1.2.3\tdb\n"), node
