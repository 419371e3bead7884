"""Storage: security events, signing requests, certificate calls and security profiles.
Module-level functions taking ``app`` first, each opening its own session
(``app.db.read()`` to read, ``app.db.transaction()`` to write)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate

from .models import CertificateCall, ProfileState, SecurityEvent, SignRequest

Out = TypeVar("Out", bound=BaseModel)


async def _add(app: Csms, row: Any) -> int:
    """Insert ``row``; its id once committed."""
    async with app.db.transaction() as session:
        session.add(row)
        await session.flush()
        return row.id


async def _newest_first(
    app: Csms, table: Any, at: Any, page: Page, model: type[Out], **match: Any
) -> Paged[Out]:
    """The rows of ``table`` whose columns equal ``match`` (a None value matches all), newest
    ``at`` first, as a page of ``model``."""
    where = [getattr(table, name) == value for name, value in match.items() if value is not None]
    query = select(table).where(*where).order_by(at.desc(), table.id.desc())
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


# --- security events ----------------------------------------------------------------------


async def record_event(
    app: Csms, station_id: str, type_: str, timestamp: datetime, tech_info: str | None
) -> None:
    event = SecurityEvent(
        station_id=station_id,
        type=type_,
        timestamp=timestamp,
        tech_info=tech_info,
        received_at=datetime.now(UTC),
    )
    await _add(app, event)


async def security_events(
    app: Csms, station_id: str, page: Page, model: type[Out], type_: str | None = None
) -> Paged[Out]:
    """Newest first (by arrival; the station's clock may be wrong)."""
    at = SecurityEvent.received_at
    return await _newest_first(
        app, SecurityEvent, at, page, model, station_id=station_id, type=type_
    )


# --- signing requests ---------------------------------------------------------------------


async def record_sign_request(
    app: Csms, station_id: str, csr: str, status: str, reason: str | None
) -> int:
    """A SignCertificate.req and our answer; the request's id."""
    request = SignRequest(
        station_id=station_id,
        csr=csr,
        status=status,
        reason=reason,
        received_at=datetime.now(UTC),
    )
    return await _add(app, request)


async def update_sign_request(app: Csms, request_id: int, **values: Any) -> None:
    async with app.db.transaction() as session:
        await session.execute(
            update(SignRequest).where(SignRequest.id == request_id).values(values)
        )


async def sign_requests(app: Csms, station_id: str, page: Page, model: type[Out]) -> Paged[Out]:
    at = SignRequest.received_at
    return await _newest_first(app, SignRequest, at, page, model, station_id=station_id)


# --- certificate calls --------------------------------------------------------------------


async def record_call(
    app: Csms,
    station_id: str,
    action: str,
    request: dict,
    status: str | None,
    response: dict | None,
    error: str | None,
) -> None:
    call = CertificateCall(
        station_id=station_id,
        action=action,
        request=request,
        status=status,
        response=response,
        error=error,
        created_at=datetime.now(UTC),
    )
    await _add(app, call)


async def certificate_calls(
    app: Csms, station_id: str, page: Page, model: type[Out], action: str | None = None
) -> Paged[Out]:
    at = CertificateCall.created_at
    return await _newest_first(
        app, CertificateCall, at, page, model, station_id=station_id, action=action
    )


async def installed_certificates(
    app: Csms, station_id: str, page: Page, model: type[Out]
) -> Paged[Out]:
    """The last answered GetInstalledCertificateIds per certificate type, by type: rows of
    ``certificate_type``, ``status``, ``certificate_hash_data`` (None: not reported) and
    ``asked_at``."""
    kind = CertificateCall.request["certificateType"].as_string()
    ranked = (
        select(
            CertificateCall.id,
            func.row_number()
            .over(
                partition_by=kind,
                order_by=(CertificateCall.created_at.desc(), CertificateCall.id.desc()),
            )
            .label("rank"),
        )
        .where(
            CertificateCall.station_id == station_id,
            CertificateCall.action == "GetInstalledCertificateIds",
            CertificateCall.status.is_not(None),
        )
        .subquery()
    )
    query = (
        select(
            kind.label("certificate_type"),
            CertificateCall.status,
            CertificateCall.response["certificateHashData"].label("certificate_hash_data"),
            CertificateCall.created_at.label("asked_at"),
        )
        .join(ranked, ranked.c.id == CertificateCall.id)
        .where(ranked.c.rank == 1)
        .order_by(kind)
    )
    async with app.db.read() as session:
        return await paginate(session, query, page, model)


# --- security profiles --------------------------------------------------------------------


async def profile_state(app: Csms, station_id: str) -> ProfileState | None:
    # The kernel's batched lookup: a reconnect storm costs a few queries, not one per station.
    return await app.db.get(ProfileState, station_id)


async def save_profile_state(app: Csms, station_id: str, **values: Any) -> None:
    for attempt in (1, 2):
        try:
            async with app.db.transaction() as session:
                row = await session.get(ProfileState, station_id)
                if row is None:
                    row = ProfileState(station_id=station_id)
                    session.add(row)
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated_at = datetime.now(UTC)
            return
        except IntegrityError:
            # A connection's bookkeeping and an upgrade's answer created the row at once:
            # the second time round it exists and is updated.
            if attempt == 2:
                raise


async def record_connected_profile(app: Csms, station_id: str, security_profile: int) -> None:
    """The profile a station connected with, in the group commit: a storm of first
    connections is a few transactions, not thousands. A pending upgrade is left alone."""
    row = {
        "station_id": station_id,
        "connected_profile": security_profile,
        "updated_at": datetime.now(UTC),
    }
    await app.db.write((_connected_upsert(app.db.engine.dialect.name), row))


_UPSERTS: dict[str, Any] = {}


def _connected_upsert(dialect: str) -> Any:
    """INSERT .. ON CONFLICT DO UPDATE of the profile a station connected with, built once."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
        base = insert_(ProfileState)
        statement = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=["station_id"],
            set_={
                "connected_profile": base.excluded.connected_profile,
                "updated_at": base.excluded.updated_at,
            },
        )
    return statement
