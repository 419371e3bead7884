"""Settings: ``[plugins.smartcharging]`` in the config file, ``CSMS_PLUGINS__SMARTCHARGING__*``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SmartChargingSettings(BaseModel):
    voltage: float = Field(
        230.0, gt=0, description="Line voltage for A <-> W conversion (section 7.12)."
    )
    max_current: float = Field(
        32.0,
        gt=0,
        description="A connector's rating in A per phase: the composite where no profile "
        "limits charging, and a group member's maximum unless the group says otherwise.",
    )
    min_current: float = Field(
        6.0,
        ge=0,
        description="Below this (A per phase) charging is not worth it (IEC 61851's 6 A): a "
        "group member's minimum unless the group or a profile's minChargingRate says otherwise.",
    )
    load_stack_level: int = Field(
        1, ge=0, description="stackLevel of the profiles load management pushes."
    )
    load_profile_id_base: int = Field(
        900_000,
        description="Load management's TxProfiles use this plus the connectorId as "
        "chargingProfileId; its fallback TxDefaultProfiles this minus 1 minus the connectorId.",
    )
