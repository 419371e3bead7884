"""Operator routes (firmware images, updates, diagnostics) and the public routes stations
use to download firmware and upload diagnostics without an API key."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse
from pydantic import Field, model_validator

from csms_core import Csms
from csms_core.api import ApiModel, AppDep, Paged, PageDep, registered_station
from csms_core.api.deps import CALL_ERROR_RESPONSES, lift_body_limit
from csms_core.errors import CallFailed
from csms_core.files import SharedFilesError
from csms_core.redact import url_without_password

from . import PLUGIN, store
from .actions import DIAGNOSTICS_PATH, FIRMWARE_PATH
from .files import (
    UploadRefused,
    check_file_name,
    diagnostics_key,
    image_key,
    new_token,
    public_base,
    receive,
    upload_expired,
)
from .ftp import hash_password, new_credentials, state
from .models import (
    DiagnosticsRequest,
    DiagnosticsStatusEvent,
    FirmwareImage,
    FirmwareStatusEvent,
    FirmwareUpdate,
    StatusEvent,
)

router = APIRouter(tags=["firmware"])
public_router = APIRouter(tags=["station file transfer"])

MULTIPART_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
TimeoutQuery = Annotated[float | None, Query(gt=0, le=300)]


# --- models -------------------------------------------------------------------------------


class FirmwareImageOut(ApiModel):
    id: int
    file_name: str
    size: int
    sha256: str
    url: str = Field(description="Where stations download the image (no API key needed).")
    created_at: datetime


class FirmwareUpdateIn(ApiModel):
    firmware_id: int | None = Field(None, description="A hosted image (POST /firmware).")
    location: str | None = Field(None, description="Or any URL the station can fetch.")
    retrieve_date: datetime | None = Field(None, description="Default: now.")
    retries: int | None = Field(None, ge=0)
    retry_interval: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_source(self) -> FirmwareUpdateIn:
        if (self.firmware_id is None) == (self.location is None):
            raise ValueError("give exactly one of firmwareId and location")
        return self


class DiagnosticsRequestIn(ApiModel):
    location: str | None = Field(
        None, description="Default: a fresh upload URL on this CSMS (recommended)."
    )
    protocol: Literal["http", "ftp"] = Field(
        "http", description="For the default location: HTTP, or the built-in FTP receiver."
    )
    start_time: datetime | None = None
    stop_time: datetime | None = None
    retries: int | None = Field(None, ge=0)
    retry_interval: int | None = Field(None, ge=0)


def without_password(payload: dict[str, Any]) -> dict[str, Any]:
    """What the answer shows of a payload: the station got the location's password (an FTP
    upload account's), nobody else needs it."""
    return {**payload, "location": url_without_password(payload["location"])}


class CallOut(ApiModel):
    request: dict[str, Any] = Field(
        description="The OCPP payload sent, without the password of its location."
    )
    response: dict[str, Any] = Field(description="The station's answer.")


class StatusEventOut(ApiModel):
    status: str
    timestamp: datetime = Field(validation_alias="received_at")


class ReportedStatusOut(ApiModel):
    """What a station reported with its status notifications of one kind."""

    station_id: str
    status: str | None = Field(description="The last notification's (None: none yet).")
    timestamp: datetime | None
    history: list[StatusEventOut]


class FirmwareUpdateOut(ApiModel):
    location: str
    retrieve_date: str
    retries: int | None
    retry_interval: int | None
    firmware_id: int | None = Field(validation_alias="image_id")
    requested_at: datetime


class FirmwareStateOut(ReportedStatusOut):
    updates: list[FirmwareUpdateOut]


class DiagnosticsFileOut(ApiModel):
    name: str = Field(validation_alias="file_name")
    size: int
    sha256: str
    uploaded_at: datetime
    request_id: int = Field(validation_alias="id")


class DiagnosticsRequestOut(ApiModel):
    id: int
    location: str
    start_time: str | None
    stop_time: str | None
    retries: int | None
    retry_interval: int | None
    requested_at: datetime
    answered_at: datetime | None
    announced_file_name: str | None = Field(description="fileName from GetDiagnostics.conf.")
    file: DiagnosticsFileOut | None = Field(
        validation_alias="uploaded_file", description="The file uploaded to this CSMS."
    )


