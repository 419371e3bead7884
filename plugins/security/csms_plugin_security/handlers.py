"""Station-initiated messages of the security whitepaper, each stored before it is answered."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from csms_core.rpc import parse_timestamp

from .models import SecurityEvent

log = logging.getLogger("csms.security")


async def security_event_notification(station: Any, payload: dict) -> dict:
    row = SecurityEvent(
        station_id=station.id,
        type=payload["type"],
        timestamp=parse_timestamp(payload["timestamp"]),
        tech_info=payload.get("techInfo"),
        received_at=datetime.now(UTC),
    )
    # A04.FR.02: the station queues these for guaranteed delivery; confirm only what is stored.
    async with station.app.db.session() as session, session.begin():
        session.add(row)
    log.info("%s security event %s", station.id, payload["type"])
    return {}
