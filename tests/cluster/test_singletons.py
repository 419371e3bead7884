"""spawn_singleton / is_leader: once per cluster, moving on when the holder goes away."""

from __future__ import annotations

import asyncio
from typing import Any

from csms_core.cluster.nats import token
from csms_core.testing import eventually

from .conftest import TTL


def job(runs: list[str], node: Any) -> Any:
    async def run() -> None:
        runs.append(node.node_id)
        await asyncio.Event().wait()  # a periodic job runs until cancelled

    return run


def running(nodes: list[Any], name: str) -> list[str]:
    return [n.node_id for n in nodes if name in n.router._leading]


async def renewed(node: Any, name: str, times: int) -> None:
    """Wait until lock ``name`` has been renewed ``times`` times, held by ``node`` throughout."""
    revisions: set[int] = set()

    async def enough() -> bool:
        entry = await node.router.locks_kv.get(token(name))
        assert node.node_id.encode() in entry.value, entry.value
        revisions.add(entry.revision)
        return len(revisions) > times

    await eventually(enough, timeout=TTL * 3)


async def test_a_singleton_runs_on_one_node_and_moves_when_it_stops(make_node):
    nodes = [await make_node(f"n{i}") for i in (1, 2, 3)]
    runs: list[str] = []
    for node in nodes:
        node.spawn_singleton("expiry", job(runs, node))
    await eventually(lambda: runs)
    # Held for a full TTL (a renewal every TTL/3) while the others campaigned every TTL/3:
    # none of them may have started it.
    first = next(n for n in nodes if n.node_id == runs[0])
    await renewed(first, "expiry", 3)
    assert len(runs) == 1 and running(nodes, "expiry") == runs
    assert sum(n.is_leader() for n in nodes) == 1

    await first.stop()  # a clean stop gives the lock back: another node starts at once
    await eventually(lambda: len(runs) == 2, timeout=TTL)
    assert runs[1] != runs[0]
    rest = [n for n in nodes if n is not first]
    await eventually(lambda: sum(n.is_leader() for n in rest) == 1, timeout=TTL * 2)


async def test_a_node_cut_off_from_the_broker_stops_its_singleton(make_node):
    n1 = await make_node("n1")
    runs: list[str] = []
    n1.spawn_singleton("expiry", job(runs, n1))
    await eventually(lambda: runs == ["n1"])
    n2 = await make_node("n2")
    n2.spawn_singleton("expiry", job(runs, n2))
    # n1 loses the broker (as in a crash or a partition): it cannot renew the lock, stops
    # its copy, and n2 takes over once the lock expires.
    assert n1.router.nc is not None
    await n1.router.nc.close()
    await eventually(lambda: "expiry" not in n1.router._leading, timeout=TTL * 2)
    await eventually(lambda: runs == ["n1", "n2"], timeout=TTL * 3)


async def test_without_a_cluster_every_node_is_leader(make_csms):
    app = await make_csms()
    assert app.is_leader()
    runs: list[str] = []
    app.spawn_singleton("expiry", job(runs, app))
    await eventually(lambda: runs == [app.node_id])
