"""The Deployment controller, run in-process with the ReplicaSet controller by
``run_controller_manager`` against a real API server. No scheduler or kubelet runs:
a ``PodReadier`` stands in for them by marking pods Running and Ready through the
pods/status subresource, and can be paused to leave a rollout stuck."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest

from kybernetes.controllers import CONTROLLERS, run_controller_manager
from tests.component.conftest import eventually

HASH = "pod-template-hash"
REV = "deployment.kubernetes.io/revision"


# ---------------------------------------------------------------------------- helpers
class Manager:
    """A controller manager running only the deployment and replicaset controllers."""

    def __init__(self, kubeconfig: str) -> None:
        self.kubeconfig = kubeconfig
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> Manager:
        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(run_controller_manager(
            kubeconfig=self.kubeconfig, leader_elect=False, controllers=["deployment", "replicaset"],
            stop=self.stop_event))
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.stop_event.set()
            await asyncio.wait_for(self.task, 10)
            self.task = None


@pytest.fixture
async def manager(cluster):
    m = Manager(str(cluster.kubeconfig)).start()
    yield m
    await m.stop()


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PodReadier:
    """Marks every new pod of a namespace Running and Ready, as a kubelet would."""

    def __init__(self, client, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self.enabled = True
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            if self.enabled:
                pods = (await self.client.list("", "v1", "pods", namespace=self.namespace))["items"]
                for pod in pods:
                    if is_ready(pod) or pod["metadata"].get("deletionTimestamp"):
                        continue
                    await self._mark(pod)
            await asyncio.sleep(0.05)

    async def _mark(self, pod: dict) -> None:
        now = _now()
        status = {"phase": "Running", "startTime": now,
                  "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                                 for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
                  "containerStatuses": [{"name": c["name"], "image": c["image"], "imageID": "", "ready": True,
                                         "started": True, "restartCount": 0, "state": {"running": {"startedAt": now}}}
                                        for c in pod["spec"]["containers"]]}
        with contextlib.suppress(Exception):  # deleted meanwhile
            await self.client.patch("", "v1", "pods", pod["metadata"]["name"], {"status": status},
                                    namespace=self.namespace, subresource="status", patch_type="merge")

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def readier(client, namespace):
    r = PodReadier(client, namespace)
    yield r
    await r.close()


def is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def deploy_body(name: str, replicas: int, *, image: str = "nginx:1", strategy: dict | None = None, **spec) -> dict:
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}, **spec}}
    if strategy is not None:
        body["spec"]["strategy"] = strategy
    return body


def rolling(surge, unavailable) -> dict:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}


async def replicasets(client, ns: str) -> list[dict]:
    items = (await client.list("apps", "v1", "replicasets", namespace=ns))["items"]
    return sorted(items, key=lambda rs: int(rs["metadata"].get("annotations", {}).get(REV, 0)))


async def live_pods(client, ns: str) -> list[dict]:
    items = (await client.list("", "v1", "pods", namespace=ns))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


async def get_deploy(client, ns: str, name: str) -> dict:
    return await client.get("apps", "v1", "deployments", name, namespace=ns)


def condition(d: dict, type_: str) -> dict | None:
    return next((c for c in (d.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)


async def wait_rolled_out(client, ns: str, name: str, *, deadline: float = 20.0) -> dict:
    """What ``kubectl rollout status`` waits for: observed, all updated, no old, all available."""
    async def check():
        d = await get_deploy(client, ns, name)
        st, want = d.get("status") or {}, d["spec"]["replicas"]
        done = (st.get("observedGeneration", 0) >= d["metadata"]["generation"]
                and st.get("updatedReplicas", 0) == want and st.get("replicas", 0) == want
                and st.get("availableReplicas", 0) == want)
        return d if done else None
    return await eventually(check, deadline=deadline, what=f"rollout of {name}")


async def patch_deploy(client, ns: str, name: str, body: dict) -> dict:
    return await client.patch("apps", "v1", "deployments", name, body, namespace=ns, patch_type="strategic")


def set_image(image: str) -> dict:
    return {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}


class Observer:
    """Polls pods and ReplicaSets during a rollout and records every state seen."""

    def __init__(self, client, ns: str) -> None:
        self.client, self.ns = client, ns
        self.states: list[tuple[list[dict], list[dict]]] = []
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            pods = await live_pods(self.client, self.ns)
            rses = await replicasets(self.client, self.ns)
            self.states.append((pods, rses))
            await asyncio.sleep(0.03)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


# ---------------------------------------------------------------------------- tests
def test_registered():
    assert CONTROLLERS["deployment"].__name__ == "new_deployment_controller"


async def test_create_makes_hashed_replicaset_and_status(client, manager, namespace):
    d = await client.create("apps", "v1", "deployments", deploy_body("web", 3), namespace=namespace)

    async def one_rs():
        rses = await replicasets(client, namespace)
        return rses if len(rses) == 1 and len(await live_pods(client, namespace)) == 3 else None
    (rs,) = await eventually(one_rs, what="one replica set with 3 pods")
    h = rs["metadata"]["labels"][HASH]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", HASH: h}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", HASH: h}
    assert rs["spec"]["replicas"] == 3
    ann = rs["metadata"]["annotations"]
    assert ann[REV] == "1"
    assert ann["deployment.kubernetes.io/desired-replicas"] == "3"
    assert ann["deployment.kubernetes.io/max-replicas"] == "4"   # 25% surge of 3 rounds up to 1
    assert rs["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": d["metadata"]["uid"],
        "controller": True, "blockOwnerDeletion": True}]

    # pods never become ready: counts and conditions say so
    async def pending_status():
        got = await get_deploy(client, namespace, "web")
        st = got.get("status") or {}
        ok = st.get("replicas") == 3 and st.get("updatedReplicas") == 3 and st.get("unavailableReplicas") == 3
        return got if ok else None
    got = await eventually(pending_status, what="status of pending pods")
    assert got["metadata"]["annotations"][REV] == "1"
    assert not got["status"].get("availableReplicas") and not got["status"].get("readyReplicas")
    avail = condition(got, "Available")
    assert (avail["status"], avail["reason"]) == ("False", "MinimumReplicasUnavailable")
    assert avail["message"] == "Deployment does not have minimum availability."
    prog = condition(got, "Progressing")
    assert prog["status"] == "True" and prog["reason"] in ("NewReplicaSetCreated", "ReplicaSetUpdated")

    readier = PodReadier(client, namespace)
    try:
        done = await wait_rolled_out(client, namespace, "web")
    finally:
        await readier.close()
    st = done["status"]
    assert st["readyReplicas"] == 3 and st["availableReplicas"] == 3 and not st.get("unavailableReplicas")
    assert condition(done, "Available")["reason"] == "MinimumReplicasAvailable"

    async def progressed():
        got = await get_deploy(client, namespace, "web")
        c = condition(got, "Progressing")
        return got if c and c["reason"] == "NewReplicaSetAvailable" else None
    got = await eventually(progressed, what="NewReplicaSetAvailable")
    assert condition(got, "Progressing")["message"] == f'ReplicaSet "web-{h}" has successfully progressed.'

    events = (await client.list("", "v1", "events", namespace=namespace))["items"]
    scaling = [e["message"] for e in events if e["reason"] == "ScalingReplicaSet"]
    assert f"Scaled up replica set web-{h} to 3" in scaling
    assert all(e["source"]["component"] == "deployment-controller" for e in events
               if e["reason"] == "ScalingReplicaSet")


async def test_rolling_update_stays_within_surge_and_unavailable(client, manager, namespace, readier):
    replicas, surge, unavailable = 4, 1, 1
    await client.create("apps", "v1", "deployments",
                        deploy_body("api", replicas, strategy=rolling(surge, unavailable)), namespace=namespace)
    await wait_rolled_out(client, namespace, "api")
    (first,) = await replicasets(client, namespace)

    observer = Observer(client, namespace)
    try:
        await patch_deploy(client, namespace, "api", {
            "metadata": {"annotations": {"kubernetes.io/change-cause": "image 2"}}, **set_image("nginx:2")})
        done = await wait_rolled_out(client, namespace, "api")
        await asyncio.sleep(0.3)
    finally:
        await observer.close()
    assert done["metadata"]["annotations"][REV] == "2"
    for pods, rses in observer.states:
        assert len(pods) <= replicas + surge, [p["metadata"]["name"] for p in pods]
        assert sum(rs["spec"]["replicas"] for rs in rses) <= replicas + surge
        assert sum(1 for p in pods if is_ready(p)) >= replicas - unavailable

    old, new = await replicasets(client, namespace)
    assert old["metadata"]["uid"] == first["metadata"]["uid"] and old["spec"]["replicas"] == 0
    assert new["spec"]["replicas"] == 4 and new["metadata"]["annotations"][REV] == "2"
    assert new["metadata"]["annotations"]["kubernetes.io/change-cause"] == "image 2"
    assert old["metadata"]["labels"][HASH] != new["metadata"]["labels"][HASH]
    pods = await live_pods(client, namespace)
    assert {p["metadata"]["labels"][HASH] for p in pods} == {new["metadata"]["labels"][HASH]}

    events = (await client.list("", "v1", "events", namespace=namespace))["items"]
    msgs = {e["message"] for e in events if e["reason"] == "ScalingReplicaSet"}
    assert f"Scaled down replica set {old['metadata']['name']} to 3 from 4" in msgs

    # rollback, as `kubectl rollout undo` does in apps/v1: put the old template back
    await patch_deploy(client, namespace, "api", set_image("nginx:1"))
    done = await wait_rolled_out(client, namespace, "api")
    assert done["metadata"]["annotations"][REV] == "3"
    rses = await replicasets(client, namespace)
    assert len(rses) == 2
    reused = rses[-1]
    assert reused["metadata"]["uid"] == first["metadata"]["uid"]
    assert reused["metadata"]["annotations"][REV] == "3"
    assert reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"
    assert reused["spec"]["replicas"] == 4


async def test_recreate_never_mixes_old_and_new(client, manager, namespace, readier):
    await client.create("apps", "v1", "deployments", deploy_body("db", 2, strategy={"type": "Recreate"}),
                        namespace=namespace)
    await wait_rolled_out(client, namespace, "db")
    observer = Observer(client, namespace)
    try:
        await patch_deploy(client, namespace, "db", set_image("nginx:2"))

        async def two_rs():
            return len(await replicasets(client, namespace)) == 2
        await eventually(two_rs, what="the new replica set")
        await wait_rolled_out(client, namespace, "db")
    finally:
        await observer.close()
    for pods, _ in observer.states:
        assert len({p["metadata"]["labels"][HASH] for p in pods}) <= 1
    old, new = await replicasets(client, namespace)
    assert old["spec"]["replicas"] == 0 and new["spec"]["replicas"] == 2


async def test_paused_deployment_only_scales(client, manager, namespace, readier):
    await client.create("apps", "v1", "deployments", deploy_body("pz", 2), namespace=namespace)
    await wait_rolled_out(client, namespace, "pz")
    await patch_deploy(client, namespace, "pz", {"spec": {"paused": True}})

    async def paused_cond():
        c = condition(await get_deploy(client, namespace, "pz"), "Progressing")
        return c if c and c["reason"] == "DeploymentPaused" else None
    c = await eventually(paused_cond, what="DeploymentPaused")
    assert (c["status"], c["message"]) == ("Unknown", "Deployment is paused")

    patch = set_image("nginx:2")
    patch["spec"]["replicas"] = 3
    await patch_deploy(client, namespace, "pz", patch)
    (rs,) = await eventually(lambda: _rs_with_replicas(client, namespace, 3), what="scaled while paused")
    assert rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"

    async def scaled_status():
        d = await get_deploy(client, namespace, "pz")
        st = d.get("status") or {}
        # the template changed but nothing rolled out: no pod is "updated"
        ok = st.get("replicas") == 3 and st.get("availableReplicas") == 3 and not st.get("updatedReplicas")
        return d if ok and st.get("observedGeneration") == d["metadata"]["generation"] else None
    d = await eventually(scaled_status, what="status of the scaled, paused deployment")
    assert len(await replicasets(client, namespace)) == 1 and d["metadata"]["annotations"][REV] == "1"

    await patch_deploy(client, namespace, "pz", {"spec": {"paused": False}})
    d = await wait_rolled_out(client, namespace, "pz")
    rses = await replicasets(client, namespace)
    assert len(rses) == 2 and d["metadata"]["annotations"][REV] == "2"
    assert rses[-1]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert condition(d, "Progressing")["reason"] != "DeploymentPaused"


async def _rs_with_replicas(client, ns: str, n: int):
    rses = await replicasets(client, ns)
    return rses if len(rses) == 1 and rses[0]["spec"]["replicas"] == n else None


async def test_revision_history_limit_prunes_old_replicasets(client, manager, namespace, readier):
    await client.create("apps", "v1", "deployments", deploy_body("hist", 1, revisionHistoryLimit=1),
                        namespace=namespace)
    await wait_rolled_out(client, namespace, "hist")
    for i in (2, 3, 4):
        await patch_deploy(client, namespace, "hist", set_image(f"nginx:{i}"))
        await wait_rolled_out(client, namespace, "hist")

    async def pruned():
        rses = await replicasets(client, namespace)
        return rses if len(rses) == 2 else None
    old, new = await eventually(pruned, what="only one old replica set kept")
    assert old["metadata"]["annotations"][REV] == "3" and new["metadata"]["annotations"][REV] == "4"


async def test_proportional_scaling_mid_rollout(client, manager, namespace, readier):
    await client.create("apps", "v1", "deployments", deploy_body("prop", 10, strategy=rolling(3, 2)),
                        namespace=namespace)
    await wait_rolled_out(client, namespace, "prop")
    readier.enabled = False   # new pods never become ready: the rollout gets stuck halfway
    await patch_deploy(client, namespace, "prop", set_image("nginx:2"))

    async def stuck():
        rses = await replicasets(client, namespace)
        sizes = [rs["spec"]["replicas"] for rs in rses]
        return rses if sizes == [8, 5] else None
    await eventually(stuck, what="old 8 / new 5 (maxSurge 3, maxUnavailable 2)")

    await patch_deploy(client, namespace, "prop", {"spec": {"replicas": 20}})

    async def scaled():
        rses = await replicasets(client, namespace)
        sizes = [rs["spec"]["replicas"] for rs in rses]
        return rses if sizes == [14, 9] else None   # 23 split 8:5 -> 14.15, 8.85
    old, new = await eventually(scaled, what="proportional split of 20+3")
    for rs in (old, new):
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "20"
        assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "23"


async def test_progress_deadline_exceeded(client, manager, namespace):
    await client.create("apps", "v1", "deployments", deploy_body("slow", 1, progressDeadlineSeconds=2),
                        namespace=namespace)

    async def timed_out():
        d = await get_deploy(client, namespace, "slow")
        c = condition(d, "Progressing")
        return (d, c) if c and c["reason"] == "ProgressDeadlineExceeded" else None
    d, c = await eventually(timed_out, deadline=15, what="ProgressDeadlineExceeded")
    (rs,) = await replicasets(client, namespace)
    assert c["status"] == "False"
    assert c["message"] == f'ReplicaSet "{rs["metadata"]["name"]}" has timed out progressing.'


async def test_restart_mid_rollout_creates_nothing_extra(client, cluster, namespace, readier):
    m = Manager(str(cluster.kubeconfig)).start()
    try:
        await client.create("apps", "v1", "deployments", deploy_body("rs", 4, strategy=rolling(1, 0)),
                            namespace=namespace)
        await wait_rolled_out(client, namespace, "rs")
        readier.enabled = False
        await patch_deploy(client, namespace, "rs", set_image("nginx:2"))

        async def surged():
            rses = await replicasets(client, namespace)
            return len(rses) == 2 and [rs["spec"]["replicas"] for rs in rses] == [4, 1]
        await eventually(surged, what="one surge pod")
    finally:
        await m.stop()
    observer = Observer(client, namespace)
    m = Manager(str(cluster.kubeconfig)).start()
    try:
        readier.enabled = True
        await wait_rolled_out(client, namespace, "rs")
        await asyncio.sleep(0.3)
    finally:
        await m.stop()
        await observer.close()
    rses = await replicasets(client, namespace)
    assert len(rses) == 2
    new_hash = rses[-1]["metadata"]["labels"][HASH]
    new_pods = {p["metadata"]["name"] for pods, _ in observer.states for p in pods
                if p["metadata"]["labels"].get(HASH) == new_hash}
    assert len(new_pods) == 4
    for pods, _ in observer.states:
        assert len(pods) <= 5


async def test_orphan_replicaset_is_adopted(client, manager, namespace):
    d = deploy_body("adopt", 2)
    orphan = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
              "metadata": {"name": "adopt-orphan", "labels": {"app": "adopt", HASH: "x"}},
              "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "adopt", HASH: "x"}},
                       "template": {"metadata": {"labels": {"app": "adopt", HASH: "x"}},
                                    "spec": {"containers": [{"name": "c", "image": "old"}]}}}}
    await client.create("apps", "v1", "replicasets", orphan, namespace=namespace)
    created = await client.create("apps", "v1", "deployments", d, namespace=namespace)

    async def adopted():
        rs = await client.get("apps", "v1", "replicasets", "adopt-orphan", namespace=namespace)
        refs = rs["metadata"].get("ownerReferences") or []
        return rs if refs and refs[0]["uid"] == created["metadata"]["uid"] else None
    await eventually(adopted, what="adoption")

    async def two():
        rses = await replicasets(client, namespace)
        return rses if len(rses) == 2 else None
    rses = await eventually(two, what="a new replica set beside the adopted one")
    new = next(rs for rs in rses if rs["metadata"]["name"] != "adopt-orphan")
    assert new["spec"]["replicas"] == 2
