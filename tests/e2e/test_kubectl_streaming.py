"""Talking to running containers with the machine's kubectl at the two wire generations:
minor 29, which streams over SPDY/3.1 (the cluster reports 1.29, so the dispatcher runs
kubectl 1.29), and minor 33, which uses WebSocket (v5.channel.k8s.io, and the
port-forward tunnel). The pip kubectl 1.37 does the same in test_kubelet.py."""

from __future__ import annotations

import concurrent.futures
import urllib.error

import pytest

from tests.e2e.conftest import KUBECTL_MACHINE, Kubectl, start_cluster, wait_for
from tests.e2e.test_kubelet import (
    apply,
    attached_lines,
    container_status,
    fetch,
    forwarded_ports,
    free_cluster_cidr,
    in_phase,
    node_ready,
    pod_json,
    run_in_terminal,
    simple_pod,
    start_kubelet,
    teardown_kubelet,
)


@pytest.fixture(params=["1.29", "1.33"])
def machine_kubectl(request, tmp_path):
    if not KUBECTL_MACHINE.exists():
        pytest.fail(f"{KUBECTL_MACHINE} (the version dispatcher) is part of this machine's setup")
    minor = request.param
    data = tmp_path / "data"
    cidr = free_cluster_cidr()
    emulated = ("--emulated-version", minor) if minor != "1.33" else ()
    cluster = start_cluster(data, "--cluster-cidr", cidr, *emulated, controllers=True, scheduler=True)
    kubelet, flags = start_kubelet(data, tmp_path / "kubelet.log", cidr)
    try:
        k = Kubectl(str(KUBECTL_MACHINE), cluster, tmp_path)
        assert wait_for(lambda: node_ready(k), timeout=60), (tmp_path / "kubelet.log").read_text()[-3000:]
        version = k.json("version")["clientVersion"]
        assert f"{version['major']}.{version['minor']}" == minor, version   # the dispatcher's pick
        yield k, minor
    finally:
        teardown_kubelet(kubelet, flags)
        cluster.stop()


def running(k: Kubectl, name: str) -> bool:
    return bool(container_status(pod_json(k, name)).get("ready"))


def test_exec_attach_port_forward_cp_and_run(machine_kubectl):
    k, minor = machine_kubectl
    web = simple_pod("web", "mkdir -p /www && echo hello-from-web > /www/index.html && "
                     "(httpd -f -p 8080 -h /www &) ; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done")
    apply(k, web)
    assert wait_for(lambda: running(k, "web"), timeout=60)

    # exec: output, stderr and the exit code
    p = k.run("exec", "web", "--", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (p.stdout, p.returncode) == ("out\n", 3), (minor, p.stdout, p.stderr)
    assert "err" in p.stderr and "command terminated with exit code 3" in p.stderr, p.stderr
    # exec -i with stdin piped
    assert k("exec", "-i", "web", "--", "tr", "a-z", "A-Z", input="piped in\n") == "PIPED IN\n"
    # exec -it on a pseudo-terminal, resized midway
    out, code = run_in_terminal([k.binary, "exec", "-it", "web", "--", "sh"], k.env(),
                                [("# ", "stty size\r"), ("30 100", None), ("# ", "stty size; exit 7\r")],
                                rows=30, cols=100, resize=(40, 120), timeout=60)
    assert code == 7 and "40 120" in out, (minor, out)

    # attach: what the container prints from now on
    lines = attached_lines(k, "web")
    numbers = [int(line.split()[1]) for line in lines]
    assert numbers == list(range(numbers[0], numbers[0] + 3)) and numbers[0] > 1, (minor, lines)

    # port-forward: two connections at once; a closed port is reported
    forward = k.popen("port-forward", "--address", "127.0.0.1", "pod/web", ":8080", ":9999")
    try:
        local = forwarded_ports(forward, 2)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            assert list(pool.map(fetch, [local["8080"]] * 2)) == ["hello-from-web"] * 2
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            fetch(local["9999"])
        forward.wait(20)   # every kubectl here ends its session on such an error ("lost connection to pod")
    finally:
        if forward.poll() is None:
            forward.kill()
        _, err = forward.communicate(timeout=10)
    assert "error forwarding port 9999" in err and "connection refused" in err, (minor, err)
    again = k.popen("port-forward", "--address", "127.0.0.1", "pod/web", ":8080")   # the pod's side is unharmed
    try:
        assert fetch(forwarded_ports(again, 1)["8080"]) == "hello-from-web", again.stderr.read()
    finally:
        again.kill()
        again.communicate(timeout=10)

    # cp: a directory in and out (tar through exec)
    src = k.home / "cp-src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "b.txt").write_text("beta\n")
    k("cp", str(src), "web:/tmp/copied")
    assert k("exec", "web", "--", "cat", "/tmp/copied/sub/b.txt") == "beta\n"
    k("cp", "web:/tmp/copied", str(k.home / "cp-back"))
    assert (k.home / "cp-back" / "sub" / "b.txt").read_text() == "beta\n"

    # run -i --rm: stdin in, output back, the pod gone afterwards
    p = k.run("run", "upper", "-i", "--rm", "--restart=Never", "--image=busybox:1.36",
              "--image-pull-policy=IfNotPresent", "--", "tr", "a-z", "A-Z", input="run and remove\n", timeout=120)
    assert "RUN AND REMOVE" in p.stdout, (minor, p.stdout, p.stderr)
    assert wait_for(lambda: k.run("get", "pod", "upper", check=False).returncode != 0, timeout=60)

    # bad input: clear errors, no hang
    wrong = k.run("exec", "web", "-c", "nope", "--", "true", check=False, timeout=30)
    assert wrong.returncode != 0 and "container nope is not valid for pod web" in wrong.stderr, wrong.stderr
    apply(k, simple_pod("done", "true", restartPolicy="Never"))
    assert wait_for(lambda: in_phase(k, "done", "Succeeded"), timeout=60)
    finished = k.run("exec", "done", "--", "true", check=False, timeout=30)
    assert "cannot exec into a container in a completed pod; current phase is Succeeded" in finished.stderr, \
        finished.stderr
    k("delete", "pod", "web", "done")
