"""Component tests: kybernetes' client machinery against a real ``kyb server`` process
on a temporary data directory (one server per test module)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator

import pytest

from kybernetes.client import Client
from kybernetes.controllers import run_controller_manager
from tests.e2e.conftest import Cluster, start_cluster

__all__ = ["Cluster", "free_port", "running_controller_manager", "start_cluster"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb") / "data")
    yield c
    c.stop()


@pytest.fixture
async def client(cluster):
    c = await Client.from_kubeconfig(str(cluster.kubeconfig), user_agent="kyb-component-test/0.1.0")
    yield c
    await c.close()


@pytest.fixture
async def namespace(client):
    """A fresh namespace per test, so tests never see each other's objects."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    await client.create("", "v1", "namespaces", {"metadata": {"name": name}})
    return name


async def eventually(fn, *, deadline: float = 15.0, what: str = "condition"):
    """Poll ``fn`` (async, returns a truthy value when done) until it succeeds; the
    deadline only bounds a broken run."""
    import asyncio

    from kybernetes.client import APIStatusError

    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    last = None
    while loop.time() < end:
        try:
            last = await fn()
        except APIStatusError as e:
            last = e
        else:
            if last:
                return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not reached within {deadline}s (last: {last!r})")


@contextlib.asynccontextmanager
async def running_controller_manager(cluster, controllers: list[str] | None, *, leader_elect: bool = False,
                                     **kw) -> AsyncIterator[asyncio.Task]:
    """``run_controller_manager`` in-process against ``cluster`` (only ``controllers``;
    None is all) for the body of the ``async with``; stopped and awaited after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_controller_manager(kubeconfig=str(cluster.kubeconfig), leader_elect=leader_elect,
                                                      controllers=controllers, stop=stop, **kw))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
