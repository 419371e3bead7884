"""Transport (OCPP-J), security-profile and security-whitepaper cases that run against any
server.

TC_086/TC_087 (TLS) need a server started with particular certificates; they live in the
pytest suite (tests/conformance/test_tls.py).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid

from websockets.exceptions import InvalidStatus

from csms_core.chargepoint import ChargePoint
from csms_core.rpc import utc_now_iso

from . import BOOT, Context, Skip, scenario


async def _refused(ctx: Context, cp: ChargePoint) -> int:
    """Open ``cp``; the handshake must fail. Returns the HTTP status."""
    try:
        await cp.connect()
    except InvalidStatus as exc:
        return exc.response.status_code
    ctx.stations.append(cp)
    raise AssertionError("the CSMS accepted the connection")


@scenario("TC_085", "Basic authentication (security profile 1)", "Security")
async def tc_085_basic_auth(ctx: Context) -> None:
    station_id = await ctx.register("CP")
    password = ctx.passwords[station_id]
    wrong = ChargePoint(ctx.ocpp_url, station_id, "wrong-password-0000000", ctx.ssl_context)
    assert await _refused(ctx, wrong) == 401
    missing = ChargePoint(ctx.ocpp_url, station_id, None, ctx.ssl_context)
    assert await _refused(ctx, missing) == 401
    cp = await ctx.connect("CP", password=password)
    assert cp.subprotocol == "ocpp1.6"


@scenario("TC_088", "WebSocket subprotocol negotiation", "Security")
async def tc_088_subprotocol(ctx: Context) -> None:
    await ctx.register("CP")
    cp = await ctx.connect("CP", subprotocols=("ocpp0.1", "ocpp1.6"))
    assert cp.subprotocol == "ocpp1.6"
    await cp.close()
    cp = await ctx.connect("CP", subprotocols=("ocpp1.6", "ocpp2.0.1"))
    assert cp.subprotocol == "ocpp1.6"


@scenario("NEG_SUBPROTOCOL", "Refuse a station offering no supported subprotocol", "Transport")
async def neg_bad_subprotocol(ctx: Context) -> None:
    station_id = await ctx.register("CP")
    cp = ChargePoint(
        ctx.ocpp_url, station_id, ctx.passwords[station_id], ctx.ssl_context, ("ocpp2.0.1",)
    )
    try:
        await cp.connect()
    except Exception:
        return  # refused during the handshake
    ctx.stations.append(cp)
    # Completed without agreeing on a subprotocol: no OCPP session may follow.
    assert cp.subprotocol is None
    assert cp.ws is not None
    await asyncio.wait_for(cp.ws.wait_closed(), ctx.timeout)


@scenario(
    "NEG_UNKNOWN_IDENTITY",
    "Refuse an unknown station identity with HTTP 401, as a wrong password",
    "Transport",
)
async def neg_unknown_identity(ctx: Context) -> None:
    station_id = ctx.station_id("NEVER-REGISTERED")
    cp = ChargePoint(ctx.ocpp_url, station_id, None, ctx.ssl_context)
    try:
        await cp.connect()
    except InvalidStatus as exc:
        # 401, as for a wrong password: ids cannot be told apart (enumerated) from outside.
        assert exc.response.status_code == 401
        return
    await cp.close()
    if ctx.available is None:  # a live server may run with CSMS_UNKNOWN_STATIONS=accept
        await ctx.api.delete(f"/stations/{station_id}")
        raise Skip("the CSMS accepts unknown stations (policy unknown_stations=accept)")
    raise AssertionError("the CSMS accepted an unknown station")


@scenario("NEG_MALFORMED", "Malformed frames get CALLERRORs, the connection stays up", "Transport")
async def neg_malformed_frames(ctx: Context) -> None:
    cp = await ctx.connect("CP")
    cases: list[tuple[str, str]] = [
        ("not json at all", "FormationViolation"),
        ('{"an": "object"}', "FormationViolation"),
        ("[2]", "FormationViolation"),
        ('[2, 42, "Heartbeat", {}]', "FormationViolation"),
        ('[2, "m1", "Heartbeat", []]', "FormationViolation"),
        ('[9, "m2", "Heartbeat", {}]', "PropertyConstraintViolation"),
    ]
    for text, code in cases:
        frame = await cp.send_frame(text)
        assert frame[0] == 4 and frame[2] == code, (text, frame)
        assert frame[4] == {}, "details must be an empty object"
    # Still connected and still processing: a CALL gets its (not yet booted) answer.
    frame = await cp.send_frame([2, "after", "Heartbeat", {}])
    assert frame[:3] == [4, "after", "SecurityError"], frame


@scenario("NEG_MESSAGE_ID", "Message ids longer than 36 characters are refused", "Transport")
async def neg_oversized_message_id(ctx: Context) -> None:
    cp = await ctx.connect("CP")
    long_id = "x" * 37
    frame = await cp.send_frame([2, long_id, "Heartbeat", {}])
    assert frame[0] == 4 and frame[1] == long_id and frame[2] == "ProtocolError", frame
    ok_id = "y" * 36  # the limit itself is fine (answered: not booted yet)
    frame = await cp.send_frame([2, ok_id, "Heartbeat", {}])
    assert frame[:3] == [4, ok_id, "SecurityError"], frame


@scenario(
    "NEG_BEFORE_BOOT", "CALLs before an accepted BootNotification get SecurityError", "Transport"
)
async def neg_calls_before_boot(ctx: Context) -> None:
    cp = await ctx.connect("CP")
    frame = await cp.send_frame([2, str(uuid.uuid4()), "Heartbeat", {}])
    assert frame[0] == 4 and frame[2] == "SecurityError", frame
    frame = await cp.send_frame([2, str(uuid.uuid4()), "StatusNotification", {"connectorId": 1}])
    assert frame[0] == 4 and frame[2] == "SecurityError", frame


@scenario(
    "NEG_UNKNOWN_ACTION",
    "Unknown actions get NotImplemented, invalid payloads a schema error code",
    "Transport",
    requires="BootNotification Heartbeat",
)
async def neg_unknown_action(ctx: Context) -> None:
    cp = await ctx.station("CP")
    frame = await cp.send_frame([2, "u1", "MakeCoffee", {}])
    assert frame[0] == 4 and frame[2] == "NotImplemented", frame
    frame = await cp.send_frame([2, "u2", "BootNotification", {"chargePointVendor": "V"}])
    assert frame[0] == 4 and frame[2] == "OccurenceConstraintViolation", frame
    frame = await cp.send_frame(
        [2, "u3", "BootNotification", {"chargePointVendor": 5, "chargePointModel": "M"}]
    )
    assert frame[0] == 4 and frame[2] == "TypeConstraintViolation", frame


@scenario(
    "NEG_DUPLICATE_ID",
    "A CALL repeated with the same message id is answered each time",
    "Transport",
    requires="BootNotification Heartbeat",
)
async def neg_duplicate_message_id(ctx: Context) -> None:
    cp = await ctx.station("CP")
    for _ in range(2):
        frame = await cp.send_frame([2, "same-id", "Heartbeat", {}])
        assert frame[0] == 3 and frame[1] == "same-id" and "currentTime" in frame[2]


@scenario(
    "NEG_CROSSING_CALLS",
    "Calls in both directions may cross; the CSMS keeps one outstanding call",
    "Transport",
    requires="BootNotification Heartbeat ClearCache",
)
async def neg_crossing_calls(ctx: Context) -> None:
    cp = await ctx.station("CP")
    request = asyncio.ensure_future(ctx.operator(cp.station_id, "ClearCache", {}))
    call = await cp.expect("ClearCache", timeout=ctx.timeout)
    # While the CSMS waits for our answer, our own CALL must still be answered.
    answer = await cp.call("Heartbeat", {})
    assert "currentTime" in answer
    await cp.reply(call, {"status": "Accepted"})
    response = await request
    assert response.status_code == 200 and response.json() == {"status": "Accepted"}


@scenario(
    "NEG_CALLERROR_502",
    "A station's CALLERROR reaches the operator as 502 with its code",
    "Transport",
    requires="BootNotification ClearCache",
)
async def neg_station_callerror(ctx: Context) -> None:
    cp = await ctx.station("CP")
    _call, response = await ctx.csms_sends(cp, "ClearCache", {}, None, error="InternalError")
    assert response.status_code == 502
    assert json.loads(response.text).get("errorCode") == "InternalError"


# --- security whitepaper messages (the security plugin) ---------------------------------------

# A self-signed CA certificate (EC P-256, CA:TRUE) to install; only its bytes matter here.
ROOT_PEM = """-----BEGIN CERTIFICATE-----
MIIBbDCCAROgAwIBAgIEXOehEDAKBggqhkjOPQQDAjA0MRkwFwYDVQQDDBBTY2Vu
YXJpbyBSb290IENBMRcwFQYDVQQKDA5jc21zLXNpbXVsYXRvcjAeFw0yNjAxMDEw
MDAwMDBaFw0zNjAxMDEwMDAwMDBaMDQxGTAXBgNVBAMMEFNjZW5hcmlvIFJvb3Qg
Q0ExFzAVBgNVBAoMDmNzbXMtc2ltdWxhdG9yMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAENlqALPF8sEo/HtFwSfY/f4rMP+CLfcK6iDCEIG7OA2W+Yzog9GCigg0X
XbABbKeYGw/HW9ab1/BTIpEiUDEtsqMTMBEwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNHADBEAh9Dk375sIR+wkQzPKxgMXxuW4WREazwXDr24fzKBbyVAiEA
zIMjrgsnF0NDIZcnOl5kIXhq5t9p/s1f3Qxg5b4tR6M=
-----END CERTIFICATE-----
"""

# The hash data a station reports for it (whitepaper 6.1); the hashes are stand-ins: the CSMS
# sends back what the station reported.
ROOT_HASH_DATA = {
    "hashAlgorithm": "SHA256",
    "issuerNameHash": "ab" * 32,
    "issuerKeyHash": "cd" * 32,
    "serialNumber": "5ce7a110",
}


@scenario(
    "TC_073",
    "Update Charge Point password for HTTP Basic Authentication",
    "Security",
    requires="ChangeConfiguration SecurityEventNotification",
)
async def tc_073_authorization_key(ctx: Context) -> None:
    cp = await ctx.station("CP")
    old = ctx.passwords[cp.station_id]
    new = secrets.token_hex(20)
    payload = {"key": "AuthorizationKey", "value": new}
    await ctx.relays(cp, "ChangeConfiguration", payload, {"status": "Accepted"})
    # The station reconnects with the new key; the old one is refused from now on (A01.FR.03).
    await cp.close()
    stale = ChargePoint(ctx.ocpp_url, cp.station_id, old, ctx.ssl_context)
    assert await _refused(ctx, stale) == 401
    ctx.passwords[cp.station_id] = new
    again = await ctx.connect("CP", password=new)
    assert (await ctx.call(again, "BootNotification", BOOT))["status"] == "Accepted"


@scenario(
    "TC_075_1",
    "Install a certificate on the Charge Point: CentralSystemRootCertificate",
    "Security",
    requires="InstallCertificate",
)
async def tc_075_1_install_central_system_root(ctx: Context) -> None:
    await _install(ctx, "CentralSystemRootCertificate")


@scenario(
    "TC_075_2",
    "Install a certificate on the Charge Point: ManufacturerRootCertificate",
    "Security",
    requires="InstallCertificate",
)
async def tc_075_2_install_manufacturer_root(ctx: Context) -> None:
    await _install(ctx, "ManufacturerRootCertificate")


async def _install(ctx: Context, certificate_type: str) -> None:
    cp = await ctx.station("CP")
    payload = {"certificateType": certificate_type, "certificate": ROOT_PEM}
    await ctx.relays(cp, "InstallCertificate", payload, {"status": "Accepted"})


@scenario(
    "TC_076",
    "Delete a specific certificate from the Charge Point",
    "Security",
    requires="GetInstalledCertificateIds DeleteCertificate",
)
async def tc_076_delete_certificate(ctx: Context) -> None:
    cp = await ctx.station("CP")
    hash_data = ROOT_HASH_DATA
    query = {"certificateType": "CentralSystemRootCertificate"}
    answer = {"status": "Accepted", "certificateHashData": [hash_data]}
    await ctx.relays(cp, "GetInstalledCertificateIds", query, answer)
    delete = {"certificateHashData": hash_data}
    await ctx.relays(cp, "DeleteCertificate", delete, {"status": "Accepted"})


@scenario(
    "TC_077",
    "Invalid ChargePointCertificate security event",
    "Security",
    requires="SecurityEventNotification",
)
async def tc_077_invalid_charge_point_certificate(ctx: Context) -> None:
    await _security_event(ctx, "InvalidChargePointCertificate")


@scenario(
    "TC_078",
    "Invalid CentralSystemCertificate security event",
    "Security",
    requires="SecurityEventNotification",
)
async def tc_078_invalid_central_system_certificate(ctx: Context) -> None:
    await _security_event(ctx, "InvalidCentralSystemCertificate")


async def _security_event(ctx: Context, kind: str) -> None:
    cp = await ctx.station("CP")
    event = {"type": kind, "timestamp": utc_now_iso(), "techInfo": "scenario"}
    assert await ctx.call(cp, "SecurityEventNotification", event) == {}
