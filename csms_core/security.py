"""Secrets: station passwords (salted hashes) and operator API keys (hashed, shown once)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence

MIN_PASSWORD_LENGTH = 16  # security whitepaper: AuthorizationKey is 16-40 characters
MAX_PASSWORD_LENGTH = 40
MAX_STATION_ID_LENGTH = 48  # OCPP 1.6's chargeBoxIdentity is a CiString48


def station_id_problem(station_id: str) -> str | None:
    """Why ``station_id`` cannot be a station's identity, or None. One rule for the API, the
    handshake and the CLI: it must be a single URL path segment (no ``/``), a Basic-auth user
    name (no ``:``), safe to log and to show (printable: no C0, C1, DEL or other invisible
    characters; spaces are fine, as OCPP-J's own example ``RDAM 123``)."""
    if not 1 <= len(station_id) <= MAX_STATION_ID_LENGTH:
        return f"a station id is 1 to {MAX_STATION_ID_LENGTH} characters"
    if station_id in (".", ".."):
        return "a station id cannot be '.' or '..'"
    for char in station_id:
        if char in "/:":
            return f"a station id cannot contain {char!r}"
        if not char.isprintable() and char != " ":
            return f"a station id cannot contain control or invisible characters ({char!r})"
    return None


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


class LoginLimiter:
    """Failed station logins per (source address, station id), with exponential backoff.

    The first ``free_failures`` failures of a pair cost nothing; each further one refuses the
    pair for 1, 2, 4 ... seconds, at most ``max_backoff``. Other stations from the same
    address, and the same station from other addresses, are never affected. A success clears
    the pair; a pair quiet for ``forget_after`` seconds is forgotten. At most ``capacity``
    pairs are kept: the one that failed longest ago is dropped first, so a flood of made-up
    ids costs a bounded amount of memory."""

    def __init__(self, free_failures: int, max_backoff: float, capacity: int) -> None:
        self.free_failures = free_failures
        self.max_backoff = max_backoff
        self.capacity = capacity
        self.forget_after = max(600.0, 10 * max_backoff)
        # (source, station id) -> (failures, refused until, last failure); oldest failure first.
        self._pairs: OrderedDict[tuple[str, str], tuple[int, float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pairs)

    def retry_after(self, source: str, station_id: str) -> float:
        """Seconds until this pair may try again; 0 when it may try now."""
        entry = self._pairs.get((source, station_id))
        if entry is None:
            return 0.0
        return max(0.0, entry[1] - time.monotonic())

    def failed(self, source: str, station_id: str) -> None:
        now = time.monotonic()
        key = (source, station_id)
        previous = self._pairs.pop(key, None)
        recent = previous is not None and now - previous[2] < self.forget_after
        failures = previous[0] + 1 if previous is not None and recent else 1
        over = failures - self.free_failures
        backoff = min(2.0 ** (over - 1), self.max_backoff) if over > 0 else 0.0
        self._pairs[key] = (failures, now + backoff, now)
        self._prune(now)

    def succeeded(self, source: str, station_id: str) -> None:
        self._pairs.pop((source, station_id), None)

    def _prune(self, now: float) -> None:
        pairs = self._pairs
        while pairs:
            oldest = next(iter(pairs.values()))
            if len(pairs) <= self.capacity and now - oldest[2] < self.forget_after:
                return
            pairs.popitem(last=False)


class LogBudget:
    """A warning log line that cannot flood the log: at most ``burst`` records per
    ``interval`` seconds; then one line says how many were left out."""

    def __init__(self, logger: logging.Logger, burst: int = 20, interval: float = 10.0) -> None:
        self.logger = logger
        self.burst = burst
        self.interval = interval
        self._window_start = 0.0
        self._logged = 0
        self._dropped = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._window_start >= self.interval:
            if self._dropped:
                self.logger.warning(
                    "%d more like this in the last %.0f s left out of the log",
                    self._dropped,
                    now - self._window_start,
                )
            self._window_start, self._logged, self._dropped = now, 0, 0
        if self._logged < self.burst:
            self._logged += 1
            self.logger.warning(message, *args)
        else:
            self._dropped += 1


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(cidrs: Iterable[str]) -> list[Network]:
    """``trusted_proxies`` entries: addresses or CIDR blocks; raises ValueError for a bad one."""
    return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs]


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client's address: the TCP peer, unless the peer is a trusted proxy; then the
    right-most ``X-Forwarded-For`` hop that is not itself a trusted proxy (hops further left
    were written by the client and prove nothing)."""
    if not trusted or not forwarded_for or not _is_in(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        if not _is_in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from a proxy we trust: fall back to the proxy itself
    return peer


def _is_in(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
