"""Reservation tests run the real server with every installed plugin (Core answers id tags,
StartTransaction and StatusNotification) and real charge point clients."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from csms_core.testing import ChargePoint, IncomingCall


class Station:
    """A booted charge point that answers ReserveNow/CancelReservation and keeps what it got."""

    def __init__(self, cp: ChargePoint) -> None:
        self.cp = cp
        self.reserve_answer = "Accepted"
        self.cancel_answer = "Accepted"
        self.got: list[IncomingCall] = []
        cp.answer("ReserveNow", self._reserve)
        cp.answer("CancelReservation", self._cancel)

    def _reserve(self, call: IncomingCall) -> dict:
        self.got.append(call)
        return {"status": self.reserve_answer}

    def _cancel(self, call: IncomingCall) -> dict:
        self.got.append(call)
        return {"status": self.cancel_answer}


@pytest.fixture
async def add_tag(api: httpx.AsyncClient) -> Callable[..., Awaitable[None]]:
    """Create an id tag through Core's API (the plugin only learns of it via id_tag_info)."""

    async def add(
        id_tag: str,
        status: str = "Accepted",
        parent: str | None = None,
        expiry: str | None = None,
    ) -> None:
        body: dict[str, Any] = {"idTag": id_tag, "status": status}
        if parent:
            body["parentIdTag"] = parent
        if expiry:
            body["expiryDate"] = expiry
        response = await api.post("/id-tags", json=body)
        assert response.status_code in (200, 201), response.text

    return add


@pytest.fixture
async def station(connect: Any, add_tag: Any) -> Station:
    cp = await connect("CP1")
    assert (await cp.boot())["status"] == "Accepted"
    for connector_id in (1, 2):
        await cp.call(
            "StatusNotification",
            {"connectorId": connector_id, "errorCode": "NoError", "status": "Available"},
        )
    await add_tag("TAG1")
    return Station(cp)


@pytest.fixture
def reserve(api: httpx.AsyncClient) -> Callable[..., Awaitable[httpx.Response]]:
    async def post(**fields: Any) -> httpx.Response:
        body = {
            "stationId": "CP1",
            "connectorId": 1,
            "idTag": "TAG1",
            "expiryDate": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
            **fields,
        }
        return await api.post("/reservations", json=body)

    return post