class DiagnosticsStateOut(ReportedStatusOut):
    requests: list[DiagnosticsRequestOut]


class UploadOut(ApiModel):
    file_name: str
    size: int
    sha256: str


# --- helpers ------------------------------------------------------------------------------


def ocpp_time(value: datetime | None) -> str:
    """OCPP date-time in UTC with a Z; naive values are taken as UTC."""
    value = value or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def image_url(app: Csms, image: FirmwareImage) -> str:
    return f"{public_base(app)}{FIRMWARE_PATH}{image.token}/{quote(image.file_name)}"


def image_out(app: Csms, image: FirmwareImage) -> FirmwareImageOut:
    # The row, and where stations download it from (which depends on this node's settings).
    return FirmwareImageOut(
        id=image.id,
        file_name=image.file_name,
        size=image.size,
        sha256=image.sha256,
        url=image_url(app, image),
        created_at=image.created_at,
    )


async def reported_status(app: Csms, model: type[StatusEvent], station_id: str) -> dict[str, Any]:
    """The fields of ``ReportedStatusOut``: the last notification of a kind and all of them."""
    await registered_station(app, station_id)
    events = await store.of_station(app, model, station_id)
    last = events[-1] if events else None
    return {
        "station_id": station_id,
        "status": last.status if last else None,
        "timestamp": last.received_at if last else None,
        "history": events,
    }


async def file_response(app: Csms, key: str, name: str) -> FileResponse:
    """Serve a stored file, fetched first if another node received it."""
    try:
        path = await app.files.fetch(key)
    except SharedFilesError as exc:
        raise HTTPException(503, f"the file {name!r} cannot be fetched now: {exc}") from None
    if path is None:  # removed behind our back: a 404, not Starlette's 500
        raise HTTPException(404, f"the file {name!r} is missing from the file store")
    return FileResponse(path, media_type="application/octet-stream", filename=name)


async def publish_or_refuse(app: Csms, key: str) -> None:
    """Share a received file with every node; if that fails, the upload did not happen."""
    try:
        await app.files.publish(key)
    except SharedFilesError as exc:
        path = app.files.path(key)
        await anyio.to_thread.run_sync(lambda: path.unlink(missing_ok=True))
        raise HTTPException(503, f"the file could not be stored: {exc}") from None


async def receive_or_refuse(request: Request, path: Path, max_size: int, **kwargs: Any) -> Any:
    lift_body_limit(request)  # max_size applies instead of the API's api_max_body_bytes
    try:
        return await receive(request, path, max_size, **kwargs)
    except UploadRefused as exc:
        raise HTTPException(exc.status_code, exc.detail) from None


def ftp_host(app: Csms) -> str:
    settings = app.settings_for(PLUGIN)
    return settings.ftp_public_host or urlsplit(public_base(app)).hostname or "localhost"


# --- firmware images ----------------------------------------------------------------------


@router.post(
    "/firmware", status_code=201, response_model=FirmwareImageOut, openapi_extra=MULTIPART_BODY
)
async def upload_firmware(request: Request, app: AppDep) -> FirmwareImageOut:
    """Upload a firmware image (multipart field ``file``); streamed to disk, sha256 recorded."""
    token = new_token()
    key = image_key(token)
    limit = app.settings_for(PLUGIN).max_firmware_size
    stored = await receive_or_refuse(request, app.files.path(key), limit, field="file")
    await publish_or_refuse(app, key)  # before the row: a listed image is on every node
    try:
        image = await store.add_image(app, token, stored.file_name, stored.size, stored.sha256)
    except BaseException:
        with contextlib.suppress(Exception):
            await app.files.delete(key)
        raise
    return image_out(app, image)


@router.get("/firmware", response_model=Paged[FirmwareImageOut])
async def list_firmware(app: AppDep, page: PageDep) -> Paged[FirmwareImageOut]:
    images = await store.images(app, page)
    return Paged[FirmwareImageOut](
        items=[image_out(app, i) for i in images.items],
        total=images.total,
        offset=images.offset,
        limit=images.limit,
    )


async def _image(app: Csms, firmware_id: int) -> FirmwareImage:
    image = await store.get_image(app, firmware_id)
    if image is None:
        raise HTTPException(404, f"firmware image {firmware_id} does not exist")
    return image


