"""Local Auth List Management profile: the local list and its version."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..station import SimStation


def send_local_list(station: SimStation, p: dict) -> dict:
    entries = p.get("localAuthorizationList") or []
    if len(entries) > int(station.config["SendLocalListMaxLength"]):
        return {"status": "Failed"}
    if p["updateType"] == "Full":
        new = {e["idTag"]: e["idTagInfo"] for e in entries if "idTagInfo" in e}
    else:
        if p["listVersion"] <= station.local_list_version:
            return {"status": "VersionMismatch"}
        new = dict(station.local_list)
        for e in entries:
            if "idTagInfo" in e:
                new[e["idTag"]] = e["idTagInfo"]
            else:
                new.pop(e["idTag"], None)
    if len(new) > int(station.config["LocalAuthListMaxLength"]):
        return {"status": "Failed"}
    station.local_list, station.local_list_version = new, p["listVersion"]
    return {"status": "Accepted"}


def get_local_list_version(station: SimStation, p: dict) -> dict:
    enabled = station.config["LocalAuthListEnabled"] == "true"
    return {"listVersion": station.local_list_version if enabled else -1}


RESPONDERS: dict[str, Callable[[SimStation, dict], dict]] = {
    "GetLocalListVersion": get_local_list_version,
    "SendLocalList": send_local_list,
}
