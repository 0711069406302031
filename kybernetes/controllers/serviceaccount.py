"""The service account controller: every active namespace has a ``default`` ServiceAccount.

Keys are namespace names. A namespace that appears (or changes) is looked at, and so
is the namespace of a managed ServiceAccount that is deleted, so a deleted ``default``
comes back. The informer cache answers "does it exist"; a create that races with
another writer ends in ``409 AlreadyExists``, which is success. A namespace being
deleted refuses creates (``403``); that is not an error either.
"""

from __future__ import annotations

import logging
from typing import Any

from ..client import APIStatusError, Controller, Result
from .base import ControllerContext, namespace_is_active

log = logging.getLogger(__name__)

__all__ = ["MANAGED_NAMES", "ServiceAccountsController"]

MANAGED_NAMES = ("default",)


class ServiceAccountsController:
    name = "serviceaccount"

    def __init__(self, ctx: ControllerContext, *, workers: int = 2,
                 managed_names: tuple[str, ...] = MANAGED_NAMES) -> None:
        self.client = ctx.client
        self.managed_names = managed_names
        self.namespaces = ctx.informers.informer("", "v1", "namespaces")
        self.accounts = ctx.informers.informer("", "v1", "serviceaccounts")
        self.controller = Controller(self.name, self.reconcile, workers=workers)
        self.namespaces.add_event_handler(on_add=self._on_namespace, on_update=lambda old, new: self._on_namespace(new))
        self.accounts.add_event_handler(on_delete=self._on_account_deleted)

    def _on_namespace(self, ns: dict) -> None:
        self.controller.enqueue(ns["metadata"]["name"])

    def _on_account_deleted(self, sa: dict) -> None:
        meta = sa.get("metadata") or {}
        if meta.get("name") in self.managed_names and meta.get("namespace"):
            self.controller.enqueue(meta["namespace"])

    async def run(self) -> None:
        await self.namespaces.wait_synced()
        await self.accounts.wait_synced()
        await self.controller.run()

    async def reconcile(self, namespace: Any) -> Result | None:
        ns = self.namespaces.get(namespace)
        if not namespace_is_active(ns):
            return None
        for name in self.managed_names:
            if self.accounts.get(f"{namespace}/{name}") is not None:
                continue
            try:
                await self.client.create("", "v1", "serviceaccounts",
                                         {"apiVersion": "v1", "kind": "ServiceAccount",
                                          "metadata": {"name": name, "namespace": namespace}},
                                         namespace=namespace)
                log.info("serviceaccount %s/%s: created", namespace, name)
            except APIStatusError as e:
                if e.code == 409:
                    continue  # created meanwhile (or our cache is behind)
                if e.code in (403, 404):
                    continue  # the namespace is terminating or gone
                raise
        return None


def new_serviceaccounts_controller(ctx: ControllerContext) -> ServiceAccountsController:
    return ServiceAccountsController(ctx, **ctx.options.get("serviceaccount", {}))
