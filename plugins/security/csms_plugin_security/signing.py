"""Issuing a charge point certificate and sending it back (CertificateSigned, A02/A03)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import update

from csms_core.errors import CallFailed

from . import ca
from .models import SignRequest

log = logging.getLogger("csms.security")
NAME = "security"


async def authority(app: Any) -> ca.Authority:
    """The configured CA, loaded once per process (raises OSError / ValueError)."""
    state = app.state.setdefault(NAME, {})
    loaded = state.get("authority")
    if loaded is None:
        settings = app.settings_for(NAME)
        loaded = await asyncio.to_thread(ca.Authority.load, settings.ca_cert, settings.ca_key)
        state["authority"] = loaded
    return loaded


async def issue(
    app: Any,
    station_id: str,
    request_id: int,
    authority: ca.Authority,
    csr: x509.CertificateSigningRequest,
) -> None:
    days = app.settings_for(NAME).certificate_days
    certificate = await asyncio.to_thread(ca.sign, authority, csr, days)
    chain = authority.chain_pem(certificate)
    serial = format(certificate.serial_number, "X")
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    await _record(app, request_id, serial_number=serial, certificate=pem)
    log.info("%s: signed certificate %s; sending CertificateSigned", station_id, serial)
    try:
        response = await app.call(station_id, "CertificateSigned", {"certificateChain": chain})
    except CallFailed as exc:
        # The station asks again (A03) or the operator triggers it (A02); nothing to retry here.
        log.warning("%s: CertificateSigned failed: %s", station_id, exc)
        await _record(app, request_id, error=str(exc)[:500], answered_at=datetime.now(UTC))
        return
    await _record(
        app, request_id, certificate_status=response["status"], answered_at=datetime.now(UTC)
    )


async def _record(app: Any, request_id: int, **values: Any) -> None:
    async with app.db.session() as session, session.begin():
        await session.execute(
            update(SignRequest).where(SignRequest.id == request_id).values(values)
        )
