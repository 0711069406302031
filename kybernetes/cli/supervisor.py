"""How ``kyb server`` runs the other components: each as a child process (they
talk to the API server like any client, never through shared memory), restarted
with a back-off when it exits, stopped when the server stops. A child also dies
with its parent, even when the parent is killed with SIGKILL (PR_SET_PDEATHSIG),
so a crashed server never leaves orphans behind."""

from __future__ import annotations

import asyncio
import ctypes
import logging
import signal
import sys

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn`` for a child that must not outlive its parent (runs between fork and exec)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


async def supervise(name: str, args: list[str], stop: asyncio.Event, *, max_backoff: float = 30.0) -> None:
    """Run ``python -m kybernetes.cli.main <args>`` until ``stop`` is set."""
    backoff = 0.5
    while not stop.is_set():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kybernetes.cli.main", *args, preexec_fn=die_with_parent)
        log.info("started %s (pid %d)", name, proc.pid)
        waiter = asyncio.ensure_future(proc.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if stop.is_set():
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(waiter, 10)
                except asyncio.TimeoutError:
                    proc.kill()
                    await waiter
            return
        log.warning("%s exited with %s; restarting in %.1fs", name, proc.returncode, backoff)
        try:
            await asyncio.wait_for(stop.wait(), backoff)
        except asyncio.TimeoutError:
            pass
        backoff = min(backoff * 2, max_backoff)
