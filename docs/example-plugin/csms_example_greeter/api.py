"""Operator routes, under ``/api/v1`` with the API key."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from csms_core.api import ApiModel, AppDep, Paged, PageDep, registered_station

from . import store

router = APIRouter(tags=["greeter"])


class GreetingOut(ApiModel):
    station_id: str
    greeted_at: datetime


@router.get("/stations/{station_id}/greetings", response_model=Paged[GreetingOut])
async def list_greetings(station_id: str, app: AppDep, page: PageDep) -> Paged[GreetingOut]:
    await registered_station(app, station_id)
    return await store.greetings(app, station_id, page, GreetingOut)
