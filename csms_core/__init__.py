"""OCPP 1.6-J CSMS kernel: connections, framing, routing, storage, settings and the API.

What a plugin author needs, from one place::

    from csms_core import Csms, StationContext, TransactionStarted, hookimpl
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .contracts import (
    Connector,
    IdTag,
    IdTagInfo,
    MeterValues,
    StationConfiguration,
    StatusNotification,
    Transaction,
    TransactionStarted,
    TransactionStopped,
)
from .errors import PayloadRejected
from .hookspecs import hookimpl

if TYPE_CHECKING:
    from .app import Csms
    from .session import StationContext

# Imported on first use: the app pulls in the servers, storage and every dependency,
# which ``from csms_core import hookimpl`` in a plugin module must not.
_LAZY = {"Csms": ".app", "StationContext": ".session"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Connector",
    "Csms",
    "IdTag",
    "IdTagInfo",
    "MeterValues",
    "PayloadRejected",
    "StationConfiguration",
    "StationContext",
    "StatusNotification",
    "Transaction",
    "TransactionStarted",
    "TransactionStopped",
    "__version__",
    "hookimpl",
]
