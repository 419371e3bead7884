"""The ``[plugins.security]`` settings section."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, model_validator


class SecuritySettings(BaseModel):
    model_config = {"extra": "forbid"}

    ca_cert: Path | None = Field(
        None,
        description="CA certificate (PEM) that signs the stations' CSRs (SignCertificate). "
        "Unset: SignCertificate is answered Rejected.",
    )
    ca_key: Path | None = Field(None, description="The CA's private key (PEM, unencrypted).")
    certificate_days: int = Field(
        365, ge=1, le=3650, description="Validity of a signed charge point certificate, days."
    )
    cpo_name: str | None = Field(
        None,
        description="When set, a CSR's organizationName (O) must be this (the stations' "
        "CpoName, whitepaper A02.FR.13 / A00.FR.404).",
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> SecuritySettings:
        if (self.ca_cert is None) != (self.ca_key is None):
            raise ValueError("ca_cert and ca_key go together")
        return self

    @property
    def signing(self) -> bool:
        return self.ca_cert is not None
