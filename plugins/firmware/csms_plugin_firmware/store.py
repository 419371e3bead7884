"""Database access shared by the handlers, the actions and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from csms_core.redact import url_without_password
from csms_core.storage.types import utcnow as now

from .models import (
    DiagnosticsRequest,
    FirmwareImage,
    FirmwareUpdate,
)

# --- status notifications ---------------------------------------------------------------


async def record_status(app: Any, model: type, station_id: str, status: str) -> None:
    async with app.db.session() as session, session.begin():
        session.add(model(station_id=station_id, status=status, received_at=now()))


async def status_history(app: Any, model: type, station_id: str) -> list[Any]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(model).where(model.station_id == station_id).order_by(model.id)
        )
        return list(rows)


# --- firmware images ----------------------------------------------------------------------


async def add_image(app: Any, token: str, file_name: str, size: int, sha256: str) -> FirmwareImage:
    image = FirmwareImage(
        token=token, file_name=file_name, size=size, sha256=sha256, created_at=now()
    )
    async with app.db.session() as session, session.begin():
        session.add(image)
    return image


async def get_image(app: Any, image_id: int) -> FirmwareImage | None:
    async with app.db.session() as session:
        return await session.get(FirmwareImage, image_id)


async def image_by_token(app: Any, token: str) -> FirmwareImage | None:
    async with app.db.session() as session:
        return await session.scalar(select(FirmwareImage).where(FirmwareImage.token == token))


async def list_images(app: Any, offset: int, limit: int) -> tuple[list[FirmwareImage], int]:
    async with app.db.session() as session:
        total = await session.scalar(select(func.count()).select_from(FirmwareImage))
        rows = await session.scalars(
            select(FirmwareImage).order_by(FirmwareImage.id).offset(offset).limit(limit)
        )
        return list(rows), total or 0


async def delete_image(app: Any, image_id: int) -> None:
    async with app.db.session() as session, session.begin():
        await session.execute(delete(FirmwareImage).where(FirmwareImage.id == image_id))


# --- firmware updates ---------------------------------------------------------------------


async def record_update(app: Any, station_id: str, request: dict, image_id: int | None) -> None:
    async with app.db.session() as session, session.begin():
        session.add(
            FirmwareUpdate(
                station_id=station_id,
                location=url_without_password(request["location"]),
                retrieve_date=request["retrieveDate"],
                retries=request.get("retries"),
                retry_interval=request.get("retryInterval"),
                image_id=image_id,
                requested_at=now(),
            )
        )


async def list_updates(app: Any, station_id: str) -> list[FirmwareUpdate]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(FirmwareUpdate)
            .where(FirmwareUpdate.station_id == station_id)
            .order_by(FirmwareUpdate.id)
        )
        return list(rows)


# --- diagnostics requests -----------------------------------------------------------------


async def add_diagnostics_request(
    app: Any,
    station_id: str,
    request: dict,
    token: str | None,
    ftp_user: str | None = None,
    ftp_password_hash: str | None = None,
) -> DiagnosticsRequest:
    row = DiagnosticsRequest(
        station_id=station_id,
        token=token,
        location=url_without_password(request["location"]),
        start_time=request.get("startTime"),
        stop_time=request.get("stopTime"),
        retries=request.get("retries"),
        retry_interval=request.get("retryInterval"),
        requested_at=now(),
        ftp_user=ftp_user,
        ftp_password_hash=ftp_password_hash,
    )
    async with app.db.session() as session, session.begin():
        session.add(row)
    return row


async def forget_diagnostics_request(app: Any, request_id: int) -> None:
    async with app.db.session() as session, session.begin():
        await session.execute(delete(DiagnosticsRequest).where(DiagnosticsRequest.id == request_id))


async def record_diagnostics_answer(app: Any, station_id: str, request: dict, answer: dict) -> None:
    """The station answered GetDiagnostics: note the file name it announced. A request sent
    through the generic call endpoint (any location) gets its row here."""
    async with app.db.session() as session, session.begin():
        result = await session.execute(
            update(DiagnosticsRequest)
            .where(
                DiagnosticsRequest.station_id == station_id,
                DiagnosticsRequest.location == url_without_password(request["location"]),
                DiagnosticsRequest.answered_at.is_(None),
            )
            .values(answered_at=now(), announced_file_name=answer.get("fileName"))
        )
        if result.rowcount == 0:
            session.add(
                DiagnosticsRequest(
                    station_id=station_id,
                    location=url_without_password(request["location"]),
                    start_time=request.get("startTime"),
                    stop_time=request.get("stopTime"),
                    retries=request.get("retries"),
                    retry_interval=request.get("retryInterval"),
                    requested_at=now(),
                    answered_at=now(),
                    announced_file_name=answer.get("fileName"),
                )
            )


async def diagnostics_request_by_token(app: Any, token: str) -> DiagnosticsRequest | None:
    async with app.db.session() as session:
        return await session.scalar(
            select(DiagnosticsRequest).where(DiagnosticsRequest.token == token)
        )


async def diagnostics_request_by_ftp_user(app: Any, user: str) -> DiagnosticsRequest | None:
    async with app.db.session() as session:
        return await session.scalar(
            select(DiagnosticsRequest).where(DiagnosticsRequest.ftp_user == user)
        )


async def record_diagnostics_file(
    app: Any, request_id: int, file_name: str, size: int, sha256: str
) -> None:
    async with app.db.session() as session, session.begin():
        await session.execute(
            update(DiagnosticsRequest)
            .where(DiagnosticsRequest.id == request_id)
            .values(file_name=file_name, size=size, sha256=sha256, uploaded_at=now())
        )


async def list_diagnostics_requests(app: Any, station_id: str) -> list[DiagnosticsRequest]:
    async with app.db.session() as session:
        rows = await session.scalars(
            select(DiagnosticsRequest)
            .where(DiagnosticsRequest.station_id == station_id)
            .order_by(DiagnosticsRequest.id)
        )
        return list(rows)


async def diagnostics_files(app: Any, station_id: str) -> list[DiagnosticsRequest]:
    """Requests with an uploaded file, newest first."""
    async with app.db.session() as session:
        rows = await session.scalars(
            select(DiagnosticsRequest)
            .where(
                DiagnosticsRequest.station_id == station_id,
                DiagnosticsRequest.uploaded_at.is_not(None),
            )
            .order_by(DiagnosticsRequest.uploaded_at.desc(), DiagnosticsRequest.id.desc())
        )
        return list(rows)
