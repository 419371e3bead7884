"""A booted charge point with two connectors and an accepted id tag, on the full CSMS
(every installed plugin, Core included), plus helpers the scenarios share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from csms_core.testing import ChargePoint, IncomingCall


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Recorder:
    """Answers a CSMS-initiated action and remembers every request it saw."""

    def __init__(self, answer: dict) -> None:
        self.answer = answer
        self.calls: list[dict] = []

    def __call__(self, call: IncomingCall) -> dict:
        self.calls.append(call.payload)
        return self.answer


async def boot_station(cp: ChargePoint, connectors: int = 2) -> ChargePoint:
    """Boot a connected charge point and report its connectors Available."""
    assert (await cp.boot())["status"] == "Accepted"
    for connector_id in range(1, connectors + 1):
        await cp.call(
            "StatusNotification",
            {"connectorId": connector_id, "errorCode": "NoError", "status": "Available"},
        )
    return cp


async def start_transaction(cp: ChargePoint, connector_id: int, id_tag: str = "TAG1") -> int:
    answer = await cp.call(
        "StartTransaction",
        {"connectorId": connector_id, "idTag": id_tag, "meterStart": 0, "timestamp": now_iso()},
    )
    return answer["transactionId"]


async def stop_transaction(cp: ChargePoint, transaction_id: int) -> None:
    await cp.call(
        "StopTransaction",
        {"transactionId": transaction_id, "meterStop": 1000, "timestamp": now_iso()},
    )


@pytest.fixture
async def cp(csms: Any, connect: Any, api: Any) -> ChargePoint:
    response = await api.post("/id-tags", json={"idTag": "TAG1"})
    assert response.status_code == 201, response.text
    return await boot_station(await connect("CP1"))


class Helpers:
    """The helpers above, as a fixture (test modules cannot import conftest)."""

    Recorder = Recorder
    boot_station = staticmethod(boot_station)
    start_transaction = staticmethod(start_transaction)
    stop_transaction = staticmethod(stop_transaction)


@pytest.fixture
def sc() -> type[Helpers]:
    return Helpers
