"""OCTT 1.6 Central System test cases: Local Authorization List Management profile."""

from __future__ import annotations

from typing import Any

from . import Context, scenario


async def _version(ctx: Context, version: int) -> None:
    cp = await ctx.station("CP")
    await ctx.relays(cp, "GetLocalListVersion", {}, {"listVersion": version})


@scenario(
    "TC_042_1",
    "Get local list version, not supported",
    "LocalAuthListManagement",
    requires="GetLocalListVersion",
)
async def tc_042_1_version_not_supported(ctx: Context) -> None:
    await _version(ctx, -1)


@scenario(
    "TC_042_2",
    "Get local list version, empty",
    "LocalAuthListManagement",
    requires="GetLocalListVersion",
)
async def tc_042_2_version_empty(ctx: Context) -> None:
    await _version(ctx, 0)


def _full_list(version: int) -> dict[str, Any]:
    return {
        "listVersion": version,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": "LOCAL1", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "LOCAL2", "idTagInfo": {"status": "Blocked"}},
        ],
    }


async def _send(ctx: Context, payload: dict, answer: str) -> None:
    cp = await ctx.station("CP")
    call, response = await ctx.csms_sends(cp, "SendLocalList", payload, {"status": answer})
    sent = call.payload
    assert sent["listVersion"] > 0, "listVersion must be positive"
    if sent["updateType"] == "Full":
        assert all("idTagInfo" in e for e in sent.get("localAuthorizationList", []))
    assert response.status_code == 200 and response.json() == {"status": answer}


@scenario(
    "TC_043_1",
    "Send local authorization list, not supported",
    "LocalAuthListManagement",
    requires="SendLocalList",
)
async def tc_043_1_send_not_supported(ctx: Context) -> None:
    await _send(ctx, _full_list(1), "NotSupported")


@scenario(
    "TC_043_3",
    "Send local authorization list, failed",
    "LocalAuthListManagement",
    requires="SendLocalList",
)
async def tc_043_3_send_failed(ctx: Context) -> None:
    await _send(ctx, _full_list(1), "Failed")


@scenario(
    "TC_043_4",
    "Send local authorization list, full",
    "LocalAuthListManagement",
    requires="SendLocalList",
)
async def tc_043_4_send_full(ctx: Context) -> None:
    await _send(ctx, _full_list(1), "Accepted")


@scenario(
    "TC_043_5",
    "Send local authorization list, differential",
    "LocalAuthListManagement",
    requires="SendLocalList",
)
async def tc_043_5_send_differential(ctx: Context) -> None:
    payload = {
        "listVersion": 2,
        "updateType": "Differential",
        "localAuthorizationList": [
            {"idTag": "LOCAL3", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "LOCAL2"},  # no idTagInfo: remove it
        ],
    }
    await _send(ctx, payload, "Accepted")
