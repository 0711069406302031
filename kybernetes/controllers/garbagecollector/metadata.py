"""A client that asks for metadata only (``PartialObjectMetadata``), like client-go's
metadata client that upstream's collector watches every type with.

The collector reads nothing but ``metadata`` (uid, ownerReferences, finalizers,
deletionTimestamp), so there is no reason to hold every Secret's data and every
Pod's spec in memory. The ``Accept`` header lists plain JSON last, so a server that
cannot serve partial metadata answers with full objects, which work the same.
"""

from __future__ import annotations

from ...client import Client

__all__ = ["METADATA_ACCEPT", "metadata_client"]

METADATA_ACCEPT = ("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                   "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,"
                   "application/json")


def metadata_client(base: Client) -> Client:
    """For reads (get/list/watch) only; it shares ``base``'s request budget. Close it when done."""
    return base.sibling(accept=METADATA_ACCEPT)
