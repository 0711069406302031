"""Volume plugins (VolumeBinding, VolumeRestrictions, VolumeZone, NodeVolumeLimits):
accepted by name so upstream configurations load, but they do nothing yet -- the
cluster has no PersistentVolume provisioning for them to check. Each is a plugin with
no extension points, so the framework never calls it."""

from __future__ import annotations

from typing import Any

from ..interface import ClusterEvent

NAMES = ("VolumeBinding", "VolumeRestrictions", "VolumeZone", "NodeVolumeLimits")


class NoopVolumePlugin:
    """Placeholder for an upstream volume plugin: registered, configured, never consulted."""

    def __init__(self, name: str) -> None:
        self.name = name

    def events_to_register(self) -> list[ClusterEvent]:
        return []


def factory(name: str) -> Any:
    def new(args: dict, handle: Any) -> NoopVolumePlugin:
        return NoopVolumePlugin(name)
    return new
