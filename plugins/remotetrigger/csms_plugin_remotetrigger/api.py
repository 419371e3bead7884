"""Operator routes: send a trigger (optionally waiting for the triggered message) and list
a station's triggers."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from csms_core.api import ApiModel, AppDep, Paged, PageDep, registered_station
from csms_core.api.deps import CALL_ERROR_RESPONSES

from . import actions, store
from .actions import TriggerableMessage
from .waiters import first_match

router = APIRouter(tags=["remote trigger"])


class TriggerRequest(ApiModel):
    requested_message: TriggerableMessage
    connector_id: int | None = Field(None, ge=0, description="Omit for all connectors.")
    wait: float | None = Field(
        None,
        gt=0,
        le=300,
        description="Seconds to wait, once the station accepted, for the triggered message.",
    )


class TriggeredMessage(ApiModel):
    action: str
    payload: dict[str, Any]
    received_at: datetime


class TriggerResult(ApiModel):
    status: str = Field(description="TriggerMessage.conf: Accepted, Rejected or NotImplemented.")
    triggered_message: TriggeredMessage | None = Field(
        None, description="With wait: the first matching message the station sent."
    )
    timed_out: bool = Field(False, description="With wait: the message did not come in time.")


class TriggerRecord(ApiModel):
    id: int
    station_id: str
    requested_message: str
    connector_id: int | None
    status: str | None
    error: str | None
    created_at: datetime


@router.post(
    "/stations/{station_id}/trigger", response_model=TriggerResult, responses=CALL_ERROR_RESPONSES
)
async def trigger(station_id: str, body: TriggerRequest, app: AppDep) -> Any:
    """Send TriggerMessage; with ``wait``, answer once the triggered message has arrived."""
    payload: dict[str, Any] = {"requestedMessage": body.requested_message}
    if body.connector_id is not None:
        payload["connectorId"] = body.connector_id
    async with contextlib.AsyncExitStack() as stack:
        messages = None
        if body.wait:
            # Before sending: the station may send the message before we see its answer.
            messages = await stack.enter_async_context(app.watch_station(station_id))
        # Failures become the contract's status codes in the kernel's exception handler;
        # CALLERRORs and time-outs are recorded by the call_completed event.
        response = await app.call(station_id, actions.ACTION, payload)
        result = TriggerResult(status=response["status"])
        if messages is not None and response["status"] == "Accepted":
            arrived = first_match(messages, body.requested_message, body.connector_id)
            try:
                message = await asyncio.wait_for(arrived, body.wait)
            except TimeoutError:
                result.timed_out = True
            else:
                result.triggered_message = TriggeredMessage.model_validate(message)
        return result


@router.get("/stations/{station_id}/triggers", response_model=Paged[TriggerRecord])
async def list_triggers(station_id: str, app: AppDep, page: PageDep) -> Paged[TriggerRecord]:
    """The station's triggers, newest first."""
    await registered_station(app, station_id)
    return await store.history(app, station_id, page, TriggerRecord)
