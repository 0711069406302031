"""CRUD, list and watch on every registered resource: the generic REST store.

A write runs the same pipeline for every kind: decode the body (JSON, YAML or
protobuf) -> convert to the storage version -> strategy (server metadata,
status split, generation) -> defaulting -> validation -> admission -> storage
compare-and-swap. Reads are served from the watch cache. Kind-specific rules
live in the registry entry and the modules it points to, not here.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime as dt
import logging
import random
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import orjson
import yaml

from ..api import errors, managedfields, protobuf, selectors, validation
from ..api.conversion import convert, needs_conversion, storage_api_version
from ..api.registry import Registry, Resource
from ..storage.interface import (
    CompactedError,
    KeyExistsError,
    KeyNotFoundError,
    RevisionMismatchError,
    Store,
)
from . import encoding, strategy
from .negotiation import (
    JSON,
    PROTOBUF,
    YAML,
    body_format,
)
from .watchcache import Entry, WatchCache, decode_value, parse_key

log = logging.getLogger(__name__)

MAX_OBJECT_BYTES = int(1.5 * 1024 * 1024)  # etcd's default request limit
MAX_BODY_BYTES = 3 * 1024 * 1024
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # upstream's generateName alphabet
# Registries that answer a delete with the deleted object rather than a Status.
RETURNS_DELETED_OBJECT = {("", "pods")}


@dataclass
class User:
    name: str
    groups: list[str] = field(default_factory=list)
    uid: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Attributes:
    """What admission sees of a write."""

    operation: str  # CREATE | UPDATE | DELETE | CONNECT
    resource: Resource
    namespace: str
    name: str
    subresource: str
    obj: dict | None
    old: dict | None
    user: User | None
    dry_run: bool


AdmissionPlugin = Callable[[Attributes], Awaitable[None]]


def _continue_token(rv: int, start: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parse_continue(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError
        return int(data["rv"]), str(data["start"])
    except Exception:
        raise errors.bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")


def warning_headers(messages: list[str]) -> list[tuple[str, str]]:
    """One ``Warning: 299 - "..."`` header per message, as upstream sends them."""
    return [("Warning", '299 - "' + m.replace("\\", "\\\\").replace('"', '\\"') + '"') for m in messages]


class ResourceAPI:
    def __init__(self, *, store: Store, cache: WatchCache, registry: Registry) -> None:
        self.store = store
        self.cache = cache
        self.registry = registry
        self.admission: list[AdmissionPlugin] = []
        self.bookmark_interval = 60.0

    # ---------------------------------------------------------------- helpers

    def _predicate(self, resource: Resource, query: dict[str, str]) -> Callable[[Entry], bool]:
        label_sel = query.get("labelSelector", "")
        field_sel = query.get("fieldSelector", "")
        try:
            ls = selectors.parse_label_selector(label_sel) if label_sel else None
            fs = selectors.parse_field_selector(field_sel) if field_sel else None
            if fs is not None:
                selectors.validate_field_selector(resource.group, resource.kind, fs, namespaced=resource.namespaced)
        except selectors.SelectorError as e:
            raise errors.bad_request(str(e))
        if ls is None and fs is None:
            return lambda e: True
        attrs_fn = self._field_attrs_for(resource)

        def pred(e: Entry) -> bool:
            if ls is not None and not ls.matches(e.labels):
                return False
            if fs is not None and not fs.matches(e.field_attrs(attrs_fn)):
                return False
            return True

        return pred

    @staticmethod
    def _field_attrs_for(resource: Resource) -> Callable[[dict], dict[str, str]]:
        """Field-selector attributes of a stored object, in the version the request uses."""
        group, kind, to = resource.group, resource.kind, resource.api_version
        convert_first = needs_conversion(resource)

        def compute(obj: dict) -> dict[str, str]:
            return selectors.field_attributes(group, kind, convert(obj, to) if convert_first else obj)

        return compute

    def _key(self, resource: Resource, namespace: str, name: str) -> str:
        return resource.key(namespace if resource.namespaced else None, name)

    def _not_found(self, resource: Resource, name: str) -> errors.APIError:
        return errors.not_found(resource.plural, resource.group, name)

    def _get_entry(self, resource: Resource, namespace: str, name: str) -> Entry:
        entry = self.cache.cache(resource.storage_key).get(self._key(resource, namespace, name))
        if entry is None:
            raise self._not_found(resource, name)
        return entry

    @staticmethod
    def _dry_run(query: dict[str, str], options_kind: str) -> bool:
        values = query.getall("dryRun", []) if hasattr(query, "getall") else ([query["dryRun"]] if "dryRun" in query else [])
        values = [v for v in values if v != ""]
        if not values:
            return False
        if values != ["All"]:
            rendered = "[]string{" + ", ".join(f'"{v}"' for v in values) + "}"
            cause = errors.Cause("FieldValueNotSupported", f'Unsupported value: {rendered}: supported values: "All"', "dryRun")
            raise errors.APIError(
                422, "Invalid",
                f'{options_kind}.meta.k8s.io "" is invalid: dryRun: {cause.message}',
                details={"group": "meta.k8s.io", "kind": options_kind, "causes": [cause.to_dict()]},
            )
        return True

    @staticmethod
    def _field_validation(query: dict[str, str], options_kind: str) -> str:
        v = query.get("fieldValidation", "")
        if v not in ("", "Ignore", "Strict", "Warn"):
            cause = errors.not_supported("fieldValidation", v, ["", "Ignore", "Strict", "Warn"])
            raise errors.APIError(
                422, "Invalid",
                f'{options_kind}.meta.k8s.io "" is invalid: fieldValidation: {cause.message}',
                details={"group": "meta.k8s.io", "kind": options_kind, "causes": [cause.to_dict()]},
            )
        return v or "Warn"

    # ------------------------------------------------------------- decoding
    def decode_body(self, raw: bytes, content_type: str | None, resource: Resource, *, expect_kind: str | None = None,
                    field_validation: str = "Ignore", warnings: list[str] | None = None) -> dict:
        """Decode a create/update body and check its kind; apply strict field checks."""
        fmt = body_format(content_type)
        kind = expect_kind or resource.kind
        duplicates: list[str] = []
        if len(raw) > MAX_BODY_BYTES:
            raise errors.request_entity_too_large()
        if fmt == PROTOBUF:
            try:
                obj = protobuf.decode(raw)
            except protobuf.ProtobufError as e:
                raise errors.bad_request(f"the object provided is unrecognized (must be of type {kind}): {e}")
        elif fmt in (JSON, YAML, "application/json-seq"):
            obj = self._load_text(raw, fmt, kind)
            if _may_repeat_keys(raw, obj):
                # Go's decoder merges repeated keys (and strict mode reports them): redo it that way
                try:
                    obj, duplicates = validation.decode_json(raw)
                except ValueError:
                    duplicates = []
        else:
            raise errors.unsupported_media_type()
        if not isinstance(obj, dict):
            raise errors.bad_request(f"the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; json parse error: expected an object")
        body_kind = obj.get("kind") or kind
        body_version = obj.get("apiVersion") or resource.api_version
        if body_kind != kind or (body_version != resource.api_version and not self._same_kind_other_version(resource, body_version, body_kind)):
            version = body_version.split("/")[-1]
            raise errors.bad_request(
                f'{body_kind} in version "{version}" cannot be handled as a {kind}: converting '
                f"({version}.{body_kind}) to ({(resource.group or 'core')}.{kind}): unknown conversion"
            )
        obj.setdefault("kind", body_kind)
        obj.setdefault("apiVersion", body_version)
        type_errors = validation.type_errors(resource, obj)
        if type_errors:
            version = body_version.split("/")[-1]
            raise errors.bad_request(f'{body_kind} in version "{version}" cannot be handled as a {kind}: {type_errors[0]}')
        unknown = validation.strict_unknown_fields(resource, obj) if fmt != PROTOBUF else []
        if unknown:
            validation.prune_unknown_fields(resource, obj)  # typed decoding drops them upstream
        if field_validation in ("Strict", "Warn") and fmt != PROTOBUF:
            problems = duplicates + unknown
            if problems:
                if field_validation == "Strict":
                    version = body_version.split("/")[-1]
                    raise errors.bad_request(
                        f'{body_kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: '
                        + ", ".join(problems)
                    )
                if warnings is not None:
                    warnings.extend(problems)
        return obj

    def _same_kind_other_version(self, resource: Resource, api_version: str, kind: str) -> bool:
        for r in self.registry.versions_of(resource):
            if r.api_version == api_version and r.kind == kind:
                return True
        return False

    @staticmethod
    def _load_text(raw: bytes, fmt: str, kind: str) -> Any:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            if fmt == YAML or raw.lstrip()[:1] not in (b"{", b"["):
                try:
                    return yaml.load(raw, Loader=_YamlLoader)
                except yaml.YAMLError as ye:
                    raise errors.bad_request(f"the object provided is unrecognized (must be of type {kind}): {ye}")
            snippet = raw[:30].decode("utf-8", "replace")
            raise errors.bad_request(
                f"the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; "
                f"json parse error: {_go_json_error(e)} ({snippet} ...)"
            )

    def _to_storage(self, resource: Resource, obj: dict) -> dict:
        target = storage_api_version(resource)
        if obj.get("apiVersion") != target:
            obj = convert(obj, target)
        return obj

    # ----------------------------------------------------------------- reads
    def get(self, resource: Resource, namespace: str, name: str) -> Entry:
        return self._get_entry(resource, namespace, name)

    async def list(self, resource: Resource, namespace: str, query: dict[str, str]) -> tuple[list[Entry], dict]:
        """Entries and list metadata for a list request."""
        pred = self._predicate(resource, query)
        rv_param = query.get("resourceVersion", "")
        match = query.get("resourceVersionMatch", "")
        token = query.get("continue", "")
        try:
            limit = int(query.get("limit", "0") or 0)
        except ValueError:
            raise errors.bad_request(f"invalid limit: {query.get('limit')}")
        if match and match not in ("NotOlderThan", "Exact"):
            raise errors.bad_request(f'resourceVersionMatch: Unsupported value: "{match}": supported values: "Exact", "NotOlderThan"')
        if match and not rv_param:
            raise errors.bad_request("resourceVersionMatch is forbidden unless resourceVersion is provided")
        if token:
            if rv_param:
                raise errors.bad_request("specifying resource version is not allowed when using continue")
            rv, start = _parse_continue(token)
            return await self._list_from_store(resource, namespace, pred, revision=rv, start=start, limit=limit,
                                               continued=True)
        if rv_param:
            try:
                rv = int(rv_param)
            except ValueError:
                raise errors.bad_request(f"invalid resource version: {rv_param}")
            exact = match == "Exact" or (not match and limit > 0 and rv > 0)
            if exact and rv > 0:
                return await self._list_from_store(resource, namespace, pred, revision=rv, start="", limit=limit)
            if rv > self.cache.revision:
                if not await self.cache.wait_for(rv, 3.0):
                    raise errors.APIError(504, "Timeout", f"Too large resource version: {rv}, current: {self.cache.revision}",
                                          details={"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1})
        c = self.cache.cache(resource.storage_key)
        revision = self.cache.revision
        matched: list[Entry] = []
        remaining = 0
        next_start = ""
        entries = c.entries(namespace)
        if limit > 0:
            count = 0
            for i, e in enumerate(entries):
                if pred(e):
                    if count == limit:
                        # more exist: hand out a continue token
                        next_start = self._relative_key(resource, namespace, matched[-1].key) + "\x00"
                        remaining = sum(1 for x in entries[i:] if pred(x))
                        break
                    matched.append(e)
                    count += 1
        else:
            matched = [e for e in entries if pred(e)]
        meta: dict = {"resourceVersion": str(revision)}
        if next_start:
            meta["continue"] = _continue_token(revision, next_start)
            if not query.get("labelSelector") and not query.get("fieldSelector"):
                meta["remainingItemCount"] = remaining
        return matched, meta

    def _relative_key(self, resource: Resource, namespace: str, key: str) -> str:
        return key[len(resource.prefix(namespace)):]

    async def _list_from_store(self, resource: Resource, namespace: str, pred: Callable[[Entry], bool], *,
                               revision: int, start: str, limit: int, continued: bool = False) -> tuple[list[Entry], dict]:
        prefix = resource.prefix(namespace)
        out: list[Entry] = []
        start_key = prefix + start
        last_key = ""
        more = 0
        try:
            while True:
                batch = max(limit - len(out), 0) if limit else 0
                res = await self.store.range(prefix, revision=revision, limit=batch if batch else 0, start_key=start_key)
                for kv in res.kvs:
                    parsed = parse_key(kv.key)
                    ns, name = (parsed[1], parsed[2]) if parsed else ("", "")
                    e = Entry(kv.key, decode_value(kv), kv.mod_revision, ns, name)
                    last_key = kv.key
                    if pred(e):
                        out.append(e)
                more = res.more
                if not limit or len(out) >= limit or not res.more or not res.kvs:
                    break
                start_key = last_key + "\x00"
        except CompactedError:
            if continued:
                raise errors.APIError(410, "Expired", _CONTINUE_EXPIRED, details=None)
            raise errors.gone("The resourceVersion for the provided list is too old.")
        except Exception as e:
            from ..storage.interface import FutureRevisionError

            if isinstance(e, FutureRevisionError):
                raise errors.APIError(504, "Timeout", f"Too large resource version: {revision}, current: {e.current}",
                                      details={"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1})
            raise
        meta: dict = {"resourceVersion": str(revision)}
        if limit and more and last_key:
            meta["continue"] = _continue_token(revision, last_key[len(prefix):] + "\x00")
            meta["remainingItemCount"] = more
        return out, meta

    # ---------------------------------------------------------------- writes
    async def _admit(self, attrs: Attributes) -> None:
        for plugin in self.admission:
            await plugin(attrs)

    def _finish_object(self, resource: Resource, obj: dict) -> bytes:
        obj.setdefault("metadata", {}).pop("resourceVersion", None)
        data = orjson.dumps(obj)
        if len(data) > MAX_OBJECT_BYTES:
            raise errors.APIError(500, "", "etcdserver: request is too large")
        return data

    def _validate(self, resource: Resource, obj: dict, old: dict | None, subresource: str = "") -> None:
        causes = validation.validate(resource, obj, old, subresource=subresource)
        if causes:
            name = obj.get("metadata", {}).get("name", "")
            raise errors.invalid_object(resource.kind, resource.group, name, causes)

    @staticmethod
    def _record_manager(resource: Resource, old: dict | None, new: dict, manager: str, subresource: str) -> None:
        """managedFields for a non-apply write (create, update, patch, status and scale writes)."""
        reset = managedfields.reset_fields(group=resource.group, plural=resource.plural,
                                           has_status=resource.has_status, subresource=subresource)
        managedfields.update_managed_fields(old=old, new=new, manager=manager, subresource=subresource,
                                            api_version=new.get("apiVersion", resource.api_version),
                                            now=strategy.now_rfc3339(), reset=reset)

    async def create(self, resource: Resource, namespace: str, obj: dict, *, user: User | None, dry_run: bool,
                     subresource: str = "", manager: str = "kube-apiserver", applied: bool = False) -> Entry | dict:
        """``applied``: the object comes from a server-side apply, which recorded its managedFields."""
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        if resource.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and namespace and body_ns != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
            if namespace:
                meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise errors.internal("resourceVersion should not be set on objects to be created")
        obj = self._to_storage(resource, obj)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choice(_NAME_CHARS) for _ in range(5))
        # Upstream defaults while decoding and records ownership before its strategy and
        # admission run, so what those add (e.g. the namespace finalizer) belongs to nobody.
        validation.apply_defaults(resource, obj)
        if not applied:
            self._record_manager(resource, None, obj, manager, subresource)
        strategy.prepare_create(resource, obj)
        validation.apply_defaults(resource, obj)
        self._validate(resource, obj, None)
        await self._admit(Attributes("CREATE", resource, namespace, meta.get("name", ""), subresource, obj, None, user, dry_run))
        data = self._finish_object(resource, obj)
        key = self._key(resource, namespace, meta["name"])
        if dry_run:
            if self.cache.cache(resource.storage_key).get(key) is not None:
                raise errors.already_exists(resource.plural, resource.group, meta["name"])
            return obj
        try:
            with self.cache.writing(data, obj):
                rev = await self.store.create(key, data)
        except KeyExistsError:
            raise errors.already_exists(resource.plural, resource.group, meta["name"])
        return self._entry_at(resource, key, rev)

    def _entry_at(self, resource: Resource, key: str, rev: int) -> Entry:
        entry = self.cache.cache(resource.storage_key).get(key)
        if entry is None or entry.rv != rev:
            # The cache is fed before writes are acknowledged; this is a safety net.
            raise errors.internal(f"watch cache is behind the store for {key}")
        return entry

    async def update(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        mutate: Callable[[dict], dict],
        *,
        user: User | None,
        dry_run: bool,
        subresource: str = "",
        create_body: dict | None = None,
        precondition_rv: str | None = None,
        manager: str = "kube-apiserver",
        applied: bool = False,
    ) -> tuple[Entry | dict, bool]:
        """Read-modify-write with compare-and-swap, retried on conflicts that the
        client did not cause. ``mutate`` turns the stored object (a deep copy, in
        the served version) into the new object; with ``applied`` it is a
        server-side apply that already recorded managedFields. Returns (result, created)."""
        key = self._key(resource, namespace, name)
        for _attempt in range(20):
            current = self.cache.cache(resource.storage_key).get(key)
            if current is None:
                if create_body is not None and (resource.group, resource.plural) in strategy.CREATE_ON_UPDATE:
                    created = await self.create(resource, namespace, create_body, user=user, dry_run=dry_run,
                                                subresource=subresource, manager=manager)
                    return created, True
                raise self._not_found(resource, name)
            old_served = encoding.served(resource, current)
            # a private copy to change: parsing the entry's cached JSON is several times
            # faster than copy.deepcopy of the object
            new = mutate(orjson.loads(current.raw) if old_served is current.obj else copy.deepcopy(old_served))
            new_meta = new.setdefault("metadata", {})
            rv = new_meta.get("resourceVersion") or precondition_rv
            if rv and rv != str(current.rv):
                raise errors.conflict(resource.plural, resource.group, name, errors.OBJECT_MODIFIED)
            if new_meta.get("name", name) != name:
                raise errors.bad_request(f"the name of the object ({new_meta.get('name')}) does not match the name on the URL ({name})")
            new_meta["name"] = name
            if resource.namespaced:
                if new_meta.get("namespace") and new_meta["namespace"] != namespace:
                    raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
                new_meta["namespace"] = namespace
            new = self._to_storage(resource, new)
            old = current.obj
            # the same order as create: defaults, ownership, then the strategy
            validation.apply_defaults(resource, new)
            if subresource == "scale":
                entries = managedfields.scale_managed_fields(
                    entries=old.get("metadata", {}).get("managedFields"),
                    old_replicas=(old.get("spec") or {}).get("replicas"),
                    new_replicas=(new.get("spec") or {}).get("replicas"), manager=manager,
                    api_version=old.get("apiVersion", resource.api_version), now=strategy.now_rfc3339())
                if entries is not None:
                    new["metadata"]["managedFields"] = entries
                else:
                    new["metadata"].pop("managedFields", None)
            elif not applied and subresource != "binding":
                # a binding changes spec.nodeName without a managedFields entry, as upstream
                self._record_manager(resource, old, new, manager, subresource)
            if subresource == "status":
                new = strategy.prepare_status_update(resource, new, old)
            elif subresource == "ephemeralcontainers":
                new = strategy.prepare_ephemeral_containers_update(new, old)
            elif subresource in ("binding", "finalize"):
                pass  # these change exactly one thing (spec.nodeName, spec.finalizers) themselves
            else:
                strategy.prepare_update(resource, new, old)
            validation.apply_defaults(resource, new)
            self._validate(resource, new, old, subresource if subresource != "scale" else "")
            await self._admit(Attributes("UPDATE", resource, namespace, name, subresource, new, old, user, dry_run))
            # A no-op update writes nothing and keeps the resourceVersion (upstream does the same).
            new.get("metadata", {}).pop("resourceVersion", None)
            old_cmp = dict(old)
            old_cmp["metadata"] = {k: v for k, v in old.get("metadata", {}).items() if k != "resourceVersion"}
            if new == old_cmp:
                return current, False
            data = self._finish_object(resource, new)
            if dry_run:
                new["metadata"]["resourceVersion"] = str(current.rv)
                return new, False
            try:
                with self.cache.writing(data, new):
                    rev = await self.store.update(key, data, expected_revision=current.rv)
            except RevisionMismatchError:
                if rv:
                    raise errors.conflict(resource.plural, resource.group, name, errors.OBJECT_MODIFIED)
                await asyncio.sleep(0)
                continue
            except KeyNotFoundError:
                raise self._not_found(resource, name)
            if new.get("metadata", {}).get("deletionTimestamp") and not new["metadata"].get("finalizers") \
                    and self._should_delete_now(resource, new):
                # the last finalizer went away: finish the deletion
                await self._delete_now(resource, key, rev)
            return self._entry_at_or_gone(resource, key, rev), False
        raise errors.conflict(resource.plural, resource.group, name, errors.OBJECT_MODIFIED)

    def _entry_at_or_gone(self, resource: Resource, key: str, rev: int) -> Entry:
        c = self.cache.cache(resource.storage_key)
        entry = c.get(key)
        if entry is not None and entry.rv >= rev:
            return entry
        for ev in reversed(c.history):
            if ev.entry.key == key and ev.rv >= rev:
                return ev.entry
        raise errors.internal(f"watch cache is behind the store for {key}")

    @staticmethod
    def _should_delete_now(resource: Resource, obj: dict) -> bool:
        meta = obj.get("metadata", {})
        grace = meta.get("deletionGracePeriodSeconds")
        if (resource.group, resource.plural) == ("", "pods") and grace not in (None, 0):
            return False
        if (resource.group, resource.plural) == ("", "namespaces"):
            return not (obj.get("spec") or {}).get("finalizers")
        return True

    async def _delete_now(self, resource: Resource, key: str, rev: int) -> None:
        try:
            await self.store.delete(key, expected_revision=rev)
        except (RevisionMismatchError, KeyNotFoundError):
            pass

    async def delete(self, resource: Resource, namespace: str, name: str, options: dict, *, user: User | None,
                     dry_run: bool) -> tuple[Entry | dict | None, dict | None]:
        """Returns (object still present or deleted, status-details when gone)."""
        key = self._key(resource, namespace, name)
        for _attempt in range(20):
            current = self.cache.cache(resource.storage_key).get(key)
            if current is None:
                raise self._not_found(resource, name)
            obj = current.obj
            meta = obj.get("metadata", {})
            pre = options.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != meta.get("uid"):
                raise errors.APIError(
                    409, "Conflict",
                    f'Operation cannot be fulfilled on {resource.kind} "{name}": the UID in the precondition '
                    f'({pre["uid"]}) does not match the UID in record ({meta.get("uid")}). The object might have been deleted and then recreated',
                    details={"name": name, "kind": resource.kind} | ({"group": resource.group} if resource.group else {}),
                )
            if pre.get("resourceVersion") and pre["resourceVersion"] != str(current.rv):
                raise errors.APIError(
                    409, "Conflict",
                    f'Operation cannot be fulfilled on {resource.kind} "{name}": the ResourceVersion in the precondition '
                    f'({pre["resourceVersion"]}) does not match the ResourceVersion in record ({current.rv}). The object might have been modified',
                    details={"name": name, "kind": resource.kind} | ({"group": resource.group} if resource.group else {}),
                )
            await self._admit(Attributes("DELETE", resource, namespace, name, "", None, obj, user, dry_run))
            policy = options.get("propagationPolicy")
            if options.get("orphanDependents") is True and not policy:
                policy = "Orphan"
            elif options.get("orphanDependents") is False and not policy:
                policy = "Background"
            new = copy.deepcopy(obj)
            new_meta = new["metadata"]
            finalizers = list(new_meta.get("finalizers") or [])
            gk = (resource.group, resource.plural)
            changed = False
            if policy == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
                if "foregroundDeletion" in finalizers:
                    finalizers.remove("foregroundDeletion")
                changed = True
            elif policy == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
                if "orphan" in finalizers:
                    finalizers.remove("orphan")
                changed = True
            graceful = False
            if gk == ("", "pods"):
                grace = options.get("gracePeriodSeconds")
                if grace is None:
                    grace = (obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                bound = bool((obj.get("spec") or {}).get("nodeName"))
                phase = (obj.get("status") or {}).get("phase")
                if not bound or phase in ("Succeeded", "Failed"):
                    grace = 0
                if grace > 0:
                    graceful = True
                    if not meta.get("deletionTimestamp"):
                        ts = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=grace)
                        new_meta["deletionTimestamp"] = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
                        new_meta["deletionGracePeriodSeconds"] = grace
                        changed = True
                    elif (meta.get("deletionGracePeriodSeconds") or 0) > grace:
                        new_meta["deletionGracePeriodSeconds"] = grace
                        changed = True
            if gk == ("", "namespaces"):
                if new.get("spec", {}).get("finalizers") or finalizers:
                    if not meta.get("deletionTimestamp"):
                        new_meta["deletionTimestamp"] = strategy.now_rfc3339()
                        new_meta["deletionGracePeriodSeconds"] = 0
                        new.setdefault("status", {})["phase"] = "Terminating"
                        changed = True
                    graceful = True
            if finalizers and not graceful:
                if not meta.get("deletionTimestamp"):
                    new_meta["deletionTimestamp"] = strategy.now_rfc3339()
                    new_meta["deletionGracePeriodSeconds"] = 0
                    changed = True
            new_meta["finalizers"] = finalizers
            if not finalizers:
                new_meta.pop("finalizers", None)
            if finalizers or graceful:
                # The object stays until its finalizers are removed (or the kubelet finishes).
                if not changed:
                    return current, None
                if dry_run:
                    return new, None
                new_meta.pop("resourceVersion", None)
                try:
                    rev = await self.store.update(key, self._finish_object(resource, new), expected_revision=current.rv)
                except RevisionMismatchError:
                    continue
                return self._entry_at_or_gone(resource, key, rev), None
            details = {"name": name}
            if resource.group:
                details["group"] = resource.group
            details["kind"] = resource.plural
            details["uid"] = meta.get("uid", "")
            if dry_run:
                return (obj if gk in RETURNS_DELETED_OBJECT else None), details
            try:
                rev, _ = await self.store.delete(key, expected_revision=current.rv)
            except RevisionMismatchError:
                continue
            except KeyNotFoundError:
                raise self._not_found(resource, name)
            if gk in RETURNS_DELETED_OBJECT:
                return self._entry_at_or_gone(resource, key, rev), None
            return None, details
        raise errors.conflict(resource.plural, resource.group, name, errors.OBJECT_MODIFIED)


_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


_KEY_TOKEN = re.compile(rb'"\s*:')


def _count_keys(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_count_keys(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_keys(v) for v in value)
    return 0


def _may_repeat_keys(raw: bytes, obj: Any) -> bool:
    """Cheap proof that a JSON body has no repeated keys: every key is a string
    followed by a colon, so if there are no more `"  :` sequences than parsed
    keys, nothing repeated. (Strings containing `":` only cause a slow re-check.)"""
    return len(_KEY_TOKEN.findall(raw)) != _count_keys(obj)


def _go_json_error(e: Exception) -> str:
    msg = str(e)
    if "unexpected end" in msg.lower() or "eof" in msg.lower():
        return "unexpected end of JSON input"
    return "invalid character"


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


# Kubernetes YAML keeps timestamps and "yes"/"no" as strings where the schema says string;
# loading dates as datetime objects would break JSON encoding.
_YamlLoader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
