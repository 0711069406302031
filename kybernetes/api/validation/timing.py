"""Per-call cost of defaulting + validation + schema checks: ``python -m kybernetes.api.validation.timing``.

Prints microseconds per object for a typical ConfigMap and Deployment (the API
server runs all three steps on every create and update).
"""

from __future__ import annotations

import copy
import time

from ..registry import Resource
from . import apply_defaults, check_fields, validate

CONFIGMAP = Resource("", "v1", "ConfigMap", "configmaps", "configmap", True, ())
DEPLOYMENT = Resource("apps", "v1", "Deployment", "deployments", "deployment", True, ())

CM = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "app-config", "namespace": "demo", "labels": {"app": "web", "tier": "frontend"},
                 "annotations": {"owner": "team-a"}},
    "data": {"app.conf": "x=1\ny=2\n", "b": "hello", "c": "world"},
}
DEPLOY = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{
            "name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}], "env": [{"name": "A", "value": "1"}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
        }]},
    }},
}


def measure(resource: Resource, obj: dict, n: int) -> dict[str, float]:
    for _ in range(200):  # warm caches (compiled schema, memoised names, quantities)
        o = copy.deepcopy(obj)
        apply_defaults(resource, o)
        validate(resource, o)
        check_fields(resource, o)
    objs = [copy.deepcopy(obj) for _ in range(n)]
    t0 = time.perf_counter()
    for o in objs:
        apply_defaults(resource, o)
    t1 = time.perf_counter()
    for o in objs:
        validate(resource, o)
    t2 = time.perf_counter()
    for o in objs:
        check_fields(resource, o)
    t3 = time.perf_counter()
    us = 1e6 / n
    return {"defaults": (t1 - t0) * us, "validate": (t2 - t1) * us, "schema": (t3 - t2) * us, "total": (t3 - t0) * us}


def main() -> None:
    for resource, obj, n in ((CONFIGMAP, CM, 20000), (DEPLOYMENT, DEPLOY, 5000)):
        r = measure(resource, obj, n)
        print(f"{resource.kind:<11} defaults {r['defaults']:6.1f} us  validate {r['validate']:6.1f} us  "
              f"schema check {r['schema']:6.1f} us  total {r['total']:6.1f} us per object")


if __name__ == "__main__":
    main()
