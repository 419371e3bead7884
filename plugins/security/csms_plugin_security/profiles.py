"""AuthorizationKey (whitepaper A01; TC_073) and SecurityProfile (A05; TC_083) updates.

Both are ChangeConfiguration calls, an action the Core plugin owns: the rules are a
``check_call`` and the effects a ``call_completed`` observer, so they hold whichever route
sent the call (this plugin's, Core's configuration route, the generic call route).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from csms_core import Csms, PayloadRejected
from csms_core.security import check_password_rules

from . import store

log = logging.getLogger("csms.security")

CHANGE_CONFIGURATION = "ChangeConfiguration"
AUTHORIZATION_KEY = "AuthorizationKey"
SECURITY_PROFILE = "SecurityProfile"


async def current_profile(app: Csms, station: Any) -> int:
    """The station's profile as far as we know: the kernel's minimum or what it last used."""
    known = await store.profile_state(app, station.id)
    used = known.connected_profile if known and known.connected_profile is not None else 0
    return max(station.min_security_profile, used)


def key_is(key: str, name: str) -> bool:
    """OCPP 1.6 configuration keys are case-insensitive (a station takes ``securityprofile``)."""
    return key.lower() == name.lower()


async def check(app: Csms, station_id: str, payload: dict) -> None:
    """Refuse (422, nothing sent) what the whitepaper forbids or cannot work on this server."""
    key = payload["key"]
    if key_is(key, AUTHORIZATION_KEY):
        problem = check_password_rules(payload["value"])
        if problem:
            raise PayloadRejected(problem)  # names the rule, never the value
        return
    if not key_is(key, SECURITY_PROFILE):
        return
    value = payload["value"].strip()
    if value not in ("1", "2", "3"):
        raise PayloadRejected("SecurityProfile must be 1, 2 or 3")
    wanted = int(value)
    station = await app.stations.get(station_id)
    if station is None:
        return  # the kernel answers "unknown station"
    current = await current_profile(app, station)
    if wanted <= current:
        # A00.FR.005: lowering goes outside OCPP; A05.FR.01: the station rejects equal too.
        raise PayloadRejected(
            f"station {station_id!r} uses security profile {current}; only a higher one can be "
            "set over OCPP (lowering is an operator's job: PATCH minSecurityProfile)"
        )
    settings = app.settings
    if wanted in (1, 2) and station.password_hash is None:
        raise PayloadRejected(
            f"security profile {wanted} uses Basic auth: set the station's AuthorizationKey first"
        )
    if wanted >= 2 and not (settings.tls_cert and settings.tls_key):
        raise PayloadRejected(
            f"security profile {wanted} needs TLS: this server has no tls_cert / tls_key"
        )
    if wanted == 3 and not settings.tls_ca:
        raise PayloadRejected(
            "security profile 3 needs client certificates: this server has no tls_ca"
        )


async def completed(
    app: Csms, station_id: str, request: dict, response: dict | None, error: Any
) -> None:
    key = request.get("key", "")
    if key_is(key, AUTHORIZATION_KEY):
        await _authorization_key_completed(app, station_id, request, response, error)
    elif key_is(key, SECURITY_PROFILE) and response and response.get("status") == "Accepted":
        await store.save_profile_state(
            app,
            station_id,
            pending_profile=int(request["value"]),
            pending_since=datetime.now(UTC),
        )
        log.info("%s accepted security profile %s", station_id, request["value"])


async def _authorization_key_completed(
    app: Csms, station_id: str, request: dict, response: dict | None, error: Any
) -> None:
    status = response.get("status") if response else None
    if status == "Accepted":
        # A01.FR.03: from now on only the new key; stored hashed by the kernel (A01.FR.08).
        await app.stations.update(station_id, password=request["value"])
        log.info("%s accepted a new AuthorizationKey; the old one no longer works", station_id)
    elif error is not None:
        # Unknown whether the station took it: keep the old key (A01.FR.04 errs this way too).
        log.warning(
            "%s: AuthorizationKey change got no answer (%s); keeping the old key",
            station_id,
            type(error).__name__,
        )
    else:
        # A01.FR.04: Rejected / NotSupported / RebootRequired: the old key stays valid.
        log.info(
            "%s answered %s to a new AuthorizationKey; keeping the old one", station_id, status
        )


async def connected(app: Csms, station_id: str, security_profile: int) -> None:
    # A station reconnecting with its usual profile costs a (batched) read and no write.
    known = await store.profile_state(app, station_id)
    pending = known.pending_profile if known else None
    if pending is not None and security_profile >= pending:
        # A05.FR.09: it came back with the new profile: never a lower one again.
        station = await app.stations.get(station_id)
        if station is not None and station.min_security_profile < pending:
            await app.stations.update(station_id, min_security_profile=pending)
        log.info("%s connected with security profile %s; minimum raised", station_id, pending)
        await store.save_profile_state(
            app,
            station_id,
            connected_profile=security_profile,
            pending_profile=None,
            pending_since=None,
        )
    elif known is None or known.connected_profile != security_profile:
        await store.record_connected_profile(app, station_id, security_profile)
