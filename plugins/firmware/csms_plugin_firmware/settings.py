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

    ftp_enabled: bool = Field(
        False,
        description="Run the built-in FTP receiver for diagnostics uploads (for stations "
        "that only upload by FTP); requests then choose it with protocol=ftp.",
    )
    ftp_host: str | None = Field(None, description="FTP listen address; default: host.")
    ftp_port: int = Field(2121, ge=0, le=65535, description="FTP control port (0: any).")
    ftp_public_host: str | None = Field(
        None, description="Host name put in ftp:// locations; default: public_url's host."
    )
    ftp_passive_ports: str | None = Field(
        None, pattern=r"^\d+-\d+$", description="Passive data ports, e.g. 60000-60099."
    )
    ftp_masquerade_address: str | None = Field(
        None, description="Address announced in PASV replies when behind NAT."
    )