@router.get("/firmware/{firmware_id}", response_model=FirmwareImageOut)
async def get_firmware(firmware_id: int, app: AppDep) -> FirmwareImageOut:
    return image_out(app, await _image(app, firmware_id))


@router.delete("/firmware/{firmware_id}", status_code=204)
async def delete_firmware(firmware_id: int, app: AppDep) -> None:
    """Delete an image; its download URL stops working (updates already sent stay recorded)."""
    image = await _image(app, firmware_id)
    await store.delete_image(app, image.id)
    try:
        await app.files.delete(image_key(image.token))  # on every node
    except SharedFilesError as exc:
        raise HTTPException(503, f"image deleted, but its file could not be: {exc}") from None


# --- firmware updates ---------------------------------------------------------------------


@router.post(
    "/stations/{station_id}/firmware-update", response_model=CallOut, responses=CALL_ERROR_RESPONSES
)
async def update_firmware(
    station_id: str, body: FirmwareUpdateIn, app: AppDep, timeout: TimeoutQuery = None
) -> CallOut:
    """Send UpdateFirmware with a hosted image's URL (``firmwareId``) or any ``location``."""
    if body.firmware_id is not None:
        location = image_url(app, await _image(app, body.firmware_id))
    else:
        location = body.location
    payload: dict[str, Any] = {"location": location, "retrieveDate": ocpp_time(body.retrieve_date)}
    if body.retries is not None:
        payload["retries"] = body.retries
    if body.retry_interval is not None:
        payload["retryInterval"] = body.retry_interval
    # Call failures become the generic route's status codes (the kernel's CallFailed handler).
    answer = await app.call(station_id, "UpdateFirmware", payload, timeout)
    return CallOut(request=without_password(payload), response=answer)


@router.get("/stations/{station_id}/firmware", response_model=FirmwareStateOut)
async def firmware_state(station_id: str, app: AppDep) -> FirmwareStateOut:
    """The station's firmware status (last FirmwareStatusNotification), history and updates."""
    reported = await reported_status(app, FirmwareStatusEvent, station_id)
    updates = await store.of_station(app, FirmwareUpdate, station_id)
    return FirmwareStateOut.model_validate({**reported, "updates": updates})


# --- diagnostics --------------------------------------------------------------------------


@router.post(
    "/stations/{station_id}/diagnostics-request",
    response_model=CallOut,
    responses=CALL_ERROR_RESPONSES,
)
async def request_diagnostics(
    station_id: str, body: DiagnosticsRequestIn, app: AppDep, timeout: TimeoutQuery = None
) -> CallOut:
    """Send GetDiagnostics; by default the station uploads to a fresh URL on this CSMS."""
    token = ftp_user = ftp_password_hash = None
    location = body.location
    if location is None and body.protocol == "ftp":
        receiver = state(app).ftp
        if receiver is None:
            raise HTTPException(422, "the FTP receiver is off (setting ftp_enabled)")
        token = new_token()
        ftp_user, password = new_credentials()
        ftp_password_hash = hash_password(password)
        location = f"ftp://{ftp_user}:{password}@{ftp_host(app)}:{receiver.port}/"
    elif location is None:
        token = new_token()
        # A directory URL: stations POST to it, or PUT to it with their file name appended.
        location = f"{public_base(app)}{DIAGNOSTICS_PATH}{token}/"
    payload: dict[str, Any] = {"location": location}
    if body.start_time is not None:
        payload["startTime"] = ocpp_time(body.start_time)
    if body.stop_time is not None:
        payload["stopTime"] = ocpp_time(body.stop_time)
    if body.retries is not None:
        payload["retries"] = body.retries
    if body.retry_interval is not None:
        payload["retryInterval"] = body.retry_interval
    # Stored before sending: the station may start uploading right after it answers.
    row = await store.add_diagnostics_request(
        app, station_id, payload, token, ftp_user, ftp_password_hash
    )
    try:
        answer = await app.call(station_id, "GetDiagnostics", payload, timeout)
    except CallFailed:
        await store.forget_diagnostics_request(app, row.id)  # no upload URL left behind
        raise
    return CallOut(request=without_password(payload), response=answer)


