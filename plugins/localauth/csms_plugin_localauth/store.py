"""Storage: authorization lists, station assignments and the mirrors of what stations hold.
Module-level functions taking ``app`` first, each opening its own session
(``app.db.read()`` to read, ``app.db.transaction()`` to write)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate
from csms_core.storage.types import utcnow

from .lists import Entries, apply_update
from .models import AuthList, AuthListMember, MirrorEntry, StationList

Out = TypeVar("Out", bound=BaseModel)


@dataclass
class AuthListView:
    """An authorization list with its members and the stations it is assigned to."""

    id: int
    name: str
    description: str | None
    id_tags: list[str]
    stations: list[str]
    created_at: datetime
    updated_at: datetime


# --- authorization lists ------------------------------------------------------------------


async def auth_list(app: Csms, list_id: int) -> AuthListView | None:
    async with app.db.read() as session:
        row = await session.get(AuthList, list_id)
        if row is None:
            return None
        [view] = await _views(session, [row])
        return view


async def auth_lists(app: Csms, page: Page, model: type[Out]) -> Paged[Out]:
    """Every authorization list, oldest first, as a page of ``model``."""
    async with app.db.read() as session:
        paged = await paginate(session, select(AuthList).order_by(AuthList.id), page)
        views = await _views(session, paged.items)
    page_of = Paged[model]  # type: ignore[valid-type]
    items = [model.model_validate(view) for view in views]
    return page_of(items=items, total=paged.total, offset=page.offset, limit=page.limit)


async def _views(session: AsyncSession, rows: Iterable[AuthList]) -> list[AuthListView]:
    """The lists ``rows`` with their members and stations: two queries for all of them."""
    rows = list(rows)
    ids = [row.id for row in rows]
    members: dict[int, list[str]] = {list_id: [] for list_id in ids}
    stations: dict[int, list[str]] = {list_id: [] for list_id in ids}
    for list_id, id_tag in await session.execute(
        select(AuthListMember.auth_list_id, AuthListMember.id_tag)
        .where(AuthListMember.auth_list_id.in_(ids))
        .order_by(AuthListMember.id_tag)
    ):
        members[list_id].append(id_tag)
    for list_id, station_id in await session.execute(
        select(StationList.auth_list_id, StationList.station_id)
        .where(StationList.auth_list_id.in_(ids))
        .order_by(StationList.station_id)
    ):
        stations[list_id].append(station_id)
    return [
        AuthListView(
            id=row.id,
            name=row.name,
            description=row.description,
            id_tags=members[row.id],
            stations=stations[row.id],
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


async def name_taken(app: Csms, name: str, other_than: int | None = None) -> bool:
    async with app.db.read() as session:
        found = await session.scalar(select(AuthList.id).where(AuthList.name == name))
        return found is not None and found != other_than


async def create_list(app: Csms, name: str, description: str | None, id_tags: list[str]) -> int:
    now = utcnow()
    async with app.db.transaction() as session:
        row = AuthList(name=name, description=description, created_at=now, updated_at=now)
        session.add(row)
        await session.flush()
        session.add_all(AuthListMember(auth_list_id=row.id, id_tag=t) for t in id_tags)
        return row.id


async def update_list(
    app: Csms,
    list_id: int,
    values: dict[str, Any],
    replace: list[str] | None,
    add: list[str],
    remove: list[str],
) -> None:
    async with app.db.transaction() as session:
        row = await session.get(AuthList, list_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        members = set(await _members(session, list_id))
        target = set(replace) if replace is not None else set(members)
        target = (target | set(add)) - set(remove)
        if members - target:
            await session.execute(
                delete(AuthListMember).where(
                    AuthListMember.auth_list_id == list_id,
                    AuthListMember.id_tag.in_(members - target),
                )
            )
        session.add_all(
            AuthListMember(auth_list_id=list_id, id_tag=t) for t in sorted(target - members)
        )


async def delete_list(app: Csms, list_id: int) -> None:
    async with app.db.transaction() as session:
        await session.execute(delete(AuthListMember).where(AuthListMember.auth_list_id == list_id))
        await session.execute(delete(AuthList).where(AuthList.id == list_id))


async def _members(session: AsyncSession, list_id: int) -> list[str]:
    rows = await session.scalars(
        select(AuthListMember.id_tag)
        .where(AuthListMember.auth_list_id == list_id)
        .order_by(AuthListMember.id_tag)
    )
    return list(rows)


# --- stations -----------------------------------------------------------------------------


async def station_state(app: Csms, station_id: str) -> StationList | None:
    async with app.db.read() as session:
        return await session.get(StationList, station_id)


async def assign(app: Csms, station_id: str, list_id: int | None) -> None:
    async with app.db.transaction() as session:
        state = await _state(session, station_id)
        state.auth_list_id = list_id


async def forget_station(app: Csms, station_id: str) -> None:
    """The station was deleted: its list assignment and the mirror of what it holds."""
    async with app.db.transaction() as session:
        await session.execute(delete(MirrorEntry).where(_mirrored(station_id)))
        await session.execute(delete(StationList).where(StationList.station_id == station_id))


async def members_for(app: Csms, station_id: str) -> set[str] | None:
    """The station's authorization list members, or None for 'every valid tag'."""
    async with app.db.read() as session:
        state = await session.get(StationList, station_id)
        if state is None or state.auth_list_id is None:
            return None
        return set(await _members(session, state.auth_list_id))


