"""The shapes the Core profile's hooks carry (see "The Core profile's contract" in
``hookspecs.py``): what ``transaction_started`` passes, what ``active_transactions`` answers,
and so on. Keys are OCPP's camelCase. The plugin that answers (today ``core``) may add keys;
the ones named here are always there, so a plugin reading them never guesses."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class IdTagInfo(TypedDict):
    """OCPP 1.6 IdTagInfo, without nulls: ``id_tag_info`` answers it."""

    status: str  # Accepted, Blocked, Expired, Invalid, ConcurrentTx
    expiryDate: NotRequired[str]  # ISO 8601
    parentIdTag: NotRequired[str]


class IdTag(TypedDict):
    """One entry of ``list_id_tags``."""

    idTag: str
    idTagInfo: IdTagInfo


class Connector(TypedDict):
    """One entry of ``station_connectors``: the last StatusNotification of a connector."""

    connectorId: int
    status: str | None
    errorCode: str | None
    info: str | None
    vendorId: str | None
    vendorErrorCode: str | None
    timestamp: str | None  # ISO 8601


class StatusNotification(TypedDict):
    """``status_changed``'s ``status``: the StatusNotification.req payload."""

    connectorId: int
    errorCode: str
    status: str
    info: NotRequired[str]
    timestamp: NotRequired[str]
    vendorId: NotRequired[str]
    vendorErrorCode: NotRequired[str]


class TransactionStarted(TypedDict):
    """``transaction_started``'s ``transaction``."""

    transactionId: int
    connectorId: int
    idTag: str
    meterStart: int  # Wh
    timestamp: str  # the start, ISO 8601, as the station sent it
    reservationId: int | None
    idTagInfo: IdTagInfo


class TransactionStopped(TypedDict):
    """``transaction_stopped``'s ``transaction``."""

    transactionId: int
    connectorId: int
    idTag: str  # the tag that started it
    meterStop: int  # Wh
    timestamp: str  # the stop, ISO 8601
    reason: str


class Transaction(TypedDict):
    """One entry of ``active_transactions``: a running transaction."""

    transactionId: int
    connectorId: int
    idTag: str
    meterStart: int  # Wh
    timestamp: str  # the start, ISO 8601 (as in ``transaction_started``)
    reservationId: int | None


class MeterValues(TypedDict):
    """``meter_values_received``'s ``payload``: the MeterValues.req payload."""

    connectorId: int
    transactionId: NotRequired[int]
    meterValue: list[dict]


# ``station_configuration``'s answer: the station's last known OCPP configuration.
StationConfiguration = dict[str, str | None]

__all__ = [
    "Connector",
    "IdTag",
    "IdTagInfo",
    "MeterValues",
    "StationConfiguration",
    "StatusNotification",
    "Transaction",
    "TransactionStarted",
    "TransactionStopped",
]
