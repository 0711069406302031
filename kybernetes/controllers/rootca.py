"""The root CA certificate publisher: ConfigMap ``kube-root-ca.crt`` in every active namespace.

Pods verify the API server with the CA bundle found there (projected service account
volumes mount it). The content is the cluster CA in PEM under ``ca.crt``, with the
``kubernetes.io/description`` annotation upstream writes. Keys are namespace names: a
namespace that appears or changes is looked at, and so is the namespace of the
ConfigMap when it is changed or deleted, so edits are put back and a deleted one is
recreated. Only ConfigMaps of that name are watched (a field selector).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from ..client import APIStatusError, Controller, Result
from .base import ControllerContext, namespace_is_active

log = logging.getLogger(__name__)

__all__ = ["CONFIGMAP_NAME", "DESCRIPTION", "DESCRIPTION_ANNOTATION", "RootCACertPublisher"]

CONFIGMAP_NAME = "kube-root-ca.crt"
DATA_KEY = "ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
               "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
               "distributions of Kubernetes clusters.")


class RootCACertPublisher:
    name = "root-ca-cert-publisher"

    def __init__(self, ctx: ControllerContext, *, workers: int = 2, root_ca_pem: str | None = None) -> None:
        self.client = ctx.client
        self.root_ca = root_ca_pem if root_ca_pem is not None else ctx.root_ca_pem
        if not self.root_ca:
            raise ValueError("root-ca-cert-publisher needs the cluster CA (certificate-authority-data)")
        self.namespaces = ctx.informers.informer("", "v1", "namespaces")
        self.configmaps = ctx.informers.informer("", "v1", "configmaps", field_selector=f"metadata.name={CONFIGMAP_NAME}")
        self.controller = Controller(self.name, self.reconcile, workers=workers)
        self.namespaces.add_event_handler(on_add=self._on_namespace, on_update=lambda old, new: self._on_namespace(new))
        self.configmaps.add_event_handler(on_update=lambda old, new: self._on_configmap(new),
                                          on_delete=self._on_configmap)

    def _on_namespace(self, ns: dict) -> None:
        self.controller.enqueue(ns["metadata"]["name"])

    def _on_configmap(self, cm: dict) -> None:
        meta = cm.get("metadata") or {}
        if meta.get("name") == CONFIGMAP_NAME and meta.get("namespace"):
            self.controller.enqueue(meta["namespace"])

    async def run(self) -> None:
        await self.namespaces.wait_synced()
        await self.configmaps.wait_synced()
        await self.controller.run()

    def _wanted_data(self) -> dict[str, str]:
        return {DATA_KEY: self.root_ca}

    async def reconcile(self, namespace: Any) -> Result | None:
        if not namespace_is_active(self.namespaces.get(namespace)):
            return None
        data = self._wanted_data()
        cm = self.configmaps.get(f"{namespace}/{CONFIGMAP_NAME}")
        try:
            if cm is None:
                await self.client.create("", "v1", "configmaps", {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": CONFIGMAP_NAME, "namespace": namespace,
                                 "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                    "data": data,
                }, namespace=namespace)
                log.info("configmap %s/%s: published", namespace, CONFIGMAP_NAME)
                return None
            annotations = (cm.get("metadata") or {}).get("annotations") or {}
            if cm.get("data") == data and not cm.get("binaryData") and annotations.get(DESCRIPTION_ANNOTATION):
                return None
            new = copy.deepcopy(cm)
            new["data"] = data
            new.pop("binaryData", None)
            new["metadata"].setdefault("annotations", {})[DESCRIPTION_ANNOTATION] = DESCRIPTION
            await self.client.replace("", "v1", "configmaps", CONFIGMAP_NAME, new, namespace=namespace)
            log.info("configmap %s/%s: content restored", namespace, CONFIGMAP_NAME)
        except APIStatusError as e:
            if e.code in (403, 404):
                return None  # the namespace is terminating or gone (or the map went away: its delete requeues)
            raise  # 409: our cache is behind; the retry sees the newer copy
        return None


def new_root_ca_cert_publisher(ctx: ControllerContext) -> RootCACertPublisher:
    return RootCACertPublisher(ctx, **ctx.options.get("root-ca-cert-publisher", {}))
