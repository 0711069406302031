"""Retrying API writes that failed for a reason that passes: an overloaded or
restarting server, a dropped connection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from ..client import APIStatusError

log = logging.getLogger(__name__)

__all__ = ["RETRYABLE", "with_retries"]

# Not 409: a create that finds the object is answered by adopting it, and an update that
# conflicts needs a fresh read first, which only the caller can do.
RETRYABLE = (429, 500, 503, 504)


async def with_retries(what: str, fn: Callable[[], Awaitable[Any]], *, attempts: int = 6) -> Any:
    """Retry a write that failed for a reason that passes (overload, restart, connection)."""
    delay = 0.2
    for attempt in range(attempts):
        try:
            return await fn()
        except APIStatusError as e:
            if e.code not in RETRYABLE or attempt == attempts - 1:
                raise
            log.debug("%s: %s; retrying", what, e)
        except (aiohttp.ClientError, OSError, TimeoutError) as e:
            if attempt == attempts - 1:
                raise
            log.debug("%s: %s; retrying", what, e)
        await asyncio.sleep(delay)
        delay = min(5.0, delay * 2)
