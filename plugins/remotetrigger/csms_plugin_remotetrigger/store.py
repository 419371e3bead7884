"""Storage: the history of triggers sent, one row per TriggerMessage."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate
from csms_core.storage.types import utcnow

from .models import Trigger

Out = TypeVar("Out", bound=BaseModel)


async def record(
    app: Csms,
    station_id: str,
    request: dict,
    status: str | None = None,
    error: str | None = None,
) -> None:
    async with app.db.transaction() as session:
        session.add(
            Trigger(
                station_id=station_id,
                requested_message=request["requestedMessage"],
                connector_id=request.get("connectorId"),
                status=status,
                error=error[:500] if error else None,
                created_at=utcnow(),
            )
        )


async def history(app: Csms, station_id: str, page: Page, model: type[Out]) -> Paged[Out]:
    """The station's triggers, newest first, as a page of ``model``."""
    query = (
        select(Trigger)
        .where(Trigger.station_id == station_id)
        .order_by(Trigger.created_at.desc(), Trigger.id.desc())
    )
    async with app.db.read() as session:
        return await paginate(session, query, page, model)
