"""The OCI spec the kubelet writes for a container: command/args against the image,
$(VAR) expansion, env, user lookup, capabilities, resources and QoS."""

from __future__ import annotations

from pathlib import Path

import pytest

from kybernetes.kubelet.runtime.spec import (DEFAULT_CAPABILITIES, SpecError, capabilities, expand, linux_resources,
                                             oci_spec, oom_score_adj, pod_qos, process_args, resolve_user)

IMAGE = {"Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"],
         "Env": ["PATH=/usr/bin:/bin", "NGINX_VERSION=1.25"], "WorkingDir": "/srv", "User": ""}
GI = 1024 ** 3


@pytest.mark.parametrize("command, args, expected", [
    (None, None, ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"]),   # the image's
    (["/bin/sh", "-c"], None, ["/bin/sh", "-c"]),                              # command drops Cmd
    (None, ["nginx", "-T"], ["/docker-entrypoint.sh", "nginx", "-T"]),        # args replace Cmd
    (["/bin/echo"], ["$(GREETING)", "$$(GREETING)", "$(UNSET)"], ["/bin/echo", "hello", "$(GREETING)", "$(UNSET)"]),
])
def test_command_and_args_against_the_image(command, args, expected):
    c = {"name": "c"}
    if command is not None:
        c["command"] = command
    if args is not None:
        c["args"] = args
    assert process_args(c, IMAGE, {"GREETING": "hello"}) == expected


def test_nothing_to_run_is_an_error():
    with pytest.raises(SpecError, match="no command specified"):
        process_args({"name": "c"}, {}, {})


def test_expand_edge_cases():
    assert expand("$(A)$(B)-$$-$(A", {"A": "1", "B": "2"}) == "12-$-$(A"


def rootfs(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101::/nonexistent:/bin/false\n")
    (tmp_path / "etc/group").write_text("root:x:0:\nnginx:x:101:\nwww:x:33:nginx\n")
    return tmp_path


def test_user_from_the_image_by_name_and_from_the_security_context(tmp_path):
    root = rootfs(tmp_path)
    assert resolve_user({}, {}, {"User": "nginx"}, root) == {"uid": 101, "gid": 101, "additionalGids": [33]}
    assert resolve_user({}, {}, {"User": "101:33"}, root) == {"uid": 101, "gid": 33, "additionalGids": []}
    assert resolve_user({}, {}, {}, root) == {"uid": 0, "gid": 0, "additionalGids": []}
    pod = {"securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "supplementalGroups": [4000], "fsGroup": 2000}}
    assert resolve_user(pod, {}, {"User": "nginx"}, root) == {"uid": 1000, "gid": 3000,
                                                              "additionalGids": [2000, 4000]}
    container = {"securityContext": {"runAsUser": 101}}
    assert resolve_user(pod, container, {}, root)["uid"] == 101          # the container's wins
    with pytest.raises(SpecError, match="unable to find user nobody"):
        resolve_user({}, {}, {"User": "nobody"}, root)


def test_capabilities():
    assert capabilities({}) == list(DEFAULT_CAPABILITIES)
    caps = capabilities({"capabilities": {"add": ["NET_ADMIN"], "drop": ["NET_RAW", "CAP_MKNOD"]}})
    assert "CAP_NET_ADMIN" in caps and "CAP_NET_RAW" not in caps and "CAP_MKNOD" not in caps
    assert capabilities({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}) == ["CAP_NET_BIND_SERVICE"]
    assert "CAP_SYS_ADMIN" in capabilities({"privileged": True})


def test_qos_and_oom_score():
    best = {"containers": [{"name": "c"}]}
    burst = {"containers": [{"name": "c", "resources": {"requests": {"memory": "4Gi"}}}]}
    guaranteed = {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}
    assert [pod_qos(p) for p in (best, burst, guaranteed)] == ["BestEffort", "Burstable", "Guaranteed"]
    assert oom_score_adj(best, best["containers"][0], 16 * GI) == 1000
    assert oom_score_adj(burst, burst["containers"][0], 16 * GI) == 750       # 1000 - 1000 * 4/16
    assert oom_score_adj(guaranteed, guaranteed["containers"][0], 16 * GI) == 0   # not -997: see the module


def test_resources():
    c = {"resources": {"requests": {"cpu": "250m"}, "limits": {"cpu": "500m", "memory": "128Mi"}}}
    assert linux_resources(c, pids_limit=1024) == {
        "cpu": {"shares": 256, "quota": 50000, "period": 100000}, "memory": {"limit": 128 * 1024 * 1024},
        "pids": {"limit": 1024}}
    assert linux_resources({}) == {"cpu": {"shares": 2}}


def test_whole_spec(tmp_path):
    root = rootfs(tmp_path)
    pod = {"metadata": {"name": "web-1"}, "spec": {"containers": []}}
    container = {"name": "c", "args": ["sh"], "env": [], "securityContext": {
        "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}}
    spec = oci_spec(pod, container, {"config": IMAGE}, rootfs=root, env=[("NGINX_VERSION", "1.26"), ("X", "$(Y)")],
                    netns_path="/var/run/netns/kyb-web-1", cgroups_path="/kubepods/besteffort/podu/c",
                    memory_capacity=16 * GI)
    proc = spec["process"]
    assert proc["args"] == ["/docker-entrypoint.sh", "sh"]
    assert proc["env"] == ["PATH=/usr/bin:/bin", "NGINX_VERSION=1.26", "X=$(Y)"]
    assert proc["cwd"] == "/srv" and proc["noNewPrivileges"] is True and proc["oomScoreAdj"] == 1000
    assert spec["root"] == {"path": str(root), "readonly": True}
    assert spec["hostname"] == "web-1"
    assert {"type": "network", "path": "/var/run/netns/kyb-web-1"} in spec["linux"]["namespaces"]
    assert "/proc/kcore" in spec["linux"]["maskedPaths"]
    assert [m["destination"] for m in spec["mounts"]][:2] == ["/proc", "/dev"]


@pytest.mark.parametrize("pod_spec, joined, expected", [
    ({}, "", {"mount": None, "pid": None, "ipc": None, "uts": None, "network": "/run/netns/p"}),
    ({"hostPID": True, "hostIPC": True}, "", {"mount": None, "uts": None, "network": "/run/netns/p"}),
    ({"hostNetwork": True}, "", {"mount": None, "pid": None, "ipc": None}),
    ({}, "/proc/42/ns/pid", {"mount": None, "pid": "/proc/42/ns/pid", "ipc": None, "uts": None,
                             "network": "/run/netns/p"}),
])
def test_namespaces_of_its_own_or_shared(tmp_path, pod_spec, joined, expected):
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [], **pod_spec}}
    spec = oci_spec(pod, {"name": "c", "args": ["sh"]}, {"config": IMAGE}, rootfs=rootfs(tmp_path), env=[],
                    netns_path="/run/netns/p", cgroups_path="", memory_capacity=GI, pid_namespace=joined)
    assert {ns["type"]: ns.get("path") for ns in spec["linux"]["namespaces"]} == expected
    assert ("hostname" in spec) == (not pod_spec.get("hostNetwork"))   # the node's, with the node's network
