"""What route modules (the kernel's and plugins') share: the app, camelCase models, paged
lists (``PageDep`` in, ``Paged[ItemOut]`` out, ``paginate`` between), call errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from ..errors import (
    ActionNotAvailable,
    CallErrorReceived,
    CallFailed,
    CallTimeout,
    PayloadRejected,
    StationNotConnected,
    StationRejected,
    UnknownStation,
)

# Re-exported: routes take everything for lists from here.
from ..paging import ApiModel, Page
from ..paging import Paged as Paged
from ..paging import paginate as paginate

if TYPE_CHECKING:
    from ..app import Csms


def get_app(request: Request) -> Any:
    return request.app.state.csms


AppDep = Annotated["Csms", Depends(get_app)]


async def registered_station(app: Any, station_id: str) -> Any:
    """The station's record, or 404: for every route under ``/stations/{station_id}``."""
    station = await app.stations.get(station_id)
    if station is None:
        raise HTTPException(404, f"station {station_id!r} is not registered")
    return station


BODY_LIMIT = "csms.body_limit"  # in the request's scope, set by the API's gate


def lift_body_limit(request: Request) -> None:
    """For a route that streams its body under a limit of its own (an upload): the API's
    ``api_max_body_bytes`` no longer applies to this request. Decide who may send first."""
    request.scope[BODY_LIMIT] = None


# --- paged lists: ?offset=&limit= in, {items, total, offset, limit} out -----------------

MAX_OFFSET = 2**31 - 1  # fits every database's integer: 2**63 and up was a 500


def page_params(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(page_params)]


class CallErrorOut(ApiModel):
    detail: str
    error_code: str | None = None
    error_description: str | None = None
    error_details: dict[str, Any] | None = None


# For ``responses=`` of any route that sends a call through ``app.call``.
CALL_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": CallErrorOut, "description": "unknown station"},
    409: {
        "model": CallErrorOut,
        "description": "station not connected, or its boot was rejected",
    },
    422: {"model": CallErrorOut, "description": "payload refused; nothing sent"},
    501: {"model": CallErrorOut, "description": "action unknown or its plugin disabled"},
    502: {"model": CallErrorOut, "description": "the station answered CALLERROR"},
    504: {"model": CallErrorOut, "description": "no answer in time"},
}


def call_error_response(exc: CallFailed) -> JSONResponse:
    """The one mapping of ``app.call`` failures to status codes, for the generic call route
    and plugins' convenience routes alike."""
    if isinstance(exc, ActionNotAvailable):
        return _error(501, str(exc))
    if isinstance(exc, PayloadRejected):
        return _error(422, exc.reason, code=exc.code)
    if isinstance(exc, UnknownStation):
        return _error(404, str(exc))
    if isinstance(exc, (StationNotConnected, StationRejected)):
        return _error(409, str(exc))
    if isinstance(exc, CallErrorReceived):
        return _error(502, str(exc), exc.code, exc.description, exc.details)
    if isinstance(exc, CallTimeout):
        return _error(504, str(exc))
    raise exc


def _error(
    status_code: int,
    detail: str,
    code: str | None = None,
    description: str | None = None,
    details: dict | None = None,
) -> JSONResponse:
    body = CallErrorOut(
        detail=detail, error_code=code, error_description=description, error_details=details
    )
    return JSONResponse(body.model_dump(by_alias=True, exclude_none=True), status_code=status_code)
