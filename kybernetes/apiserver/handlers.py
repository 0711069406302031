"""HTTP handlers for resource URLs: verbs, subresources and watch streams.

This is the glue between aiohttp and :class:`ResourceAPI`: it reads query
parameters and bodies, calls the generic store, and renders the answer in the
negotiated representation.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import time
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

from ..api import errors, managedfields, selectors, strategicpatch, tables, validation
from ..api.patch import PatchDecodeError, PatchError, json_patch, merge_patch
from ..api.registry import Resource
from . import encoding, reviews, strategy
from .negotiation import (
    APPLY_PATCH_CBOR,
    APPLY_PATCH_YAML,
    JSON,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    Output,
    body_format,
    negotiate,
)
from .podexec import proxy_attach, proxy_exec, proxy_portforward
from .podlogs import KubeletClient
from .requestinfo import RequestInfo
from .resources import ResourceAPI, User, warning_headers
from .tokens import ServiceAccountTokens, TokenError
from .watchcache import Entry

log = logging.getLogger(__name__)

# Kinds that only travel through subresources (they have no storage of their own).
_SCALE = Resource(group="autoscaling", version="v1", kind="Scale", plural="scale", singular="scale",
                  namespaced=True, verbs=("get",))
_BINDING = Resource(group="", version="v1", kind="Binding", plural="bindings", singular="binding",
                    namespaced=True, verbs=("create",))
_TOKEN_REQUEST = Resource(group="authentication.k8s.io", version="v1", kind="TokenRequest", plural="token",
                          singular="token", namespaced=True, verbs=("create",))
_BOUND_KINDS = {"Pod": "pods", "Secret": "secrets"}
_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH_YAML, APPLY_PATCH_CBOR)
_NO_CACHE = {"Cache-Control": "no-cache, private"}


def respond(body: bytes, content_type: str, status: int = 200,
            headers: dict | list[tuple[str, str]] | None = None) -> web.Response:
    h = CIMultiDict(_NO_CACHE)
    if headers:
        h.extend(headers.items() if isinstance(headers, dict) else headers)
    h["Content-Type"] = content_type
    return web.Response(body=body, status=status, headers=h)


def status_success(details: dict | None = None, code: int = 200) -> dict:
    s: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details is not None:
        s["details"] = details
    if code != 200:
        s["code"] = code
    return s


class ResourceHandlers:
    def __init__(self, api: ResourceAPI, authorize: reviews.Authorizer) -> None:
        self.api = api
        self.authorize = authorize
        self.kubelet_client = KubeletClient(None)   # the server gives it its client certificate
        self.tokens: ServiceAccountTokens | None = None   # the server gives it its signing key

    def lookup(self, plural: str, namespace: str, name: str) -> dict | None:
        """A core/v1 object from the cache, or None."""
        resource = self.api.registry.get("", "v1", plural)
        try:
            return self.api.get(resource, namespace, name).obj if resource is not None else None
        except errors.APIError:
            return None

    # ------------------------------------------------------------- dispatch
    async def handle(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.StreamResponse:
        verb = info.verb
        if resource.namespaced and not info.namespace and verb not in ("list", "watch"):
            raise errors.APIError(404, "NotFound", "the server could not find the requested resource", details={})
        if info.subresource:
            return await self._subresource(request, info, resource, user)
        if resource.verbs == ("create",) and verb == "create" and not info.name:
            return await self._create_only(request, info, resource, user)
        if verb not in resource.verbs and not (verb == "watch" and "list" in resource.verbs and "watch" in resource.verbs):
            raise errors.method_not_allowed()
        if verb == "get":
            return self._get(request, info, resource)
        if verb == "list":
            return await self._list(request, info, resource)
        if verb == "watch":
            return await self._watch(request, info, resource)
        if verb == "create":
            if info.name:
                raise errors.method_not_allowed()
            return await self._create(request, info, resource, user)
        if verb == "update":
            return await self._update(request, info, resource, user)
        if verb == "patch":
            return await self._patch(request, info, resource, user)
        if verb == "delete":
            return await self._delete(request, info, resource, user)
        if verb == "deletecollection":
            return await self._deletecollection(request, info, resource, user)
        raise errors.method_not_allowed()

    @staticmethod
    def _output(request: web.Request, resource: Resource | None = None) -> Output:
        table_ok = resource is None or tables.supports_table(resource)
        return negotiate(request.headers.get("Accept"), table_ok=table_ok)

    def _render(self, request: web.Request, resource: Resource, result: Entry | dict, status: int = 200,
                headers: list[tuple[str, str]] | None = None, out: Output | None = None) -> web.Response:
        out = out or self._output(request, resource)
        if not isinstance(result, Entry):  # a dry run's object, never stored
            rv = int(result.get("metadata", {}).get("resourceVersion") or 0)
            result = Entry("", result, rv, "", "")
        body, ct = encoding.single(resource, result, out, include_object=request.query.get("includeObject", "Metadata"))
        return respond(body, ct, status, headers)

    async def _create_only(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.Response:
        """Reviews are answered, never stored; a core/v1 Binding binds the pod it names."""
        out = self._output(request, resource)
        raw = await self._read_body(request)
        body = self.api.decode_body(raw, request.headers.get("Content-Type"), resource)
        if (resource.group, resource.plural) == ("", "bindings"):
            pods = self.api.registry.get("", "v1", "pods")
            name = (body.get("metadata") or {}).get("name", "")
            return await self._bind(request, info.namespace, name, body, pods, user)
        if resource.kind == "TokenReview" and self.tokens is not None:
            answer = self._token_review(body)
        else:
            answer = reviews.review(resource, body, user=user, namespace=info.namespace, authorize=self.authorize)
        b, ct = encoding.encode_dict(answer, out)
        return respond(b, ct, 201)

    def _token_review(self, body: dict) -> dict:
        spec = body.get("spec") or {}
        audiences = list(spec.get("audiences") or [])
        out = {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
               "metadata": {"creationTimestamp": None}, "spec": spec}
        try:
            who = self.tokens.verify(spec.get("token", ""), self.lookup, audiences=audiences or None)
        except TokenError as e:
            out["status"] = {"user": {}, "error": str(e)}
            return out
        out["status"] = {"authenticated": True, "audiences": audiences or self.tokens.audiences,
                         "user": {"username": who.name, "uid": who.uid, "groups": who.groups, "extra": who.extra}}
        return out

    async def _token_request(self, request: web.Request, info: RequestInfo) -> web.Response:
        """POST serviceaccounts/<name>/token: a signed token for the account (kubectl create token)."""
        out = self._output(request)
        raw = await self._read_body(request)
        body = self.api.decode_body(raw, request.headers.get("Content-Type"), _TOKEN_REQUEST)
        account = self.lookup("serviceaccounts", info.namespace, info.name)
        if account is None or self.tokens is None:
            raise errors.not_found("serviceaccounts", "", info.name)
        spec = dict(body.get("spec") or {})
        expiration = spec.get("expirationSeconds")
        expiration = 3600 if expiration is None else expiration
        causes = []
        if not isinstance(expiration, int) or expiration < 600:
            causes.append(errors.invalid("spec.expirationSeconds", expiration,
                                         "may not specify a duration less than 10 minutes"))
        elif expiration > 2**32:
            causes.append(errors.invalid("spec.expirationSeconds", expiration,
                                         "may not specify a duration larger than 2^32 seconds"))
        ref = spec.get("boundObjectRef")
        if ref and ref.get("kind") not in _BOUND_KINDS:
            causes.append(errors.invalid("spec.boundObjectRef.kind", ref.get("kind"),
                                         'supported values: "Pod", "Secret"'))
        if causes:
            raise errors.invalid_object("TokenRequest", "authentication.k8s.io", info.name, causes)
        bound = None
        if ref:
            plural = _BOUND_KINDS[ref["kind"]]
            obj = self.lookup(plural, info.namespace, ref.get("name", ""))
            if obj is None:
                raise errors.not_found(plural, "", ref.get("name", ""))
            uid = obj["metadata"].get("uid", "")
            if ref.get("uid") and ref["uid"] != uid:
                raise errors.conflict(plural, "", ref.get("name", ""),
                                      f"the UID in the bound object reference ({ref['uid']}) does not match the UID "
                                      "in record. The object might have been deleted and then recreated")
            bound = {"kind": ref["kind"], "name": ref.get("name", ""), "uid": uid}
            spec["boundObjectRef"] = {"apiVersion": "v1", **ref, "uid": uid}
        spec["audiences"] = list(spec.get("audiences") or self.tokens.audiences)
        spec["expirationSeconds"] = expiration
        token, expires = self.tokens.issue(namespace=info.namespace, name=info.name,
                                           uid=account["metadata"].get("uid", ""), audiences=spec["audiences"],
                                           expiration=expiration, bound=bound)
        answer = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                  "metadata": {"name": info.name, "namespace": info.namespace, "creationTimestamp": None},
                  "spec": spec,
                  "status": {"token": token,
                             "expirationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))}}
        b, ct = encoding.encode_dict(answer, out)
        return respond(b, ct, 201)

    # ---------------------------------------------------------------- reads
    def _get(self, request: web.Request, info: RequestInfo, resource: Resource) -> web.Response:
        out = self._output(request, resource)
        entry = self.api.get(resource, info.namespace, info.name)
        return self._render(request, resource, entry, out=out)

    async def _list(self, request: web.Request, info: RequestInfo, resource: Resource) -> web.Response:
        out = self._output(request, resource)
        entries, meta = await self.api.list(resource, info.namespace, request.query)
        body, ct = encoding.list_body(resource, entries, out, list_meta=meta,
                                      include_object=request.query.get("includeObject", "Metadata"))
        return respond(body, ct)

    async def _watch(self, request: web.Request, info: RequestInfo, resource: Resource) -> web.StreamResponse:
        q = request.query
        out = self._output(request, resource)
        if out.format == "yaml":
            out = Output("json")
        pred = self.api._predicate(resource, q)
        namespace = info.namespace if resource.namespaced else ""
        if info.name:  # a watch on one object (GET .../name?watch=true)
            base = pred
            name = info.name
            pred = lambda e: e.name == name and base(e)  # noqa: E731
        rv = q.get("resourceVersion", "")
        send_initial = q.get("sendInitialEvents", "")
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        if send_initial:
            if q.get("resourceVersionMatch") != "NotOlderThan" or not bookmarks:
                raise errors.APIError(
                    422, "Invalid",
                    'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled',
                )
        try:
            timeout = float(q.get("timeoutSeconds") or 0)
        except ValueError:
            raise errors.bad_request(f"invalid timeoutSeconds: {q.get('timeoutSeconds')}")
        if timeout <= 0:
            timeout = 1800 + random.random() * 1800
        since: int | None
        if send_initial == "true" or rv in ("", "0"):
            since = None
        else:
            try:
                since = int(rv)
            except ValueError:
                raise errors.bad_request(f"invalid resource version: {rv}")
        if since is not None and since > self.api.cache.revision:
            await self.api.cache.wait_for(since, 3.0)
        resp = web.StreamResponse(status=200, headers=dict(_NO_CACHE))
        resp.content_type = "application/vnd.kubernetes.protobuf;stream=watch" if out.format == "protobuf" else JSON
        resp.enable_chunked_encoding()
        include_object = q.get("includeObject", "Metadata")
        try:
            watcher, initial = self.api.cache.watch(resource.storage_key, namespace=namespace, predicate=pred, since=since)
        except ValueError as e:
            await resp.prepare(request)
            status = errors.gone(f"too old resource version: {since} ({e.args[0]})").status()
            await resp.write(encoding.watch_event(resource, "ERROR", None, out, obj=status))
            await resp.write_eof()
            return resp
        try:
            await resp.prepare(request)
            frames = [encoding.watch_event(resource, ev.type, ev.entry, out, include_object=include_object) for ev in initial]
            if send_initial == "true":
                frames.append(self._bookmark(resource, out, initial_end=True))
            if frames:
                await resp.write(b"".join(frames))
            transport = request.transport
            # Frames the sink took, written together at the end of this loop iteration: a
            # store commit delivers a batch of events, and one TLS write for all of them
            # costs far less than one per event. The flush is queued before the commits'
            # waiters wake, so the events still reach the socket before the writes that
            # caused them are answered.
            pending: list[bytes] = []

            def flush() -> None:
                if pending:
                    data = b"".join(pending)
                    pending.clear()
                    if not transport.is_closing():
                        transport.write(data)

            def sink(ev) -> bool:
                if transport is None or transport.is_closing() or transport.get_write_buffer_size() > 1 << 20:
                    return False
                data = encoding.watch_event(resource, ev.type, ev.entry, out, include_object=include_object)
                if not pending:
                    asyncio.get_running_loop().call_soon(flush)
                # the same chunk framing aiohttp's writer uses
                pending.append(b"%x\r\n%b\r\n" % (len(data), data))
                return True

            if resp.chunked and not resp.compression:
                watcher.sink = sink
            deadline = time.monotonic() + timeout
            next_bookmark = time.monotonic() + self.api.bookmark_interval
            while True:
                now = time.monotonic()
                wait = deadline - now
                if bookmarks:
                    wait = min(wait, next_bookmark - now)
                flush()   # anything the sink took goes out before what this task writes
                if wait <= 0:
                    if now >= deadline:
                        if bookmarks:
                            await resp.write(self._bookmark(resource, out))
                        break
                    await resp.write(self._bookmark(resource, out))
                    next_bookmark = time.monotonic() + self.api.bookmark_interval
                    continue
                try:
                    # asyncio.timeout, not wait_for: the get must run in this task so that
                    # taking an event and writing it happen in one step (the sink relies on it)
                    async with asyncio.timeout(wait):
                        ev = await watcher.queue.get()
                except TimeoutError:
                    continue
                if ev is None:
                    break
                batch = [encoding.watch_event(resource, ev.type, ev.entry, out, include_object=include_object)]
                closed = False
                while not watcher.queue.empty():
                    nxt = watcher.queue.get_nowait()
                    if nxt is None:
                        closed = True
                        break
                    batch.append(encoding.watch_event(resource, nxt.type, nxt.entry, out, include_object=include_object))
                flush()
                await resp.write(b"".join(batch))
                if closed:
                    break
            flush()
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            watcher.close()
        return resp

    def _bookmark(self, resource: Resource, out: Output, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(self.api.cache.revision), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": meta}
        return encoding.watch_event(resource, "BOOKMARK", None, out, obj=obj)

    # ---------------------------------------------------------------- writes
    @staticmethod
    def _manager(request: web.Request, options_kind: str) -> str:
        """The field manager of a write: ?fieldManager=, else the User-Agent's program name."""
        fm = request.query.get("fieldManager", "")
        if len(fm) > 128:
            cause = errors.Cause("FieldValueTooLong", "Too long: may not be more than 128 bytes", "fieldManager")
            raise errors.APIError(422, "Invalid", f'{options_kind}.meta.k8s.io "" is invalid: fieldManager: {cause.message}',
                                  details={"group": "meta.k8s.io", "kind": options_kind, "causes": [cause.to_dict()]})
        return fm or request.headers.get("User-Agent", "").split("/")[0][:128]

    async def _read_body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > 3 * 1024 * 1024:
            raise errors.request_entity_too_large()
        return await request.read()

    async def _create(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.Response:
        q = request.query
        dry_run = self.api._dry_run(q, "CreateOptions")
        fv = self.api._field_validation(q, "CreateOptions")
        out = self._output(request, resource)
        warnings: list[str] = []
        raw = await self._read_body(request)
        obj = self.api.decode_body(raw, request.headers.get("Content-Type"), resource, field_validation=fv, warnings=warnings)
        manager = self._manager(request, "CreateOptions")
        result = await self.api.create(resource, info.namespace, obj, user=user, dry_run=dry_run, manager=manager)
        headers = warning_headers(warnings) if warnings else None
        return self._render(request, resource, result, 201, headers=headers, out=out)

    async def _update(self, request: web.Request, info: RequestInfo, resource: Resource, user: User,
                      subresource: str = "") -> web.Response:
        q = request.query
        dry_run = self.api._dry_run(q, "UpdateOptions")
        fv = self.api._field_validation(q, "UpdateOptions")
        out = self._output(request, resource)
        warnings: list[str] = []
        raw = await self._read_body(request)
        obj = self.api.decode_body(raw, request.headers.get("Content-Type"), resource, field_validation=fv, warnings=warnings)
        name = obj.get("metadata", {}).get("name")
        if name and name != info.name:
            raise errors.bad_request(f"the name of the object ({name}) does not match the name on the URL ({info.name})")
        result, created = await self.api.update(
            resource, info.namespace, info.name, lambda _old: copy.deepcopy(obj), user=user, dry_run=dry_run,
            subresource=subresource, create_body=copy.deepcopy(obj), manager=self._manager(request, "UpdateOptions"),
        )
        headers = warning_headers(warnings) if warnings else None
        return self._render(request, resource, result, 201 if created else 200, headers=headers, out=out)

    def _patch_fn(self, request: web.Request, raw: bytes, resource: Resource, *, field_validation: str = "Ignore",
                  warnings: list[str] | None = None):
        ct = body_format(request.headers.get("Content-Type"))
        if ct not in _PATCH_TYPES:
            raise errors.unsupported_media_type()
        if ct == APPLY_PATCH_CBOR:
            raise errors.unsupported_media_type()
        try:
            if ct == APPLY_PATCH_YAML:
                patch = self.api._load_text(raw, "application/yaml", resource.kind)
            else:
                patch = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise errors.bad_request(f"error decoding patch: {e}")

        def mutate(old: dict) -> dict:
            try:
                if ct == JSON_PATCH:
                    new = json_patch(old, patch)
                elif ct == STRATEGIC_PATCH:
                    new = strategicpatch.apply(old, patch, resource)
                else:
                    new = merge_patch(old, patch)
            except strategicpatch.StrategicMergePatchError as e:
                # upstream answers 400, 422 or 500 by the kind of SMP failure
                raise errors.APIError(e.code, e.reason, e.status_message, details={} if e.code == 422 else None)
            except PatchDecodeError as e:
                raise errors.bad_request(str(e))
            except PatchError as e:
                raise errors.APIError(422, "Invalid", str(e))
            if not isinstance(new, dict):
                raise errors.bad_request("the patched object is not an object")
            # like upstream, field validation looks at the patched object, and unknown fields are dropped
            unknown = validation.strict_unknown_fields(resource, new)
            if unknown:
                validation.prune_unknown_fields(resource, new)
                if field_validation == "Strict":
                    raise errors.bad_request(f'{resource.kind} in version "{resource.version}" cannot be handled as a '
                                             f"{resource.kind}: strict decoding error: " + ", ".join(unknown))
                if field_validation == "Warn" and warnings is not None:
                    warnings[:] = unknown  # once, whatever the number of retries
            # The stored resourceVersion travels through; a patch that sets a different one is a precondition.
            patched_rv = new.get("metadata", {}).get("resourceVersion")
            if patched_rv == old.get("metadata", {}).get("resourceVersion"):
                new.get("metadata", {}).pop("resourceVersion", None)
            return new

        return mutate, ct, patch

    async def _patch(self, request: web.Request, info: RequestInfo, resource: Resource, user: User,
                     subresource: str = "") -> web.Response:
        q = request.query
        dry_run = self.api._dry_run(q, "PatchOptions")
        fv = self.api._field_validation(q, "PatchOptions")
        out = self._output(request, resource)
        raw = await self._read_body(request)
        warnings: list[str] = []
        mutate, ct, patch = self._patch_fn(request, raw, resource, field_validation=fv, warnings=warnings)
        manager = self._manager(request, "PatchOptions")
        if ct != APPLY_PATCH_YAML:
            if "force" in q:
                self._patch_options_invalid(errors.forbidden("force", "may not be specified for non-apply patch"))
            result, _ = await self.api.update(resource, info.namespace, info.name, mutate, user=user,
                                              dry_run=dry_run, subresource=subresource, manager=manager)
            return self._render(request, resource, result, out=out,
                                headers=warning_headers(warnings) if warnings else None)
        # server-side apply
        if not q.get("fieldManager"):
            self._patch_options_invalid(errors.required("fieldManager", "is required for apply patch"))
        if not isinstance(patch, dict):
            raise errors.bad_request("error decoding YAML: the apply configuration must be an object")
        unknown = validation.strict_unknown_fields(resource, patch)
        if unknown:
            # An apply cannot own fields the schema does not have (upstream fails it with a 500).
            version = resource.version
            raise errors.bad_request(f'{resource.kind} in version "{version}" cannot be handled as a {resource.kind}: '
                                     f"strict decoding error: " + ", ".join(unknown))
        force = q.get("force") in ("true", "1")
        gvk = (resource.group, resource.version, resource.kind)
        now = strategy.now_rfc3339()

        def apply(live: dict | None) -> dict:
            return managedfields.apply(live=live, config=patch, manager=manager, force=force,
                                       api_version=resource.api_version, now=now, gvk=gvk, subresource=subresource)

        key = self.api._key(resource, info.namespace, info.name)
        if not subresource and self.api.cache.cache(resource.storage_key).get(key) is None:
            obj = apply(None)
            obj.setdefault("metadata", {}).setdefault("name", info.name)
            try:
                result = await self.api.create(resource, info.namespace, obj, user=user, dry_run=dry_run,
                                               manager=manager, applied=True)
                return self._render(request, resource, result, 201, out=out)
            except errors.APIError as e:
                if e.code != 409 or e.reason != "AlreadyExists":
                    raise  # lost a race with another creator: apply onto theirs below
        result, _ = await self.api.update(resource, info.namespace, info.name, apply, user=user, dry_run=dry_run,
                                          subresource=subresource, manager=manager, applied=True)
        return self._render(request, resource, result, out=out)

    @staticmethod
    def _patch_options_invalid(cause: errors.Cause) -> None:
        raise errors.APIError(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: {cause.field}: {cause.message}',
                              details={"group": "meta.k8s.io", "kind": "PatchOptions", "causes": [cause.to_dict()]})

    async def _delete_options(self, request: web.Request) -> dict:
        raw = await request.read() if request.can_read_body else b""
        options: dict = {}
        if raw.strip():
            try:
                options = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise errors.bad_request("the body of the request was in an unknown format")
            if not isinstance(options, dict):
                raise errors.bad_request("DeleteOptions must be an object")
        q = request.query
        if "gracePeriodSeconds" in q:
            try:
                options["gracePeriodSeconds"] = int(q["gracePeriodSeconds"])
            except ValueError:
                raise errors.bad_request("invalid gracePeriodSeconds")
        if "propagationPolicy" in q:
            options["propagationPolicy"] = q["propagationPolicy"]
        if "orphanDependents" in q:
            options["orphanDependents"] = q["orphanDependents"] == "true"
        policy = options.get("propagationPolicy")
        if policy is not None and policy not in ("Orphan", "Background", "Foreground"):
            cause = errors.not_supported("propagationPolicy", policy, ["Foreground", "Background", "Orphan", "nil"])
            raise errors.APIError(422, "Invalid", f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: {cause.message}',
                                  details={"group": "meta.k8s.io", "kind": "DeleteOptions", "causes": [cause.to_dict()]})
        return options

    async def _delete(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.Response:
        options = await self._delete_options(request)
        dry_run = self.api._dry_run(request.query, "DeleteOptions") or options.get("dryRun") == ["All"]
        out = self._output(request, resource)
        result, details = await self.api.delete(resource, info.namespace, info.name, options, user=user, dry_run=dry_run)
        if result is None:
            return respond(orjson.dumps(status_success(details)), JSON)
        return self._render(request, resource, result, 200, out=out)

    async def _deletecollection(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.Response:
        options = await self._delete_options(request)
        dry_run = self.api._dry_run(request.query, "DeleteOptions") or options.get("dryRun") == ["All"]
        out = self._output(request, resource)
        query = {k: v for k, v in request.query.items() if k in ("labelSelector", "fieldSelector")}
        entries, meta = await self.api.list(resource, info.namespace, query)
        deleted: list[dict] = []
        for e in entries:
            try:
                result, _ = await self.api.delete(resource, e.namespace, e.name, options, user=user, dry_run=dry_run)
            except errors.APIError as err:
                if err.code == 404:
                    continue
                raise
            deleted.append(encoding.served(resource, e))
        body = {"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": meta,
                "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in deleted]}
        b, ct = encoding.encode_dict(body, out if out.format in ("json", "yaml") else Output("json"))
        return respond(b, ct)

    # ---------------------------------------------------------- subresources
    async def _subresource(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.StreamResponse:
        sub = resource.subresources.get(info.subresource)
        if sub is None:
            raise errors.APIError(404, "NotFound", "the server could not find the requested resource", details={})
        verb = info.verb
        if sub.name == "status" or (sub.name == "ephemeralcontainers" and resource.kind == "Pod"):
            # the whole object in and out; the write keeps only its own part of it
            if verb == "get":
                return self._get(request, info, resource)
            if verb == "update":
                return await self._update(request, info, resource, user, subresource=sub.name)
            if verb == "patch":
                return await self._patch(request, info, resource, user, subresource=sub.name)
            raise errors.method_not_allowed()
        if sub.name == "scale":
            return await self._scale(request, info, resource, user, verb)
        if sub.name == "finalize" and verb == "update":
            return await self._finalize(request, info, resource, user)
        if sub.name in ("log", "exec", "attach", "portforward") and resource.kind == "Pod" and \
                (verb == "get" or sub.name != "log"):
            pod = self.api.get(resource, info.namespace, info.name).obj
            node_name = (pod.get("spec") or {}).get("nodeName", "")
            nodes = self.api.registry.get("", "v1", "nodes")
            node = None
            if node_name and nodes is not None:
                try:
                    node = self.api.get(nodes, "", node_name).obj
                except errors.APIError:
                    node = None
            if sub.name == "exec":
                return await proxy_exec(self.kubelet_client, request, pod, node)
            if sub.name == "attach":
                return await proxy_attach(self.kubelet_client, request, pod, node)
            if sub.name == "portforward":
                return await proxy_portforward(self.kubelet_client, request, pod, node)
            return await self.kubelet_client.stream(request, pod, node)
        if sub.name == "token" and verb == "create" and resource.kind == "ServiceAccount":
            return await self._token_request(request, info)
        if sub.name == "binding" and verb == "create":
            raw = await self._read_body(request)
            binding = self.api.decode_body(raw, request.headers.get("Content-Type"), _BINDING)
            return await self._bind(request, info.namespace, info.name, binding, resource, user)
        raise errors.APIError(404, "NotFound", "the server could not find the requested resource", details={})

    async def _finalize(self, request: web.Request, info: RequestInfo, resource: Resource, user: User) -> web.Response:
        """PUT namespaces/<name>/finalize: the only way to change spec.finalizers (the
        namespace controller removes "kubernetes" here once the namespace is empty)."""
        out = self._output(request, resource)
        dry_run = self.api._dry_run(request.query, "UpdateOptions")
        raw = await self._read_body(request)
        body = self.api.decode_body(raw, request.headers.get("Content-Type"), resource)
        finalizers = (body.get("spec") or {}).get("finalizers")

        def mutate(ns: dict) -> dict:
            rv = (body.get("metadata") or {}).get("resourceVersion")
            if rv:
                ns["metadata"]["resourceVersion"] = rv  # a precondition
            else:
                ns["metadata"].pop("resourceVersion", None)
            spec = ns.setdefault("spec", {})
            if finalizers:
                spec["finalizers"] = list(finalizers)
            else:
                spec.pop("finalizers", None)
            return ns

        result, _ = await self.api.update(resource, info.namespace, info.name, mutate, user=user, dry_run=dry_run,
                                          subresource="finalize", manager=self._manager(request, "UpdateOptions"))
        return self._render(request, resource, result, out=out)

    def _scale_of(self, resource: Resource, obj: dict) -> dict:
        meta = obj.get("metadata", {})
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        selector = ""
        sel = spec.get("selector")
        if isinstance(sel, dict):
            try:
                selector = str(selectors.label_selector_from_dict(sel))
            except selectors.SelectorError:
                selector = ""
        scale_meta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta}
        st: dict = {"replicas": status.get("replicas", 0)}
        if selector:
            st["selector"] = selector
        return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scale_meta,
                "spec": {"replicas": spec.get("replicas", 0)}, "status": st}

    async def _scale(self, request: web.Request, info: RequestInfo, resource: Resource, user: User, verb: str) -> web.Response:
        out = self._output(request, resource)
        if verb == "get":
            entry = self.api.get(resource, info.namespace, info.name)
            scale = self._scale_of(resource, encoding.served(resource, entry))
            return self._render_scale(request, scale, out)
        if verb not in ("update", "patch"):
            raise errors.method_not_allowed()
        q = request.query
        dry_run = self.api._dry_run(q, "UpdateOptions" if verb == "update" else "PatchOptions")
        raw = await self._read_body(request)
        if verb == "update":
            try:
                new_scale = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise errors.bad_request("the object provided is unrecognized (must be of type Scale)")
            patch_fn = None
        else:
            patch_fn, _, _ = self._patch_fn(request, raw, resource)

        def mutate(old: dict) -> dict:
            scale = self._scale_of(resource, old)
            scale["metadata"]["resourceVersion"] = old.get("metadata", {}).get("resourceVersion")
            updated = new_scale if patch_fn is None else patch_fn(copy.deepcopy(scale))
            replicas = (updated.get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise errors.invalid_object("Scale", "autoscaling", info.name,
                                            [errors.invalid("spec.replicas", replicas, "must be an integer")])
            if replicas < 0:
                raise errors.invalid_object("Scale", "autoscaling", info.name,
                                            [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
            rv = (updated.get("metadata") or {}).get("resourceVersion")
            new = old
            new.setdefault("spec", {})["replicas"] = replicas
            if rv and rv != old["metadata"].get("resourceVersion"):
                new["metadata"]["resourceVersion"] = rv  # becomes a precondition -> 409
            else:
                new["metadata"].pop("resourceVersion", None)
            return new

        result, _ = await self.api.update(resource, info.namespace, info.name, mutate, user=user, dry_run=dry_run,
                                          subresource="scale")
        obj = encoding.served(resource, result) if isinstance(result, Entry) else result
        return self._render_scale(request, self._scale_of(resource, obj), out)

    def _render_scale(self, request: web.Request, scale: dict, out: Output) -> web.Response:
        if out.format == "table":
            e = Entry("", scale, int(scale["metadata"].get("resourceVersion") or 0), "", "")
            body, ct = encoding.single(_SCALE, e, out)
            return respond(body, ct)
        body, ct = encoding.encode_dict(scale, out)
        return respond(body, ct)

    async def _bind(self, request: web.Request, namespace: str, name: str, binding: dict, resource: Resource,
                    user: User) -> web.Response:
        target = (binding.get("target") or {}).get("name", "")
        if not target:
            raise errors.invalid_object("Binding", "", name, [errors.required("target.name")])
        dry_run = self.api._dry_run(request.query, "CreateOptions")

        def mutate(pod: dict) -> dict:
            spec = pod.setdefault("spec", {})
            if pod.get("metadata", {}).get("deletionTimestamp"):
                raise errors.conflict("pods", "", name, "pod is being deleted, cannot be assigned to a host")
            if spec.get("nodeName"):
                raise errors.conflict("pods", "", name, f"pod {name} is already assigned to node \"{spec['nodeName']}\"")
            spec["nodeName"] = target
            pod["metadata"].pop("resourceVersion", None)
            ann = (binding.get("metadata") or {}).get("annotations")
            if ann:
                pod["metadata"].setdefault("annotations", {}).update(ann)
            conds = pod.setdefault("status", {}).setdefault("conditions", [])
            conds[:] = [c for c in conds if c.get("type") != "PodScheduled"]
            conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                          "lastTransitionTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            return pod

        await self.api.update(resource, namespace, name, mutate, user=user, dry_run=dry_run, subresource="binding")
        return respond(orjson.dumps(status_success(None, 201)), JSON, 201)
