"""What the route modules share: the store's refusals as HTTP errors, meter value rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi import HTTPException

from csms_core.api import ApiModel

from .. import store


@contextmanager
def refusals() -> Iterator[None]:
    """``store.Unknown`` answers 404, ``Conflict`` 409, ``Invalid`` 422, with its reason."""
    try:
        yield
    except store.Unknown as exc:
        raise HTTPException(404, str(exc)) from None
    except store.Conflict as exc:
        raise HTTPException(409, str(exc)) from None
    except store.Invalid as exc:
        raise HTTPException(422, str(exc)) from None


class MeterValueOut(ApiModel):
    timestamp: datetime
    connector_id: int | None
    transaction_id: int | None
    value: str
    context: str | None
    format: str | None
    measurand: str | None
    phase: str | None
    location: str | None
    unit: str | None
    source: str
