"""InstallCertificate (M05; TC_075), GetInstalledCertificateIds (M03) and DeleteCertificate
(M04; TC_076): the rules checked before sending and the record of every answer."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from csms_core.testing import ChargePoint


@pytest.fixture(scope="module")
def root() -> trustme.CA:
    return trustme.CA()


def expected_hash_data(ca: trustme.CA) -> dict:
    """RFC 6960 CertID of a self-signed EC root, computed without the plugin's code: the
    name hash over the issuer DN, the key hash over the EC point (the BIT STRING's value)."""
    certificate = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    point = certificate.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": hashlib.sha256(certificate.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.sha256(point).hexdigest(),
        "serialNumber": format(certificate.serial_number, "x"),
    }


async def send(api: httpx.AsyncClient, cp: ChargePoint, path: str, body: dict, answer: dict):
    request = asyncio.create_task(api.post(f"/stations/CP1/{path}", json=body))
    call = await cp.expect()
    await cp.reply(call, answer)
    response = await request
    assert response.status_code == 200, response.text
    return call, response.json()


async def calls(api: httpx.AsyncClient, **params: Any) -> list[dict]:
    response = await api.get("/stations/CP1/certificate-calls", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize(
    ("case", "certificate_type"),
    [("TC_075_1", "CentralSystemRootCertificate"), ("TC_075_2", "ManufacturerRootCertificate")],
)
async def test_tc075_install_certificate(
    api: httpx.AsyncClient, cp: ChargePoint, root: trustme.CA, case: str, certificate_type: str
) -> None:
    pem = root.cert_pem.bytes().decode()
    body = {"certificateType": certificate_type, "certificate": pem}
    call, answer = await send(api, cp, "certificates/install", body, {"status": "Accepted"})
    assert call.action == "InstallCertificate"
    assert call.payload == body
    assert answer == {"status": "Accepted"}
    [record] = await calls(api)
    assert (record["action"], record["status"]) == ("InstallCertificate", "Accepted")
    assert record["request"]["certificateType"] == certificate_type
    # Recorded by its hash data (what DeleteCertificate needs), not by its PEM text.
    assert record["request"]["certificateHashData"] == expected_hash_data(root)
    assert "BEGIN CERTIFICATE" not in json.dumps(record)


@pytest.mark.parametrize("status", ["Rejected", "Failed"])
async def test_install_refused_by_the_station_is_recorded(
    api: httpx.AsyncClient, cp: ChargePoint, root: trustme.CA, status: str
) -> None:
    body = {
        "certificateType": "CentralSystemRootCertificate",
        "certificate": root.cert_pem.bytes().decode(),
    }
    _, answer = await send(api, cp, "certificates/install", body, {"status": status})
    assert answer == {"status": status}
    assert (await calls(api))[0]["status"] == status


async def test_install_checks_before_sending(
    api: httpx.AsyncClient, cp: ChargePoint, root: trustme.CA
) -> None:
    leaf = root.issue_cert("station.example").cert_chain_pems[0].bytes().decode()
    for certificate, reason in [
        ("not a certificate", "PEM-encoded X.509"),
        (leaf, "not a CA certificate"),
        (root.cert_pem.bytes().decode() * 2, "one certificate"),
    ]:
        body = {"certificateType": "CentralSystemRootCertificate", "certificate": certificate}
        response = await api.post("/stations/CP1/certificates/install", json=body)
        assert response.status_code == 422 and reason in response.text, response.text
        generic = await api.post("/stations/CP1/calls/InstallCertificate", json=body)
        assert generic.status_code == 422
    assert cp.received.empty()
    assert await calls(api) == []


async def test_tc076_get_installed_and_delete_certificate(
    api: httpx.AsyncClient, cp: ChargePoint, root: trustme.CA
) -> None:
    hash_data = expected_hash_data(root)
    # M03: ask what is installed; the answer is recorded per certificate type.
    body = {"certificateType": "CentralSystemRootCertificate"}
    call, answer = await send(
        api,
        cp,
        "certificates/query",
        body,
        {"status": "Accepted", "certificateHashData": [hash_data]},
    )
    assert (call.action, call.payload) == ("GetInstalledCertificateIds", body)
    assert answer == {"status": "Accepted", "certificateHashData": [hash_data]}
    [installed] = (await api.get("/stations/CP1/certificates")).json()["items"]
    assert installed["certificateType"] == "CentralSystemRootCertificate"
    assert installed["certificateHashData"] == [hash_data]
    # M04: delete it by those hashes (M04.FR.07: the algorithm it was installed with).
    call, answer = await send(
        api, cp, "certificates/delete", {"certificateHashData": hash_data}, {"status": "Accepted"}
    )
    assert (call.action, call.payload) == ("DeleteCertificate", {"certificateHashData": hash_data})
    assert answer == {"status": "Accepted"}
    # Not found the second time.
    _, answer = await send(
        api, cp, "certificates/delete", {"certificateHashData": hash_data}, {"status": "NotFound"}
    )
    assert answer == {"status": "NotFound"}
    assert [c["status"] for c in await calls(api, action="DeleteCertificate")] == [
        "NotFound",
        "Accepted",
    ]


async def test_get_installed_not_found(api: httpx.AsyncClient, cp: ChargePoint) -> None:
    body = {"certificateType": "ManufacturerRootCertificate"}
    _, answer = await send(api, cp, "certificates/query", body, {"status": "NotFound"})
    assert answer == {"status": "NotFound", "certificateHashData": []}
    [installed] = (await api.get("/stations/CP1/certificates")).json()["items"]
    assert (installed["status"], installed["certificateHashData"]) == ("NotFound", [])


async def test_installed_certificates_one_per_type_newest_answer_paged(
    api: httpx.AsyncClient, cp: ChargePoint, root: trustme.CA
) -> None:
    hash_data = expected_hash_data(root)
    for kind, answer in [
        ("ManufacturerRootCertificate", {"status": "Accepted", "certificateHashData": [hash_data]}),
        ("CentralSystemRootCertificate", {"status": "NotFound"}),
        ("ManufacturerRootCertificate", {"status": "NotFound"}),  # deleted since
    ]:
        await send(api, cp, "certificates/query", {"certificateType": kind}, answer)
    response = await api.get("/stations/CP1/certificates", params={"limit": 1})
    page = response.json()
    assert (page["total"], page["offset"], page["limit"]) == (2, 0, 1)
    [first] = page["items"]
    assert first["certificateType"] == "CentralSystemRootCertificate"
    [second] = (await api.get("/stations/CP1/certificates", params={"offset": 1})).json()["items"]
    assert (second["certificateType"], second["status"]) == (
        "ManufacturerRootCertificate",
        "NotFound",
    )
    assert second["certificateHashData"] == []


async def test_call_errors_are_recorded(api: httpx.AsyncClient, cp: ChargePoint) -> None:
    request = asyncio.create_task(
        api.post(
            "/stations/CP1/certificates/query",
            json={"certificateType": "ManufacturerRootCertificate"},
        )
    )
    await cp.reply_error(await cp.expect("GetInstalledCertificateIds"), "NotImplemented", "no")
    assert (await request).status_code == 502
    [record] = await calls(api)
    assert record["status"] is None and "NotImplemented" in record["error"]
    assert (await api.get("/stations/NOPE/certificate-calls")).status_code == 404
    offline = await api.post(
        "/stations/NOPE/certificates/query", json={"certificateType": "ManufacturerRootCertificate"}
    )
    assert offline.status_code == 404


async def test_cli_install_query_delete(
    cli: Any, cp: ChargePoint, root: trustme.CA, tmp_path: Any
) -> None:
    hash_data = expected_hash_data(root)
    cp.answer("InstallCertificate", {"status": "Accepted"})
    cp.answer(
        "GetInstalledCertificateIds", {"status": "Accepted", "certificateHashData": [hash_data]}
    )
    cp.answer("DeleteCertificate", {"status": "Accepted"})
    root.cert_pem.write_to_path(tmp_path / "root.pem")

    async def run(*args: str) -> Any:
        return json.loads((await cli("security", *args, "--json")).output)

    kind = "CentralSystemRootCertificate"
    assert await run("install", "CP1", kind, str(tmp_path / "root.pem")) == {"status": "Accepted"}
    asked = await run("certificates", "CP1", "--ask", kind)
    assert asked["certificateHashData"] == [hash_data]
    assert (await run("certificates", "CP1"))["items"][0]["certificateHashData"] == [hash_data]
    deleted = await run(
        "delete",
        "CP1",
        "--hash-algorithm",
        "SHA256",
        "--issuer-name-hash",
        hash_data["issuerNameHash"],
        "--issuer-key-hash",
        hash_data["issuerKeyHash"],
        "--serial-number",
        hash_data["serialNumber"],
    )
    assert deleted == {"status": "Accepted"}
    listed = await run("calls", "CP1")
    assert [c["action"] for c in listed["items"]][:3] == [
        "DeleteCertificate",
        "GetInstalledCertificateIds",
        "InstallCertificate",
    ]
