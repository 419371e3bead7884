"""What stations send: DataTransfer from vendor "com.example", message "Hello"."""

from __future__ import annotations

from csms_core import StationContext

from . import PLUGIN, store

VENDOR_ID = "com.example"


async def hello(station: StationContext, payload: dict) -> dict:
    await store.record_greeting(station.app, station.id)  # stored before it is acknowledged
    greeting = station.app.settings_for(PLUGIN).greeting
    return {"status": "Accepted", "data": f"{greeting}, {station.id}"}
