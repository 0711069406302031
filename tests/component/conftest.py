"""Component tests: kybernetes' client machinery against a real ``kyb server`` process
on a temporary data directory (one server per test module)."""

from __future__ import annotations

import socket
import uuid

import pytest

from kybernetes.client import Client
from tests.e2e.conftest import Cluster, start_cluster

__all__ = ["Cluster", "free_port", "start_cluster"]


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
