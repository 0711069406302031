"""The API server process: TLS listener, authentication, routing, discovery,
health, version, and start-up (storage open, watch cache fill, bootstrap
objects).

Request pipeline: authenticate (client certificate) -> authorize (every
authenticated user is allowed for now; RBAC slots in at ``authorize``) ->
route -> the resource handlers (admission and storage inside).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import logging
import ssl
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from aiohttp import web

from .. import __version__
from ..api import errors
from ..api.builtin import builtin_registry
from ..api.registry import Registry
from ..storage.interface import Store
from . import admission
from .discovery import AGG_V2, AGG_V2BETA1, Discovery
from .openapi import OpenAPI
from .handlers import ResourceHandlers, respond
from .negotiation import parse_media_type
from .requestinfo import request_info
from .resources import ResourceAPI, User
from .tokens import TokenError
from .watchcache import WatchCache

log = logging.getLogger(__name__)

KUBE_MINOR = 33  # the Kubernetes API level we serve


def version_info(minor: int = KUBE_MINOR) -> dict:
    """/version. ``minor`` below ours is only for tests: the machine's kubectl
    dispatcher picks its client by the minor, so this runs older kubectls."""
    return {
        "major": "1",
        "minor": str(minor),
        "emulationMajor": "1",
        "emulationMinor": str(minor),
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": str(minor - 1),
        "gitVersion": f"v1.{minor}.0+kyb.{__version__}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-11-22T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


# Paths any client may read without credentials (upstream's system:public-info-viewer).
PUBLIC_PATHS = {"/healthz", "/livez", "/readyz", "/version"}


@dataclass
class ServerConfig:
    data_dir: Path
    bind_address: str = "127.0.0.1"
    port: int = 6443
    service_cidr: str = "10.43.0.0/16"
    node_port_range: tuple[int, int] = (30000, 32767)
    tls: bool = True
    compaction_interval: float = 300.0
    advertise_address: str = ""
    extra_sans: list[str] = field(default_factory=list)
    reported_minor: int = KUBE_MINOR


class APIServer:
    def __init__(self, store: Store, config: ServerConfig, registry: Registry | None = None) -> None:
        self.store = store
        self.config = config
        self.registry = registry or builtin_registry()
        self.cache = WatchCache()
        self.api = ResourceAPI(store=store, cache=self.cache, registry=self.registry)
        self.handlers = ResourceHandlers(self.api, self.authorize)
        self.discovery = Discovery(self.registry)
        self.openapi = OpenAPI(self.registry)
        self.discovery.server_address = f"{config.advertise_address or config.bind_address}:{config.port}"
        self.services = admission.ServiceAllocator(self.cache, cidr=config.service_cidr, node_ports=config.node_port_range)
        self.api.admission = [admission.NamespaceLifecycle(self.cache), admission.ServiceAccount(self.cache),
                              admission.DefaultTolerationSeconds(),
                              self.services]
        self.ready = False
        self._unsubscribe = None
        self.ca_der_fingerprints: set[bytes] = set()

    # --------------------------------------------------------------- start-up
    async def start(self) -> None:
        # Subscribe first and buffer, so no event falls between the range and the live feed.
        buffered: list = []
        live = False

        def on_events(events):
            if live:
                self.cache.apply(events)
            else:
                buffered.extend(events)

        self._unsubscribe = self.store.subscribe(on_events)
        res = await self.store.range("/registry/", revision=0)
        self.cache.load(res.kvs, res.revision)
        self.cache.apply([e for e in buffered if e.kv.mod_revision > res.revision])
        live = True
        await self._bootstrap()
        self.ready = True

    async def _bootstrap(self) -> None:
        """Objects every cluster has: the system namespaces and the kubernetes Service."""
        ns_res = self.registry.get("", "v1", "namespaces")
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            if self.cache.cache(ns_res.storage_key).get(ns_res.key(None, name)) is None:
                try:
                    await self.api.create(ns_res, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                                          user=None, dry_run=False)
                except errors.APIError as e:
                    if e.code != 409:
                        raise
        svc_res = self.registry.get("", "v1", "services")
        if self.cache.cache(svc_res.storage_key).get(svc_res.key("default", "kubernetes")) is None:
            svc = {
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"type": "ClusterIP", "clusterIP": self.services.kubernetes_ip,
                         "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": self.config.port}],
                         "sessionAffinity": "None"},
            }
            try:
                await self.api.create(svc_res, "default", svc, user=None, dry_run=False)
            except errors.APIError as e:
                if e.code != 409:
                    raise

    async def publish_endpoints(self) -> None:
        """Point the kubernetes Service at this server (call once the port is bound).
        Endpoints may not hold loopback addresses, so an unset advertise address
        falls back to the host's own non-loopback address, if it has one."""
        ep_res = self.registry.get("", "v1", "endpoints")
        address = self.config.advertise_address or _host_address(self.config.bind_address)
        if not address:
            log.info("no non-loopback address to publish in the kubernetes Endpoints")
            return
        want = {"subsets": [{"addresses": [{"ip": address}],
                             "ports": [{"name": "https", "port": self.config.port, "protocol": "TCP"}]}]}
        current = self.cache.cache(ep_res.storage_key).get(ep_res.key("default", "kubernetes"))
        body = {"apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}}, **want}
        if current is None:
            await self.api.create(ep_res, "default", body, user=None, dry_run=False)
        elif current.obj.get("subsets") != want["subsets"]:
            def mutate(old: dict) -> dict:
                old["subsets"] = want["subsets"]
                old["metadata"].pop("resourceVersion", None)
                return old

            await self.api.update(ep_res, "default", "kubernetes", mutate, user=None, dry_run=False)

    async def stop(self) -> None:
        await self.handlers.kubelet_client.close()
        if self._unsubscribe:
            self._unsubscribe()
        for c in self.cache.caches.values():
            for w in list(c.watchers):
                w.close()

    # ---------------------------------------------------------------- the app
    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024, handler_args={"max_field_size": 65536})
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    def authorize(self, user: User, attrs: dict) -> tuple[bool, str]:
        """May ``user`` do what ``attrs`` describe (verb, namespace, group, resource,
        subresource, name; or path and verb for non-resource URLs)? Until RBAC lands,
        every authenticated user may do everything (``AlwaysAllow``); reviews ask here too."""
        return True, ""

    def authenticate(self, request: web.Request) -> User | None:
        transport = request.transport
        if transport is None:
            return None
        cert = transport.get_extra_info("peercert")
        if cert:
            cn = ""
            groups: list[str] = []
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
                    elif k == "organizationName":
                        groups.append(v)
            if cn:
                return User(cn, groups + ["system:authenticated"])
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer " and self.handlers.tokens is not None:
            try:
                who = self.handlers.tokens.verify(auth[7:].strip(), self.handlers.lookup)
            except TokenError:
                return None
            return User(who.name, who.groups, who.uid, who.extra)
        if not self.config.tls:
            # plain HTTP is only for tests on loopback: treat the caller as the admin
            return User("kubernetes-admin", ["system:masters", "system:authenticated"])
        return None

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            path = request.path
            user = self.authenticate(request)
            if user is None and path not in PUBLIC_PATHS:
                raise errors.unauthorized()
            if path.startswith("/api"):
                return await self._api(request, user)
            return await self._nonresource(request, path)
        except errors.APIError as e:
            return self.error_response(e)
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as e:  # a bug: answer like upstream's panic handler, keep serving
            log.exception("internal error serving %s %s", request.method, request.path)
            return self.error_response(errors.internal(str(e) or e.__class__.__name__))

    @staticmethod
    def error_response(e: errors.APIError) -> web.Response:
        headers = dict(e.headers)
        return respond(orjson.dumps(e.status()), "application/json", e.code, headers)

    async def _nonresource(self, request: web.Request, path: str) -> web.StreamResponse:
        if path == "/version":
            body = orjson.dumps(version_info(self.config.reported_minor), option=orjson.OPT_INDENT_2)
            return respond(body, "application/json")
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return self._health(request, path)
        if path == "/openapi/v2" or path == "/openapi/v3" or path.startswith("/openapi/v3/"):
            return await self._openapi(request, path)
        return web.Response(status=404, text="404 page not found\n", headers={"Cache-Control": "no-cache, private",
                                                                             "X-Content-Type-Options": "nosniff"})

    async def _openapi(self, request: web.Request, path: str) -> web.Response:
        inm = request.headers.get("If-None-Match")
        # The documents are built on first use (a few hundred ms): keep that off the loop.
        if path == "/openapi/v2":
            reply = await asyncio.to_thread(self.openapi.serve_v2, request.headers.get("Accept"), inm)
        else:
            sub = path[len("/openapi/v3"):].strip("/")
            reply = await asyncio.to_thread(self.openapi.serve_v3, sub, request.query.get("hash"), inm)
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)

    def _health(self, request: web.Request, path: str) -> web.Response:
        checks = ["ping", "log", "etcd", "poststarthook/start-apiserver-admission-initializer",
                  "poststarthook/bootstrap-controller"]
        if path.startswith("/readyz"):
            checks += ["informer-sync", "shutdown"]
        ok = self.ready or not path.startswith("/readyz")
        if "verbose" in request.query:
            lines = [f"[+]{c} ok" if (ok or c != "informer-sync") else f"[-]{c} failed: reason withheld" for c in checks]
            name = path.strip("/").split("/")[0]
            lines.append(f"{name} check passed" if ok else f"{name} check failed")
            text = "\n".join(lines) + "\n"
        else:
            text = "ok" if ok else "[-]informer-sync failed: reason withheld\nreadyz check failed\n"
        return web.Response(status=200 if ok else 500, text=text, content_type="text/plain",
                            headers={"Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff"})

    async def _api(self, request: web.Request, user: User) -> web.StreamResponse:
        info = request_info(request.method, request.path, request.query)
        if info.is_resource:
            attrs = {"verb": info.verb, "namespace": info.namespace, "group": info.group, "version": info.version,
                     "resource": info.resource, "subresource": info.subresource, "name": info.name}
        else:
            attrs = {"path": request.path, "verb": request.method.lower()}
        allowed, reason = self.authorize(user, attrs)
        if not allowed:
            raise errors.forbidden_error(f'User "{user.name}" cannot {info.verb} resource "{info.resource}"'
                                         + (f": {reason}" if reason else ""))
        if not info.is_resource:
            return self._discovery(request, info)
        resource = self.registry.get(info.group, info.version, info.resource)
        if resource is None:
            groups = self.registry.groups()
            if info.group not in groups or info.version not in groups[info.group]:
                return web.Response(status=404, text="404 page not found\n",
                                    headers={"Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff"})
            raise errors.APIError(404, "NotFound", "the server could not find the requested resource", details={})
        return await self.handlers.handle(request, info, resource, user)

    def _discovery(self, request: web.Request, info) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            raise errors.method_not_allowed()
        path = request.path.rstrip("/")
        accept = request.headers.get("Accept", "")
        if path in ("/api", "/apis"):
            prefix = path[1:]
            agg = self._aggregated_version(accept)
            if agg == "406":
                raise errors.APIError(406, "NotAcceptable",
                                      "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf")
            if agg:
                name = f"agg/{prefix}/{agg}"
                etag = self.discovery.etag(name)
                headers = {"Vary": "Accept", "Etag": etag}
                if request.headers.get("If-None-Match") == etag:
                    return web.Response(status=304, headers={"Cache-Control": "no-cache, private", **headers})
                ct = AGG_V2 if agg == "v2" else AGG_V2BETA1
                return respond(self.discovery.doc(name), ct, headers=headers)
            doc = self.discovery.doc("legacy/api" if prefix == "api" else "legacy/apis")
            return respond(doc, "application/json")
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            doc = self.discovery.doc(f"legacy/gv/{parts[1]}")
        elif parts[0] == "apis" and len(parts) == 2:
            doc = self.discovery.doc(f"legacy/apis/{parts[1]}")
        elif parts[0] == "apis" and len(parts) == 3:
            doc = self.discovery.doc(f"legacy/gv/{parts[1]}/{parts[2]}")
        else:
            doc = None
        if doc is None:
            return web.Response(status=404, text="404 page not found\n",
                                headers={"Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff"})
        return respond(doc, "application/json")

    @staticmethod
    def _aggregated_version(accept: str) -> str:
        """'v2'/'v2beta1' for aggregated discovery, '' for legacy, '406' if nothing fits."""
        if not accept:
            return ""
        for item in accept.split(","):
            mt, params = parse_media_type(item)
            if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
                if params.get("v") in ("v2", "v2beta1"):
                    return params["v"]
                continue
            if mt in ("application/json", "*/*", "application/*", "application/yaml", "application/vnd.kubernetes.protobuf"):
                return ""
        return "406"


def _host_address(bind_address: str) -> str:
    if bind_address and bind_address not in ("0.0.0.0", "::") and not ipaddress.ip_address(bind_address).is_loopback:
        return bind_address
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return ""
    for info in infos:
        ip = info[4][0]
        if not ipaddress.ip_address(ip).is_loopback:
            return ip
    return ""


def server_ssl_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    ctx.load_verify_locations(str(ca))
    ctx.verify_mode = ssl.CERT_OPTIONAL  # client certs authenticate; requests without one get 401
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


async def serve(server: APIServer, ssl_context: ssl.SSLContext | None, *, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(server.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port, ssl_context=ssl_context, reuse_address=True, backlog=1024)
    await site.start()
    return runner
