"""Admission of new OCPP connections: half-open handshakes must not take a node down.

A connection counts as a handshake in progress from accept() until its WebSocket handshake
ends (accepted, refused or timed out after ``handshake_timeout``). A new connection is closed
at once, before anything is read, when its source address already has
``handshakes_per_source`` in progress, when the node has ``handshakes_total`` in progress, or
when the process is within ``fd_reserve`` file descriptors of its limit (those stay for the
established stations, the API, the database and files)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import resource
import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection

log = logging.getLogger("csms.ocpp")

REFUSAL_LOG_SECONDS = 10.0


def source_key(host: str) -> str:
    """The address a limit applies to: IPv4 as is, IPv6 by its /64 (one subscriber's)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return host


def raise_fd_limit() -> int:
    """Lift the soft RLIMIT_NOFILE to the hard one (as Go and nginx do) and return it: the
    soft default (often 1024) would cap a node at a thousand stations."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 64  # no /proc: a guess at what a started node holds besides its sockets


class HandshakeGuard:
    def __init__(
        self,
        per_source: int,
        total: int,
        fd_reserve: int,
        connections: Callable[[], int],
    ) -> None:
        self.per_source = per_source
        self.total = total
        self.in_progress: Counter[str] = Counter()
        self.count = 0
        # Descriptors: what the process held at start, plus every connection since (the
        # OCPP server's and the API's); counting /proc/self/fd per accept would cost O(n).
        self.fd_budget = raise_fd_limit() - fd_reserve - open_fds()
        self.connections = connections
        self.refused: Counter[str] = Counter()
        self._last_report = float("-inf")

    def may_admit(self, source: str) -> bool:
        """Whether a connection from ``source`` is welcome now; a refusal is logged."""
        if self.connections() >= self.fd_budget:
            reason = "near the file descriptor limit"
        elif self.count >= self.total:
            reason = "too many handshakes in progress"
        elif self.in_progress[source] >= self.per_source:
            reason = f"too many handshakes in progress from {source}"
        else:
            return True
        self._note_refusal(reason)
        return False

    def admit(self, source: str) -> bool:
        """``may_admit``, and count the connection until ``done``."""
        if not self.may_admit(source):
            return False
        self.in_progress[source] += 1
        self.count += 1
        return True

    def done(self, source: str) -> None:
        self.count -= 1
        self.in_progress[source] -= 1
        if not self.in_progress[source]:
            del self.in_progress[source]

    def _note_refusal(self, reason: str) -> None:
        # A line per reason every few seconds, with counts, rather than one per refusal.
        self.refused[reason] += 1
        now = time.monotonic()
        if now - self._last_report >= REFUSAL_LOG_SECONDS:
            for what, n in self.refused.items():
                log.warning("refused %d new connection(s): %s", n, what)
            self.refused.clear()
            self._last_report = now


class GuardedConnection(ServerConnection):
    """A ServerConnection admitted by the guard when accepted, counted until its handshake
    ends."""

    guard: HandshakeGuard

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.source = source_key(str(peer[0])) if peer else "?"
        self.admitted = self.guard.admit(self.source)
        if not self.admitted:
            # Before reading a byte or starting a handler task: under a flood of refused
            # connections each must cost as little as possible; the descriptor is free at once.
            transport.abort()
            return
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.admitted:
            super().connection_lost(exc)

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().handshake(*args, **kwargs)
        finally:
            self.guard.done(self.source)


def guarded_connection(guard: HandshakeGuard) -> type[GuardedConnection]:
    return type("OcppConnection", (GuardedConnection,), {"guard": guard})


# How many connections one accept() call may refuse before it lets the event loop run.
REFUSALS_PER_ACCEPT = 256


class GuardedListener(socket.socket):
    """The listening socket: a connection the guard refuses is closed inside accept(), before
    asyncio makes a transport and websockets a protocol for it. Under a flood that is most
    connections, and each then costs two system calls instead of a millisecond of the loop.
    ``GuardedConnection`` counts the admitted ones exactly (accept() only looks)."""

    guard: HandshakeGuard

    def accept(self) -> tuple[socket.socket, Any]:
        for _ in range(REFUSALS_PER_ACCEPT):
            fd, address = self._accept()  # type: ignore[attr-defined]
            if self.guard.may_admit(source_key(str(address[0]))):
                return socket.socket(self.family, self.type, self.proto, fileno=fd), address
            os.close(fd)
        raise BlockingIOError  # the rest wait in the backlog; asyncio comes back for them


def listening_socket(
    host: str, port: int, reuse_port: bool, guard: HandshakeGuard
) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = GuardedListener(family, socket.SOCK_STREAM)
    listener.guard = guard
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # --workers: the kernel spreads connections
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    # A reconnect storm: thousands of SYNs at once; asyncio's default of 100 drops the rest,
    # and each dropped station waits a second to retry.
    listener.listen(4096)
    listener.setblocking(False)
    return listener


class AcceptErrorFilter:
    """asyncio logs every failed accept() (EMFILE) with a traceback and retries a second
    later; under a flood that is thousands of lines. Keep one line per interval."""

    def __init__(self, previous: Any, interval: float = REFUSAL_LOG_SECONDS) -> None:
        self.previous = previous
        self.interval = interval
        self.suppressed = 0
        self.last = float("-inf")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if "accept" not in message:
            self._pass_on(loop, context)
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        self.last = now
        log.error(
            "%s: %s (%d more like it not logged)",
            message,
            context.get("exception"),
            self.suppressed,
        )
        self.suppressed = 0

    def _pass_on(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if self.previous is not None:
            self.previous(loop, context)
        else:
            loop.default_exception_handler(context)
