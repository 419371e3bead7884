"""Operator routes of the security whitepaper."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, field_validator

from csms_core.api import ApiModel, AppDep, Paged, PageDep, registered_station
from csms_core.api.deps import CALL_ERROR_RESPONSES

from . import actions, profiles, store
from .messages import CERTIFICATE_TYPES, TRIGGERED

router = APIRouter(tags=["security"])


class SecurityEventOut(ApiModel):
    id: int
    station_id: str
    type: str
    timestamp: datetime
    tech_info: str | None
    received_at: datetime


@router.get("/stations/{station_id}/security-events", response_model=Paged[SecurityEventOut])
async def list_security_events(
    station_id: str,
    app: AppDep,
    page: PageDep,
    type: Annotated[str | None, Query(description="Only events of this type.")] = None,
) -> Paged[SecurityEventOut]:
    """The station's SecurityEventNotifications, newest first."""
    await registered_station(app, station_id)
    return await store.security_events(app, station_id, page, SecurityEventOut, type)


# --- AuthorizationKey (A01, TC_073) and SecurityProfile (A05, TC_083) -------------------------


class AuthorizationKeyRequest(ApiModel):
    authorization_key: str | None = Field(
        None,
        min_length=16,
        max_length=40,
        description="The new Basic-auth password (16-40 characters). Omit it and the CSMS "
        "generates 20 random bytes as 40 hex digits (whitepaper A00.FR.205, A01.FR.07); "
        "it is never shown.",
    )


class ChangeResult(ApiModel):
    status: str = Field(description="ChangeConfiguration.conf status from the station.")


class SecurityProfileRequest(ApiModel):
    security_profile: int = Field(ge=1, le=3)


class SecurityProfileOut(ApiModel):
    station_id: str
    min_security_profile: int = Field(description="Connections below it are refused.")
    connected_profile: int | None = Field(description="The profile of its last connection.")
    pending_profile: int | None = Field(
        description="Accepted upgrade, becomes the minimum once the station connects with it."
    )
    pending_since: datetime | None


@router.post(
    "/stations/{station_id}/authorization-key",
    response_model=ChangeResult,
    responses=CALL_ERROR_RESPONSES,
)
async def set_authorization_key(
    station_id: str, body: AuthorizationKeyRequest, app: AppDep
) -> ChangeResult:
    """Send ChangeConfiguration(AuthorizationKey); the station's password changes only when
    it answers Accepted (A01.FR.03/04)."""
    await registered_station(app, station_id)
    key = body.authorization_key or secrets.token_hex(20)
    payload = {"key": profiles.AUTHORIZATION_KEY, "value": key}
    return ChangeResult.model_validate(await app.call(station_id, "ChangeConfiguration", payload))


@router.post(
    "/stations/{station_id}/security-profile",
    response_model=ChangeResult,
    responses=CALL_ERROR_RESPONSES,
)
async def upgrade_security_profile(
    station_id: str, body: SecurityProfileRequest, app: AppDep
) -> ChangeResult:
    """Send ChangeConfiguration(SecurityProfile): only upwards, and only to a profile this
    server can serve (422 otherwise, nothing sent)."""
    await registered_station(app, station_id)
    payload = {"key": profiles.SECURITY_PROFILE, "value": str(body.security_profile)}
    return ChangeResult.model_validate(await app.call(station_id, "ChangeConfiguration", payload))


@router.get("/stations/{station_id}/security-profile", response_model=SecurityProfileOut)
async def get_security_profile(station_id: str, app: AppDep) -> SecurityProfileOut:
    station = await registered_station(app, station_id)
    known = await store.profile_state(app, station_id)
    return SecurityProfileOut(
        station_id=station_id,
        min_security_profile=station.min_security_profile,
        connected_profile=known.connected_profile if known else None,
        pending_profile=known.pending_profile if known else None,
        pending_since=known.pending_since if known else None,
    )


# --- certificates (A02/A03, M03-M05; TC_074-076) and ExtendedTriggerMessage -----------------------

CertificateUse = Literal[CERTIFICATE_TYPES]  # type: ignore[valid-type]
MessageTrigger = Literal[tuple(TRIGGERED)]  # type: ignore[valid-type]


class StatusOut(ApiModel):
    status: str


class ExtendedTriggerRequest(ApiModel):
    requested_message: MessageTrigger
    connector_id: int | None = Field(None, gt=0, description="Omit for the whole station.")


class SignRequestOut(ApiModel):
    id: int
    station_id: str
    status: str = Field(description="Our SignCertificate.conf: Accepted or Rejected.")
    reason: str | None = Field(description="Why it was rejected.")
    serial_number: str | None = Field(description="The certificate issued (hex).")
    certificate: str | None = Field(description="The certificate issued (PEM).")
    certificate_status: str | None = Field(description="The station's CertificateSigned.conf.")
    error: str | None = Field(description="Why CertificateSigned got no answer.")
    received_at: datetime
    answered_at: datetime | None


