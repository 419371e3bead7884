"""OCTT 1.6 Central System test cases: Remote Trigger profile."""

from __future__ import annotations

from csms_core.rpc import utc_now_iso

from . import BOOT, Context, scenario, status

# What the station sends after accepting each trigger.
TRIGGERED = {
    "DiagnosticsStatusNotification": {"status": "Idle"},
    "FirmwareStatusNotification": {"status": "Idle"},
    "Heartbeat": {},
    "MeterValues": None,
    "StatusNotification": None,
    "BootNotification": BOOT,  # last: after it the station has booted again
}


@scenario(
    "TC_054",
    "Trigger message (each message type)",
    "RemoteTrigger",
    requires="TriggerMessage BootNotification Heartbeat StatusNotification MeterValues "
    "FirmwareStatusNotification DiagnosticsStatusNotification",
)
async def tc_054_trigger_message(ctx: Context) -> None:
    cp = await ctx.station("CP")
    for message, payload in TRIGGERED.items():
        request = {"requestedMessage": message}
        if message in ("MeterValues", "StatusNotification"):
            request["connectorId"] = 1
        # Errata: a CSMS may refuse to trigger BootNotification once the boot was accepted.
        call, response = await ctx.csms_sends(
            cp,
            "TriggerMessage",
            request,
            {"status": "Accepted"},
            may_refuse=message == "BootNotification",
        )
        if call is None:
            assert response.status_code == 422, response.text
            continue
        assert call.payload == request
        assert response.status_code == 200 and response.json() == {"status": "Accepted"}
        if message == "StatusNotification":
            await status(cp, 1, "Available")
            continue
        if message == "MeterValues":
            payload = {
                "connectorId": 1,
                "meterValue": [
                    {
                        "timestamp": utc_now_iso(),
                        "sampledValue": [{"value": "100", "context": "Trigger"}],
                    }
                ],
            }
        answer = await ctx.call(cp, message, payload or {})
        if message == "BootNotification":
            assert answer["status"] == "Accepted"
        elif message == "Heartbeat":
            assert "currentTime" in answer
        else:
            assert answer == {}


@scenario("TC_055", "Trigger message, rejected", "RemoteTrigger", requires="TriggerMessage")
async def tc_055_trigger_rejected(ctx: Context) -> None:
    cp = await ctx.station("CP")
    request = {"requestedMessage": "MeterValues", "connectorId": 1}
    _call, response = await ctx.csms_sends(cp, "TriggerMessage", request, {"status": "Rejected"})
    assert response.status_code == 200 and response.json() == {"status": "Rejected"}
