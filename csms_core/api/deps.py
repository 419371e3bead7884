"""What route modules (the kernel's and plugins') share: the app, camelCase models, paged
lists (``PageDep`` in, ``Paged[ItemOut]`` out, ``paginate`` between), call errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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

if TYPE_CHECKING:
    from ..app import Csms


class ApiModel(BaseModel):
    """JSON in camelCase, like OCPP; Python attributes in snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


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

Item = TypeVar("Item")
Out = TypeVar("Out", bound=BaseModel)


class Page(ApiModel):
    offset: int
    limit: int


MAX_OFFSET = 2**31 - 1  # fits every database's integer: 2**63 and up was a 500


def page_params(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(page_params)]


class Paged(ApiModel, Generic[Item]):
    """A page of a list: ``response_model=Paged[ItemOut]``."""

    items: list[Item]
    total: int
    offset: int
    limit: int


async def paginate(
    session: AsyncSession, query: Select, page: Page, model: type[Out] | None = None
) -> Paged[Any]:
    """``query`` (ordered: pages must not overlap) cut to ``page``, with the count of all
    its rows. Each row becomes ``model.model_validate(row)`` (a ``Paged[model]``); without
    a model the items are the rows themselves (ORM objects for ``select(Model)``)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    result = await session.execute(query.offset(page.offset).limit(page.limit))
    rows = result.scalars().all() if len(query.column_descriptions) == 1 else result.all()
    items = [model.model_validate(row) for row in rows] if model is not None else list(rows)
    paged = Paged[model] if model is not None else Paged[Any]  # type: ignore[valid-type]
    return paged(items=items, total=int(total or 0), offset=page.offset, limit=page.limit)


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
