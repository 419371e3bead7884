"""TriggerMessage: the rules checked before it is sent, and recording what was sent.

The errata rule (OCPP 1.6 errata v4.0, 3.40): once the CSMS answered a BootNotification with
Accepted, it SHALL NOT trigger another BootNotification "until the Charge Point sends a
BootNotification.req". So "boots again" means precisely: a new BootNotification.req arrives.
Our answer to that one decides again: Accepted refuses boot triggers anew, Pending or Rejected
allows them (that is what the trigger is for during registration). A reconnect without a
BootNotification, an accepted Reset or an accepted trigger do not count: the station may still
be running the same boot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from csms_core import Csms, PayloadRejected

from . import PLUGIN, store

ACTION = "TriggerMessage"
BOOT_NOTIFICATION = "BootNotification"

# What TriggerMessage may ask for (OCPP 1.6 5.17): the API's and the CLI's choices.
TriggerableMessage = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]


@dataclass
class RemoteTriggerState:
    # The status we last answered a BootNotification with, per station connected here. The
    # freshest knowledge on this node, and right even when the boot handler keeps no record;
    # forgotten on disconnect, after which the kernel's stations table decides.
    boot_status: dict[str, str] = field(default_factory=dict)


def state(app: Csms) -> RemoteTriggerState:
    return app.plugin_state(PLUGIN, RemoteTriggerState)


async def boot_accepted(app: Csms, station_id: str) -> bool:
    """Whether the station's current boot was accepted (errata 3.40)."""
    known = state(app).boot_status.get(station_id)
    if known is not None:
        return known == "Accepted"
    station = await app.stations.get(station_id)
    return station is not None and station.registration_status == "Accepted"


async def check(app: Csms, station_id: str, payload: dict) -> None:
    requested = payload["requestedMessage"]
    if requested not in app.registry.handlers:
        # The station would be answered NotSupported: refuse rather than trigger for nothing.
        raise PayloadRejected(f"no enabled plugin handles {requested}; not triggering it")
    if requested == BOOT_NOTIFICATION and await boot_accepted(app, station_id):
        raise PayloadRejected(
            f"station {station_id!r} is already accepted: a BootNotification may be triggered"
            " only after it sends a new BootNotification (OCPP 1.6 errata 3.40)"
        )


def permits(payload: dict) -> list[str]:
    # OCPP 1.6 4.2: a Pending station may send what it was asked for with TriggerMessage.
    return [payload["requestedMessage"]]


async def on_result(app: Csms, station_id: str, request: dict, response: dict) -> None:
    await store.record(app, station_id, request, status=response["status"])
