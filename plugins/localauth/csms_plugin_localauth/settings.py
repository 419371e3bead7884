"""The ``[plugins.localauth]`` settings section."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LocalAuthSettings(BaseModel):
    include_invalid: bool = Field(
        False,
        description="Also send Blocked/Expired/Invalid tags (with their status), so an offline "
        "station refuses them even when its cache still knows them. Default: valid tags only.",
    )
    sync_on_boot: bool = Field(
        False,
        description="After an Accepted boot, ask GetLocalListVersion and bring the list up to "
        "date (unsolicited calls: off by default, the official test tool fails them).",
    )
    sync_on_change: bool = Field(
        False,
        description="When id tags, authorization lists or assignments change, send differential "
        "updates to every connected station whose list changed (unsolicited: off by default).",
    )
    sync_delay: float = Field(
        5.0,
        ge=0,
        description="Seconds to gather changes before an automatic sync, so a burst of tag "
        "edits becomes one update per station (and to wait after a boot); 0: right away.",
    )
    sync_concurrency: int = Field(
        10, ge=1, description="Stations updated at the same time by an automatic sync."
    )
    send_list_max_length: int | None = Field(
        None,
        ge=1,
        description="Entries per SendLocalList when the station's SendLocalListMaxLength is "
        "unknown (None: no limit).",
    )
    local_list_max_length: int | None = Field(
        None,
        ge=0,
        description="List size limit when the station's LocalAuthListMaxLength is unknown "
        "(None: no limit).",
    )
