"""Paged lists: ``Page`` (offset and limit) in, ``Paged[ItemOut]`` out, ``paginate`` between,
and ``ApiModel``, the camelCase base of every API model. No web framework here, so a plugin's
``store.py`` (loaded by the command line too) can use them without loading FastAPI; routes take
``PageDep`` from ``csms_core.api``."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


class ApiModel(BaseModel):
    """JSON in camelCase, like OCPP; Python attributes in snake_case."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


Item = TypeVar("Item")
Out = TypeVar("Out", bound=BaseModel)


class Page(ApiModel):
    offset: int
    limit: int


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
