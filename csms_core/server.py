"""The OCPP WebSocket server: handshake (identity, subprotocol, credentials), sessions."""

from __future__ import annotations

import asyncio
import http
import logging
import math
import ssl
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from .handshakes import AcceptErrorFilter, HandshakeGuard, guarded_connection, listening_socket
from .security import (
    LogBudget,
    LoginLimiter,
    client_address,
    hash_password,
    parse_basic_auth,
    parse_networks,
    station_id_problem,
    verify_password,
)
from .session import StationSession

if TYPE_CHECKING:
    from .app import Csms

log = logging.getLogger("csms.ocpp")
# Checked for an unknown id as for a wrong password: both answers take the same work.
_DUMMY_HASH = hash_password("no station has this password")

SUBPROTOCOL = "ocpp1.6"


def station_id_from_path(path: str) -> str:
    """The identity is the last path segment, percent-decoded; any prefix is accepted."""
    segment = urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]
    return unquote(segment)


def build_ssl_context(cert: str, key: str, client_ca: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca:
        # Security profile 3: stations prove who they are with a certificate.
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class OcppServer:
    def __init__(self, app: Csms) -> None:
        self.app = app
        self.settings = app.settings
        s = app.settings
        self.limiter = LoginLimiter(
            s.auth_free_failures, s.auth_backoff_max, s.auth_limiter_entries
        )
        self.trusted_proxies = parse_networks(s.trusted_proxies)
        self.refusals_log = LogBudget(log)  # refused logins: an attacker writes these lines
        self.server: Server | None = None
        self.port: int | None = None

    async def start(self) -> None:
        s = self.settings
        ssl_context = None
        if s.tls_cert and s.tls_key:
            ssl_context = build_ssl_context(
                str(s.tls_cert), str(s.tls_key), str(s.tls_ca) if s.tls_ca else None
            )
        self.guard = guard = HandshakeGuard(
            s.handshakes_per_source, s.handshakes_total, s.fd_reserve, self._open_connections
        )
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(AcceptErrorFilter(loop.get_exception_handler()))
        self.server = await serve(
            self._session,
            sock=listening_socket(s.host, s.ocpp_port, s.reuse_port, guard),
            process_request=self._authenticate,
            select_subprotocol=self._select_subprotocol,
            subprotocols=[SUBPROTOCOL],
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            open_timeout=s.handshake_timeout,
            create_connection=guarded_connection(guard),
            compression="deflate" if s.compression else None,
            max_size=s.max_message_size,
            ssl=ssl_context,
            server_header="csms",
        )
        self.port = next(iter(self.server.sockets)).getsockname()[1]
        log.info(
            "OCPP server listening on %s:%s%s", s.host, self.port, " (TLS)" if ssl_context else ""
        )

    def _open_connections(self) -> int:
        """OCPP connections (handshaking or established) and API connections: descriptors."""
        ocpp = len(self.server.handler_tasks) if self.server is not None else 0
        return ocpp + (self.app.api.connection_count() if self.app.api is not None else 0)

    async def stop(self) -> None:
        if self.server is None:
            return
        self.server.close(close_connections=False)
        sessions = self.app.router.local_sessions()
        await asyncio.gather(
            *(session.close(1001, "server shutting down") for session in sessions),
            return_exceptions=True,
        )
        await self.server.wait_closed()

    def _select_subprotocol(self, connection: ServerConnection, offered: list[str]) -> str | None:
        if SUBPROTOCOL in offered:
            return SUBPROTOCOL
        if not offered and self.settings.allow_missing_subprotocol:
            return None
        # OCPP-J 3.2: no agreement is not an HTTP error; the handshake completes without
        # Sec-WebSocket-Protocol and _session closes the connection at once.
        connection.no_subprotocol = offered  # type: ignore[attr-defined]
        return None

    async def _authenticate(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        station_id = station_id_from_path(request.path)
        peer = connection.remote_address[0] if connection.remote_address else "?"
        source = client_address(
            peer, request.headers.get_all("X-Forwarded-For"), self.trusted_proxies
        )
        problem = station_id_problem(station_id)
        if problem:
            self.refusals_log.warning(
                "refused station id %r from %s: %s", station_id, source, problem
            )
            return _refuse(connection, http.HTTPStatus.BAD_REQUEST, problem)
        wait = self.limiter.retry_after(source, station_id)
        if wait:
            response = _refuse(
                connection, http.HTTPStatus.TOO_MANY_REQUESTS, "too many failed logins"
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        station = await self.app.stations.get(station_id)
        if station is None:
            if self.settings.unknown_stations == "accept" and not self.settings.require_password:
                station = await self.app.stations.create(station_id)
                log.info("registered unknown station %r (policy: accept)", station_id)
            else:
                # Answered exactly as a wrong password, after the same work: ids cannot be
                # told apart from outside, so they cannot be enumerated.
                verify_password("", _DUMMY_HASH)
                return self._unauthorized(connection, source, station_id, "unknown station")
        basic = False
        if station.password_hash is not None:
            credentials = parse_basic_auth(request.headers.get("Authorization"))
            if (
                credentials is None
                or credentials[0] != station_id
                or not verify_password(credentials[1], station.password_hash)
            ):
                return self._unauthorized(connection, source, station_id, "wrong credentials")
            basic = True
        elif self.settings.require_password:
            return self._unauthorized(connection, source, station_id, "station has no password")
        if not station.enabled:
            return _refuse(connection, http.HTTPStatus.FORBIDDEN, "station disabled")
        common_name = _client_common_name(connection)
        if self.settings.tls_ca:
            if common_name != station_id:
                self.limiter.failed(source, station_id)
                self.refusals_log.warning(
                    "client certificate CN %r does not match station %r", common_name, station_id
                )
                return _refuse(connection, http.HTTPStatus.FORBIDDEN, "certificate does not match")
        profile = security_profile(
            tls=connection.transport.get_extra_info("ssl_object") is not None,
            basic=basic,
            client_certificate=common_name == station_id,
        )
        if profile < station.min_security_profile:
            # Whitepaper A05.FR.09: once upgraded, a station may not come back lower.
            return self._unauthorized(
                connection,
                source,
                station_id,
                f"security profile {profile}, below its minimum {station.min_security_profile}",
            )
        self.limiter.succeeded(source, station_id)
        connection.station_id = station_id  # type: ignore[attr-defined]
        connection.security_profile = profile  # type: ignore[attr-defined]
        connection.registration_status = station.registration_status  # type: ignore[attr-defined]
        return None

    def _unauthorized(
        self, connection: ServerConnection, source: str, station_id: str, why: str
    ) -> Response:
        """The one answer to every failed login, whatever failed (unknown id, wrong or missing
        password, profile too low): the reason goes to the log only."""
        self.limiter.failed(source, station_id)
        self.refusals_log.warning("refused station %r from %s: %s", station_id, source, why)
        response = _refuse(connection, http.HTTPStatus.UNAUTHORIZED, "authentication failed")
        response.headers["WWW-Authenticate"] = 'Basic realm="csms", charset="UTF-8"'
        return response

    async def _session(self, connection: ServerConnection) -> None:
        station_id: str = connection.station_id  # type: ignore[attr-defined]
        offered = getattr(connection, "no_subprotocol", None)
        if offered is not None:
            log.info("%r offered no subprotocol we speak (%s); closing", station_id, offered)
            await connection.close(1002, f"subprotocol {SUBPROTOCOL} required")
            return
        status = connection.registration_status  # type: ignore[attr-defined]
        session = StationSession(
            self.app, station_id, connection, status == "Accepted", status == "Rejected"
        )
        previous = await self.app.router.attach(session)
        if previous is not None:
            log.info("%r reconnected; closing its previous connection", station_id)
            await previous.close(1000, "replaced by a new connection")
        log.info("%r connected from %s", station_id, session.remote_address)
        try:
            await self.app.stations.mark_connected(station_id, self.app.node_id)
            await self.app.fire(
                "station_connected",
                station_id=station_id,
                security_profile=connection.security_profile,  # type: ignore[attr-defined]
            )
            await session.run()
        finally:
            await self.app.router.detach(session)
            if self.app.router.local_session(station_id) is None:
                await self.app.stations.mark_disconnected(station_id, self.app.node_id)
            log.info("%r disconnected", station_id)
            await self.app.fire("station_disconnected", station_id=station_id)


def security_profile(tls: bool, basic: bool, client_certificate: bool) -> int:
    """The whitepaper's profile a connection used: 3 TLS with a client certificate naming the
    station, 2 Basic auth over TLS, 1 Basic auth without TLS, 0 none of these."""
    if tls and client_certificate:
        return 3
    if basic:
        return 2 if tls else 1
    return 0


def _refuse(connection: ServerConnection, status: http.HTTPStatus, reason: str) -> Response:
    response = connection.respond(status, reason + "\n")
    return response


def _client_common_name(connection: ServerConnection) -> str | None:
    ssl_object = connection.transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    certificate = ssl_object.getpeercert() or {}
    for rdn in certificate.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None
