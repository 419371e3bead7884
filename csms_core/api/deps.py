"""What route modules (the kernel's and plugins') share: the app, camelCase models, paging."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

if TYPE_CHECKING:
    from ..app import Csms


class ApiModel(BaseModel):
    """JSON in camelCase, like OCPP; Python attributes in snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


def get_app(request: Request) -> Any:
    return request.app.state.csms


AppDep = Annotated["Csms", Depends(get_app)]


class Page(ApiModel):
    offset: int
    limit: int


def page_params(
    offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(page_params)]
