"""Station-initiated messages of the security whitepaper, each stored before it is answered."""

from __future__ import annotations

import asyncio
import logging

from csms_core import StationContext
from csms_core.rpc import parse_timestamp

from . import PLUGIN, ca, signing, store

log = logging.getLogger("csms.security")


async def security_event_notification(station: StationContext, payload: dict) -> dict:
    # A04.FR.02: the station queues these for guaranteed delivery; confirm only what is stored.
    await store.record_event(
        station.app,
        station.id,
        payload["type"],
        parse_timestamp(payload["timestamp"]),
        payload.get("techInfo"),
    )
    log.info("%s security event %s", station.id, payload["type"])
    return {}


# --- SignCertificate (A02/A03; TC_074) ---------------------------------------------------------


async def sign_certificate(station: StationContext, payload: dict) -> dict:
    """Check the CSR and answer; sign it and send CertificateSigned once the answer is out."""
    app = station.app
    settings = app.settings_for(PLUGIN)
    status, reason, csr = "Accepted", None, None
    if not settings.signing:
        status, reason = "Rejected", "no CA configured (plugins.security.ca_cert / ca_key)"
    else:
        try:
            authority = await signing.authority(app)
            csr = await asyncio.to_thread(
                ca.check_csr, payload["csr"], station.id, settings.cpo_name
            )
        except ca.CsrRefused as exc:
            status, reason = "Rejected", str(exc)
        except (OSError, ValueError) as exc:
            # A02.FR.12: not able to process it. The operator's problem, said in the log.
            log.error("cannot load the CA to sign %s's certificate: %s", station.id, exc)
            status, reason = "Rejected", "the CA cannot be loaded"
    row_id = await store.record_sign_request(app, station.id, payload["csr"], status, reason)
    if csr is not None:
        station.after_reply(lambda: signing.issue(app, station.id, row_id, authority, csr))
    else:
        log.warning("%s SignCertificate rejected: %s", station.id, reason)
    return {"status": status}
