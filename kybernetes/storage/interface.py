"""The storage contract: etcd v3 as the API server uses it.

Every write gets a new, global, strictly increasing revision (the API server's
``resourceVersion``). Creates succeed only if the key is absent; updates and
deletes can be made conditional on the key's current ``mod_revision``. Reads can
be made "as of" an older revision while it is not compacted. Watches replay every
change after a start revision and then follow live changes, without gaps.

Backends (SQLite now, etcd later) implement :class:`Store`; nothing above this
layer knows which one is in use. Keys are ``str`` paths such as
``/registry/core/configmaps/default/app``; values are opaque ``bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Literal, Protocol, Sequence


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int


@dataclass(frozen=True, slots=True)
class Event:
    """One change. For DELETE, ``kv.value`` is the last value before deletion and
    ``kv.mod_revision`` is the revision of the delete itself."""

    type: Literal["PUT", "DELETE"]
    kv: KeyValue
    prev_kv: KeyValue | None


class StorageError(Exception):
    pass


class KeyExistsError(StorageError):
    def __init__(self, key: str, current: KeyValue | None = None):
        super().__init__(f"key exists: {key}")
        self.key = key
        self.current = current


class KeyNotFoundError(StorageError):
    def __init__(self, key: str):
        super().__init__(f"key not found: {key}")
        self.key = key


class RevisionMismatchError(StorageError):
    """An update/delete was conditional on a revision that is no longer current."""

    def __init__(self, key: str, current: KeyValue):
        super().__init__(f"revision mismatch on {key}: now {current.mod_revision}")
        self.key = key
        self.current = current


class CompactedError(StorageError):
    """A read or watch asked for a revision below the compacted one."""

    def __init__(self, requested: int, compacted: int):
        super().__init__(f"required revision {requested} has been compacted (compacted: {compacted})")
        self.requested = requested
        self.compacted = compacted


class FutureRevisionError(StorageError):
    def __init__(self, requested: int, current: int):
        super().__init__(f"required revision {requested} is a future revision (current: {current})")
        self.requested = requested
        self.current = current


@dataclass(frozen=True, slots=True)
class RangeResult:
    kvs: list[KeyValue]
    revision: int  # the store revision the read was served at
    more: int  # number of matching keys left after the returned ones (0 when complete)


class Watcher(Protocol):
    """Async iterator of event batches; ``close()`` stops it."""

    def __aiter__(self) -> AsyncIterator[Sequence[Event]]: ...

    async def __anext__(self) -> Sequence[Event]: ...

    def close(self) -> None: ...


class Store(Protocol):
    @property
    def revision(self) -> int:
        """The newest committed revision."""

    @property
    def compacted_revision(self) -> int:
        """Reads and watches strictly below this revision raise CompactedError (0 = none)."""

    async def create(self, key: str, value: bytes) -> int:
        """Insert ``key`` if absent and return the new revision, else KeyExistsError."""

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        """Replace ``key`` if its mod_revision equals ``expected_revision``.
        Raises KeyNotFoundError or RevisionMismatchError (carrying the current kv)."""

    async def delete(self, key: str, *, expected_revision: int | None = None) -> tuple[int, KeyValue]:
        """Delete ``key`` (conditionally) and return (revision, the deleted kv)."""

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        """The value of ``key`` at ``revision`` (0 = newest)."""

    async def range(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_key: str = ""
    ) -> RangeResult:
        """Live keys starting with ``prefix`` and >= ``start_key``, in key order, at
        ``revision`` (0 = newest). ``limit`` 0 means all."""

    def watch(self, prefix: str, *, start_revision: int) -> Watcher:
        """Every event on keys with ``prefix`` whose revision >= ``start_revision``,
        in revision order, then live ones. Raises CompactedError if
        ``start_revision`` is below the compacted revision (when it is > 0)."""

    async def compact(self, revision: int) -> None:
        """Forget history below ``revision`` (the newest version of each live key stays)."""

    async def close(self) -> None: ...
