"""The CSMS-initiated actions this plugin owns: checks before sending, effects of answers.

SetChargingProfile, ClearChargingProfile and GetCompositeSchedule, whichever endpoint sends
them (the generic call route, our convenience routes, the CLI, load management). The
``check_call`` hook adds the same profile rules to Core's RemoteStartTransaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from csms_core import Csms, PayloadRejected, TransactionStarted
from csms_core.storage.types import utcnow

from . import store
from .validation import (
    StationFacts,
    check_connector,
    check_remote_start_profile,
    check_set_charging_profile,
)

log = logging.getLogger("csms.smartcharging")


async def station_facts(app: Csms, station_id: str, with_installed: bool = False) -> StationFacts:
    """What other plugins know about the station (hooks only: we never import them)."""
    transactions = await app.query("active_transactions", station_id=station_id) or []
    configuration = await app.query("station_configuration", station_id=station_id) or {}
    connectors = await app.query("station_connectors", station_id=station_id)
    connector_ids = {c["connectorId"] for c in connectors or [] if c.get("connectorId")}
    facts = StationFacts(
        transactions=list(transactions),
        configuration=dict(configuration),
        connector_ids=connector_ids or None,
    )
    if with_installed:
        facts.installed = [
            (p.connector_id, p.profile) for p in await store.installed(app, station_id)
        ]
    return facts


async def check_set(app: Csms, station_id: str, payload: dict) -> None:
    facts = await station_facts(app, station_id, with_installed=True)
    check_set_charging_profile(payload, facts)


async def on_set(app: Csms, station_id: str, request: dict, response: dict) -> None:
    if response.get("status") == "Accepted":
        await store.install(app, station_id, request["connectorId"], request["csChargingProfiles"])


async def check_clear(app: Csms, station_id: str, payload: dict) -> None:
    connector_id = payload.get("connectorId")
    if connector_id is not None:
        check_connector(connector_id, await station_facts(app, station_id))


async def on_clear(app: Csms, station_id: str, request: dict, response: dict) -> None:
    # "Unknown" means the station had nothing matching: our mirror should not either,
    # but we only ever remove on the station's word.
    if response.get("status") == "Accepted":
        await store.clear(app, station_id, request)


async def check_composite(app: Csms, station_id: str, payload: dict) -> None:
    if payload["duration"] <= 0:
        raise PayloadRejected("duration must be positive")
    check_connector(payload["connectorId"], await station_facts(app, station_id))


async def check_call(app: Csms, station_id: str, action: str, payload: dict) -> None:
    """Charging profiles inside another plugin's action get the same rules as ours."""
    if action == "RemoteStartTransaction" and payload.get("chargingProfile") is not None:
        check_remote_start_profile(payload, await station_facts(app, station_id))


# --- a TxProfile given with RemoteStartTransaction belongs to the transaction it starts ----


# A remote start that has not led to a transaction by then never will (the station's
# ConnectionTimeOut is typically well under this); forgetting it keeps a later session with
# the same idTag from inheriting its profile.
PENDING_SECONDS = 600.0


async def remember_remote_start(
    app: Csms, station_id: str, request: dict, response: dict | None
) -> None:
    if response is None or response.get("status") != "Accepted":
        return
    if request.get("chargingProfile") is None:
        return
    await store.add_remote_start(app, station_id, request, _stale())


async def adopt_remote_start_profile(
    app: Csms, station_id: str, transaction: TransactionStarted
) -> None:
    """The transaction a remote start asked for began: its profile is now installed there
    (section 5.16.2), with the transactionId the CSMS just assigned."""
    connector_id = transaction["connectorId"]
    profile = await store.take_remote_start(
        app, station_id, connector_id, transaction["idTag"], _stale()
    )
    if profile is not None:
        profile = {**profile, "transactionId": transaction["transactionId"]}
        await store.install(app, station_id, connector_id, profile)


def _stale() -> datetime:
    return utcnow() - timedelta(seconds=PENDING_SECONDS)


def register(register_action: Any) -> None:
    register_action("SetChargingProfile", check=check_set, on_result=on_set)
    register_action("ClearChargingProfile", check=check_clear, on_result=on_clear)
    register_action("GetCompositeSchedule", check=check_composite)
