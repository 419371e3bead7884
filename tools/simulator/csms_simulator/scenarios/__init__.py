"""Conformance scenarios: one async function per OCTT 1.6 Central System test case.

Each scenario plays the charge point with the kernel's ``ChargePoint`` client, makes the CSMS
send its messages through the operator API, and asserts what the CSMS sends and answers.
The same functions run in the pytest suite (``tests/conformance``) and in ``csms selftest``
against a live server, so the logic is written once.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from csms_core.chargepoint import ChargePoint, IncomingCall
from csms_core.errors import CallErrorReceived

PROFILES = (
    "Transport",
    "Security",
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "RemoteTrigger",
    "SmartCharging",
)

# Which plugin must be installed for an action; used for skip reasons.
ACTION_PLUGINS = {
    **dict.fromkeys(
        (
            "Authorize BootNotification ChangeAvailability ChangeConfiguration ClearCache "
            "DataTransfer GetConfiguration Heartbeat MeterValues RemoteStartTransaction "
            "RemoteStopTransaction Reset StartTransaction StatusNotification StopTransaction "
            "UnlockConnector"
        ).split(),
        "core",
    ),
    **dict.fromkeys(
        (
            "UpdateFirmware GetDiagnostics FirmwareStatusNotification DiagnosticsStatusNotification"
        ).split(),
        "firmware",
    ),
    **dict.fromkeys(
        "SetChargingProfile ClearChargingProfile GetCompositeSchedule".split(), "smartcharging"
    ),
    **dict.fromkeys("ReserveNow CancelReservation".split(), "reservation"),
    **dict.fromkeys("SendLocalList GetLocalListVersion".split(), "localauth"),
    "TriggerMessage": "remotetrigger",
    **dict.fromkeys(
        (
            "SecurityEventNotification SignCertificate CertificateSigned InstallCertificate "
            "DeleteCertificate GetInstalledCertificateIds ExtendedTriggerMessage"
        ).split(),
        "security",
    ),
}


Check = Callable[[str], Awaitable[None]]  # the pytest fixture that runs a case by id


class Skip(Exception):
    """The CSMS under test lacks what the scenario needs (a plugin not installed)."""


@dataclass
class Scenario:
    id: str
    title: str
    profile: str
    fn: Callable[[Context], Awaitable[None]]
    requires: tuple[str, ...]
    live: bool  # safe against a running server (selftest); False: needs a special server


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    case_id: str, title: str, profile: str, requires: str = "", live: bool = True
) -> Callable:
    """Register a scenario; ``requires`` lists (space-separated) the actions it needs."""

    def decorate(fn: Callable[[Context], Awaitable[None]]) -> Callable:
        if case_id in SCENARIOS:
            raise ValueError(f"duplicate scenario {case_id}")
        SCENARIOS[case_id] = Scenario(case_id, title, profile, fn, tuple(requires.split()), live)
        return fn

    return decorate


class Context:
    """What a scenario needs: the operator API, the OCPP URL, fresh stations and id tags.

    ``available``: the actions the CSMS handles or owns when known (pytest: from the
    registry), else None and missing features are detected from 501 / NotImplemented.
    """

    def __init__(
        self,
        api: httpx.AsyncClient,
        ocpp_url: str,
        prefix: str,
        available: set[str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.api = api
        self.ocpp_url = ocpp_url
        self.prefix = prefix
        self.available = available
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.stations: list[ChargePoint] = []
        self.passwords: dict[str, str] = {}
        self.id_tags: list[str] = []

    # --- stations -------------------------------------------------------------------

    def station_id(self, name: str = "CP") -> str:
        return f"{self.prefix}{name}"

    async def register(self, name: str = "CP", password: str | None = "random") -> str:
        """Register a station through the operator API; returns its id."""
        station_id = self.station_id(name)
        if password == "random":
            password = secrets.token_hex(10)  # 20 characters: a valid AuthorizationKey
        body: dict[str, Any] = {"id": station_id}
        if password is not None:
            body["password"] = password
        response = await self.api.post("/stations", json=body)
        assert response.status_code == 201, response.text
        self.passwords[station_id] = password or ""
        return station_id

    async def connect(
        self, name: str = "CP", password: str | None = None, register: bool = True, **kwargs: Any
    ) -> ChargePoint:
        station_id = self.station_id(name)
        if register and station_id not in self.passwords:
            await self.register(name)
        if password is None:
            password = self.passwords.get(station_id) or None
        cp = ChargePoint(self.ocpp_url, station_id, password, self.ssl_context, **kwargs)
        await cp.connect()
        self.stations.append(cp)
        return cp

    async def station(
        self, name: str = "CP", connectors: int = 1, boot: bool = True, **kwargs: Any
    ) -> ChargePoint:
        """A registered, connected, booted station that reported its connectors Available."""
        cp = await self.connect(name, **kwargs)
        if boot:
            answer = await self.call(cp, "BootNotification", BOOT)
            assert answer["status"] == "Accepted", answer
            for connector_id in range(connectors + 1):
                await status(cp, connector_id, "Available")
        return cp

    async def reconnect(self, cp: ChargePoint) -> ChargePoint:
        """Drop the connection and open a new one for the same station (power cycle)."""
        await cp.close()
        new = ChargePoint(
            self.ocpp_url, cp.station_id, cp.password, self.ssl_context, cp.subprotocols
        )
        await new.connect()
        self.stations.append(new)
        return new

    async def call(self, cp: ChargePoint, action: str, payload: dict) -> dict:
        """A station-initiated CALL; a CSMS without the feature makes the scenario skip."""
        try:
            return await cp.call(action, payload)
        except CallErrorReceived as error:
            if self.available is None and error.code in ("NotImplemented", "NotSupported"):
                raise Skip(f"the CSMS does not implement {action} ({error.code})") from None
            raise

    async def close(self) -> None:
        await asyncio.gather(*(cp.close() for cp in self.stations), return_exceptions=True)

    # --- the operator side ----------------------------------------------------------

    async def operator(
        self, station_id: str, action: str, payload: dict, timeout: float | None = None
    ) -> httpx.Response:
        """Ask the CSMS to send ``action`` through the generic call endpoint."""
        params = {"timeout": timeout or self.timeout}
        response = await self.api.post(
            f"/stations/{station_id}/calls/{action}", json=payload, params=params
        )
        if response.status_code == 501 and self.available is None:
            raise Skip(f"the CSMS cannot send {action}: {response.json().get('detail')}")
        return response

    async def csms_sends(
        self,
        cp: ChargePoint,
        action: str,
        payload: dict,
        answer: dict | Callable[[IncomingCall], dict] | None,
        error: str | None = None,
        send: Callable[[], Awaitable[httpx.Response]] | None = None,
        may_refuse: bool = False,
    ) -> tuple[IncomingCall, httpx.Response]:
        """Make the CSMS send ``action`` (operator API), answer it as the station would.

        Returns what the station received and the API's response; asserts the station got
        exactly ``action``. ``send`` replaces the generic endpoint (a plugin's own route).
        ``may_refuse``: the CSMS may refuse to send (4xx, nothing sent): returns (None, ...).
        """
        request = asyncio.ensure_future(
            send() if send is not None else self.operator(cp.station_id, action, payload)
        )
        expect = asyncio.ensure_future(cp.expect(timeout=self.timeout))
        await asyncio.wait([request, expect], return_when=asyncio.FIRST_COMPLETED)
        if not expect.done():
            expect.cancel()
            response = request.result()
            if may_refuse and 400 <= response.status_code < 500:
                return None, response  # type: ignore[return-value]
            raise AssertionError(
                f"CSMS did not send {action}: {response.status_code} {response.text}"
            )
        try:
            call = expect.result()
        except TimeoutError:
            response = await request
            raise AssertionError(
                f"CSMS did not send {action}: {response.status_code} {response.text}"
            ) from None
        assert call.action == action, f"expected {action}, CSMS sent {call.action}"
        if error is not None:
            await cp.reply_error(call, error, "scenario error")
        else:
            await cp.reply(call, answer(call) if callable(answer) else (answer or {}))
        return call, await request

    async def relays(
        self, cp: ChargePoint, action: str, payload: dict, answer: dict
    ) -> IncomingCall:
        """The CSMS sends exactly ``payload`` and the operator API returns the station's answer."""
        call, response = await self.csms_sends(cp, action, payload, answer)
        assert call.payload == payload, call.payload
        assert response.status_code == 200 and response.json() == answer, response.text
        return call

    async def id_tag(
        self,
        tag: str | None = None,
        status: str = "Accepted",
        expiry_date: str | None = None,
        parent_id_tag: str | None = None,
    ) -> str:
        """Create an id tag through the core plugin's API; returns the tag."""
        tag = tag or f"{self.prefix[:8]}{secrets.token_hex(4)}".upper()[:20]
        body: dict[str, Any] = {"idTag": tag, "status": status}
        if expiry_date:
            body["expiryDate"] = expiry_date
        if parent_id_tag:
            body["parentIdTag"] = parent_id_tag
        response = await self.api.post("/id-tags", json=body)
        if response.status_code == 404 and self.available is None:
            raise Skip("the CSMS has no id tag API (core plugin)")
        assert response.status_code in (200, 201), response.text
        self.id_tags.append(tag)
        return tag


BOOT = {
    "chargePointVendor": "OcttVendor",
    "chargePointModel": "OcttModel",
    "chargePointSerialNumber": "CP-SERIAL-1",
    "chargeBoxSerialNumber": "CB-SERIAL-1",
    "firmwareVersion": "1.2.3",
    "iccid": "8931000000000000001",
    "imsi": "204040000000001",
    "meterType": "OcttMeter",
    "meterSerialNumber": "M-1",
}


async def status(
    cp: ChargePoint, connector_id: int, state: str, error_code: str = "NoError", **extra: Any
) -> None:
    """StatusNotification; the CSMS must answer with an empty CALLRESULT."""
    from csms_core.rpc import utc_now_iso

    payload = {
        "connectorId": connector_id,
        "status": state,
        "errorCode": error_code,
        "timestamp": utc_now_iso(),
        **extra,
    }
    assert await cp.call("StatusNotification", payload) == {}


def available_actions(app: Any) -> set[str]:
    """The actions an in-process CSMS (``csms_core.app.Csms``) handles or can send."""
    return set(app.registry.handlers) | set(app.registry.actions)


def missing_requirements(sc: Scenario, available: set[str] | None) -> str | None:
    """Why ``sc`` cannot run against a CSMS handling ``available`` actions, or None."""
    if available is None:
        return None
    missing = [a for a in sc.requires if a not in available]
    if not missing:
        return None
    plugins = sorted({ACTION_PLUGINS.get(a, "?") for a in missing})
    return f"pending plugin {', '.join(plugins)}: CSMS does not handle {', '.join(missing)}"


async def run(sc: Scenario, ctx: Context) -> None:
    """Run one scenario (raises Skip, AssertionError or whatever failed)."""
    reason = missing_requirements(sc, ctx.available)
    if reason:
        raise Skip(reason)
    try:
        await sc.fn(ctx)
    finally:
        await ctx.close()


def load_all() -> dict[str, Scenario]:
    """Import every scenario module (registration happens on import)."""
    from . import (  # noqa: F401
        core,
        firmware,
        localauth,
        remotetrigger,
        reservation,
        security,
        smartcharging,
    )

    return SCENARIOS
