"""The garbage collector controller (see :mod:`.collector` for how it works)."""

from .collector import GarbageCollector, new_garbage_collector
from .discovery import APIResource, ResourceMap, discover_resources
from .graph import Graph, Node, ObjectRef

__all__ = ["APIResource", "GarbageCollector", "Graph", "Node", "ObjectRef", "ResourceMap", "discover_resources",
           "new_garbage_collector"]
