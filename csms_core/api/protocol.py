"""uvicorn's h11 protocol with guards against clients that hold a connection open."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

# After answering a request whose body we did not read (401, 413), the rest of the body is
# read and dropped this long so the client sees the answer; then the connection is closed.
LINGER_SECONDS = 2.0


class GuardedH11Protocol(H11Protocol):
    """Two guards uvicorn lacks. A request head (request line and headers) must arrive within
    ``header_timeout`` seconds, so a client trickling header lines is closed; uvicorn's
    keep-alive timer only covers a silent connection. And an answer sent before the request
    body was read (401, 413) ends the connection after a short linger: uvicorn would go on
    reading and dropping whatever the client sends, for as long as it sends."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._lingering = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the answer is out; the rest of the body is dropped unparsed
        if self.conn.their_state is h11.IDLE:
            self._arm_head_timer()  # the first bytes of a request (an idle connection is
            # uvicorn's timeout_keep_alive's to close)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_head_timer()  # the head is complete

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.SEND_BODY:
            self._linger()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def _linger(self) -> None:
        self._lingering = True
        self._disarm_head_timer()
        self._unset_keepalive_if_required()
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the answer, then FIN; keep reading to avoid a reset
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()


def guarded_protocol(header_timeout: float) -> type[GuardedH11Protocol]:
    attributes: dict[str, Any] = {"header_timeout": header_timeout}
    return type("ApiHttpProtocol", (GuardedH11Protocol,), attributes)
