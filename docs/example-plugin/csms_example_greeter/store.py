"""Storage: module-level functions taking ``app`` first, each opening its own session
(``app.db.read()`` to read, ``app.db.transaction()`` to write)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, select

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate
from csms_core.storage.types import utcnow

from .models import Greeting

Out = TypeVar("Out", bound=BaseModel)


async def record_greeting(app: Csms, station_id: str) -> None:
    async with app.db.transaction() as session:
        session.add(Greeting(station_id=station_id, greeted_at=utcnow()))


async def greetings(app: Csms, station_id: str, page: Page, model: type[Out]) -> Paged[Out]:
    """The station's greetings, newest first, as a page of ``model``."""
    query = (
        select(Greeting)
        .where(Greeting.station_id == station_id)
        .order_by(Greeting.greeted_at.desc(), Greeting.id.desc())
    )
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


async def forget_station(app: Csms, station_id: str) -> None:
    async with app.db.transaction() as session:
        await session.execute(delete(Greeting).where(Greeting.station_id == station_id))
