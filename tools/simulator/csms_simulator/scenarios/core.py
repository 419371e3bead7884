"""OCTT 1.6 Central System test cases: Core profile (plus our own Core edge cases)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from csms_core.chargepoint import ChargePoint
from csms_core.rpc import utc_now_iso

from . import BOOT, Context, scenario, status

TX = "BootNotification StatusNotification Authorize StartTransaction StopTransaction MeterValues"


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def authorize(ctx: Context, cp: ChargePoint, tag: str) -> dict:
    return (await ctx.call(cp, "Authorize", {"idTag": tag}))["idTagInfo"]


async def start_tx(
    ctx: Context,
    cp: ChargePoint,
    tag: str,
    connector_id: int = 1,
    meter_start: int = 1000,
    timestamp: str | None = None,
    **extra: Any,
) -> tuple[int, dict]:
    """StartTransaction; the CSMS must answer a positive transactionId and an idTagInfo."""
    answer = await ctx.call(
        cp,
        "StartTransaction",
        {
            "connectorId": connector_id,
            "idTag": tag,
            "meterStart": meter_start,
            "timestamp": timestamp or utc_now_iso(),
            **extra,
        },
    )
    assert isinstance(answer["transactionId"], int) and answer["transactionId"] > 0, answer
    return answer["transactionId"], answer["idTagInfo"]


async def stop_tx(
    ctx: Context,
    cp: ChargePoint,
    transaction_id: int,
    tag: str | None = None,
    reason: str | None = "Local",
    meter_stop: int = 5000,
    timestamp: str | None = None,
    **extra: Any,
) -> dict:
    payload: dict[str, Any] = {
        "transactionId": transaction_id,
        "meterStop": meter_stop,
        "timestamp": timestamp or utc_now_iso(),
        **extra,
    }
    if tag:
        payload["idTag"] = tag
    if reason:
        payload["reason"] = reason
    answer = await ctx.call(cp, "StopTransaction", payload)
    if "idTagInfo" in answer:
        assert answer["idTagInfo"]["status"] in ("Accepted", "Blocked", "Expired", "Invalid")
    return answer


async def meter_values(ctx: Context, cp: ChargePoint, transaction_id: int | None, wh: int) -> None:
    payload: dict[str, Any] = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": utc_now_iso(),
                "sampledValue": [
                    {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {
                        "value": "7360",
                        "context": "Sample.Periodic",
                        "measurand": "Power.Active.Import",
                        "unit": "W",
                    },
                ],
            }
        ],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    assert await ctx.call(cp, "MeterValues", payload) == {}


async def charging_session(ctx: Context, cp: ChargePoint, tag: str) -> int:
    """Preparing, StartTransaction (Accepted), Charging; returns the transaction id."""
    await status(cp, 1, "Preparing")
    transaction_id, info = await start_tx(ctx, cp, tag)
    assert info["status"] == "Accepted", info
    await status(cp, 1, "Charging")
    return transaction_id


async def finish(ctx: Context, cp: ChargePoint, transaction_id: int, tag: str, reason: str) -> None:
    await stop_tx(ctx, cp, transaction_id, tag, reason)
    await status(cp, 1, "Finishing")
    await status(cp, 1, "Available")


# --- station-initiated ---------------------------------------------------------------


@scenario(
    "TC_001", "Cold boot charge point", "Core", requires="BootNotification StatusNotification"
)
async def tc_001_cold_boot(ctx: Context) -> None:
    cp = await ctx.connect("CP")
    answer = await ctx.call(cp, "BootNotification", BOOT)
    assert answer["status"] == "Accepted"
    assert answer["interval"] > 0
    assert datetime.fromisoformat(answer["currentTime"].replace("Z", "+00:00"))
    for connector_id in (0, 1):
        await status(cp, connector_id, "Available")
    station = (await ctx.api.get(f"/stations/{cp.station_id}")).json()
    assert station["connected"] is True
    assert station["registrationStatus"] == "Accepted"
    for key in ("chargePointVendor", "chargePointModel", "firmwareVersion", "iccid", "imsi"):
        assert station[key] == BOOT[key], key
    assert station["meterSerialNumber"] == BOOT["meterSerialNumber"]
    statuses = {c["connectorId"]: c["status"] for c in station["connectors"]}
    assert statuses == {0: "Available", 1: "Available"}, station["connectors"]
    heartbeat = await ctx.call(cp, "Heartbeat", {})
    assert heartbeat["currentTime"].endswith("Z")


@scenario("TC_003", "Regular charging session, plug in first", "Core", requires=TX)
async def tc_003_plugin_first(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    await status(cp, 1, "Preparing")
    assert (await authorize(ctx, cp, tag))["status"] == "Accepted"
    transaction_id, info = await start_tx(ctx, cp, tag)
    assert info["status"] == "Accepted"
    await status(cp, 1, "Charging")
    await meter_values(ctx, cp, transaction_id, 2000)
    await finish(ctx, cp, transaction_id, tag, "Local")


@scenario("TC_004_1", "Regular charging session, identification first", "Core", requires=TX)
async def tc_004_1_identification_first(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    assert (await authorize(ctx, cp, tag))["status"] == "Accepted"
    transaction_id = await charging_session(ctx, cp, tag)
    await finish(ctx, cp, transaction_id, tag, "Local")


@scenario(
    "TC_004_2", "Identification first, connection timeout", "Core", requires="Authorize " + TX
)
async def tc_004_2_connection_timeout(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    assert (await authorize(ctx, cp, tag))["status"] == "Accepted"
    await status(cp, 1, "Preparing")
    # ConnectionTimeOut passes without a cable: no transaction, back to Available.
    await status(cp, 1, "Available")
    heartbeat = await ctx.call(cp, "Heartbeat", {})
    assert "currentTime" in heartbeat


@scenario("TC_005_1", "EV side disconnected", "Core", requires=TX)
async def tc_005_1_ev_disconnected(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    transaction_id = await charging_session(ctx, cp, tag)
    await status(cp, 1, "SuspendedEV")
    await finish(ctx, cp, transaction_id, tag, "EVDisconnected")


@scenario("TC_007", "Regular start transaction with a cached id", "Core", requires=TX)
async def tc_007_cached_id(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    # No Authorize: the station accepted the tag from its cache.
    transaction_id = await charging_session(ctx, cp, tag)
    await finish(ctx, cp, transaction_id, tag, "Local")


@scenario("TC_023_1", "Start charging session, authorize invalid", "Core", requires="Authorize")
async def tc_023_1_authorize_invalid(ctx: Context) -> None:
    cp = await ctx.station("CP")
    info = await authorize(ctx, cp, f"UNKNOWN{uuid.uuid4().hex[:8]}")
    assert info["status"] == "Invalid"


@scenario("TC_023_2", "Start charging session, authorize expired", "Core", requires="Authorize")
async def tc_023_2_authorize_expired(ctx: Context) -> None:
    tag = await ctx.id_tag(expiry_date=ago(3600))
    cp = await ctx.station("CP")
    assert (await authorize(ctx, cp, tag))["status"] == "Expired"
    also = await ctx.id_tag(status="Expired")
    assert (await authorize(ctx, cp, also))["status"] == "Expired"


@scenario("TC_023_3", "Start charging session, authorize blocked", "Core", requires="Authorize")
async def tc_023_3_authorize_blocked(ctx: Context) -> None:
    tag = await ctx.id_tag(status="Blocked")
    cp = await ctx.station("CP")
    assert (await authorize(ctx, cp, tag))["status"] == "Blocked"


@scenario("TC_024", "Start charging session, lock failure", "Core", requires=TX)
async def tc_024_lock_failure(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    await status(cp, 1, "Preparing")
    assert (await authorize(ctx, cp, tag))["status"] == "Accepted"
    await status(cp, 1, "Faulted", "ConnectorLockFailure", info="lock did not engage")
    station = (await ctx.api.get(f"/stations/{cp.station_id}")).json()
    connector = next(c for c in station["connectors"] if c["connectorId"] == 1)
    assert connector["status"] == "Faulted" and connector["errorCode"] == "ConnectorLockFailure"


@scenario("TC_032_1", "Power failure boot, stop transaction(s)", "Core", requires=TX)
async def tc_032_1_power_failure(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    transaction_id = await charging_session(ctx, cp, tag)
    cp = await ctx.reconnect(cp)  # power lost, station restarts
    assert (await ctx.call(cp, "BootNotification", BOOT))["status"] == "Accepted"
    await status(cp, 0, "Available")
    await status(cp, 1, "Finishing")
    await stop_tx(ctx, cp, transaction_id, tag, "PowerLoss", timestamp=ago(30))
    await status(cp, 1, "Available")


@scenario("TC_037_1", "Offline start transaction, valid idTag", "Core", requires=TX)
async def tc_037_1_offline_valid(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    cp = await ctx.reconnect(cp)  # back online after an offline start
    assert (await ctx.call(cp, "BootNotification", BOOT))["status"] == "Accepted"
    await status(cp, 1, "Charging")
    transaction_id, info = await start_tx(ctx, cp, tag, timestamp=ago(120))
    assert info["status"] == "Accepted"
    await finish(ctx, cp, transaction_id, tag, "Local")


@scenario("TC_037_3", "Offline start transaction, invalid idTag", "Core", requires=TX)
async def tc_037_3_offline_invalid(ctx: Context) -> None:
    cp = await ctx.station("CP")
    cp = await ctx.reconnect(cp)
    assert (await ctx.call(cp, "BootNotification", BOOT))["status"] == "Accepted"
    tag = f"BAD{uuid.uuid4().hex[:8]}"
    # The station started offline with an unknown tag: still a transaction id, status Invalid.
    transaction_id, info = await start_tx(ctx, cp, tag, timestamp=ago(120))
    assert info["status"] == "Invalid"
    await stop_tx(ctx, cp, transaction_id, tag, "DeAuthorized")
    await status(cp, 1, "Available")


@scenario("TC_039", "Offline transaction", "Core", requires=TX)
async def tc_039_offline_transaction(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    cp = await ctx.reconnect(cp)
    assert (await ctx.call(cp, "BootNotification", BOOT))["status"] == "Accepted"
    # The whole transaction happened offline; the queued messages arrive in order.
    transaction_id, info = await start_tx(ctx, cp, tag, timestamp=ago(600))
    assert info["status"] == "Accepted"
    answer = await stop_tx(
        ctx,
        cp,
        transaction_id,
        tag,
        "Local",
        meter_stop=4000,
        timestamp=ago(60),
        transactionData=[
            {
                "timestamp": ago(300),
                "sampledValue": [{"value": "2500", "unit": "Wh"}],
            }
        ],
    )
    assert isinstance(answer, dict)
    await status(cp, 1, "Available")


@scenario("TC_064", "Data transfer to the Central System", "Core", requires="DataTransfer")
async def tc_064_data_transfer(ctx: Context) -> None:
    cp = await ctx.station("CP")
    answer = await ctx.call(
        cp, "DataTransfer", {"vendorId": "com.example.unknown", "messageId": "x", "data": "1"}
    )
    assert answer["status"] in ("UnknownVendorId", "UnknownMessageId", "Rejected")
    assert answer["status"] == "UnknownVendorId"


# --- CSMS-initiated ------------------------------------------------------------------


@scenario(
    "TC_010",
    "Remote start charging session, cable plugged in first",
    "Core",
    requires=TX + " RemoteStartTransaction",
)
async def tc_010_remote_start_cable_first(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    await status(cp, 1, "Preparing")
    call, response = await ctx.csms_sends(
        cp, "RemoteStartTransaction", {"connectorId": 1, "idTag": tag}, {"status": "Accepted"}
    )
    assert call.payload["idTag"] == tag
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}
    transaction_id, info = await start_tx(ctx, cp, tag)
    assert info["status"] == "Accepted"
    await status(cp, 1, "Charging")
    await finish(ctx, cp, transaction_id, tag, "Local")


@scenario(
    "TC_011_1",
    "Remote start charging session, remote start first",
    "Core",
    requires=TX + " RemoteStartTransaction",
)
async def tc_011_1_remote_start_first(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    await ctx.relays(cp, "RemoteStartTransaction", {"idTag": tag}, {"status": "Accepted"})
    await charging_session(ctx, cp, tag)


@scenario(
    "TC_011_2",
    "Remote start charging session, time out",
    "Core",
    requires=TX + " RemoteStartTransaction",
)
async def tc_011_2_remote_start_timeout(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    _call, response = await ctx.csms_sends(
        cp, "RemoteStartTransaction", {"connectorId": 1, "idTag": tag}, {"status": "Accepted"}
    )
    assert response.json() == {"status": "Accepted"}
    await status(cp, 1, "Preparing")
    await status(cp, 1, "Available")  # no cable within ConnectionTimeOut
    assert "currentTime" in await ctx.call(cp, "Heartbeat", {})


@scenario(
    "TC_012",
    "Remote stop charging session",
    "Core",
    requires=TX + " RemoteStopTransaction",
)
async def tc_012_remote_stop(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    transaction_id = await charging_session(ctx, cp, tag)
    await ctx.relays(
        cp, "RemoteStopTransaction", {"transactionId": transaction_id}, {"status": "Accepted"}
    )
    await finish(ctx, cp, transaction_id, tag, "Remote")


async def _reset(ctx: Context, kind: str) -> None:
    cp = await ctx.station("CP")
    await ctx.relays(cp, "Reset", {"type": kind}, {"status": "Accepted"})
    cp = await ctx.reconnect(cp)
    assert (await ctx.call(cp, "BootNotification", BOOT))["status"] == "Accepted"
    await status(cp, 0, "Available")
    await status(cp, 1, "Available")


@scenario("TC_013", "Hard reset without transaction", "Core", requires="Reset BootNotification")
async def tc_013_hard_reset(ctx: Context) -> None:
    await _reset(ctx, "Hard")


@scenario("TC_014", "Soft reset without transaction", "Core", requires="Reset BootNotification")
async def tc_014_soft_reset(ctx: Context) -> None:
    await _reset(ctx, "Soft")


async def _unlock(ctx: Context, connector_id: int, answer: str) -> None:
    cp = await ctx.station("CP")
    await ctx.relays(cp, "UnlockConnector", {"connectorId": connector_id}, {"status": answer})


@scenario(
    "TC_017_1",
    "Unlock connector, no charging session (not fixed cable)",
    "Core",
    requires="UnlockConnector",
)
async def tc_017_1_unlock(ctx: Context) -> None:
    await _unlock(ctx, 1, "Unlocked")


@scenario(
    "TC_017_2",
    "Unlock connector, no charging session (fixed cable)",
    "Core",
    requires="UnlockConnector",
)
async def tc_017_2_unlock_fixed_cable(ctx: Context) -> None:
    await _unlock(ctx, 1, "NotSupported")


@scenario(
    "TC_018_1",
    "Unlock connector with charging session",
    "Core",
    requires=TX + " UnlockConnector",
)
async def tc_018_1_unlock_with_session(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    transaction_id = await charging_session(ctx, cp, tag)
    _call, response = await ctx.csms_sends(
        cp, "UnlockConnector", {"connectorId": 1}, {"status": "Unlocked"}
    )
    assert response.json() == {"status": "Unlocked"}
    await finish(ctx, cp, transaction_id, tag, "UnlockCommand")


@scenario("TC_030", "Unlock connector, unlock failure", "Core", requires="UnlockConnector")
async def tc_030_unlock_failure(ctx: Context) -> None:
    await _unlock(ctx, 1, "UnlockFailed")


@scenario("TC_031", "Unlock connector, unknown connector", "Core", requires="UnlockConnector")
async def tc_031_unlock_unknown_connector(ctx: Context) -> None:
    await _unlock(ctx, 3, "NotSupported")


CONFIG_KEYS = [
    {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
    {"key": "MeterValueSampleInterval", "readonly": False, "value": "60"},
    {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
]


@scenario("TC_019_1", "Retrieve all configuration keys", "Core", requires="GetConfiguration")
async def tc_019_1_get_all_configuration(ctx: Context) -> None:
    cp = await ctx.station("CP")
    call, response = await ctx.csms_sends(
        cp, "GetConfiguration", {}, {"configurationKey": CONFIG_KEYS}
    )
    assert not call.payload.get("key"), "all keys: no key list (or an empty one)"
    assert response.status_code == 200
    assert response.json()["configurationKey"] == CONFIG_KEYS


@scenario("TC_019_2", "Retrieve a specific configuration key", "Core", requires="GetConfiguration")
async def tc_019_2_get_one_configuration_key(ctx: Context) -> None:
    cp = await ctx.station("CP")
    call, response = await ctx.csms_sends(
        cp,
        "GetConfiguration",
        {"key": ["SupportedFeatureProfiles"]},
        {
            "configurationKey": [
                {"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core"}
            ]
        },
    )
    assert call.payload == {"key": ["SupportedFeatureProfiles"]}
    assert response.json()["configurationKey"][0]["value"] == "Core"


async def _change_configuration(ctx: Context, key: str, value: str, answer: str) -> None:
    cp = await ctx.station("CP")
    await ctx.relays(cp, "ChangeConfiguration", {"key": key, "value": value}, {"status": answer})


@scenario("TC_021", "Change/set configuration", "Core", requires="ChangeConfiguration")
async def tc_021_change_configuration(ctx: Context) -> None:
    await _change_configuration(ctx, "MeterValueSampleInterval", "60", "Accepted")


@scenario("TC_040_1", "Configuration key not supported", "Core", requires="ChangeConfiguration")
async def tc_040_1_key_not_supported(ctx: Context) -> None:
    await _change_configuration(ctx, "UnknownKeyOfVendorX", "1", "NotSupported")


@scenario("TC_040_2", "Configuration key, invalid value", "Core", requires="ChangeConfiguration")
async def tc_040_2_invalid_value(ctx: Context) -> None:
    await _change_configuration(ctx, "MeterValueSampleInterval", "-1", "Rejected")


@scenario(
    "TC_026",
    "Remote start charging session, rejected",
    "Core",
    requires="RemoteStartTransaction",
)
async def tc_026_remote_start_rejected(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    _call, response = await ctx.csms_sends(
        cp, "RemoteStartTransaction", {"connectorId": 1, "idTag": tag}, {"status": "Rejected"}
    )
    assert response.status_code == 200 and response.json() == {"status": "Rejected"}


@scenario("TC_028", "Remote stop transaction, rejected", "Core", requires="RemoteStopTransaction")
async def tc_028_remote_stop_rejected(ctx: Context) -> None:
    cp = await ctx.station("CP")
    _call, response = await ctx.csms_sends(
        cp, "RemoteStopTransaction", {"transactionId": 4242}, {"status": "Rejected"}
    )
    assert response.status_code == 200 and response.json() == {"status": "Rejected"}


@scenario(
    "TC_061", "Clear authorization data in authorization cache", "Core", requires="ClearCache"
)
async def tc_061_clear_cache(ctx: Context) -> None:
    cp = await ctx.station("CP")
    await ctx.relays(cp, "ClearCache", {}, {"status": "Accepted"})


# --- our own Core edge cases -----------------------------------------------------------


@scenario(
    "NEG_UNKNOWN_TRANSACTION",
    "StopTransaction / MeterValues for unknown or -1 transaction ids are answered",
    "Core",
    requires=TX,
)
async def neg_unknown_transaction(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    for transaction_id in (-1, 987654321):
        answer = await stop_tx(ctx, cp, transaction_id, tag, "Local")
        assert isinstance(answer, dict)
        await meter_values(ctx, cp, transaction_id, 100)
    # Without reason and idTag: both optional.
    await stop_tx(ctx, cp, 987654322, None, None)


@scenario(
    "NEG_TIMESTAMPS",
    "Timestamps in every ISO 8601 form are accepted; the CSMS emits UTC with ms",
    "Core",
    requires=TX,
)
async def neg_timestamps(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    forms = [
        "2026-01-01T12:00:00Z",
        "2026-01-01T12:00:00.123Z",
        "2026-01-01T12:00:00.123456Z",
        "2026-01-01T12:00:00+02:00",
        "2026-01-01T12:00:00.5-05:30",
        "2026-01-01T12:00:00",
    ]
    for form in forms:
        await status(cp, 1, "Available", timestamp=form)
        transaction_id, _info = await start_tx(ctx, cp, tag, timestamp=form)
        await stop_tx(ctx, cp, transaction_id, tag, "Local", timestamp=form)
    answer = await ctx.call(cp, "Heartbeat", {})
    current = answer["currentTime"]
    assert current.endswith("Z") and len(current) == len("2026-01-01T12:00:00.123Z"), current


@scenario(
    "NEG_RETRANSMIT",
    "A retransmitted StartTransaction does not create a second transaction",
    "Core",
    requires=TX,
)
async def neg_retransmitted_start(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    payload = {"connectorId": 1, "idTag": tag, "meterStart": 10, "timestamp": utc_now_iso()}
    first = await cp.send_frame([2, "tx-1", "StartTransaction", payload])
    again = await cp.send_frame([2, "tx-2", "StartTransaction", payload])
    assert first[0] == again[0] == 3
    assert first[2]["transactionId"] == again[2]["transactionId"]


@scenario(
    "NEG_CELCIUS",
    "MeterValues with the 1.6 'Celcius' spelling and every field are stored",
    "Core",
    requires=TX,
)
async def neg_celcius(ctx: Context) -> None:
    cp = await ctx.station("CP")
    for unit in ("Celcius", "Celsius"):
        payload = {
            "connectorId": 1,
            "meterValue": [
                {
                    "timestamp": utc_now_iso(),
                    "sampledValue": [
                        {
                            "value": "21.5",
                            "context": "Sample.Periodic",
                            "format": "Raw",
                            "measurand": "Temperature",
                            "location": "Body",
                            "unit": unit,
                        },
                        {
                            "value": "16.1",
                            "measurand": "Current.Import",
                            "phase": "L1",
                            "unit": "A",
                        },
                    ],
                }
            ],
        }
        assert await ctx.call(cp, "MeterValues", payload) == {}
