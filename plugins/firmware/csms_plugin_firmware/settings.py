"""The ``[plugins.firmware]`` settings section."""

from __future__ import annotations

from pydantic import BaseModel, Field

MIB = 1 << 20


class FirmwareSettings(BaseModel):
    public_url: str | None = Field(
        None,
        description="Base URL stations use to reach this CSMS's file routes (firmware "
        "downloads, diagnostics uploads), e.g. https://csms.example.com:8180. Default: the "
        "API's scheme, host and port (the machine's name when listening on 0.0.0.0).",
    )
    max_firmware_size: int = Field(512 * MIB, gt=0, description="Largest firmware image, bytes.")
    max_diagnostics_size: int = Field(
        100 * MIB, gt=0, description="Largest diagnostics upload from a station, bytes."
    )
    diagnostics_upload_ttl: float = Field(
        86400.0,
        gt=0,
        description="How long a diagnostics upload URL accepts files after the request, s.",
    )
