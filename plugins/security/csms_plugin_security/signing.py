"""Issuing a charge point certificate and sending it back (CertificateSigned, A02/A03)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from csms_core import Csms
from csms_core.errors import CallFailed

from . import PLUGIN, ca, store

log = logging.getLogger("csms.security")


@dataclass
class SigningState:
    """The plugin's runtime state on this node: ``app.plugin_state(PLUGIN, SigningState)``."""

    authority: ca.Authority | None = None  # the configured CA, once loaded


async def authority(app: Csms) -> ca.Authority:
    """The configured CA, loaded once per process (raises OSError / ValueError)."""
    state = app.plugin_state(PLUGIN, SigningState)
    if state.authority is None:
        settings = app.settings_for(PLUGIN)
        state.authority = await asyncio.to_thread(
            ca.Authority.load, settings.ca_cert, settings.ca_key
        )
    return state.authority


async def issue(
    app: Csms,
    station_id: str,
    request_id: int,
    authority: ca.Authority,
    csr: x509.CertificateSigningRequest,
) -> None:
    days = app.settings_for(PLUGIN).certificate_days
    certificate = await asyncio.to_thread(ca.sign, authority, csr, days)
    chain = authority.chain_pem(certificate)
    serial = format(certificate.serial_number, "X")
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    await store.update_sign_request(app, request_id, serial_number=serial, certificate=pem)
    log.info("%s: signed certificate %s; sending CertificateSigned", station_id, serial)
    try:
        response = await app.call(station_id, "CertificateSigned", {"certificateChain": chain})
    except CallFailed as exc:
        # The station asks again (A03) or the operator triggers it (A02); nothing to retry here.
        log.warning("%s: CertificateSigned failed: %s", station_id, exc)
        answer = {"error": str(exc)[:500]}
    else:
        answer = {"certificate_status": response["status"]}
    await store.update_sign_request(app, request_id, answered_at=datetime.now(UTC), **answer)
