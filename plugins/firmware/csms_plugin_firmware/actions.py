"""CSMS-initiated actions of the profile: rules checked before sending, effects recorded
after the answer, whichever endpoint (generic call route, convenience route, CLI) sent them."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from csms_core import Csms, PayloadRejected
from csms_core.redact import url_without_password

from . import store

# Path prefixes of our public routes (see api.py); a location under them is ours.
FIRMWARE_PATH = "/files/firmware/"
DIAGNOSTICS_PATH = "/files/diagnostics/"


def _check_location(payload: dict) -> None:
    parts = urlsplit(payload["location"])
    if not parts.scheme or not (parts.netloc or parts.path):
        shown = url_without_password(payload["location"])
        raise PayloadRejected(f"location {shown!r} is not an absolute URI")


def _check_retries(payload: dict) -> None:
    for key in ("retries", "retryInterval"):
        if payload.get(key, 0) < 0:
            raise PayloadRejected(f"{key} must not be negative")


def _parse_time(payload: dict, key: str) -> datetime | None:
    value = payload.get(key)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadRejected(f"{key} {value!r} is not an ISO 8601 date-time") from None


def check_update_firmware(app: Csms, station_id: str, payload: dict) -> None:
    _check_location(payload)
    _check_retries(payload)
    _parse_time(payload, "retrieveDate")


def check_get_diagnostics(app: Csms, station_id: str, payload: dict) -> None:
    _check_location(payload)
    _check_retries(payload)
    start, stop = _parse_time(payload, "startTime"), _parse_time(payload, "stopTime")
    if start is not None and stop is not None:
        try:
            if start > stop:
                raise PayloadRejected("startTime is after stopTime")
        except TypeError:  # one with a time zone, one without
            raise PayloadRejected("startTime and stopTime must both carry a time zone") from None


def hosted_token(location: str) -> str | None:
    """The image token when ``location`` is one of our firmware URLs."""
    path = urlsplit(location).path
    if FIRMWARE_PATH not in path:
        return None
    rest = path.split(FIRMWARE_PATH, 1)[1]
    return rest.split("/", 1)[0] or None


async def on_update_firmware(app: Csms, station_id: str, request: dict, response: dict) -> None:
    image_id = None
    token = hosted_token(request["location"])
    if token is not None:
        image = await store.image_by_token(app, token)
        image_id = image.id if image is not None else None
    await store.record_update(app, station_id, request, image_id)


async def on_get_diagnostics(app: Csms, station_id: str, request: dict, response: dict) -> None:
    await store.record_diagnostics_answer(app, station_id, request, response)
