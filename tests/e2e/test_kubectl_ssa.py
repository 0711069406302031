"""Server-side apply through kubectl: managed fields, conflicts, --force-conflicts."""

from __future__ import annotations

import pytest

from .test_kubectl_apply import deployment, ns_name

pytestmark = pytest.mark.e2e


def test_server_side_apply_conflict_and_force(kubectl, tmp_path):
    ns = ns_name("ssa")
    kubectl("create", "ns", ns)
    f = tmp_path / "d.yaml"
    f.write_text(deployment(ns, replicas=2))
    out = kubectl("apply", "--server-side", "-f", str(f))
    assert "serverside-applied" in out
    d = kubectl.json("get", "deployment", "web", "-n", ns, "--show-managed-fields")
    managers = {(m["manager"], m["operation"]) for m in d["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers
    # another manager changes replicas with a plain update: a later apply of a different value conflicts
    kubectl("scale", "deployment", "web", "-n", ns, "--replicas=5")
    f.write_text(deployment(ns, replicas=3))
    p = kubectl.run("apply", "--server-side", "-f", str(f), check=False)
    assert p.returncode != 0
    assert "Apply failed with 1 conflict" in p.stderr and ".spec.replicas" in p.stderr
    assert kubectl.json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 5
    kubectl("apply", "--server-side", "--force-conflicts", "-f", str(f))
    assert kubectl.json("get", "deployment", "web", "-n", ns)["spec"]["replicas"] == 3
