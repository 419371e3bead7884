"""Every hook the kernel offers to plugins, in one place, in two parts.

The kernel's hooks (it fires or calls them itself, and knows no OCPP feature):

- ``register_*(register)``: called once at start-up; the plugin calls ``register(...)``
  and the kernel builds its tables (routing, settings, tables, routes, commands) from that.
  Duplicates are start-up errors.
- ``check_call``, ``startup``, ``shutdown``.
- events about stations and calls (``station_*``, ``call_completed``): fired after the fact;
  every implementation is called, may be async, and a failing one is logged without
  stopping the others.

The Core profile's contract: events and queries that the plugin implementing the Core
profile (``core``) fires and answers, so that other profiles learn about statuses,
transactions and id tags without importing it. The kernel only declares them; their
payloads and answers are typed in ``csms_core.contracts``. Queries are ``firstresult``
hooks: the first non-None answer wins; with ``core`` disabled nobody answers (None).

Implementations may take fewer arguments than the spec names (pluggy passes the ones
they ask for), and may be plain functions or coroutines. Fire an event with
``app.fire(name, ...)`` and ask a query with ``app.query(name, ...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .app import Csms
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

PROJECT = "csms"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# === The kernel's hooks ===================================================================


# --- registration (start-up) -------------------------------------------------------------


@hookspec
def register_handlers(register: Any) -> None:
    """Register station-initiated actions: ``register(action, handler)``.

    ``handler(station: StationContext, payload: dict) -> dict`` answers the CALL.
    """


@hookspec
def register_actions(register: Any) -> None:
    """Register CSMS-initiated actions this plugin owns:
    ``register(action, check=None, on_result=None, permits=None)``.

    ``check(app, station_id, payload)`` raises ``csms_core.PayloadRejected`` to refuse a call
    before it is sent (API answers 422); ``on_result(app, station_id, payload, response)``
    records the effect of an answered call, whichever endpoint sent it.
    ``permits(payload)`` names the actions a station that is not yet accepted may send in
    answer to this call (OCPP 1.6 4.2: what TriggerMessage asked for); the node holding the
    station allows them for a minute, wherever the call came from.
    """


@hookspec
def register_schemas(register: Any) -> None:
    """Register JSON schemas for actions outside OCPP 1.6 (vendor extensions):
    ``register(action, request_schema=..., response_schema=...)``."""


@hookspec
def register_data_transfer(register: Any) -> None:
    """Register station DataTransfer handlers: ``register(vendor_id, handler, message_id=None)``.

    ``handler(station, payload) -> dict`` returns a DataTransfer.conf payload. The kernel
    answers every DataTransfer a station sends: by the handler for (vendorId, messageId),
    else the vendor's handler without a message id, else UnknownMessageId (the vendor is
    known) or UnknownVendorId.
    """


@hookspec
def register_settings(register: Any) -> None:
    """Register this plugin's settings section: ``register(name, PydanticModel)``.

    Values come from ``[plugins.<name>]`` in the config file and ``CSMS_PLUGINS__<NAME>__<FIELD>``.
    """


@hookspec
def register_config_keys(register: Any) -> None:
    """Declare the OCPP configuration keys this plugin's profile relies on:
    ``register(key, type_name, description, read_only=False)``."""


@hookspec
def register_tables(register: Any) -> None:
    """Register this plugin's storage: ``register(name, metadata, migrations_dir)``.

    ``migrations_dir`` holds only ``versions/`` (the plugin's Alembic revisions); the kernel
    owns the Alembic environment. Each name gets its own version table
    ``alembic_version_<name>``; ``csms db revision <name> -m ...`` writes a new revision.
    """


@hookspec
def register_api_routes(register: Any) -> None:
    """Register FastAPI routers: ``register(router)``; mounted under ``/api/v1``, authenticated."""


@hookspec
def register_public_routes(register: Any) -> None:
    """Register FastAPI routers served without an API key (URLs handed to stations)."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``csms`` command line: ``cli.add_command(...)``."""


@hookspec
def check_call(app: Csms, station_id: str, action: str, payload: dict) -> None:
    """Before any CSMS-initiated call is sent (after the schema and the owner's ``check``):
    raise ``csms_core.PayloadRejected`` to refuse it. Lets a plugin add rules to an action
    another plugin owns (e.g. a charging profile inside RemoteStartTransaction). May be async."""


# --- lifecycle ------------------------------------------------------------------------


@hookspec
def startup(app: Csms) -> None:
    """The server has started (database ready, before stations connect). May be async."""


@hookspec
def shutdown(app: Csms) -> None:
    """The server is stopping. May be async."""


# --- events ---------------------------------------------------------------------------


@hookspec
def station_connected(app: Csms, station_id: str, security_profile: int) -> None:
    """A station opened an OCPP session; ``security_profile`` is the whitepaper profile it
    connected with (0: neither Basic auth nor a client certificate, 1: Basic auth, 2: Basic
    auth over TLS, 3: TLS with a client certificate naming the station)."""


@hookspec
def station_disconnected(app: Csms, station_id: str) -> None:
    """A station's OCPP session ended."""


@hookspec
def station_removed(app: Csms, station_id: str) -> None:
    """An operator deleted the station (API or CLI); fired once the delete has committed, on
    the node that served the request. Drop what makes no sense without the station."""


@hookspec
def station_booted(app: Csms, station_id: str, status: str, boot: dict) -> None:
    """A BootNotification was answered (``status``: Accepted / Pending / Rejected)."""


@hookspec
def station_message(app: Csms, station_id: str, action: str, payload: dict) -> None:
    """A station-initiated message was answered (for instance a triggered one). Fired for
    every message once any plugin implements it: keep implementations cheap."""


@hookspec
def call_completed(
    app: Csms, station_id: str, action: str, request: dict, response: dict | None, error: Any
) -> None:
    """A CSMS-initiated call ended: ``response`` on CALLRESULT, else ``error``."""


# === The Core profile's contract ==========================================================
# Fired and answered by the plugin implementing the Core profile (``core``); the kernel
# declares them and never fires them. Shapes in contracts.py.


# --- events ---------------------------------------------------------------------------


@hookspec
def status_changed(
    app: Csms, station_id: str, connector_id: int, status: StatusNotification
) -> None:
    """A StatusNotification was recorded; ``status`` is its payload."""


@hookspec
def transaction_started(app: Csms, station_id: str, transaction: TransactionStarted) -> None:
    """A transaction started (``transactionId``, ``connectorId``, ``idTag``, ``meterStart``,
    ``timestamp``, ``reservationId`` and ``idTagInfo``)."""


@hookspec
def transaction_stopped(app: Csms, station_id: str, transaction: TransactionStopped) -> None:
    """A transaction stopped (``transactionId``, ``connectorId``, ``idTag``, ``meterStop``,
    ``timestamp``, ``reason``)."""


@hookspec
def meter_values_received(app: Csms, station_id: str, payload: MeterValues) -> None:
    """A MeterValues message was stored (the payload as the station sent it)."""


@hookspec
def id_tags_changed(app: Csms, id_tags: list[str]) -> None:
    """Id tags were created, changed or deleted by an operator."""


# --- queries --------------------------------------------------------------------------


@hookspec(firstresult=True)
def station_connectors(app: Csms, station_id: str) -> list[Connector] | None:
    """The station's connectors, each with its last status (``connectorId``, ``status``,
    ``errorCode``, ...)."""


@hookspec(firstresult=True)
def station_configuration(app: Csms, station_id: str) -> StationConfiguration | None:
    """The station's last known OCPP configuration as ``{key: value}``, or None."""


@hookspec(firstresult=True)
def id_tag_info(app: Csms, id_tag: str) -> IdTagInfo | None:
    """The idTagInfo an operator set for a tag (``status``, ``expiryDate``, ``parentIdTag``),
    or None when the tag is unknown."""


@hookspec(firstresult=True)
def list_id_tags(app: Csms) -> list[IdTag] | None:
    """Every id tag with its idTagInfo (``{"idTag": ..., "idTagInfo": {...}}``)."""


@hookspec(firstresult=True)
def active_transactions(app: Csms, station_id: str) -> list[Transaction] | None:
    """The station's running transactions (``transactionId``, ``connectorId``, ``idTag``,
    ``meterStart``, ``timestamp`` of the start, ``reservationId``)."""
