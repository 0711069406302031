"""API server benchmark: prints creates/s (sequential and concurrent), GET
latency, LIST latency of 2000 ConfigMaps, and watch delivery latency.

Usage: .venv/bin/python bench/api.py [--url URL --kubeconfig FILE] [--quick]
Without --kubeconfig it starts its own ``kyb apiserver`` (the API server alone) on a temporary data dir.
The client is aiohttp over HTTPS with the admin client certificate, keep-alive
connections, in a separate process from the server (like kubectl or a controller).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
import yaml
from kybproc import start_kyb, stop



def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def ms(v: float) -> str:
    return f"{v * 1000:.2f} ms"


def ssl_from_kubeconfig(path: Path) -> tuple[str, ssl.SSLContext]:
    cfg = yaml.safe_load(path.read_text())
    cluster = cfg["clusters"][0]["cluster"]
    user = cfg["users"][0]["user"]
    tmp = Path(tempfile.mkdtemp(prefix="kyb-bench-"))
    (tmp / "ca.crt").write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    (tmp / "c.crt").write_bytes(base64.b64decode(user["client-certificate-data"]))
    (tmp / "c.key").write_bytes(base64.b64decode(user["client-key-data"]))
    ctx = ssl.create_default_context(cafile=str(tmp / "ca.crt"))
    ctx.load_cert_chain(str(tmp / "c.crt"), str(tmp / "c.key"))
    return cluster["server"], ctx


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    proc, line = start_kyb("apiserver", "--data-dir", str(data_dir), "--https-port", "0", wait_for="kyb: serving on ")
    return proc, line.split("kyb: serving on ", 1)[1]


def cm(name: str, ns: str = "bench") -> bytes:
    return orjson.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                         "data": {"key": "value", "other": "x" * 100}})


async def run(url: str, ctx: ssl.SSLContext, quick: bool) -> None:
    n_seq = 300 if quick else 1000
    n_conc = 1000 if quick else 4000
    n_get = 500 if quick else 3000
    n_list = 10 if quick else 40
    n_watch = 100 if quick else 500
    conn = aiohttp.TCPConnector(ssl=ctx, limit=64)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    async with aiohttp.ClientSession(url, connector=conn, headers=headers) as s:
        async with s.post("/api/v1/namespaces", data=orjson.dumps({"metadata": {"name": "bench"}})) as r:
            await r.read()
        base = "/api/v1/namespaces/bench/configmaps"
        # warm-up
        for i in range(50):
            async with s.post(base, data=cm(f"warm-{i}")) as r:
                await r.read()

        lat = []
        t0 = time.perf_counter()
        for i in range(n_seq):
            t = time.perf_counter()
            async with s.post(base, data=cm(f"seq-{i}")) as r:
                await r.read()
                assert r.status == 201, r.status
            lat.append(time.perf_counter() - t)
        seq_rate = n_seq / (time.perf_counter() - t0)
        print(f"sequential creates: {seq_rate:.0f}/s  p50 {ms(pct(lat, 50))}  p99 {ms(pct(lat, 99))}")

        clat: list[float] = []
        per = n_conc // 16

        async def worker(w: int) -> None:
            for i in range(per):
                t = time.perf_counter()
                async with s.post(base, data=cm(f"c{w}-{i}")) as r:
                    await r.read()
                    assert r.status == 201, r.status
                clat.append(time.perf_counter() - t)

        async def warm(w: int) -> None:
            async with s.get(base, params={"limit": "1"}) as r:
                await r.read()

        # open the 16 keep-alive connections (TLS handshakes) before measuring
        await asyncio.gather(*(warm(w) for w in range(16)))
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(16)))
        conc_rate = (per * 16) / (time.perf_counter() - t0)
        print(f"16 concurrent clients: {conc_rate:.0f} creates/s  p50 {ms(pct(clat, 50))}  p99 {ms(pct(clat, 99))}")

        glat = []
        for i in range(n_get):
            t = time.perf_counter()
            async with s.get(f"{base}/seq-{i % n_seq}") as r:
                await r.read()
            glat.append(time.perf_counter() - t)
        print(f"GET: p50 {ms(pct(glat, 50))}  p99 {ms(pct(glat, 99))}")

        # LIST of 2000 configmaps in their own namespace
        async with s.post("/api/v1/namespaces", data=orjson.dumps({"metadata": {"name": "bench-list"}})) as r:
            await r.read()

        async def fill(w: int) -> None:
            for i in range(w, 2000, 16):
                async with s.post("/api/v1/namespaces/bench-list/configmaps", data=cm(f"l-{i:04d}", "bench-list")) as r:
                    await r.read()

        await asyncio.gather(*(fill(w) for w in range(16)))
        llat = []
        for _ in range(n_list):
            t = time.perf_counter()
            async with s.get("/api/v1/namespaces/bench-list/configmaps") as r:
                body = await r.read()
            llat.append(time.perf_counter() - t)
        count = len(orjson.loads(body)["items"])
        print(f"LIST of {count} configmaps: p50 {ms(pct(llat, 50))}  p99 {ms(pct(llat, 99))}")

        # watch delivery: time from the write's response to the event's arrival
        async with s.get(base, params={"limit": "1"}) as r:
            rv = orjson.loads(await r.read())["metadata"]["resourceVersion"]
        arrivals: dict[str, float] = {}
        got = asyncio.Event()
        expected = n_watch

        async def watcher() -> None:
            async with s.get(base, params={"watch": "true", "resourceVersion": rv}) as r:
                buf = b""
                async for chunk in r.content.iter_any():
                    now = time.perf_counter()
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        ev = orjson.loads(line)
                        name = ev["object"]["metadata"]["name"]
                        if name.startswith("wd-"):
                            arrivals[name] = now
                            if len(arrivals) >= expected:
                                got.set()
                                return

        wt = asyncio.create_task(watcher())
        await asyncio.sleep(0.3)
        delays = []
        for i in range(n_watch):
            name = f"wd-{i}"
            async with s.post(base, data=cm(name)) as r:
                await r.read()
                acked = time.perf_counter()
            await asyncio.sleep(0.002)  # let the event arrive before the next write
            if name in arrivals:
                delays.append(max(0.0, arrivals[name] - acked))
        await asyncio.wait_for(got.wait(), 10)
        wt.cancel()
        print(f"watch delivery after the write's response: p50 {ms(pct(delays, 50))}  p99 {ms(pct(delays, 99))}"
              f"  ({len(delays)} events)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url")
    ap.add_argument("--kubeconfig")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    proc = None
    if args.kubeconfig:
        url, ctx = ssl_from_kubeconfig(Path(args.kubeconfig))
        url = args.url or url
    else:
        tmp = Path(tempfile.mkdtemp(prefix="kyb-bench-data-"))
        proc, url = start_server(tmp / "data")
        url, ctx = ssl_from_kubeconfig(tmp / "data" / "kubeconfig")
    try:
        print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; server {url}")
        try:
            import uvloop  # the faster loop keeps the client's own overhead out of the figures

            uvloop.run(run(url, ctx, args.quick))
        except ImportError:
            asyncio.run(run(url, ctx, args.quick))
    finally:
        if proc is not None:
            stop(proc)


if __name__ == "__main__":
    main()