@router.get("/stations/{station_id}/diagnostics", response_model=DiagnosticsStateOut)
async def diagnostics_state(station_id: str, app: AppDep) -> DiagnosticsStateOut:
    """The station's diagnostics status (last DiagnosticsStatusNotification), history and
    GetDiagnostics requests with their uploaded files."""
    reported = await reported_status(app, DiagnosticsStatusEvent, station_id)
    requests = await store.of_station(app, DiagnosticsRequest, station_id)
    return DiagnosticsStateOut.model_validate({**reported, "requests": requests})


@router.get("/stations/{station_id}/diagnostics/files", response_model=Paged[DiagnosticsFileOut])
async def list_diagnostics_files(
    station_id: str, app: AppDep, page: PageDep
) -> Paged[DiagnosticsFileOut]:
    """Files the station uploaded to this CSMS, newest first."""
    await registered_station(app, station_id)
    return await store.diagnostics_files(app, station_id, page, DiagnosticsFileOut)


@router.get(
    "/stations/{station_id}/diagnostics/files/{name}",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download_diagnostics_file(station_id: str, name: str, app: AppDep) -> FileResponse:
    """Download an uploaded diagnostics file (the newest of that name)."""
    try:
        check_file_name(name)
    except UploadRefused as exc:
        raise HTTPException(exc.status_code, exc.detail) from None
    await registered_station(app, station_id)
    row = await store.diagnostics_file(app, station_id, name)
    if row is None or row.token is None:
        raise HTTPException(404, f"station {station_id!r} uploaded no file named {name!r}")
    return await file_response(app, diagnostics_key(row.token), name)


# --- public: what stations fetch and upload -----------------------------------------------


@public_router.get(FIRMWARE_PATH + "{token}/{name}", response_class=FileResponse)
@public_router.head(FIRMWARE_PATH + "{token}/{name}", include_in_schema=False)
async def download_firmware(token: str, name: str, app: AppDep) -> FileResponse:
    """A hosted firmware image; Range requests let interrupted downloads resume."""
    image = await store.image_by_token(app, token)
    if image is None or image.file_name != name:
        raise HTTPException(404, "no such firmware image")
    return await file_response(app, image_key(token), image.file_name)


async def _receive_diagnostics(token: str, name: str | None, request: Request, app: Any) -> Any:
    row = await store.diagnostics_request_by_token(app, token)
    if row is None:
        raise HTTPException(404, "no such diagnostics upload URL")
    settings = app.settings_for(PLUGIN)
    if upload_expired(app, row):
        raise HTTPException(410, "this diagnostics upload URL has expired")
    default_name = name or row.announced_file_name or f"diagnostics-{row.id}"
    key = diagnostics_key(token)
    stored = await receive_or_refuse(
        request, app.files.path(key), settings.max_diagnostics_size, default_name=default_name
    )
    await publish_or_refuse(app, key)  # then record it: any node may be asked for it
    await store.record_diagnostics_file(app, row.id, stored.file_name, stored.size, stored.sha256)
    return UploadOut(file_name=stored.file_name, size=stored.size, sha256=stored.sha256)


async def upload_diagnostics(token: str, request: Request, app: AppDep) -> Any:
    """A station uploads its diagnostics: multipart POST, or the raw file by POST or PUT."""
    return await _receive_diagnostics(token, None, request, app)


async def upload_diagnostics_named(token: str, name: str, request: Request, app: AppDep) -> Any:
    """The same, with the file name in the URL (PUT to the location plus the file name)."""
    try:
        check_file_name(name)
    except UploadRefused as exc:
        raise HTTPException(exc.status_code, exc.detail) from None
    return await _receive_diagnostics(token, name, request, app)


# One route per method (and path form) so that each has its own OpenAPI operation.
for _method in ("POST", "PUT"):
    for _path, _endpoint, _documented in (
        (DIAGNOSTICS_PATH + "{token}", upload_diagnostics, True),
        (DIAGNOSTICS_PATH + "{token}/", upload_diagnostics, False),
        (DIAGNOSTICS_PATH + "{token}/{name}", upload_diagnostics_named, True),
    ):
        public_router.add_api_route(
            _path,
            _endpoint,
            methods=[_method],
            status_code=201,
            response_model=UploadOut,
            include_in_schema=_documented,
            operation_id=f"{_endpoint.__name__}_{_method.lower()}",
        )
