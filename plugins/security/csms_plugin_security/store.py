"""Queries behind the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from .models import CertificateCall, SecurityEvent, SignRequest


async def security_events(
    app: Any, station_id: str, offset: int, limit: int, type_: str | None = None
) -> tuple[list[SecurityEvent], int]:
    """Newest first (by arrival; the station's clock may be wrong)."""
    where = [SecurityEvent.station_id == station_id]
    if type_ is not None:
        where.append(SecurityEvent.type == type_)
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(SecurityEvent).where(*where))
        rows = await session.scalars(
            select(SecurityEvent)
            .where(*where)
            .order_by(SecurityEvent.received_at.desc(), SecurityEvent.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows), int(total or 0)


async def _page(
    app: Any, model: Any, time_column: Any, where: list, offset: int, limit: int
) -> tuple[list[Any], int]:
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(model).where(*where))
        rows = await session.scalars(
            select(model)
            .where(*where)
            .order_by(time_column.desc(), model.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows), int(total or 0)


async def sign_requests(
    app: Any, station_id: str, offset: int, limit: int
) -> tuple[list[SignRequest], int]:
    where = [SignRequest.station_id == station_id]
    return await _page(app, SignRequest, SignRequest.received_at, where, offset, limit)


async def certificate_calls(
    app: Any, station_id: str, offset: int, limit: int, action: str | None = None
) -> tuple[list[CertificateCall], int]:
    where = [CertificateCall.station_id == station_id]
    if action is not None:
        where.append(CertificateCall.action == action)
    return await _page(app, CertificateCall, CertificateCall.created_at, where, offset, limit)


async def installed_certificates(app: Any, station_id: str) -> dict[str, CertificateCall]:
    """The last answered GetInstalledCertificateIds per certificate type."""
    async with app.db.session() as session:
        rows = await session.scalars(
            select(CertificateCall)
            .where(
                CertificateCall.station_id == station_id,
                CertificateCall.action == "GetInstalledCertificateIds",
                CertificateCall.status.is_not(None),
            )
            .order_by(CertificateCall.created_at.desc(), CertificateCall.id.desc())
        )
        latest: dict[str, CertificateCall] = {}
        for row in rows:
            latest.setdefault(row.request["certificateType"], row)
        return latest
