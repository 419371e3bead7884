"""AuthorizationKey update (A01; TC_073) and security profile upgrade (A05; TC_083): real
server, real charge points connecting with the old and new credentials."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any

import httpx
import pytest
import trustme
from csms_plugin_security import store
from websockets.exceptions import InvalidStatus

from csms_core.security import verify_password
from csms_core.testing import (
    TEST_PASSWORD,
    ChargePoint,
    eventually,
    ocpp_url,
)

NEW_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


async def refused(app: Any, station_id: str, password: str | None, **kwargs: Any) -> int:
    with pytest.raises(InvalidStatus) as caught:
        async with ChargePoint(ocpp_url(app), station_id, password, **kwargs):
            pass
    return caught.value.response.status_code


async def change_key(api: httpx.AsyncClient, cp: ChargePoint, status: str, **body: Any) -> Any:
    request = asyncio.create_task(api.post("/stations/CP1/authorization-key", json=body))
    call = await cp.expect("ChangeConfiguration")
    await cp.reply(call, {"status": status})
    response = await request
    assert response.status_code == 200, response.text
    assert response.json() == {"status": status}
    assert call.payload["key"] == "AuthorizationKey"
    return call.payload["value"]


async def change_configuration(
    api: httpx.AsyncClient, cp: ChargePoint, key: str, value: str
) -> None:
    """ChangeConfiguration through the generic call route, answered Accepted by ``cp``."""
    request = asyncio.create_task(
        api.post("/stations/CP1/calls/ChangeConfiguration", json={"key": key, "value": value})
    )
    await cp.reply(await cp.expect("ChangeConfiguration"), {"status": "Accepted"})
    assert (await request).json() == {"status": "Accepted"}


# --- TC_073: AuthorizationKey -----------------------------------------------------------------


async def test_tc073_update_authorization_key(
    csms: Any, api: httpx.AsyncClient, connect: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    cp = await connect("CP1", TEST_PASSWORD)
    assert (await cp.boot())["status"] == "Accepted"
    assert await change_key(api, cp, "Accepted", authorizationKey=NEW_KEY) == NEW_KEY
    # A01.FR.03: the old key no longer works, the new one does.
    await cp.close()
    assert await refused(csms, "CP1", TEST_PASSWORD) == 401
    async with ChargePoint(ocpp_url(csms), "CP1", NEW_KEY) as again:
        assert (await again.boot())["status"] == "Accepted"
    # A01.FR.08/09: stored hashed, never logged, not in the configuration snapshot.
    station = await csms.stations.get("CP1")
    assert NEW_KEY not in station.password_hash and verify_password(NEW_KEY, station.password_hash)
    assert NEW_KEY not in caplog.text
    snapshot = await csms.query("station_configuration", station_id="CP1") or {}
    assert NEW_KEY not in snapshot.values()


@pytest.mark.parametrize("status", ["Rejected", "NotSupported"])
async def test_tc073_key_not_accepted_keeps_the_old_one(
    csms: Any, api: httpx.AsyncClient, connect: Any, status: str
) -> None:
    cp = await connect("CP1", TEST_PASSWORD)
    await cp.boot()
    await change_key(api, cp, status, authorizationKey=NEW_KEY)
    await cp.close()
    # A01.FR.04: keep accepting the old credentials.
    assert await refused(csms, "CP1", NEW_KEY) == 401
    async with ChargePoint(ocpp_url(csms), "CP1", TEST_PASSWORD):
        pass


async def test_generated_key_and_the_generic_route(
    csms: Any, api: httpx.AsyncClient, connect: Any
) -> None:
    cp = await connect("CP1")
    await cp.boot()
    generated = await change_key(api, cp, "Accepted")
    assert len(generated) == 40 and int(generated, 16) >= 0
    await cp.close()
    async with ChargePoint(ocpp_url(csms), "CP1", generated) as again:
        # The rule and the effect hold on the generic call route too.
        await change_configuration(api, again, "AuthorizationKey", NEW_KEY)
    assert verify_password(NEW_KEY, (await csms.stations.get("CP1")).password_hash)


async def test_bad_keys_are_refused_before_sending(
    api: httpx.AsyncClient, connect: Any, caplog: Any
) -> None:
    cp = await connect("CP1")
    await cp.boot()
    short = await api.post("/stations/CP1/authorization-key", json={"authorizationKey": "short"})
    assert short.status_code == 422
    generic = await api.post(
        "/stations/CP1/calls/ChangeConfiguration",
        json={"key": "AuthorizationKey", "value": "x" * 41},
    )
    assert generic.status_code == 422
    assert "x" * 41 not in generic.text and "x" * 41 not in caplog.text
    assert cp.received.empty()
    missing = await api.post("/stations/NOPE/authorization-key", json={})
    assert missing.status_code == 404


# --- TC_083: security profile upgrade -----------------------------------------------------------


async def profile_of(api: httpx.AsyncClient, station_id: str = "CP1") -> dict:
    response = await api.get(f"/stations/{station_id}/security-profile")
    assert response.status_code == 200, response.text
    return response.json()


async def upgrade(api: httpx.AsyncClient, cp: ChargePoint, profile: int, status: str) -> None:
    request = asyncio.create_task(
        api.post("/stations/CP1/security-profile", json={"securityProfile": profile})
    )
    call = await cp.expect("ChangeConfiguration")
    assert call.payload == {"key": "SecurityProfile", "value": str(profile)}
    await cp.reply(call, {"status": status})
    response = await request
    assert response.status_code == 200, response.text
    assert response.json() == {"status": status}


async def test_tc083_upgrade_to_basic_auth(csms: Any, api: httpx.AsyncClient, connect: Any) -> None:
    cp = await connect("CP1")  # profile 0: no password yet
    await cp.boot()
    await eventually(lambda: profile_connected(csms, "CP1", 0))
    # Profile 1 needs a key first (the station would reject it too, A05.FR.02).
    refused_upgrade = await api.post("/stations/CP1/security-profile", json={"securityProfile": 1})
    assert refused_upgrade.status_code == 422 and "AuthorizationKey" in refused_upgrade.text
    await change_key(api, cp, "Accepted", authorizationKey=NEW_KEY)
    await upgrade(api, cp, 1, "Accepted")
    state = await profile_of(api)
    assert (state["minSecurityProfile"], state["pendingProfile"]) == (0, 1)
    # The station reconnects with the new profile (A05.FR.06/07): now the minimum (A05.FR.09).
    await cp.close()
    async with ChargePoint(ocpp_url(csms), "CP1", NEW_KEY) as again:
        await again.boot()

        async def raised() -> bool:
            return (await profile_of(api))["minSecurityProfile"] == 1

        await eventually(raised)
        state = await profile_of(api)
        assert (state["connectedProfile"], state["pendingProfile"]) == (1, None)
        # No downgrade, not even to the same profile (A00.FR.005, A05.FR.01), and no TLS here.
        for profile, reason in [(1, "only a higher one"), (2, "needs TLS"), (3, "needs TLS")]:
            response = await api.post(
                "/stations/CP1/security-profile", json={"securityProfile": profile}
            )
            assert response.status_code == 422 and reason in response.text
        assert again.received.empty()
    # The operator takes the password away: the station may not fall back to profile 0.
    await csms.stations.update("CP1", password=None)
    assert await refused(csms, "CP1", None) == 401


async def test_tc083_upgrade_rejected_changes_nothing(
    csms: Any, api: httpx.AsyncClient, connect: Any
) -> None:
    cp = await connect("CP1")  # profile 0, then given a password out of band
    await cp.boot()
    await eventually(lambda: profile_connected(csms, "CP1", 0))
    await csms.stations.update("CP1", password=TEST_PASSWORD)
    await upgrade(api, cp, 1, "Rejected")
    state = await profile_of(api)
    assert (state["minSecurityProfile"], state["pendingProfile"]) == (0, None)


async def test_profile_out_of_range_and_unknown_station(
    api: httpx.AsyncClient, connect: Any
) -> None:
    cp = await connect("CP1", TEST_PASSWORD)
    await cp.boot()
    for value in (0, 4):
        response = await api.post("/stations/CP1/security-profile", json={"securityProfile": value})
        assert response.status_code == 422
    generic = await api.post(
        "/stations/CP1/calls/ChangeConfiguration", json={"key": "SecurityProfile", "value": "0"}
    )
    assert generic.status_code == 422
    assert cp.received.empty()
    assert (await api.get("/stations/NOPE/security-profile")).status_code == 404


async def profile_connected(app: Any, station_id: str, profile: int) -> bool:
    known = await store.profile_state(app, station_id)
    return known is not None and known.connected_profile == profile


# --- over TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_csms(make_csms: Any, ca: trustme.CA, tmp_path: Any) -> Any:
    cert = ca.issue_cert("127.0.0.1")
    cert_path, key_path = tmp_path / "server.pem", tmp_path / "server.key"
    cert.cert_chain_pems[0].write_to_path(cert_path)
    cert.private_key_pem.write_to_path(key_path)
    return await make_csms(tls_cert=cert_path, tls_key=key_path)


@pytest.fixture
async def tls_api(tls_csms: Any, ca: trustme.CA, api_for: Any) -> httpx.AsyncClient:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return api_for(tls_csms, verify=context)


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


async def test_tc083_upgrade_to_tls_with_basic_auth(
    tls_csms: Any, tls_api: httpx.AsyncClient, ca: trustme.CA
) -> None:
    await tls_csms.stations.create("CP1", TEST_PASSWORD)
    cp = ChargePoint(ocpp_url(tls_csms), "CP1", ssl_context=trusting(ca))
    with pytest.raises(InvalidStatus):
        await cp.connect()  # it has a password
    cp = await ChargePoint(
        ocpp_url(tls_csms), "CP1", TEST_PASSWORD, ssl_context=trusting(ca)
    ).connect()
    try:
        await cp.boot()
        await eventually(lambda: profile_connected(tls_csms, "CP1", 2))
        # Basic auth over TLS is profile 2 already: asking for 2 is no upgrade.
        same = await tls_api.post("/stations/CP1/security-profile", json={"securityProfile": 2})
        assert same.status_code == 422 and "only a higher one" in same.text
        # Profile 3 needs client certificates, which this server does not ask for.
        three = await tls_api.post("/stations/CP1/security-profile", json={"securityProfile": 3})
        assert three.status_code == 422 and "tls_ca" in three.text
    finally:
        await cp.close()


async def test_tc083_upgrade_from_no_password_over_tls(
    tls_csms: Any, tls_api: httpx.AsyncClient, ca: trustme.CA
) -> None:
    await tls_csms.stations.create("CP1")
    cp = await ChargePoint(ocpp_url(tls_csms), "CP1", ssl_context=trusting(ca)).connect()
    await cp.boot()
    await eventually(lambda: profile_connected(tls_csms, "CP1", 0))
    await change_key(tls_api, cp, "Accepted", authorizationKey=NEW_KEY)
    await upgrade(tls_api, cp, 2, "Accepted")
    await cp.close()
    async with ChargePoint(ocpp_url(tls_csms), "CP1", NEW_KEY, ssl_context=trusting(ca)):

        async def raised() -> bool:
            return (await profile_of(tls_api))["minSecurityProfile"] == 2

        await eventually(raised)


# --- CLI --------------------------------------------------------------------------------------


async def test_cli_set_key_and_upgrade(csms: Any, connect: Any, cli: Any) -> None:
    cp = await connect("CP1")
    await cp.boot()
    cp.answer("ChangeConfiguration", {"status": "Accepted"})
    result = await cli("security", "set-key", "CP1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"status": "Accepted"}
    assert (await csms.stations.get("CP1")).password_hash is not None
    result = await cli("security", "upgrade-profile", "CP1", "1", "--json")
    assert result.exit_code == 0, result.output
    result = await cli("security", "profile", "CP1", "--json")
    assert json.loads(result.output)["pendingProfile"] == 1


async def test_concurrent_bookkeeping_creates_one_row(csms: Any) -> None:
    """A connection's record and an upgrade's answer may create a station's row at once."""
    await asyncio.gather(
        *(store.save_profile_state(csms, "CPX", connected_profile=n % 2) for n in range(4)),
        store.save_profile_state(csms, "CPX", pending_profile=2),
    )
    known = await store.profile_state(csms, "CPX")
    assert known is not None and known.pending_profile == 2


async def test_rules_and_effects_hold_whatever_the_case_of_the_key(
    csms: Any, api: httpx.AsyncClient, connect: Any
) -> None:
    """OCPP 1.6 keys are case-insensitive: a station takes ``securityprofile`` as well."""
    cp = await connect("CP1", TEST_PASSWORD)
    await cp.boot()
    for key, value in [
        ("authorizationkey", "short"),
        ("AUTHORIZATIONKEY", "x" * 41),
        ("securityprofile", "0"),
        ("SecurityPROFILE", "1"),  # not above the current profile 1 (a password)
    ]:
        response = await api.post(
            "/stations/CP1/calls/ChangeConfiguration", json={"key": key, "value": value}
        )
        assert response.status_code == 422, (key, value, response.text)
    assert cp.received.empty()
    # Accepted in another spelling: the new key is the station's password from now on.
    await change_configuration(api, cp, "authorizationKey", NEW_KEY)
    assert verify_password(NEW_KEY, (await csms.stations.get("CP1")).password_hash)
