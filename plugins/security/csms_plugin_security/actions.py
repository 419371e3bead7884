"""CSMS-initiated actions of the whitepaper this plugin owns: the rules checked before they
are sent (422, nothing sent) and the record of every answer, whichever route sent them."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp

from csms_core import Csms, PayloadRejected

from . import store
from .messages import TRIGGERED

CERTIFICATE_SIGNED = "CertificateSigned"
INSTALL_CERTIFICATE = "InstallCertificate"
DELETE_CERTIFICATE = "DeleteCertificate"
GET_INSTALLED = "GetInstalledCertificateIds"
EXTENDED_TRIGGER = "ExtendedTriggerMessage"
ACTIONS = (
    CERTIFICATE_SIGNED,
    INSTALL_CERTIFICATE,
    DELETE_CERTIFICATE,
    GET_INSTALLED,
    EXTENDED_TRIGGER,
)


def certificates(pem: str) -> list[x509.Certificate]:
    """The PEM certificates in ``pem``; PayloadRejected if there are none or one is broken."""
    try:
        found = x509.load_pem_x509_certificates(pem.encode())
    except ValueError:
        found = []
    if not found:
        # A00.FR.507: certificates travel as PEM-encoded X.509.
        raise PayloadRejected("not one or more PEM-encoded X.509 certificates")
    return found


def hash_data(certificate: x509.Certificate, issuer: x509.Certificate | None = None) -> dict:
    """CertificateHashDataType (6.1): OCSP's CertID (RFC 6960) with SHA-256, as cryptography's
    OCSP builder computes it. For a root CA (what InstallCertificate sends) the issuer is the
    certificate itself."""
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(certificate, issuer or certificate, hashes.SHA256())
        .build()
    )
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": request.issuer_name_hash.hex(),
        "issuerKeyHash": request.issuer_key_hash.hex(),
        "serialNumber": format(request.serial_number, "x"),
    }


def describe(certificate: x509.Certificate) -> dict:
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serialNumber": format(certificate.serial_number, "x"),
        "notAfter": certificate.not_valid_after_utc.isoformat(),
    }


# --- checks ---------------------------------------------------------------------------------


def check_certificate_signed(app: Csms, station_id: str, payload: dict) -> None:
    certificates(payload["certificateChain"])


def check_install(app: Csms, station_id: str, payload: dict) -> None:
    found = certificates(payload["certificate"])
    if len(found) != 1:
        raise PayloadRejected("InstallCertificate carries one certificate")
    constraints = _basic_constraints(found[0])
    if constraints is None or not constraints.ca:
        # M05: InstallCertificate installs root certificates; a station's own certificate
        # comes with CertificateSigned.
        raise PayloadRejected("not a CA certificate (basicConstraints CA:TRUE)")


def _basic_constraints(certificate: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def check_extended_trigger(app: Csms, station_id: str, payload: dict) -> None:
    connector_id = payload.get("connectorId")
    if connector_id is not None and connector_id <= 0:
        raise PayloadRejected("connectorId must be greater than 0 (5.5)")
    triggered = TRIGGERED[payload["requestedMessage"]]
    if triggered not in app.registry.handlers:
        # The station's message would be answered NotSupported: do not ask for it.
        raise PayloadRejected(f"no enabled plugin handles {triggered}; not triggering it")


def permits_extended_trigger(payload: dict) -> list[str]:
    # Like TriggerMessage (OCPP 1.6 4.2): a Pending station may send what it was asked for.
    return [TRIGGERED[payload["requestedMessage"]]]


# --- records --------------------------------------------------------------------------------


def summary(action: str, payload: dict) -> dict:
    """The request as recorded: certificates described, not copied."""
    if action == CERTIFICATE_SIGNED:
        return {"certificates": [describe(c) for c in certificates(payload["certificateChain"])]}
    if action == INSTALL_CERTIFICATE:
        [certificate] = certificates(payload["certificate"])
        return {
            "certificateType": payload["certificateType"],
            "certificate": describe(certificate),
            "certificateHashData": hash_data(certificate),
        }
    return dict(payload)


async def record(
    app: Csms,
    station_id: str,
    action: str,
    request: dict,
    response: dict | None = None,
    error: str | None = None,
) -> None:
    await store.record_call(
        app,
        station_id,
        action,
        summary(action, request),
        status=response.get("status") if response else None,
        response=response if action == GET_INSTALLED else None,
        error=error[:500] if error else None,
    )


def register(register_action: Any) -> None:
    checks = {
        CERTIFICATE_SIGNED: check_certificate_signed,
        INSTALL_CERTIFICATE: check_install,
        EXTENDED_TRIGGER: check_extended_trigger,
    }
    for action in ACTIONS:

        async def recorded(
            app: Csms, station_id: str, request: dict, response: dict, action: str = action
        ) -> None:
            await record(app, station_id, action, request, response=response)

        register_action(
            action,
            check=checks.get(action),
            on_result=recorded,
            permits=permits_extended_trigger if action == EXTENDED_TRIGGER else None,
        )
