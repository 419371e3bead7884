"""Operator authentication: ``Authorization: Bearer <key>`` on every route but /health."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from ..security import hash_api_key, new_api_key
from ..storage import Database
from ..storage.models import ApiKey

bearer = HTTPBearer(auto_error=False, description="An operator API key.")


class ApiKeyStore:
    """Keys from settings (compared in constant time) and keys stored hashed in the database."""

    def __init__(self, db: Database, configured: list[str]) -> None:
        self.db = db
        self._configured = [hash_api_key(key) for key in configured]

    async def verify(self, key: str) -> bool:
        digest = hash_api_key(key)
        if any(hmac.compare_digest(digest, known) for known in self._configured):
            return True
        async with self.db.read() as session:
            found = await session.scalar(
                select(ApiKey.id).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
            )
        return found is not None

    async def create(self, name: str) -> tuple[ApiKey, str]:
        """Returns the record and the key itself, which is never stored or shown again."""
        key = new_api_key()
        record = ApiKey(
            name=name, prefix=key[:12], key_hash=hash_api_key(key), created_at=datetime.now(UTC)
        )
        async with self.db.transaction() as session:
            session.add(record)
        return record, key

    async def list(self) -> list[ApiKey]:
        async with self.db.read() as session:
            return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))

    async def revoke(self, key_id: int) -> bool:
        async with self.db.transaction() as session:
            record = await session.get(ApiKey, key_id)
            if record is None or record.revoked_at is not None:
                return False
            record.revoked_at = datetime.now(UTC)
        return True


# Set in the request's scope by the gate (gate.py) once it has checked the key.
OPERATOR_VERIFIED = "csms.operator_verified"


async def require_operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Every operator route's dependency. The gate checked the key before the body was read;
    this declares the bearer scheme in the OpenAPI document, and refuses a route the gate
    did not cover rather than serve it without a key."""
    if not request.scope.get(OPERATOR_VERIFIED):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
