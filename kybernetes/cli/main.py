"""The ``kyb`` command: ``kyb server`` (all-in-one, like ``k3s server``) and
``kyb apiserver`` (the API server alone, with upstream-style flags)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
import time
from pathlib import Path

from .. import __version__
from .flags import (add_leader_election_flags, add_node_ipam_flags, add_node_lifecycle_flags, add_rate_limit_flags,
                    node_ipam_options, node_lifecycle_options)

log = logging.getLogger("kyb")


def _add_apiserver_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=os.environ.get("KYB_DATA_DIR", str(Path.home() / ".kyb")),
                   help="where the store, certificates and kubeconfig live (default ~/.kyb)")
    p.add_argument("--bind-address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--https-port", "--secure-port", dest="https_port", type=int, default=6443,
                   help="HTTPS port (default 6443; 0 picks a free port)")
    p.add_argument("--advertise-address", default="", help="address published in the kubernetes Endpoints")
    p.add_argument("--service-cluster-ip-range", default="10.43.0.0/16", help="CIDR for Service cluster IPs")
    p.add_argument("--service-node-port-range", default="30000-32767", help="range for NodePorts")
    p.add_argument("--tls-san", action="append", default=[], help="extra SAN for the serving certificate")
    p.add_argument("--etcd-compaction-interval", type=float, default=300.0,
                   help="seconds between automatic compactions (0 disables; default 300, like upstream)")
    p.add_argument("--emulated-version", default="",
                   help="report this Kubernetes version (1.27-1.33) in /version; for testing older kubectl clients")
    p.add_argument("--insecure-http", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kyb", description="kybernetes: Kubernetes in Python")
    parser.add_argument("--version", action="version", version=f"kyb {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("server", "run an all-in-one cluster"), ("apiserver", "run the API server alone")):
        p = sub.add_parser(name, help=help_)
        _add_apiserver_flags(p)
        if name == "server":
            p.add_argument("--disable-controller-manager", action="store_true",
                           help="run without the controller manager")
            p.add_argument("--disable-scheduler", action="store_true", help="run without the scheduler")
            p.add_argument("--disable-agent", action="store_true",
                           help="run no kubelet on this machine (a control plane only)")
            p.add_argument("--cluster-cidr", default="10.42.0.0/16",
                           help="the pods' address range, sliced into one CIDR per node (default 10.42.0.0/16)")
            p.add_argument("--cluster-dns", default="", help="DNS server IPs the agent gives pods (default none)")
            p.add_argument("--kubelet-arg", action="append", default=[],
                           help="an extra flag for the agent's kubelet, e.g. --kubelet-arg=--max-pods=50")
    cm = sub.add_parser("controller-manager", help="run the controllers against an API server")
    cm.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server to manage")
    add_leader_election_flags(cm, "kube-controller-manager")
    add_rate_limit_flags(cm, ours=(200, 300), upstreams=(20, 30))
    cm.add_argument("--controllers", default="*", help="comma-separated controllers to run (default all)")
    add_node_lifecycle_flags(cm)
    add_node_ipam_flags(cm)
    cm.add_argument("-v", "--v", dest="verbosity", type=int, default=0, help="log verbosity")
    from ..sim.cli import add_sim_parser, run_sim_command
    add_sim_parser(sub)
    from ..kubelet.images.cli import add_images_parser, run_images_command
    add_images_parser(sub)
    from ..kubelet.cli import add_kubelet_parser, run_kubelet_command
    add_kubelet_parser(sub)
    from ..scheduler.cli import SCHEDULER_COMMANDS, add_scheduler_parsers, run_scheduler_command
    add_scheduler_parsers(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbosity >= 4 else logging.INFO,
        format="%(asctime)s %(levelname).1s %(name)s: %(message)s",
    )
    # not for the kubelet: uvloop starts a subprocess with a full fork(), which costs a
    # large process ~15 ms of a blocked loop, where asyncio's vfork() costs ~1 ms; the
    # kubelet starts several per container (shim, runc) and serves few requests
    if args.command != "kubelet":
        try:
            import uvloop

            uvloop.install()
        except ImportError:  # pragma: no cover
            pass
    if args.command == "images":
        return run_images_command(args)
    try:
        if args.command == "sim":
            asyncio.run(run_sim_command(args))
            return 0
        if args.command == "kubelet":
            from ..kubelet import rootless
            if rootless.needs_reexec():
                rootless.reexec(sys.argv[1:] if argv is None else list(argv))
            return asyncio.run(run_kubelet_command(args))
        if args.command in SCHEDULER_COMMANDS:
            return asyncio.run(run_scheduler_command(args))
        asyncio.run(_run_controller_manager(args) if args.command == "controller-manager" else _run(args))
    except KeyboardInterrupt:
        pass
    return 0


async def _run_controller_manager(args: argparse.Namespace) -> None:
    from ..controllers.manager import run_controller_manager

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    names = None if args.controllers in ("*", "") else [c.strip() for c in args.controllers.split(",") if c.strip()]
    await run_controller_manager(
        kubeconfig=args.kubeconfig, leader_elect=args.leader_elect == "true", controllers=names, stop=stop,
        options={"nodelifecycle": node_lifecycle_options(args), "nodeipam": node_ipam_options(args)},
        lease_name=args.leader_elect_resource_name, lease_namespace=args.leader_elect_resource_namespace,
        lease_duration=args.leader_elect_lease_duration, renew_deadline=args.leader_elect_renew_deadline,
        retry_period=args.leader_elect_retry_period, qps=args.kube_api_qps, burst=args.kube_api_burst)


async def _run(args: argparse.Namespace) -> None:
    from ..apiserver.server import KUBE_MINOR, APIServer, ServerConfig, serve, server_ssl_context
    from ..apiserver.tokens import ServiceAccountTokens
    from ..pki import default_server_names, ensure_pki, write_admin_kubeconfig
    from ..storage.sqlite import SQLiteStore

    started = time.monotonic()
    data_dir = Path(args.data_dir).expanduser()
    data_dir.mkdir(parents=True, exist_ok=True)
    lo, hi = (int(x) for x in args.service_node_port_range.split("-", 1))
    reported_minor = KUBE_MINOR
    if args.emulated_version:
        major, _, minor = args.emulated_version.removeprefix("kube=").partition(".")
        if major != "1" or not minor.isdigit() or not 27 <= int(minor) <= KUBE_MINOR:
            raise SystemExit(f"kyb: --emulated-version must be 1.27 to 1.{KUBE_MINOR}, got {args.emulated_version!r}")
        reported_minor = int(minor)
    config = ServerConfig(
        data_dir=data_dir, bind_address=args.bind_address, port=args.https_port,
        service_cidr=args.service_cluster_ip_range, node_port_range=(lo, hi), tls=not args.insecure_http,
        compaction_interval=args.etcd_compaction_interval, advertise_address=args.advertise_address,
        extra_sans=args.tls_san, reported_minor=reported_minor,
    )
    (data_dir / "db").mkdir(exist_ok=True)
    store = await SQLiteStore.open(str(data_dir / "db" / "state.db"), compaction_interval=config.compaction_interval)
    server = APIServer(store, config)
    ssl_ctx = None
    if config.tls:
        pki = await asyncio.to_thread(
            ensure_pki, data_dir / "pki",
            server_names=default_server_names([args.bind_address, args.advertise_address, *args.tls_san,
                                               server.services.kubernetes_ip]))
        ssl_ctx = server_ssl_context(pki.serving_cert, pki.serving_key, pki.ca_cert)
        server.handlers.kubelet_client.client_cert = (pki.admin_cert, pki.admin_key)
        server.handlers.tokens = ServiceAccountTokens(pki.service_account_key)
    await server.start()
    # The cache holds many long-lived dicts: freeze what start-up made and collect the
    # young generation less often, so full collections do not stall requests.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 1000)
    runner = await serve(server, ssl_ctx, host=config.bind_address, port=config.port)
    port = config.port
    if port == 0:
        port = runner.addresses[0][1]
        config.port = port
    host = config.bind_address if config.bind_address not in ("0.0.0.0", "::") else "127.0.0.1"
    url = f"{'https' if config.tls else 'http'}://{host}:{port}"
    await server.publish_endpoints()
    if config.tls:
        write_admin_kubeconfig(pki, data_dir / "kubeconfig", server=url)
    log.info("kyb %s API server listening on %s (ready in %.2fs); kubeconfig: %s",
             __version__, url, time.monotonic() - started, data_dir / "kubeconfig")
    # A line tests and scripts can wait for.
    print(f"kyb: serving on {url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children = []
    if args.command == "server" and config.tls and not args.disable_controller_manager:
        from .supervisor import supervise

        children.append(asyncio.create_task(supervise(
            "controller-manager", ["controller-manager", "--kubeconfig", str(data_dir / "kubeconfig"),
                                   "--cluster-cidr", args.cluster_cidr], stop)))
    if args.command == "server" and config.tls and not args.disable_scheduler:
        from .supervisor import supervise

        children.append(asyncio.create_task(supervise(
            "scheduler", ["scheduler", "--kubeconfig", str(data_dir / "kubeconfig")], stop)))
    if args.command == "server" and config.tls and not args.disable_agent:
        from .supervisor import supervise

        children.append(asyncio.create_task(supervise(
            "kubelet", ["kubelet", "--data-dir", str(data_dir), "--kubeconfig", str(data_dir / "kubeconfig"),
                        "--cluster-cidr", args.cluster_cidr, "--cluster-dns", args.cluster_dns,
                        *args.kubelet_arg], stop)))
    await stop.wait()
    log.info("shutting down")
    if children:
        await asyncio.gather(*children, return_exceptions=True)
    await server.stop()
    await runner.cleanup()
    await store.close()


if __name__ == "__main__":
    sys.exit(main())
