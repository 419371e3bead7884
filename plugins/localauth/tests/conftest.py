"""Fixtures for the localauth tests: the real server with every installed plugin (Core keeps
the id tags and the configuration snapshot), a booted charge point, and small helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from csms_core.testing import ChargePoint, IncomingCall

STATION = "LA1"


class SendLocalListRecorder:
    """Answers SendLocalList like a station: statuses from ``script``, then ``default``;
    every request is kept in ``requests``."""

    def __init__(self, cp: ChargePoint, default: str = "Accepted") -> None:
        self.requests: list[dict] = []
        self.script: list[str] = []
        self.default = default
        cp.answer("SendLocalList", self._answer)

    def _answer(self, call: IncomingCall) -> dict:
        self.requests.append(call.payload)
        return {"status": self.script.pop(0) if self.script else self.default}

    def summary(self) -> list[tuple[str, int, int]]:
        return [
            (r["updateType"], r["listVersion"], len(r.get("localAuthorizationList") or []))
            for r in self.requests
        ]


@pytest.fixture
async def station(connect: Callable[..., Any]) -> ChargePoint:
    cp = await connect(STATION)
    assert (await cp.boot())["status"] == "Accepted"
    return cp


@pytest.fixture
def recorder(station: ChargePoint) -> SendLocalListRecorder:
    return SendLocalListRecorder(station)


class Helper:
    """API shortcuts for the tests (``la`` fixture)."""

    def __init__(self, api: httpx.AsyncClient) -> None:
        self.api = api

    async def add_tags(self, *id_tags: str, **fields: Any) -> None:
        """Create tags through Core's API (``status="Blocked"``, ``expiryDate=...``)."""
        for id_tag in id_tags:
            response = await self.api.post("/id-tags", json={"idTag": id_tag, **fields})
            assert response.status_code == 201, response.text

    async def configure(self, cp: ChargePoint, **values: Any) -> None:
        """Give the CSMS the station's configuration as an operator does: GetConfiguration."""
        keys = [{"key": k, "readonly": True, "value": str(v)} for k, v in values.items()]
        cp.answer("GetConfiguration", {"configurationKey": keys})
        response = await self.api.post(f"/stations/{cp.station_id}/calls/GetConfiguration", json={})
        assert response.status_code == 200, response.text

    async def push(self, update_type: str, station_id: str = STATION) -> dict:
        response = await self.api.post(
            f"/stations/{station_id}/local-list", json={"updateType": update_type}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def show(self, station_id: str = STATION, **params: Any) -> dict:
        response = await self.api.get(f"/stations/{station_id}/local-list", params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def la(api: httpx.AsyncClient) -> Helper:
    return Helper(api)


@pytest.fixture
def make_recorder() -> Callable[[ChargePoint], SendLocalListRecorder]:
    return SendLocalListRecorder