class InstallRequest(ApiModel):
    certificate_type: CertificateUse
    certificate: str = Field(max_length=5500, description="One PEM-encoded CA certificate.")


class CertificateHashData(ApiModel):
    hash_algorithm: Literal["SHA256", "SHA384", "SHA512"]
    issuer_name_hash: str = Field(max_length=128)
    issuer_key_hash: str = Field(max_length=128)
    serial_number: str = Field(max_length=40)


class DeleteRequest(ApiModel):
    certificate_hash_data: CertificateHashData


class QueryRequest(ApiModel):
    certificate_type: CertificateUse


class InstalledOut(ApiModel):
    status: str
    certificate_hash_data: list[dict[str, Any]] = []


class InstalledByType(ApiModel):
    certificate_type: str
    status: str
    certificate_hash_data: list[dict[str, Any]]
    asked_at: datetime

    @field_validator("certificate_hash_data", mode="before")
    @classmethod
    def _none_reported(cls, value: Any) -> Any:
        return [] if value is None else value  # NotFound comes without certificateHashData


class CertificateCallOut(ApiModel):
    id: int
    station_id: str
    action: str
    request: dict[str, Any]
    status: str | None
    response: dict[str, Any] | None
    error: str | None
    created_at: datetime


@router.post(
    "/stations/{station_id}/extended-trigger",
    response_model=StatusOut,
    responses=CALL_ERROR_RESPONSES,
)
async def extended_trigger(station_id: str, body: ExtendedTriggerRequest, app: AppDep) -> Any:
    """Send ExtendedTriggerMessage (e.g. SignChargePointCertificate: TC_074's first step)."""
    payload: dict[str, Any] = {"requestedMessage": body.requested_message}
    if body.connector_id is not None:
        payload["connectorId"] = body.connector_id
    return await app.call(station_id, actions.EXTENDED_TRIGGER, payload)


@router.get("/stations/{station_id}/sign-requests", response_model=Paged[SignRequestOut])
async def list_sign_requests(station_id: str, app: AppDep, page: PageDep) -> Paged[SignRequestOut]:
    """The station's SignCertificate requests and what became of them, newest first."""
    await registered_station(app, station_id)
    return await store.sign_requests(app, station_id, page, SignRequestOut)


@router.post(
    "/stations/{station_id}/certificates/install",
    response_model=StatusOut,
    responses=CALL_ERROR_RESPONSES,
)
async def install_certificate(station_id: str, body: InstallRequest, app: AppDep) -> Any:
    """Send InstallCertificate (M05) with a root certificate."""
    payload = {"certificateType": body.certificate_type, "certificate": body.certificate}
    return await app.call(station_id, actions.INSTALL_CERTIFICATE, payload)


@router.post(
    "/stations/{station_id}/certificates/delete",
    response_model=StatusOut,
    responses=CALL_ERROR_RESPONSES,
)
async def delete_certificate(station_id: str, body: DeleteRequest, app: AppDep) -> Any:
    """Send DeleteCertificate (M04) for the certificate these hashes name (as the station
    reported them: M04.FR.07 asks for the algorithm it was installed with)."""
    payload = {"certificateHashData": body.certificate_hash_data.model_dump(by_alias=True)}
    return await app.call(station_id, actions.DELETE_CERTIFICATE, payload)


@router.post(
    "/stations/{station_id}/certificates/query",
    response_model=InstalledOut,
    responses=CALL_ERROR_RESPONSES,
)
async def query_certificates(station_id: str, body: QueryRequest, app: AppDep) -> Any:
    """Send GetInstalledCertificateIds (M03); the answer is also recorded."""
    payload = {"certificateType": body.certificate_type}
    return await app.call(station_id, actions.GET_INSTALLED, payload)


@router.get("/stations/{station_id}/certificates", response_model=Paged[InstalledByType])
async def installed_certificates(
    station_id: str, app: AppDep, page: PageDep
) -> Paged[InstalledByType]:
    """The last GetInstalledCertificateIds answer per certificate type (nothing is sent)."""
    await registered_station(app, station_id)
    return await store.installed_certificates(app, station_id, page, InstalledByType)


@router.get("/stations/{station_id}/certificate-calls", response_model=Paged[CertificateCallOut])
async def list_certificate_calls(
    station_id: str,
    app: AppDep,
    page: PageDep,
    action: Annotated[str | None, Query(description="Only this action.")] = None,
) -> Paged[CertificateCallOut]:
    """Certificate calls and extended triggers sent to the station, newest first."""
    await registered_station(app, station_id)
    return await store.certificate_calls(app, station_id, page, CertificateCallOut, action)
