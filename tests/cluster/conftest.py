"""Cluster tests: real nodes (Csms instances or `csms serve` processes) sharing one database
(PostgreSQL when CSMS_TEST_DATABASE_URL is set) and the NATS server at CSMS_TEST_NATS_URL
(default nats://127.0.0.1:4222, JetStream enabled). Skipped only when NATS is unreachable."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

NATS_URL = os.environ.get("CSMS_TEST_NATS_URL", "nats://127.0.0.1:4222")
TTL = 3.0  # cluster_ttl in tests: a dead node's stations are free within 3 s


@pytest.fixture(scope="session")
def nats_url() -> str:
    parts = urlsplit(NATS_URL)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), 1).close()
    except OSError as exc:
        pytest.skip(
            f"NATS is not reachable at {NATS_URL} ({exc}); start `nats-server -js` or set"
            " CSMS_TEST_NATS_URL"
        )
    return NATS_URL


@pytest.fixture
async def cluster_name(nats_url: str) -> AsyncIterator[str]:
    """A cluster of its own per test (own subjects, KV buckets and object store), removed
    afterwards."""
    import nats

    name = f"test{uuid.uuid4().hex[:10]}"
    yield name
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for suffix in ("stations", "nodes", "locks"):
        with contextlib.suppress(Exception):
            await js.delete_key_value(f"{name}_{suffix}")
    with contextlib.suppress(Exception):
        await js.delete_object_store(f"{name}_files")
    await nc.close()


@pytest.fixture
async def make_node(
    cluster_name: str, make_csms: Callable[..., Any], nats_url: str
) -> Callable[..., Any]:
    """``await make_node("n1")``: a node with every installed plugin, in this test's cluster."""

    async def make(node_id: str, **overrides: Any) -> Any:
        return await make_csms(
            node_id=node_id,
            cluster_url=nats_url,
            cluster_name=cluster_name,
            cluster_ttl=TTL,
            **overrides,
        )

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
