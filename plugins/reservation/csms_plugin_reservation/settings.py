"""The ``[plugins.reservation]`` settings section."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReservationSettings(BaseModel):
    model_config = {"extra": "forbid"}

    require_valid_id_tag: bool = Field(
        True,
        description="Refuse ReserveNow (422) unless the idTag is known and Accepted "
        "(asks the plugin answering id_tag_info, normally Core).",
    )
    fill_parent_id_tag: bool = Field(
        True,
        description="POST /reservations without parentIdTag sends the tag's known parent, so "
        "the station lets the whole group use the reservation.",
    )
    expiry_scan_seconds: float = Field(
        60.0,
        gt=0,
        description="Longest sleep of the expiry job; bounds how late a reservation made on "
        "another node is expired.",
    )
    max_events: int = Field(
        50, ge=1, description="Events (faults, other tags authorizing, ...) kept per reservation."
    )
