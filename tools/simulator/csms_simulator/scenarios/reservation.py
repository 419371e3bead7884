"""OCTT 1.6 Central System test cases: Reservation profile."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from csms_core.chargepoint import ChargePoint, IncomingCall, eventually

from . import Context, scenario, status
from .core import start_tx, stop_tx


def expiry(seconds: float = 3600) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_reservation_id() -> int:
    return secrets.randbelow(1_000_000) + 1


async def _reserve(
    ctx: Context, cp: ChargePoint, tag: str, answer: str, connector_id: int = 1, **extra: str
) -> int:
    reservation_id = new_reservation_id()
    payload = {
        "connectorId": connector_id,
        "expiryDate": expiry(),
        "idTag": tag,
        "reservationId": reservation_id,
        **extra,
    }
    call, response = await ctx.csms_sends(cp, "ReserveNow", payload, {"status": answer})
    assert call.payload["reservationId"] == reservation_id
    assert call.payload["idTag"] == tag and call.payload["connectorId"] == connector_id
    assert response.status_code == 200 and response.json() == {"status": answer}
    return reservation_id


RESERVE = "ReserveNow BootNotification StatusNotification"
RESERVE_TX = RESERVE + " Authorize StartTransaction StopTransaction"


async def _reserve_via_route(ctx: Context, cp: ChargePoint, tag: str) -> IncomingCall:
    """ReserveNow through the reservation plugin's own route (it picks the id)."""
    body = {"stationId": cp.station_id, "connectorId": 1, "idTag": tag, "expiryDate": expiry()}
    call, response = await ctx.csms_sends(
        cp,
        "ReserveNow",
        {},
        {"status": "Accepted"},
        send=lambda: ctx.api.post("/reservations", json=body),
    )
    assert response.status_code == 201, response.text
    assert response.json()["reservationId"] == call.payload["reservationId"]
    return call


@scenario("TC_046", "Reservation of a connector, transaction", "Reservation", requires=RESERVE_TX)
async def tc_046_reserve_and_charge(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    call = await _reserve_via_route(ctx, cp, tag)
    reservation_id = call.payload["reservationId"]
    await status(cp, 1, "Reserved")
    await status(cp, 1, "Preparing")
    transaction_id, info = await start_tx(ctx, cp, tag, reservationId=reservation_id)
    assert info["status"] == "Accepted"
    await status(cp, 1, "Charging")
    await stop_tx(ctx, cp, transaction_id, tag, "Local")
    await status(cp, 1, "Available")

    # The StartTransaction with the reservationId ended the reservation (the plugin hears of
    # it through the transaction event, fired once the answer is out: allow it a moment).
    async def used() -> dict | None:
        record = (await ctx.api.get(f"/reservations/{reservation_id}")).json()
        return record if record["status"] == "Used" else None

    record = await eventually(used)
    assert record["transactionId"] == transaction_id, record


@scenario("TC_047", "Reservation of a connector, expire", "Reservation", requires=RESERVE)
async def tc_047_reservation_expires(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    await _reserve(ctx, cp, tag, "Accepted")
    await status(cp, 1, "Reserved")
    await status(cp, 1, "Available")  # expiryDate passed on the station


async def _reserve_in_state(ctx: Context, answer: str, *state: str) -> None:
    """The connector reports ``state`` (if any); the station answers ReserveNow with ``answer``."""
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    if state:
        await status(cp, 1, *state)
    await _reserve(ctx, cp, tag, answer)


@scenario("TC_048_1", "Reservation of a connector, faulted", "Reservation", requires=RESERVE)
async def tc_048_1_reserve_faulted(ctx: Context) -> None:
    await _reserve_in_state(ctx, "Faulted", "Faulted", "GroundFailure")


@scenario("TC_048_2", "Reservation of a connector, occupied", "Reservation", requires=RESERVE)
async def tc_048_2_reserve_occupied(ctx: Context) -> None:
    await _reserve_in_state(ctx, "Occupied", "Preparing")


@scenario("TC_048_3", "Reservation of a connector, unavailable", "Reservation", requires=RESERVE)
async def tc_048_3_reserve_unavailable(ctx: Context) -> None:
    await _reserve_in_state(ctx, "Unavailable", "Unavailable")


@scenario("TC_048_4", "Reservation of a connector, rejected", "Reservation", requires=RESERVE)
async def tc_048_4_reserve_rejected(ctx: Context) -> None:
    await _reserve_in_state(ctx, "Rejected")


@scenario(
    "TC_049", "Reservation of a charge point (connector 0)", "Reservation", requires=RESERVE_TX
)
async def tc_049_reserve_connector_zero(ctx: Context) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    reservation_id = await _reserve(ctx, cp, tag, "Accepted", connector_id=0)
    await status(cp, 0, "Available")
    transaction_id, info = await start_tx(ctx, cp, tag, reservationId=reservation_id)
    assert info["status"] == "Accepted"
    await stop_tx(ctx, cp, transaction_id, tag, "Local")


async def _cancel(ctx: Context, answer: str) -> None:
    tag = await ctx.id_tag()
    cp = await ctx.station("CP")
    reservation_id = await _reserve(ctx, cp, tag, "Accepted")
    await status(cp, 1, "Reserved")
    if answer == "Rejected":
        reservation_id += 1  # a reservation the station does not have
    await ctx.relays(cp, "CancelReservation", {"reservationId": reservation_id}, {"status": answer})


@scenario("TC_051", "Cancel reservation", "Reservation", requires=RESERVE + " CancelReservation")
async def tc_051_cancel(ctx: Context) -> None:
    await _cancel(ctx, "Accepted")


@scenario(
    "TC_052",
    "Cancel reservation, rejected",
    "Reservation",
    requires=RESERVE + " CancelReservation",
)
async def tc_052_cancel_rejected(ctx: Context) -> None:
    await _cancel(ctx, "Rejected")


@scenario("TC_053", "Use a reserved connector with parentIdTag", "Reservation", requires=RESERVE_TX)
async def tc_053_parent_id_tag(ctx: Context) -> None:
    parent = await ctx.id_tag()
    reserver = await ctx.id_tag(parent_id_tag=parent)
    other = await ctx.id_tag(parent_id_tag=parent)
    cp = await ctx.station("CP")
    call = await _reserve_via_route(ctx, cp, reserver)
    # The CSMS fills in the tag's parent so the station can accept the group.
    assert call.payload.get("parentIdTag") == parent, call.payload
    reservation_id = call.payload["reservationId"]
    await status(cp, 1, "Reserved")
    # Another tag of the same group: the station learns its parent from Authorize.
    info = (await ctx.call(cp, "Authorize", {"idTag": other}))["idTagInfo"]
    assert info["status"] == "Accepted" and info.get("parentIdTag") == parent, info
    await status(cp, 1, "Preparing")
    transaction_id, info = await start_tx(ctx, cp, other, reservationId=reservation_id)
    assert info["status"] == "Accepted"
    await stop_tx(ctx, cp, transaction_id, other, "Local")
