"""``/id-tags``: the tags stations may charge with (RFID cards, app tokens)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import Field, ValidationError

from csms_core import Csms
from csms_core.api import ApiModel, AppDep, Paged, PageDep

from .. import store
from .common import refusals

router = APIRouter(tags=["id tags"])

TagStatus = Literal["Accepted", "Blocked", "Expired", "Invalid"]


class IdTagIn(ApiModel):
    id_tag: str = Field(min_length=1, max_length=20)
    status: TagStatus = "Accepted"
    expiry_date: datetime | None = None
    parent_id_tag: str | None = Field(None, max_length=20)

    def values(self) -> store.TagValues:
        return store.TagValues(self.id_tag, self.status, self.expiry_date, self.parent_id_tag)


class IdTagPatch(ApiModel):
    status: TagStatus | None = None
    expiry_date: datetime | None = None
    parent_id_tag: str | None = Field(None, max_length=20)


class IdTagOut(ApiModel):
    id_tag: str
    status: str
    effective_status: str = Field(description="What Authorize answers now (expiry applied).")
    expiry_date: datetime | None
    parent_id_tag: str | None
    created_at: datetime
    updated_at: datetime


class ImportResult(ApiModel):
    created: int
    updated: int


async def _tags_changed(app: Csms, id_tags: list[str]) -> None:
    await app.fire("id_tags_changed", id_tags=id_tags)


@router.post("/id-tags", status_code=201, response_model=IdTagOut)
async def create_id_tag(body: IdTagIn, app: AppDep) -> IdTagOut:
    with refusals():
        tag = await store.create_tag(app, body.values())
    await _tags_changed(app, [body.id_tag])
    return IdTagOut.model_validate(tag)


@router.get("/id-tags", response_model=Paged[IdTagOut])
async def list_id_tags(
    app: AppDep, page: PageDep, status: Annotated[TagStatus | None, Query()] = None
) -> Paged[IdTagOut]:
    return await store.tags(app, status, page, IdTagOut)


async def _read_csv(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "multipart body needs a 'file' part")
        return (await upload.read()).decode("utf-8-sig")
    return (await request.body()).decode("utf-8-sig")


def _parse_csv(text: str) -> list[IdTagIn]:
    """Rows of idTag,status,expiryDate,parentIdTag; a header row is optional."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and rows[0] and rows[0][0].strip().lower() in ("idtag", "id_tag", "id tag"):
        rows = rows[1:]
    fields = ("idTag", "status", "expiryDate", "parentIdTag")
    tags, errors = [], []
    for number, row in enumerate(rows, start=1):
        values = {f: c.strip() for f, c in zip(fields, row, strict=False) if c.strip()}
        try:
            tags.append(IdTagIn.model_validate(values))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
            )
            errors.append(f"row {number}: {problems}")
    if errors:
        raise HTTPException(422, {"message": "nothing imported", "errors": errors})
    return tags


@router.post(
    "/id-tags/import",
    response_model=ImportResult,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            }
        }
    },
)
async def import_id_tags(request: Request, app: AppDep) -> ImportResult:
    """Create or update tags from CSV (idTag,status,expiryDate,parentIdTag); all or nothing."""
    tags = _parse_csv(await _read_csv(request))
    created, updated = await store.import_tags(app, [tag.values() for tag in tags])
    if tags:
        await _tags_changed(app, [tag.id_tag for tag in tags])
    return ImportResult(created=created, updated=updated)


@router.get("/id-tags/{id_tag}", response_model=IdTagOut)
async def get_id_tag(id_tag: str, app: AppDep) -> IdTagOut:
    tag = await store.tag(app, id_tag)
    if tag is None:
        raise HTTPException(404, f"id tag {id_tag!r} is unknown")
    return IdTagOut.model_validate(tag)


@router.patch("/id-tags/{id_tag}", response_model=IdTagOut)
async def patch_id_tag(id_tag: str, body: IdTagPatch, app: AppDep) -> IdTagOut:
    changes = body.model_dump(exclude_unset=True)  # an explicit null clears a field
    if changes.get("status", "") is None:
        raise HTTPException(422, "status cannot be null")
    with refusals():
        tag = await store.change_tag(app, id_tag, changes)
    await _tags_changed(app, [id_tag])
    return IdTagOut.model_validate(tag)


@router.delete("/id-tags/{id_tag}", status_code=204)
async def delete_id_tag(id_tag: str, app: AppDep) -> None:
    with refusals():
        await store.delete_tag(app, id_tag)
    await _tags_changed(app, [id_tag])
