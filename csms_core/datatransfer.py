"""DataTransfer from stations, answered by the kernel beside its registry: vendors register
handlers with ``register_data_transfer``, whichever profile plugins are enabled."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import StationContext

ACTION = "DataTransfer"


async def dispatch(station: StationContext, payload: dict) -> dict:
    """The handler for (vendorId, messageId), else the vendor's handler for any message id;
    none: UnknownMessageId for a known vendor, else UnknownVendorId (OCPP 1.6 4.3)."""
    registry = station.app.registry.data_transfer
    vendor_id = payload["vendorId"]
    handler = registry.get((vendor_id, payload.get("messageId"))) or registry.get((vendor_id, None))
    if handler is not None:
        answer = handler(station, payload)
        return await answer if inspect.isawaitable(answer) else answer
    if any(vendor == vendor_id for vendor, _ in registry):
        return {"status": "UnknownMessageId"}
    return {"status": "UnknownVendorId"}
