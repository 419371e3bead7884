"""Secrets: station passwords (salted hashes) and operator API keys (hashed, shown once)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque

MIN_PASSWORD_LENGTH = 16  # security whitepaper: AuthorizationKey is 16-40 characters
MAX_PASSWORD_LENGTH = 40


def check_password_rules(password: str) -> str | None:
    """Why this password is unacceptable, or None."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return (
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters "
            "(OCPP AuthorizationKey)"
        )
    return None


def hash_password(password: str) -> str:
    # Station keys are long random secrets, so one salted SHA-256 is enough and keeps a
    # reconnect storm of thousands of stations cheap (a slow KDF would cost minutes of CPU).
    salt = secrets.token_hex(16)
    digest = hashlib.sha256((salt + password).encode()).hexdigest()
    return f"sha256${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$", 2)
    except ValueError:
        return False
    if scheme != "sha256":
        return False
    candidate = hashlib.sha256((salt + password).encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def new_api_key() -> str:
    return "csms_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # API keys are 256-bit random tokens: an unsalted hash can be looked up directly.
    return hashlib.sha256(key.encode()).hexdigest()


class FailureLimiter:
    """Counts failed logins per source address over a sliding minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, source: str) -> deque[float]:
        window = self._failures.setdefault(source, deque())
        cutoff = time.monotonic() - 60
        while window and window[0] < cutoff:
            window.popleft()
        return window

    def blocked(self, source: str) -> bool:
        if source not in self._failures:
            return False
        window = self._recent(source)
        if not window:
            del self._failures[source]
            return False
        return len(window) >= self.per_minute

    def failed(self, source: str) -> None:
        self._recent(source).append(time.monotonic())
