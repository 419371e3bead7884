"""Station-initiated Core messages. Each handler stores what it acknowledges before the
answer goes out; events that may call the station fire after the reply."""

from __future__ import annotations

from typing import Any

from csms_core import StationContext, TransactionStarted
from csms_core.rpc import utc_now_iso

from . import PLUGIN, store


async def boot_notification(station: StationContext, payload: dict) -> dict:
    app = station.app
    settings = app.settings_for(PLUGIN)
    override = await store.registration(app, station.id)
    status = override.status if override is not None else settings.registration_status
    await app.stations.record_boot(station.id, payload, status)
    # Pending/Rejected: the interval tells the station when to boot again.
    interval = settings.heartbeat_interval if status == "Accepted" else settings.boot_retry_interval
    return {"status": status, "currentTime": utc_now_iso(), "interval": interval}


async def heartbeat(station: StationContext, payload: dict) -> dict:
    return {"currentTime": utc_now_iso()}


async def status_notification(station: StationContext, payload: Any) -> dict:
    app = station.app
    await store.record_status(app, station.id, payload)
    station.after_reply(
        lambda: app.fire(
            "status_changed",
            station_id=station.id,
            connector_id=payload["connectorId"],
            status=payload,
        )
    )
    return {}


async def authorize(station: StationContext, payload: dict) -> dict:
    return {"idTagInfo": await store.authorize(station.app, payload["idTag"], station.id)}


async def start_transaction(station: StationContext, payload: dict) -> dict:
    app = station.app
    transaction_id, info, new = await store.start_transaction(app, station.id, payload)
    if new:
        started: TransactionStarted = {
            "transactionId": transaction_id,
            "connectorId": payload["connectorId"],
            "idTag": payload["idTag"],
            "meterStart": payload["meterStart"],
            "timestamp": payload["timestamp"],
            "reservationId": payload.get("reservationId"),
            "idTagInfo": info,
        }
        station.after_reply(
            lambda: app.fire("transaction_started", station_id=station.id, transaction=started)
        )
    return {"transactionId": transaction_id, "idTagInfo": info}


async def stop_transaction(station: StationContext, payload: dict) -> dict:
    app = station.app
    info, stopped = await store.stop_transaction(app, station.id, payload)
    if stopped is not None:
        station.after_reply(
            lambda: app.fire("transaction_stopped", station_id=station.id, transaction=stopped)
        )
    return {"idTagInfo": info} if info is not None else {}


async def meter_values(station: StationContext, payload: Any) -> dict:
    app = station.app
    await store.record_meter_values(app, station.id, payload)
    station.after_reply(
        lambda: app.fire("meter_values_received", station_id=station.id, payload=payload)
    )
    return {}
