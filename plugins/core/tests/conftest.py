"""Shared helpers for the Core plugin's tests: a real server with only this plugin loaded."""

from __future__ import annotations

from typing import Any

import pytest
from csms_plugin_core import plugin as core_plugin

from csms_core import hookimpl


class Recorder:
    """Observes kernel events like any other plugin would."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def of(self, name: str) -> list[dict]:
        return [kw for event, kw in self.events if event == name]

    @hookimpl
    def status_changed(self, station_id: str, connector_id: int, status: dict) -> None:
        self.events.append(("status_changed", {"station_id": station_id, "status": status}))

    @hookimpl
    def transaction_started(self, station_id: str, transaction: dict) -> None:
        self.events.append(("transaction_started", transaction))

    @hookimpl
    def transaction_stopped(self, station_id: str, transaction: dict) -> None:
        self.events.append(("transaction_stopped", transaction))

    @hookimpl
    def meter_values_received(self, station_id: str, payload: dict) -> None:
        self.events.append(("meter_values_received", payload))

    @hookimpl
    def id_tags_changed(self, id_tags: list[str]) -> None:
        self.events.append(("id_tags_changed", {"id_tags": id_tags}))

    @hookimpl
    def register_data_transfer(self, register: Any) -> None:
        register("Acme", lambda station, payload: {"status": "Accepted", "data": "any"})
        register(
            "Beta",
            lambda station, payload: {"status": "Accepted", "data": payload.get("data")},
            message_id="Echo",
        )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def csms_options(recorder: Recorder) -> dict[str, Any]:
    return {"plugins": [("core", core_plugin), ("recorder", recorder)]}


@pytest.fixture
async def add_tag(csms: Any, api: Any) -> Any:
    async def add(id_tag: str, status: str = "Accepted", **fields: Any) -> dict:
        response = await api.post("/id-tags", json={"idTag": id_tag, "status": status, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    return add


@pytest.fixture
async def cp(connect: Any) -> Any:
    """A booted, Accepted charge point CP1."""
    station = await connect("CP1")
    assert (await station.boot())["status"] == "Accepted"
    return station
