"""Start-up time: from launching ``kyb server`` to ``/readyz`` answering ok.

Usage: .venv/bin/python bench/startup.py [--runs 5]
Prints the first start (fresh data dir: certificates and store are created) and
restarts on the same data dir, each as the median over the runs.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from kybproc import start_kyb, stop



def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_start(data_dir: Path) -> float:
    port = free_port()
    ctx = ssl._create_unverified_context()  # /readyz is public; this only measures timing
    t0 = time.perf_counter()
    proc, _ = start_kyb("server", "--data-dir", str(data_dir), "--https-port", str(port), "--disable-agent")
    try:
        while True:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/readyz", context=ctx, timeout=1) as r:
                    if r.read() == b"ok":
                        return time.perf_counter() - t0
            except OSError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("server exited")
            time.sleep(0.01)
    finally:
        stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    first, again = [], []
    for _ in range(args.runs):
        d = Path(tempfile.mkdtemp(prefix="kyb-startup-")) / "data"
        first.append(time_start(d))
        again.append(time_start(d))
    print(f"start to /readyz ok, fresh data dir: median {statistics.median(first):.2f} s (max {max(first):.2f} s)")
    print(f"start to /readyz ok, existing data dir: median {statistics.median(again):.2f} s (max {max(again):.2f} s)")


if __name__ == "__main__":
    main()
