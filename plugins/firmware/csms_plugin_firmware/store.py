"""Storage: module-level functions taking ``app`` first, each opening its own session
(``app.db.read()`` to read, ``app.db.transaction()`` to write). Locations are stored
without their password: the station alone gets it."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete, select, update

from csms_core import Csms
from csms_core.paging import Page, Paged, paginate
from csms_core.redact import url_without_password
from csms_core.storage.types import utcnow

from .models import DiagnosticsRequest, FirmwareImage, FirmwareUpdate, StatusEvent

Out = TypeVar("Out", bound=BaseModel)
Row = TypeVar("Row", StatusEvent, FirmwareUpdate, DiagnosticsRequest)

# --- status notifications, and what each station has ------------------------------------


async def record_status(app: Csms, model: type[StatusEvent], station_id: str, status: str) -> None:
    async with app.db.transaction() as session:
        session.add(model(station_id=station_id, status=status, received_at=utcnow()))


async def of_station(app: Csms, model: type[Row], station_id: str) -> list[Row]:
    """The station's rows of ``model`` (status notifications of one kind, updates or
    diagnostics requests), oldest first."""
    async with app.db.read() as session:
        rows = await session.scalars(
            select(model).where(model.station_id == station_id).order_by(model.id)
        )
        return list(rows)


# --- firmware images ----------------------------------------------------------------------


async def add_image(app: Csms, token: str, file_name: str, size: int, sha256: str) -> FirmwareImage:
    image = FirmwareImage(
        token=token, file_name=file_name, size=size, sha256=sha256, created_at=utcnow()
    )
    async with app.db.transaction() as session:
        session.add(image)
    return image


async def get_image(app: Csms, image_id: int) -> FirmwareImage | None:
    async with app.db.read() as session:
        return await session.get(FirmwareImage, image_id)


async def image_by_token(app: Csms, token: str) -> FirmwareImage | None:
    async with app.db.read() as session:
        return await session.scalar(select(FirmwareImage).where(FirmwareImage.token == token))


async def images(app: Csms, page: Page) -> Paged[FirmwareImage]:
    """A page of hosted images (the rows), oldest first."""
    async with app.db.read() as session:
        return await paginate(session, select(FirmwareImage).order_by(FirmwareImage.id), page)


async def delete_image(app: Csms, image_id: int) -> None:
    async with app.db.transaction() as session:
        await session.execute(delete(FirmwareImage).where(FirmwareImage.id == image_id))


# --- firmware updates ---------------------------------------------------------------------


async def record_update(app: Csms, station_id: str, request: dict, image_id: int | None) -> None:
    async with app.db.transaction() as session:
        session.add(
            FirmwareUpdate(
                station_id=station_id,
                location=url_without_password(request["location"]),
                retrieve_date=request["retrieveDate"],
                retries=request.get("retries"),
                retry_interval=request.get("retryInterval"),
                image_id=image_id,
                requested_at=utcnow(),
            )
        )


# --- diagnostics requests -----------------------------------------------------------------


def _diagnostics_request(station_id: str, request: dict, **columns: Any) -> DiagnosticsRequest:
    """A request's row from the GetDiagnostics payload sent, plus ``columns``."""
    return DiagnosticsRequest(
        station_id=station_id,
        location=url_without_password(request["location"]),
        start_time=request.get("startTime"),
        stop_time=request.get("stopTime"),
        retries=request.get("retries"),
        retry_interval=request.get("retryInterval"),
        requested_at=utcnow(),
        **columns,
    )


async def add_diagnostics_request(
    app: Csms,
    station_id: str,
    request: dict,
    token: str | None,
    ftp_user: str | None = None,
    ftp_password_hash: str | None = None,
) -> DiagnosticsRequest:
    row = _diagnostics_request(
        station_id, request, token=token, ftp_user=ftp_user, ftp_password_hash=ftp_password_hash
    )
    async with app.db.transaction() as session:
        session.add(row)
    return row


async def forget_diagnostics_request(app: Csms, request_id: int) -> None:
    async with app.db.transaction() as session:
        await session.execute(delete(DiagnosticsRequest).where(DiagnosticsRequest.id == request_id))


async def record_diagnostics_answer(
    app: Csms, station_id: str, request: dict, answer: dict
) -> None:
    """The station answered GetDiagnostics: note the file name it announced. A request sent
    through the generic call endpoint (any location) gets its row here."""
    announced = {"answered_at": utcnow(), "announced_file_name": answer.get("fileName")}
    async with app.db.transaction() as session:
        result = await session.execute(
            update(DiagnosticsRequest)
            .where(
                DiagnosticsRequest.station_id == station_id,
                DiagnosticsRequest.location == url_without_password(request["location"]),
                DiagnosticsRequest.answered_at.is_(None),
            )
            .values(**announced)
        )
        if result.rowcount == 0:
            session.add(_diagnostics_request(station_id, request, **announced))


async def diagnostics_request_by_token(app: Csms, token: str) -> DiagnosticsRequest | None:
    async with app.db.read() as session:
        return await session.scalar(
            select(DiagnosticsRequest).where(DiagnosticsRequest.token == token)
        )


async def diagnostics_request_by_ftp_user(app: Csms, user: str) -> DiagnosticsRequest | None:
    async with app.db.read() as session:
        return await session.scalar(
            select(DiagnosticsRequest).where(DiagnosticsRequest.ftp_user == user)
        )


async def record_diagnostics_file(
    app: Csms, request_id: int, file_name: str, size: int, sha256: str
) -> None:
    async with app.db.transaction() as session:
        await session.execute(
            update(DiagnosticsRequest)
            .where(DiagnosticsRequest.id == request_id)
            .values(file_name=file_name, size=size, sha256=sha256, uploaded_at=utcnow())
        )


def _uploaded_files(station_id: str) -> Any:
    """The station's requests with an uploaded file, newest upload first."""
    return (
        select(DiagnosticsRequest)
        .where(
            DiagnosticsRequest.station_id == station_id,
            DiagnosticsRequest.uploaded_at.is_not(None),
        )
        .order_by(DiagnosticsRequest.uploaded_at.desc(), DiagnosticsRequest.id.desc())
    )


async def diagnostics_files(app: Csms, station_id: str, page: Page, model: type[Out]) -> Paged[Out]:
    """A page of the files the station uploaded, newest first, as ``model``."""
    async with app.db.read() as session:
        return await paginate(session, _uploaded_files(station_id), page, model)


async def diagnostics_file(app: Csms, station_id: str, name: str) -> DiagnosticsRequest | None:
    """The request of the newest file of that name the station uploaded to this CSMS."""
    query = _uploaded_files(station_id).where(
        DiagnosticsRequest.file_name == name, DiagnosticsRequest.token.is_not(None)
    )
    async with app.db.read() as session:
        return await session.scalar(query.limit(1))
