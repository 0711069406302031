"""Micro-benchmark of the embedded store (kybernetes.storage.sqlite).

Prints latency/throughput figures for: sequential creates, concurrent creators
(group commit), point reads, prefix ranges and write→watch delivery.

    .venv/bin/python bench/storage.py [--n 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kybernetes.storage.sqlite import SQLiteStore  # noqa: E402


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p))] * 1000


def report(name: str, samples: list[float]) -> None:
    print(
        f"{name:<34} p50 {pct(samples, 0.5):7.3f} ms   p99 {pct(samples, 0.99):7.3f} ms"
        f"   mean {statistics.fmean(samples) * 1000:7.3f} ms   (n={len(samples)})"
    )


async def bench(path: str, n: int, concurrency: int) -> None:
    store = await SQLiteStore.open(path, compaction_interval=None)
    value = b"x" * 1024
    try:
        # Sequential creates: one fsync per write.
        lat = []
        for i in range(n):
            t = time.perf_counter()
            await store.create(f"/registry/seq/k{i:06d}", value)
            lat.append(time.perf_counter() - t)
        report("sequential create (1 KiB)", lat)

        # Sequential updates.
        lat = []
        for i in range(min(n, 1000)):
            key = f"/registry/seq/k{i:06d}"
            kv = await store.get(key)
            assert kv is not None
            t = time.perf_counter()
            await store.update(key, value, expected_revision=kv.mod_revision)
            lat.append(time.perf_counter() - t)
        report("sequential update (1 KiB)", lat)

        # Concurrent creators sharing fsyncs.
        per = max(1, n // concurrency)
        clat: list[float] = []

        async def creator(c: int) -> None:
            for i in range(per):
                t = time.perf_counter()
                await store.create(f"/registry/conc/c{c:02d}/k{i:06d}", value)
                clat.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(creator(c) for c in range(concurrency)))
        dt = time.perf_counter() - t0
        total = per * concurrency
        print(f"{concurrency} concurrent creators: {total} creates in {dt:.3f} s = {total / dt:,.0f} creates/s")
        report(f"  per-create latency ({concurrency} conc.)", clat)

        # Point reads at the newest revision and at an old one.
        keys = [f"/registry/seq/k{i:06d}" for i in range(n)]
        lat = []
        for k in keys:
            t = time.perf_counter()
            await store.get(k)
            lat.append(time.perf_counter() - t)
        report("get (newest)", lat)
        old = store.revision // 2
        lat = []
        for k in keys[: min(n, 1000)]:
            t = time.perf_counter()
            await store.get(k, revision=old)
            lat.append(time.perf_counter() - t)
        report("get (old revision)", lat)

        # Ranges.
        lat = []
        for _ in range(20):
            t = time.perf_counter()
            r = await store.range("/registry/seq/")
            lat.append(time.perf_counter() - t)
        report(f"range {len(r.kvs)} keys", lat)
        lat = []
        for i in range(200):
            t = time.perf_counter()
            await store.range("/registry/seq/", limit=10, start_key=keys[(i * 7) % n])
            lat.append(time.perf_counter() - t)
        report("range limit=10 (with count)", lat)

        # Write -> watch delivery: the event is queued before the await returns.
        w = store.watch("/registry/watch/", start_revision=0)
        lat = []
        for i in range(min(n, 500)):
            t = time.perf_counter()
            rev = await store.create(f"/registry/watch/k{i}", value)
            batch = await w.__anext__()
            lat.append(time.perf_counter() - t)
            assert batch[-1].kv.mod_revision == rev
        w.close()
        report("create + watch event received", lat)

        # Watch replay from the start.
        t = time.perf_counter()
        w = store.watch("", start_revision=1)
        got = 0
        while got < store.revision:
            got += len(await w.__anext__())
        w.close()
        dt = time.perf_counter() - t
        print(f"watch replay of {got} events: {dt * 1000:.1f} ms ({got / dt:,.0f} events/s)")

        t = time.perf_counter()
        await store.compact(store.revision)
        print(f"compact {store.revision} revisions: {(time.perf_counter() - t) * 1000:.1f} ms")
    finally:
        await store.close()
    print(f"database size: {os.path.getsize(path) / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = ap.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    with tempfile.TemporaryDirectory(prefix="kyb-bench-") as d:
        asyncio.run(bench(os.path.join(d, "store.db"), args.n, args.concurrency))


if __name__ == "__main__":
    main()