async def mirror(app: Csms, station_id: str) -> Entries:
    async with app.db.read() as session:
        return {r.id_tag: dict(r.id_tag_info) for r in await _mirror_rows(session, station_id)}


async def _mirror_rows(session: AsyncSession, station_id: str) -> list[MirrorEntry]:
    return list(await session.scalars(select(MirrorEntry).where(_mirrored(station_id))))


def _mirrored(station_id: str) -> Any:
    return MirrorEntry.station_id == station_id


async def mirror_size(app: Csms, station_id: str) -> int:
    async with app.db.read() as session:
        size = await session.scalar(
            select(func.count()).select_from(MirrorEntry).where(_mirrored(station_id))
        )
        return size or 0


async def record_send(app: Csms, station_id: str, request: dict, status: str) -> None:
    """A SendLocalList answer: Accepted applies the update to the mirror."""
    version = request["listVersion"]
    update_type = request["updateType"]
    now = utcnow()
    async with app.db.transaction() as session:
        state = await _state(session, station_id)
        state.highest_version = max(state.highest_version or 0, version)
        state.last_attempt_at = now
        state.last_update_type = update_type
        state.last_result = status
        if status == "VersionMismatch":
            state.needs_full = True
        if status != "Accepted":
            return
        current = {r.id_tag: r for r in await _mirror_rows(session, station_id)}
        after = apply_update(
            {t: dict(r.id_tag_info) for t, r in current.items()},
            update_type,
            request.get("localAuthorizationList") or [],
        )
        for id_tag, row in current.items():
            if id_tag not in after:
                await session.delete(row)
            elif row.id_tag_info != after[id_tag]:
                row.id_tag_info = after[id_tag]
        session.add_all(
            MirrorEntry(station_id=station_id, id_tag=t, id_tag_info=info)
            for t, info in after.items()
            if t not in current
        )
        state.list_version = version
        state.last_sync_at = now
        if update_type == "Full":
            state.needs_full = False


async def record_failure(
    app: Csms, station_id: str, request: dict, result: str, unsure: bool
) -> None:
    """A SendLocalList without an answer; ``unsure``: the station may have applied it."""
    async with app.db.transaction() as session:
        state = await _state(session, station_id)
        state.highest_version = max(state.highest_version or 0, request["listVersion"])
        state.last_attempt_at = utcnow()
        state.last_update_type = request["updateType"]
        state.last_result = result[:100]
        if unsure:
            state.needs_full = True


async def record_reported_version(app: Csms, station_id: str, version: int) -> None:
    """A GetLocalListVersion answer: when it contradicts the mirror, the mirror is stale."""
    async with app.db.transaction() as session:
        state = await _state(session, station_id)
        state.reported_version = version
        state.reported_at = utcnow()
        if version != -1 and version != state.list_version:
            if version == 0:  # the station says its list is empty: we know that state
                await session.execute(delete(MirrorEntry).where(_mirrored(station_id)))
                state.list_version = 0
            else:
                state.needs_full = True


async def _state(session: AsyncSession, station_id: str) -> StationList:
    state = await session.get(StationList, station_id)
    if state is None:
        state = StationList(
            station_id=station_id, list_version=0, highest_version=0, needs_full=False
        )
        session.add(state)
    return state
