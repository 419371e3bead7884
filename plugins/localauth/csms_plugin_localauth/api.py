"""Routes: authorization lists, a station's assignment, and its local list (push and show)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import Field

from csms_core import Csms, PayloadRejected
from csms_core.api import ApiModel, AppDep, Paged, PageDep, registered_station
from csms_core.api.deps import CALL_ERROR_RESPONSES

from . import store, sync
from .lists import differences, full_entries

router = APIRouter(tags=["local authorization list"])

IdTag = Annotated[str, Field(min_length=1, max_length=20)]


# --- models ---------------------------------------------------------------------------


class AuthListCreate(ApiModel):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    id_tags: list[IdTag] = Field(default_factory=list, description="Members (existing id tags).")


class AuthListPatch(ApiModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    id_tags: list[IdTag] | None = Field(None, description="Replace every member.")
    add_id_tags: list[IdTag] = Field(default_factory=list)
    remove_id_tags: list[IdTag] = Field(default_factory=list)


class AuthListOut(ApiModel):
    id: int
    name: str
    description: str | None
    id_tags: list[str]
    stations: list[str] = Field(description="Stations this list is assigned to.")
    created_at: datetime
    updated_at: datetime


class Assignment(ApiModel):
    auth_list_id: int | None = Field(description="None: every valid id tag.")


class AssignmentOut(Assignment):
    station_id: str


class PushRequest(ApiModel):
    update_type: Literal["Full", "Differential"] = "Differential"


class SentMessage(ApiModel):
    update_type: str
    list_version: int
    entries: int
    status: str


class PushOut(ApiModel):
    station_id: str
    requested_update_type: str
    full_because: str | None = None
    messages: list[SentMessage] = Field(description="Every SendLocalList sent, in order.")
    recovered: bool = Field(
        False,
        description="A VersionMismatch, or a Differential answered Failed, was retried as a "
        "Full (OCPP 1.6 5.15).",
    )
    status: str = Field(description="The last answer, or UpToDate when nothing had changed.")
    list_version: int
    size: int


class LocalListOut(ApiModel):
    station_id: str
    auth_list_id: int | None
    list_version: int = Field(description="The version the station last accepted (0: none).")
    size: int = Field(description="Entries in the list the station last accepted.")
    needs_full: bool = Field(description="The mirror is unsure; the next update is Full.")
    last_sync_at: datetime | None = Field(description="When an update was last accepted.")
    last_attempt_at: datetime | None
    last_update_type: str | None
    last_result: str | None
    reported_version: int | None = Field(description="The last GetLocalListVersion answer.")
    reported_at: datetime | None
    pending_changes: int | None = Field(
        description="Entries a Differential update would send now (None: no tag store)."
    )
    entries: list[dict[str, Any]] | None = None


# --- authorization lists ----------------------------------------------------------------


async def _check_tags(app: Csms, id_tags: list[str]) -> None:
    unknown = [t for t in id_tags if await app.query("id_tag_info", id_tag=t) is None]
    if unknown:
        raise HTTPException(422, f"unknown id tag(s): {', '.join(sorted(set(unknown)))}")


async def _get_list(app: Csms, list_id: int) -> AuthListOut:
    found = await store.auth_list(app, list_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"authorization list {list_id} not found")
    return AuthListOut.model_validate(found)


@router.post("/auth-lists", status_code=201, response_model=AuthListOut)
async def create_auth_list(body: AuthListCreate, app: AppDep) -> AuthListOut:
    if await store.name_taken(app, body.name):
        raise HTTPException(409, f"an authorization list named {body.name!r} exists")
    await _check_tags(app, body.id_tags)
    list_id = await store.create_list(app, body.name, body.description, sorted(set(body.id_tags)))
    return await _get_list(app, list_id)


@router.get("/auth-lists", response_model=Paged[AuthListOut])
async def list_auth_lists(app: AppDep, page: PageDep) -> Paged[AuthListOut]:
    return await store.auth_lists(app, page, AuthListOut)


@router.get("/auth-lists/{list_id}", response_model=AuthListOut)
async def get_auth_list(list_id: int, app: AppDep) -> AuthListOut:
    return await _get_list(app, list_id)


@router.patch("/auth-lists/{list_id}", response_model=AuthListOut)
async def patch_auth_list(list_id: int, body: AuthListPatch, app: AppDep) -> AuthListOut:
    await _get_list(app, list_id)
    if body.name is not None and await store.name_taken(app, body.name, other_than=list_id):
        raise HTTPException(409, f"an authorization list named {body.name!r} exists")
    await _check_tags(app, [*(body.id_tags or []), *body.add_id_tags])
    values = body.model_dump(include={"name", "description"}, exclude_unset=True)
    if values.get("name") is None:
        values.pop("name", None)
    await store.update_list(
        app, list_id, values, body.id_tags, body.add_id_tags, body.remove_id_tags
    )
    sync.lists_changed(app)
    return await _get_list(app, list_id)


@router.delete("/auth-lists/{list_id}", status_code=204)
async def delete_auth_list(list_id: int, app: AppDep) -> None:
    using = (await _get_list(app, list_id)).stations
    if using:
        # Silently falling back to "every valid tag" would widen access: make it explicit.
        raise HTTPException(
            409, f"authorization list {list_id} is assigned to {', '.join(using)}; unassign first"
        )
    await store.delete_list(app, list_id)


# --- a station's list -------------------------------------------------------------------


@router.get("/stations/{station_id}/auth-list", response_model=AssignmentOut)
async def get_assignment(station_id: str, app: AppDep) -> AssignmentOut:
    await registered_station(app, station_id)
    state = await store.station_state(app, station_id)
    return AssignmentOut(station_id=station_id, auth_list_id=state and state.auth_list_id)


@router.put("/stations/{station_id}/auth-list", response_model=AssignmentOut)
async def put_assignment(station_id: str, body: Assignment, app: AppDep) -> AssignmentOut:
    """Which tags go to the station: an authorization list, or null for every valid tag."""
    await registered_station(app, station_id)
    if body.auth_list_id is not None and await store.auth_list(app, body.auth_list_id) is None:
        raise HTTPException(422, f"authorization list {body.auth_list_id} does not exist")
    await store.assign(app, station_id, body.auth_list_id)
    sync.lists_changed(app)
    return AssignmentOut(station_id=station_id, auth_list_id=body.auth_list_id)


@router.post(
    "/stations/{station_id}/local-list", response_model=PushOut, responses=CALL_ERROR_RESPONSES
)
async def push_local_list(
    station_id: str,
    body: PushRequest,
    app: AppDep,
    timeout: Annotated[float | None, Query(gt=0, le=300, description="Per message, s.")] = None,
) -> PushOut:
    """Build the station's list from the id tag store and send it (SendLocalList).

    Full sends every entry; Differential only what changed since the version the station
    accepted last (nothing when nothing changed). Versions are chosen for you. 422: the list
    would exceed the station's LocalAuthListMaxLength (nothing sent).
    """
    await registered_station(app, station_id)
    report = await sync.push(app, station_id, body.update_type, timeout)  # failures: kernel
    state = await store.station_state(app, station_id)
    return PushOut(
        station_id=station_id,
        list_version=state.list_version if state else 0,
        size=await store.mirror_size(app, station_id),
        **report,
    )


@router.get("/stations/{station_id}/local-list", response_model=LocalListOut)
async def show_local_list(
    station_id: str, app: AppDep, entries: Annotated[bool, Query()] = False
) -> LocalListOut:
    """What the station last accepted (a mirror kept from its answers)."""
    await registered_station(app, station_id)
    state = await store.station_state(app, station_id)
    mirror = await store.mirror(app, station_id)
    try:
        pending: int | None = len(differences(mirror, await sync.desired(app, station_id)))
    except PayloadRejected:  # no tag store to compare with
        pending = None
    return LocalListOut(
        station_id=station_id,
        auth_list_id=state.auth_list_id if state else None,
        list_version=state.list_version if state else 0,
        size=len(mirror),
        needs_full=bool(state and state.needs_full),
        last_sync_at=state and state.last_sync_at,
        last_attempt_at=state and state.last_attempt_at,
        last_update_type=state and state.last_update_type,
        last_result=state and state.last_result,
        reported_version=state and state.reported_version,
        reported_at=state and state.reported_at,
        pending_changes=pending,
        entries=full_entries(mirror) if entries else None,
    )
