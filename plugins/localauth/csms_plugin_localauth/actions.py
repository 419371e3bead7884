"""SendLocalList and GetLocalListVersion: checks before sending, effects recorded on answer,
whichever endpoint sent the call (this plugin's routes, the generic call endpoint, the CLI)."""

from __future__ import annotations

from csms_core import Csms, PayloadRejected

from . import store, sync
from .lists import apply_update


async def check_send_local_list(app: Csms, station_id: str, payload: dict) -> None:
    """Refuse what the spec forbids or the station cannot hold, before anything is sent."""
    entries = payload.get("localAuthorizationList") or []
    if payload["listVersion"] <= 0:
        raise PayloadRejected(
            "listVersion must be above 0: -1 and 0 have a special meaning in "
            "GetLocalListVersion.conf (OCPP 1.6 errata 3.52)"
        )
    tags = [e["idTag"] for e in entries]
    if len(set(tags)) != len(tags):
        raise PayloadRejected("localAuthorizationList names an idTag more than once")
    if payload["updateType"] == "Full" and any("idTagInfo" not in e for e in entries):
        raise PayloadRejected("every entry of a Full update needs its idTagInfo")
    send_max, list_max = await sync.limits(app, station_id)
    if send_max is not None and len(entries) > send_max:
        raise PayloadRejected(
            f"{len(entries)} entries in one SendLocalList, but the station's "
            f"SendLocalListMaxLength is {send_max}"
        )
    if list_max is not None:
        current = {} if payload["updateType"] == "Full" else await store.mirror(app, station_id)
        size = len(apply_update(current, payload["updateType"], entries))
        if size > list_max:
            raise PayloadRejected(
                f"the list would hold {size} entries, but the station's "
                f"LocalAuthListMaxLength is {list_max}"
            )


async def on_send_local_list(app: Csms, station_id: str, request: dict, response: dict) -> None:
    await store.record_send(app, station_id, request, response["status"])
    retry = sync.needs_full_retry(request["updateType"], response["status"])
    if retry and not sync.in_push.get():
        # Sent by hand (generic endpoint): recover once the current call has finished.
        sync.recover_later(app, station_id)


async def on_get_local_list_version(
    app: Csms, station_id: str, request: dict, response: dict
) -> None:
    await store.record_reported_version(app, station_id, response["listVersion"])
