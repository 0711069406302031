"""Starting and stopping ``kyb`` processes for the benchmarks: each dies with the
benchmark (PR_SET_PDEATHSIG), so a benchmark cut short leaves nothing running."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from kybernetes.cli.supervisor import die_with_parent

ROOT = Path(__file__).resolve().parent.parent


def start_kyb(*args: str, wait_for: str = "", profile: str = "") -> tuple[subprocess.Popen, str]:
    """``kyb ARGS``; with ``wait_for``, returns once a stdout line starts with it (and that
    line). ``profile`` runs it under cProfile, writing to that file on exit."""
    runner = ["-m", "cProfile", "-o", profile] if profile else []
    proc = subprocess.Popen([sys.executable, *runner, "-m", "kybernetes.cli.main", *args], cwd=ROOT,
                            stdout=subprocess.PIPE if wait_for else subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent)
    if not wait_for:
        return proc, ""
    assert proc.stdout is not None
    for line in proc.stdout:
        text = line.decode()
        if text.startswith(wait_for):
            return proc, text.strip()
    raise RuntimeError(f"kyb {args[0]} did not start")


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
