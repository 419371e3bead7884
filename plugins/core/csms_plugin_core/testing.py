"""Core-profile payloads for tests: a StartTransaction and a StopTransaction as a station
sends them, with defaults a test overrides by keyword."""

from __future__ import annotations

from typing import Any

NOW = "2026-01-01T12:00:00.000Z"  # when test transactions start
LATER = "2026-01-01T13:00:00Z"  # when they stop


def start(id_tag: str = "TAG1", connector: int = 1, meter: int = 1000, **kw: Any) -> dict:
    """A StartTransaction payload (extra fields, e.g. ``reservationId=7``, by keyword)."""
    return {"connectorId": connector, "idTag": id_tag, "meterStart": meter, "timestamp": NOW, **kw}


def stop(transaction_id: int, meter: int = 5000, **kw: Any) -> dict:
    """A StopTransaction payload (extra fields, e.g. ``reason="EVDisconnected"``, by keyword)."""
    return {"transactionId": transaction_id, "meterStop": meter, "timestamp": LATER, **kw}
