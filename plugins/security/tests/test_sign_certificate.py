"""SignCertificate -> CertificateSigned (whitepaper A02/A03; TC_074), with a CA made at test
time, and ExtendedTriggerMessage that starts it."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from csms_core.testing import ChargePoint, eventually, ocpp_url, settle


def new_key(kind: str = "ec", bits: int = 2048) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return ec.generate_private_key(ec.SECP256R1())


def make_csr(
    common_name: str, organization: str | None = "ACME CPO", key=None
) -> tuple[str, object]:
    key = key or new_key()
    names = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(names))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_ca(ca: trustme.CA, folder: Path) -> dict[str, str]:
    cert, key = folder / "ca.pem", folder / "ca.key"
    ca.cert_pem.write_to_path(cert)
    ca.private_key_pem.write_to_path(key)
    return {"ca_cert": str(cert), "ca_key": str(key)}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA(organization_name="ACME CPO")


@pytest.fixture
async def signing_csms(make_csms: Any, ca: trustme.CA, tmp_path: Path) -> Any:
    return await make_csms(plugin_settings={"security": write_ca(ca, tmp_path)})


@pytest.fixture
async def sapi(signing_csms: Any, api_for: Any) -> Any:
    return api_for(signing_csms)


@pytest.fixture
async def scp(signing_csms: Any, connect_to: Any) -> ChargePoint:
    cp = await connect_to(signing_csms, "CP1")
    assert (await cp.boot())["status"] == "Accepted"
    return cp


async def sign_requests(api: httpx.AsyncClient) -> list[dict]:
    response = await api.get("/stations/CP1/sign-requests")
    assert response.status_code == 200, response.text
    return response.json()["items"]


def ca_certificate(ca: trustme.CA) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ca.cert_pem.bytes())


async def test_tc074_update_charge_point_certificate_by_request_of_csms(
    sapi: httpx.AsyncClient, scp: ChargePoint, ca: trustme.CA
) -> None:
    # 1. The operator asks the station for a CSR (ExtendedTriggerMessage).
    request = asyncio.create_task(
        sapi.post(
            "/stations/CP1/extended-trigger",
            json={"requestedMessage": "SignChargePointCertificate"},
        )
    )
    trigger = await scp.expect("ExtendedTriggerMessage")
    assert trigger.payload == {"requestedMessage": "SignChargePointCertificate"}
    await scp.reply(trigger, {"status": "Accepted"})
    assert (await request).json() == {"status": "Accepted"}
    # 2. SignCertificate: Accepted (A02.FR.11), then CertificateSigned after the answer.
    csr_pem, key = make_csr("CP1")
    assert await scp.call("SignCertificate", {"csr": csr_pem}) == {"status": "Accepted"}
    signed = await scp.expect("CertificateSigned")
    [leaf] = x509.load_pem_x509_certificates(signed.payload["certificateChain"].encode())
    leaf.verify_directly_issued_by(ca_certificate(ca))
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CP1"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "ACME CPO"
    assert leaf.public_key() == key.public_key()
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in usage
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    await scp.reply(signed, {"status": "Accepted"})

    async def answered() -> dict | None:
        [row] = await sign_requests(sapi)
        return row if row["certificateStatus"] else None

    row = await eventually(answered)
    assert (row["status"], row["certificateStatus"]) == ("Accepted", "Accepted")
    assert row["serialNumber"] == format(leaf.serial_number, "X")
    calls = (await sapi.get("/stations/CP1/certificate-calls")).json()["items"]
    assert [(c["action"], c["status"]) for c in calls] == [
        ("CertificateSigned", "Accepted"),
        ("ExtendedTriggerMessage", "Accepted"),
    ]
    assert "CN=CP1" in calls[0]["request"]["certificates"][0]["subject"]


async def test_tc074_station_then_connects_with_its_new_certificate(
    make_csms: Any, api_for: Any, ca: trustme.CA, tmp_path: Path
) -> None:
    """The certificate we sign is one the kernel accepts for security profile 3."""
    server = ca.issue_cert("127.0.0.1")
    server.cert_chain_pems[0].write_to_path(tmp_path / "server.pem")
    server.private_key_pem.write_to_path(tmp_path / "server.key")
    settings = write_ca(ca, tmp_path)
    app = await make_csms(
        plugin_settings={"security": settings},
        tls_cert=tmp_path / "server.pem",
        tls_key=tmp_path / "server.key",
        tls_ca=settings["ca_cert"],
    )
    await app.stations.create("CP1")
    factory = ssl.create_default_context()
    ca.configure_trust(factory)
    ca.issue_cert(common_name="CP1").configure_cert(factory)  # the manufacturer's certificate
    async with ChargePoint(ocpp_url(app), "CP1", ssl_context=factory) as cp:
        await cp.boot()
        csr_pem, key = make_csr("CP1")
        cp.answer("CertificateSigned", {"status": "Accepted"})
        assert await cp.call("SignCertificate", {"csr": csr_pem}) == {"status": "Accepted"}

        api = api_for(app, verify=factory)

        async def issued() -> str | None:
            [row] = (await api.get("/stations/CP1/sign-requests")).json()["items"]
            return row["certificate"] if row["certificateStatus"] else None

        certificate = await eventually(issued)
    (tmp_path / "cp1.pem").write_text(certificate)
    (tmp_path / "cp1.key").write_bytes(key_pem(key))
    renewed = ssl.create_default_context()
    ca.configure_trust(renewed)
    renewed.load_cert_chain(tmp_path / "cp1.pem", tmp_path / "cp1.key")
    async with ChargePoint(ocpp_url(app), "CP1", ssl_context=renewed) as cp:
        assert (await cp.boot())["status"] == "Accepted"


async def test_rsa_ca_signs_with_rsa_pss(connect_to: Any, make_csms: Any, tmp_path: Path) -> None:
    rsa_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    app = await make_csms(plugin_settings={"security": write_ca(rsa_ca, tmp_path)})
    cp = await connect_to(app, "CP1")
    await cp.boot()
    csr_pem, _ = make_csr("CP1", key=new_key("rsa"))
    assert await cp.call("SignCertificate", {"csr": csr_pem}) == {"status": "Accepted"}
    signed = await cp.expect("CertificateSigned")
    await cp.reply(signed, {"status": "Accepted"})
    [leaf] = x509.load_pem_x509_certificates(signed.payload["certificateChain"].encode())
    issuer_key = ca_certificate(rsa_ca).public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey)
    # A00.FR.505: RSA-PSS; verify() raises if the signature is not PSS with SHA-256.
    issuer_key.verify(
        leaf.signature,
        leaf.tbs_certificate_bytes,
        padding.PSS(mgf=padding.MGF1(leaf.signature_hash_algorithm), salt_length=32),
        leaf.signature_hash_algorithm,
    )


async def test_sub_ca_is_sent_with_the_certificate(
    connect_to: Any, make_csms: Any, tmp_path: Path
) -> None:
    root = trustme.CA()
    intermediate = root.create_child_ca()
    app = await make_csms(plugin_settings={"security": write_ca(intermediate, tmp_path)})
    cp = await connect_to(app, "CP1")
    await cp.boot()
    csr_pem, _ = make_csr("CP1")
    await cp.call("SignCertificate", {"csr": csr_pem})
    signed = await cp.expect("CertificateSigned")
    await cp.reply(signed, {"status": "Accepted"})
    chain = x509.load_pem_x509_certificates(signed.payload["certificateChain"].encode())
    assert len(chain) == 2
    chain[0].verify_directly_issued_by(chain[1])
    chain[1].verify_directly_issued_by(ca_certificate(root))


@pytest.mark.parametrize(
    ("csr", "reason"),
    [
        (lambda: make_csr("CP2")[0], "not the station's identity"),
        (lambda: "-----BEGIN CERTIFICATE REQUEST-----\nxx\n", "not a PEM"),
        (lambda: make_csr("CP1", key=new_key("rsa", 1024))[0], "at least 2048"),
    ],
)
async def test_bad_csrs_are_rejected(
    signing_csms: Any, sapi: httpx.AsyncClient, scp: ChargePoint, csr: Any, reason: str
) -> None:
    assert await scp.call("SignCertificate", {"csr": csr()}) == {"status": "Rejected"}
    [row] = await sign_requests(sapi)
    assert row["status"] == "Rejected" and reason in row["reason"]
    await settle(signing_csms)  # CertificateSigned would be sent by the after-reply work
    assert scp.received.empty()  # no CertificateSigned


async def test_csr_organization_must_be_the_cpo_name(
    connect_to: Any, make_csms: Any, ca: trustme.CA, tmp_path: Path
) -> None:
    settings = {**write_ca(ca, tmp_path), "cpo_name": "ACME CPO"}
    app = await make_csms(plugin_settings={"security": settings})
    cp = await connect_to(app, "CP1")
    await cp.boot()
    wrong = make_csr("CP1", organization="Other")[0]
    assert await cp.call("SignCertificate", {"csr": wrong}) == {"status": "Rejected"}
    right = make_csr("CP1")[0]
    cp.answer("CertificateSigned", {"status": "Accepted"})
    assert await cp.call("SignCertificate", {"csr": right}) == {"status": "Accepted"}


async def test_without_a_ca_sign_certificate_is_rejected(
    csms: Any, api: httpx.AsyncClient, connect: Any
) -> None:
    cp = await connect("CP1")
    await cp.boot()
    assert await cp.call("SignCertificate", {"csr": make_csr("CP1")[0]}) == {"status": "Rejected"}
    [row] = (await api.get("/stations/CP1/sign-requests")).json()["items"]
    assert "no CA configured" in row["reason"]
    await settle(csms)
    assert cp.received.empty()  # no CertificateSigned


async def test_tc077_station_rejects_the_certificate_and_reports_it(
    sapi: httpx.AsyncClient, scp: ChargePoint
) -> None:
    await scp.call("SignCertificate", {"csr": make_csr("CP1")[0]})
    signed = await scp.expect("CertificateSigned")
    await scp.reply(signed, {"status": "Rejected"})
    # A02.FR.07: the station discards it and raises a security event.
    event = {"type": "InvalidChargePointCertificate", "timestamp": "2026-01-01T00:00:00Z"}
    assert await scp.call("SecurityEventNotification", event) == {}

    async def answered() -> dict | None:
        [row] = await sign_requests(sapi)
        return row if row["certificateStatus"] else None

    assert (await eventually(answered))["certificateStatus"] == "Rejected"
    events = (await sapi.get("/stations/CP1/security-events")).json()["items"]
    assert events[0]["type"] == "InvalidChargePointCertificate"


def test_settings_need_both_ca_files() -> None:
    from csms_plugin_security.settings import SecuritySettings
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="go together"):
        SecuritySettings(ca_cert="ca.pem")
    assert not SecuritySettings().signing


async def test_unreadable_ca_rejects_and_logs(
    connect_to: Any, make_csms: Any, tmp_path: Path, caplog: Any
) -> None:
    settings = {"ca_cert": str(tmp_path / "missing.pem"), "ca_key": str(tmp_path / "missing.key")}
    app = await make_csms(plugin_settings={"security": settings})
    cp = await connect_to(app, "CP1")
    await cp.boot()
    answer = await cp.call("SignCertificate", {"csr": make_csr("CP1")[0]})
    assert answer == {"status": "Rejected"}
    assert "cannot load the CA" in caplog.text


# --- ExtendedTriggerMessage ------------------------------------------------------------------


async def test_extended_trigger_rules(api: httpx.AsyncClient, connect: Any) -> None:
    cp = await connect("CP1")
    await cp.boot()
    zero = {"requestedMessage": "MeterValues", "connectorId": 0}
    assert (await api.post("/stations/CP1/extended-trigger", json=zero)).status_code == 422
    generic = await api.post("/stations/CP1/calls/ExtendedTriggerMessage", json=zero)
    assert generic.status_code == 422 and "greater than 0" in generic.text
    assert cp.received.empty()
    request = asyncio.create_task(
        api.post(
            "/stations/CP1/extended-trigger",
            json={"requestedMessage": "StatusNotification", "connectorId": 1},
        )
    )
    call = await cp.expect("ExtendedTriggerMessage")
    assert call.payload == {"requestedMessage": "StatusNotification", "connectorId": 1}
    await cp.reply(call, {"status": "NotImplemented"})
    assert (await request).json() == {"status": "NotImplemented"}


async def test_extended_trigger_lets_a_pending_station_send_the_message(
    connect_to: Any, signing_csms: Any, sapi: httpx.AsyncClient
) -> None:
    cp = await connect_to(signing_csms, "CP1")
    # Never booted: not yet accepted, so only what was asked for may come in.
    request = asyncio.create_task(
        sapi.post(
            "/stations/CP1/extended-trigger",
            json={"requestedMessage": "SignChargePointCertificate"},
        )
    )
    await cp.reply(await cp.expect("ExtendedTriggerMessage"), {"status": "Accepted"})
    await request
    cp.answer("CertificateSigned", {"status": "Accepted"})
    answer = await cp.call("SignCertificate", {"csr": make_csr("CP1")[0]})
    assert answer == {"status": "Accepted"}
