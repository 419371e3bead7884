"""Operator API keys: created (shown once), listed, revoked."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import Field
from sqlalchemy import select

from ..storage.models import ApiKey
from .deps import ApiModel, AppDep, Paged, PageDep, paginate

router = APIRouter(tags=["api keys"])


class ApiKeyCreate(ApiModel):
    name: str = Field(min_length=1, max_length=100)


class ApiKeyOut(ApiModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself; shown only in this response.")


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_key(body: ApiKeyCreate, request: Request) -> ApiKeyCreated:
    record, key = await request.app.state.api_keys.create(body.name)
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(record).model_dump(), "key": key}
    )


@router.get("/api-keys", response_model=Paged[ApiKeyOut])
async def list_keys(app: AppDep, page: PageDep) -> Paged[ApiKeyOut]:
    async with app.db.read() as session:
        return await paginate(session, select(ApiKey).order_by(ApiKey.id), page, ApiKeyOut)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_key(key_id: int, request: Request) -> None:
    if not await request.app.state.api_keys.revoke(key_id):
        raise HTTPException(404, f"no active API key {key_id}")
