"""What must never be shown: one place for logs, stored snapshots, API and CLI output.

Masked:
- the value of a configuration key that holds a secret (``AuthorizationKey``, compared
  case-insensitively as OCPP 1.6 keys are): any JSON object with such a ``key`` and a
  ``value``, i.e. a ChangeConfiguration request or an item of a GetConfiguration answer;
- the password of any URL with one (``ftp://user:password@host/``), e.g. a GetDiagnostics
  or UpdateFirmware location (``mask_url_credentials`` also masks the user: a broker URL's
  token).

Values are replaced by ``***``; a URL keeps its user name so that it still says where it
points. The station's real values pass through untouched to whoever needs them (the
security plugin hashes a new AuthorizationKey); only what is shown or kept goes through here.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# Configuration keys whose value is a secret (security whitepaper 7.2: write-only), lower case.
SECRET_CONFIGURATION_KEYS = frozenset({"authorizationkey"})

# scheme://user:password@ ; the password runs to the last "@" before the path (as urlsplit
# reads it), so a password with a raw "@" in it is masked whole.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s:@]*:)[^/?#\s]*@")
_URL_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s]*@")


def is_secret_key(key: object) -> bool:
    """Whether a configuration key holds a secret (case-insensitive, as in OCPP 1.6)."""
    return isinstance(key, str) and key.lower() in SECRET_CONFIGURATION_KEYS


def mask_url_passwords(text: str) -> str:
    """``ftp://user:secret@host/`` -> ``ftp://user:***@host/``, wherever in ``text``."""
    if "@" not in text:
        return text
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}@", text)


def mask_url_credentials(text: str) -> str:
    """Every URL's user and password masked: ``nats://token@host`` -> ``nats://***@host``
    (a NATS token goes where a user name would)."""
    if "@" not in text:
        return text
    return _URL_USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)


def url_without_password(url: str) -> str:
    """The URL to store or return: ``ftp://user:secret@host/`` -> ``ftp://user@host/``."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:  # not a URL we can take apart: mask what looks like a password
        return mask_url_passwords(url)
    user, _, host = parts.netloc.rpartition("@")
    name = user.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{name}@{host}" if name else host))


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret masked (see the module docstring); the value
    itself when there is nothing to mask."""
    if isinstance(value, str):
        return mask_url_passwords(value)
    if isinstance(value, list):
        items = [redact(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        masked = {k: redact(v) for k, v in value.items()}
        secret = masked.get("value")
        if is_secret_key(value.get("key")) and isinstance(secret, str) and secret:
            masked["value"] = MASK
        changed = any(masked[k] is not v for k, v in value.items())
        return masked if changed else value
    return value


def redact_frame(text: str | bytes) -> str:
    """An OCPP-J frame (or any JSON text) as a log may show it."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lowered = text.lower()
    if (
        "@" not in text
        and "\\u" not in text
        and not any(key in lowered for key in SECRET_CONFIGURATION_KEYS)
    ):
        return text  # the usual frame: nothing that could be a secret
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return mask_url_passwords(text)
    masked = redact(frame)
    return text if masked is frame else json.dumps(masked, separators=(",", ":"))
