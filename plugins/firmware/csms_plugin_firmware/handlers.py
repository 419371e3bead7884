"""Station-initiated messages of the Firmware Management profile."""

from __future__ import annotations

from csms_core import StationContext

from . import store
from .models import DiagnosticsStatusEvent, FirmwareStatusEvent


async def firmware_status_notification(station: StationContext, payload: dict) -> dict:
    # Stored before answering: the history is the record of what the station reported.
    await store.record_status(station.app, FirmwareStatusEvent, station.id, payload["status"])
    return {}


async def diagnostics_status_notification(station: StationContext, payload: dict) -> dict:
    await store.record_status(station.app, DiagnosticsStatusEvent, station.id, payload["status"])
    return {}
