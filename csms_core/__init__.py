"""OCPP 1.6-J CSMS kernel: connections, framing, routing, storage, settings and the API."""

__version__ = "0.1.0"

from .errors import PayloadRejected
from .hookspecs import hookimpl

__all__ = ["PayloadRejected", "__version__", "hookimpl"]
