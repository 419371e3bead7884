"""Exceptions that cross module boundaries (API, CLI, plugins)."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration mistake found at start-up; the message names the culprit."""


class CallFailed(Exception):
    """A CSMS-initiated call did not produce a CALLRESULT."""


class UnknownStation(CallFailed):
    def __init__(self, station_id: str) -> None:
        super().__init__(f"station {station_id!r} is not registered")
        self.station_id = station_id


class StationNotConnected(CallFailed):
    def __init__(self, station_id: str) -> None:
        super().__init__(f"station {station_id!r} is not connected")
        self.station_id = station_id


class StationRejected(CallFailed):
    """The station's boot was answered Rejected: OCPP 1.6 4.2, the CSMS initiates nothing."""

    def __init__(self, station_id: str) -> None:
        super().__init__(
            f"station {station_id!r} was rejected at boot; nothing is sent to it until it "
            "boots again and is accepted"
        )
        self.station_id = station_id


class ActionNotAvailable(CallFailed):
    """No enabled plugin owns this CSMS-initiated action."""

    def __init__(self, action: str) -> None:
        super().__init__(f"action {action!r} is unknown or its plugin is disabled")
        self.action = action


class PayloadRejected(CallFailed):
    """The payload fails the schema or the owning plugin's rules; nothing was sent."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class CallTimeout(CallFailed):
    def __init__(self, station_id: str, action: str, timeout: float) -> None:
        super().__init__(f"{station_id} did not answer {action} within {timeout:g} s")


class CallErrorReceived(CallFailed):
    """The station answered with a CALLERROR."""

    def __init__(self, code: str, description: str, details: dict | None = None) -> None:
        super().__init__(f"station answered CALLERROR {code}: {description}")
        self.code = code
        self.description = description
        self.details = details or {}
