"""The ``[plugins.core]`` settings section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

RegistrationStatus = Literal["Accepted", "Pending", "Rejected"]


class CoreSettings(BaseModel):
    heartbeat_interval: int = Field(
        300, ge=1, description="Seconds; the interval answered to an Accepted boot."
    )
    registration_status: RegistrationStatus = Field(
        "Accepted",
        description="Answer to a BootNotification unless the station has its own override.",
    )
    boot_retry_interval: int = Field(
        60, ge=1, description="Seconds a Pending or Rejected station waits before booting again."
    )
    allow_concurrent_tx: bool = Field(
        False, description="Allow one id tag to run transactions on several connectors at once."
    )
    get_configuration_on_boot: bool = Field(
        False,
        description="Send GetConfiguration after each Accepted boot (unsolicited: off by default).",
    )
