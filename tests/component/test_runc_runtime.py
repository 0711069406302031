"""The runc runtime on this machine: real containers from a busybox image, through the shim."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from kybernetes.kubelet.images.store import ImageStore
from kybernetes.kubelet.runtime import cgroups
from kybernetes.kubelet.runtime.runc import ContainerMeta, RuncRuntime, RuntimeError_
from kybernetes.kubelet.runtime.seccomp import SeccompError, runtime_default, seccomp_for
from kybernetes.kubelet.runtime.spec import DEFAULT_CAPABILITIES, oci_spec
from tests.imagebuild import busybox_image



@pytest.fixture
async def env(tmp_path):
    store = ImageStore(tmp_path / "store")
    [image] = store.import_archive(busybox_image().oci_archive(tmp_path / "bb.tar", "busybox:test"))
    lower = store.rootfs(image)
    config = store.read_json(image.config)
    runtime = RuncRuntime(tmp_path / "agent", cgroup_root=f"/kyb-test-{os.getpid()}-{tmp_path.name[-12:]}")
    yield runtime, lower, config, tmp_path
    await runtime.teardown()
    assert runtime.list() == []
    assert not any(p.is_dir() for p in Path("/sys/fs/cgroup").glob(f"*{runtime.cgroup_root}"))


async def run(env, script: str, *, name: str = "c", resources: dict | None = None, attempt: int = 0,
              seccomp: dict | None = None, security: dict | None = None):
    runtime, lower, config, tmp = env
    container = {"name": name, "image": "busybox:test", "command": ["sh", "-c", script]}
    if resources:
        container["resources"] = resources
    if security:
        container["securityContext"] = security
    pod = {"metadata": {"name": "p", "namespace": "default", "uid": "uid-1"}, "spec": {"containers": [container]}}
    spec = oci_spec(pod, container, config, rootfs=lower, env=[("GREETING", "hi")], netns_path="",
                    cgroups_path="", memory_capacity=8 << 30, seccomp=seccomp)
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"] + \
        [{"type": "network"}]
    meta = ContainerMeta(pod_uid="uid-1", pod_namespace="default", pod_name="p", name=name, attempt=attempt,
                         image="busybox:test", image_id="x", log_path=str(tmp / "logs" / f"{name}-{attempt}.log"))
    qos = "Guaranteed" if resources else "BestEffort"
    return await runtime.run(meta, spec, lower, qos)


def records(path: str) -> list[tuple[str, str, str]]:
    out = []
    for line in Path(path).read_text().splitlines():
        _ts, stream, tag, content = line.split(" ", 3)
        out.append((stream, tag, content))
    return out


async def test_runs_to_completion_with_exit_code_and_logs(env):
    runtime = env[0]
    st = await run(env, 'echo "$GREETING from $(hostname)"; echo oops >&2; exit 3')
    assert st.state in ("running", "exited")
    await asyncio.wait_for(runtime.wait(st.id), 10)
    done = runtime.state(st.id)
    assert done.state == "exited" and done.exit_code == 3 and not done.oom_killed
    assert done.finished_at >= done.started_at
    assert records(done.meta.log_path) == [("stdout", "F", "hi from p"), ("stderr", "F", "oops")]


async def test_stop_sends_sigterm_then_sigkill(env):
    runtime = env[0]
    polite = await run(env, "trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done", name="polite")
    stubborn = await run(env, "trap '' TERM; while true; do sleep 0.1; done", name="stubborn")
    await asyncio.sleep(0.3)   # let the traps be installed
    await asyncio.gather(runtime.stop(polite.id, 5), runtime.stop(stubborn.id, 0.5))
    assert runtime.state(polite.id).exit_code == 0
    assert ("stdout", "F", "bye") in records(polite.meta.log_path)
    assert runtime.state(stubborn.id).exit_code == 128 + signal.SIGKILL


async def test_memory_limit_oom_kill_is_reported(env):
    runtime = env[0]
    st = await run(env, "exec dd if=/dev/zero of=/dev/null bs=64M count=1",
                   resources={"limits": {"memory": "16Mi", "cpu": "1"}, "requests": {"memory": "16Mi", "cpu": "1"}})
    await asyncio.wait_for(runtime.wait(st.id), 20)
    done = runtime.state(st.id)
    assert done.exit_code == 137 and done.oom_killed


async def test_state_survives_a_new_runtime_object(env):
    """What a restarted kubelet sees: the container still running, then its exit."""
    runtime = env[0]
    st = await run(env, "sleep 1; exit 7")
    again = RuncRuntime(runtime.root, cgroup_root=runtime.cgroup_root)
    seen = again.state(st.id)
    assert seen.state == "running" and seen.pid == st.pid
    await asyncio.wait_for(again.wait(st.id), 10)   # not its child: waits on the shim's pidfd
    assert again.state(st.id).exit_code == 7


async def test_start_failure_is_reported_and_cleaned_up(env):
    runtime, lower, config, tmp = env
    container = {"name": "bad", "image": "busybox:test", "command": ["/no/such/binary"]}
    pod = {"metadata": {"name": "p", "uid": "uid-1"}, "spec": {"containers": [container]}}
    spec = oci_spec(pod, container, config, rootfs=lower, env=[], netns_path="", cgroups_path="",
                    memory_capacity=8 << 30)
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
    meta = ContainerMeta(pod_uid="uid-1", pod_namespace="default", pod_name="p", name="bad", attempt=0,
                         image="busybox:test", image_id="x", log_path=str(tmp / "logs" / "bad.log"))
    with pytest.raises(RuntimeError_) as e:
        await runtime.run(meta, spec, lower, "BestEffort")
    assert "/no/such/binary" in str(e.value)
    assert runtime.list() == []


def test_cgroup_layout_follows_the_kubelet():
    assert cgroups.cgroup_path("/kubepods", "Guaranteed", "u1", "c1") == "/kubepods/podu1/c1"
    assert cgroups.cgroup_path("/kubepods", "Burstable", "u1", "c1") == "/kubepods/burstable/podu1/c1"
    assert cgroups.cgroup_path("/kubepods", "BestEffort", "u1", "c1") == "/kubepods/besteffort/podu1/c1"
    assert json.dumps(cgroups.oom_files("/kubepods/podu1/c1")).count("oom") == 1


async def test_exec_in_a_running_container(env):
    runtime = env[0]
    st = await run(env, "echo ready > /tmp/flag; while true; do sleep 1; done")
    await asyncio.sleep(0.2)
    code, out = await runtime.exec_sync(st.id, ["sh", "-c", "cat /tmp/flag; echo $GREETING; exit 4"], timeout=10)
    assert code == 4 and out == b"ready\nhi\n"
    with pytest.raises(asyncio.TimeoutError):
        await runtime.exec_sync(st.id, ["sleep", "30"], timeout=0.5)
    await runtime.stop(st.id, 0)


async def test_seccomp_profiles_are_applied(env, tmp_path):
    runtime = env[0]
    script = "grep Seccomp: /proc/self/status; mkdir /tmp/d && echo made; unshare -m true && echo unshared"
    default = await run(env, script, name="default", seccomp=runtime_default(DEFAULT_CAPABILITIES))
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "no-mkdir.json").write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}))
    pod_spec = {"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "no-mkdir.json"}}}
    local = await run(env, script, name="local", seccomp=seccomp_for(pod_spec, {}, [], profile_root=tmp_path / "profiles"))
    admin = await run(env, script, name="admin", security={"capabilities": {"add": ["SYS_ADMIN"]}},
                      seccomp=runtime_default([*DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"]))
    for st in (default, local, admin):
        await asyncio.wait_for(runtime.wait(st.id), 10)
    out = {st.meta.name: [c for _, _, c in records(st.meta.log_path)] for st in (default, local, admin)}
    assert out["default"][0] == "Seccomp:\t2" and "made" in out["default"] and "unshared" not in out["default"]
    assert "made" not in out["local"]
    assert "unshared" in out["admin"]     # the capability lifts the default profile's ban, as containerd's does
    with pytest.raises(SeccompError):
        seccomp_for({"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "../x"}}}, {},
                    [], profile_root=tmp_path / "profiles")
