"""Database access for authorization lists, station assignments and the mirrors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csms_core.storage.types import utcnow

from .lists import Entries, apply_update
from .models import AuthList, AuthListMember, MirrorEntry, StationList


class LocalAuthStore:
    def __init__(self, db: Any) -> None:
        self.db = db

    # --- authorization lists ----------------------------------------------------------

    async def get_list(self, list_id: int) -> tuple[AuthList, list[str]] | None:
        async with self.db.session() as session:
            auth_list = await session.get(AuthList, list_id)
            if auth_list is None:
                return None
            return auth_list, await _members(session, list_id)

    async def list_lists(self, offset: int, limit: int) -> tuple[list[tuple], int]:
        async with self.db.session() as session:
            total = await session.scalar(select(func.count()).select_from(AuthList)) or 0
            rows = await session.scalars(
                select(AuthList).order_by(AuthList.id).offset(offset).limit(limit)
            )
            return [(r, await _members(session, r.id)) for r in rows], total

    async def name_taken(self, name: str, other_than: int | None = None) -> bool:
        async with self.db.session() as session:
            found = await session.scalar(select(AuthList.id).where(AuthList.name == name))
            return found is not None and found != other_than

    async def create_list(self, name: str, description: str | None, id_tags: list[str]) -> int:
        now = utcnow()
        async with self.db.session() as session, session.begin():
            auth_list = AuthList(name=name, description=description, created_at=now, updated_at=now)
            session.add(auth_list)
            await session.flush()
            session.add_all(AuthListMember(auth_list_id=auth_list.id, id_tag=t) for t in id_tags)
            return auth_list.id

    async def update_list(
        self,
        list_id: int,
        values: dict[str, Any],
        replace: list[str] | None,
        add: list[str],
        remove: list[str],
    ) -> None:
        async with self.db.session() as session, session.begin():
            auth_list = await session.get(AuthList, list_id)
            assert auth_list is not None
            for key, value in values.items():
                setattr(auth_list, key, value)
            auth_list.updated_at = utcnow()
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

    async def delete_list(self, list_id: int) -> None:
        async with self.db.session() as session, session.begin():
            await session.execute(
                delete(AuthListMember).where(AuthListMember.auth_list_id == list_id)
            )
            await session.execute(delete(AuthList).where(AuthList.id == list_id))

    async def stations_using(self, list_id: int) -> list[str]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(StationList.station_id)
                .where(StationList.auth_list_id == list_id)
                .order_by(StationList.station_id)
            )
            return list(rows)

    # --- stations ---------------------------------------------------------------------

    async def state(self, station_id: str) -> StationList | None:
        async with self.db.session() as session:
            return await session.get(StationList, station_id)

    async def assign(self, station_id: str, list_id: int | None) -> None:
        async with self.db.session() as session, session.begin():
            state = await _state(session, station_id)
            state.auth_list_id = list_id

    async def forget_station(self, station_id: str) -> None:
        """The station was deleted: its list assignment and the mirror of what it holds."""
        async with self.db.session() as session, session.begin():
            await session.execute(delete(MirrorEntry).where(MirrorEntry.station_id == station_id))
            await session.execute(delete(StationList).where(StationList.station_id == station_id))

    async def members_for(self, station_id: str) -> set[str] | None:
        """The station's authorization list members, or None for 'every valid tag'."""
        async with self.db.session() as session:
            state = await session.get(StationList, station_id)
            if state is None or state.auth_list_id is None:
                return None
            return set(await _members(session, state.auth_list_id))

    async def mirror(self, station_id: str) -> Entries:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(MirrorEntry).where(MirrorEntry.station_id == station_id)
            )
            return {r.id_tag: dict(r.id_tag_info) for r in rows}

    async def mirror_size(self, station_id: str) -> int:
        async with self.db.session() as session:
            return (
                await session.scalar(
                    select(func.count())
                    .select_from(MirrorEntry)
                    .where(MirrorEntry.station_id == station_id)
                )
                or 0
            )

    async def record_send(self, station_id: str, request: dict, status: str) -> None:
        """A SendLocalList answer: Accepted applies the update to the mirror."""
        version = request["listVersion"]
        update_type = request["updateType"]
        now = utcnow()
        async with self.db.session() as session, session.begin():
            state = await _state(session, station_id)
            state.highest_version = max(state.highest_version or 0, version)
            state.last_attempt_at = now
            state.last_update_type = update_type
            state.last_result = status
            if status == "VersionMismatch":
                state.needs_full = True
            if status != "Accepted":
                return
            rows = await session.scalars(
                select(MirrorEntry).where(MirrorEntry.station_id == station_id)
            )
            current = {r.id_tag: r for r in rows}
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

    async def record_failure(self, station_id: str, request: dict, result: str, unsure: bool):
        """A SendLocalList without an answer; ``unsure``: the station may have applied it."""
        async with self.db.session() as session, session.begin():
            state = await _state(session, station_id)
            state.highest_version = max(state.highest_version or 0, request["listVersion"])
            state.last_attempt_at = utcnow()
            state.last_update_type = request["updateType"]
            state.last_result = result[:100]
            if unsure:
                state.needs_full = True

    async def record_reported_version(self, station_id: str, version: int) -> None:
        """A GetLocalListVersion answer: when it contradicts the mirror, the mirror is stale."""
        async with self.db.session() as session, session.begin():
            state = await _state(session, station_id)
            state.reported_version = version
            state.reported_at = utcnow()
            if version != -1 and version != state.list_version:
                if version == 0:  # the station says its list is empty: we know that state
                    await session.execute(
                        delete(MirrorEntry).where(MirrorEntry.station_id == station_id)
                    )
                    state.list_version = 0
                else:
                    state.needs_full = True


async def _members(session: AsyncSession, list_id: int) -> list[str]:
    rows = await session.scalars(
        select(AuthListMember.id_tag)
        .where(AuthListMember.auth_list_id == list_id)
        .order_by(AuthListMember.id_tag)
    )
    return list(rows)


async def _state(session: AsyncSession, station_id: str) -> StationList:
    state = await session.get(StationList, station_id)
    if state is None:
        state = StationList(
            station_id=station_id, list_version=0, highest_version=0, needs_full=False
        )
        session.add(state)
    return state
