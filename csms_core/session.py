"""One station's OCPP-J session: inbound CALLs to plugin handlers, outbound CALLs
one at a time, CALLERRORs for everything malformed, and the connection stays up."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from . import rpc
from .errors import CallErrorReceived, CallTimeout, StationNotConnected
from .redact import redact_frame

if TYPE_CHECKING:
    from .app import Csms

log = logging.getLogger("csms.session")
frames_log = logging.getLogger("csms.frames")

BOOT_NOTIFICATION = "BootNotification"


class StationContext:
    """What a handler gets besides the payload: who is calling and the app."""

    __slots__ = ("_session", "app", "id")

    def __init__(self, app: Csms, station_id: str, session: StationSession) -> None:
        self.app = app
        self.id = station_id
        self._session = session

    def allow_before_accepted(self, action: str, seconds: float = 60.0) -> None:
        """Let a Pending/Rejected station send ``action`` for a while: OCPP 1.6 4.2 lets a
        Pending station send what the CSMS asked for with TriggerMessage."""
        self._session.allowed_until[action] = time.monotonic() + seconds

    def after_reply(self, fn: Callable[[], Awaitable[Any]]) -> None:
        """Run ``fn()`` once the CALLRESULT has been sent (e.g. to call the station back)."""
        self._session.after_reply.append(fn)

    @property
    def remote_address(self) -> str | None:
        return self._session.remote_address


class StationSession:
    def __init__(
        self,
        app: Csms,
        station_id: str,
        websocket: ServerConnection,
        accepted: bool,
        rejected: bool = False,
    ) -> None:
        self.app = app
        self.id = station_id
        self.ws = websocket
        self.accepted = accepted
        # Its last boot was answered Rejected: OCPP 1.6 4.2, the CSMS SHOULD NOT call it.
        self.rejected = rejected
        self.connected_at = time.time()
        self.last_seen = self.connected_at
        self.context = StationContext(app, station_id, self)
        self.after_reply: list[Callable[[], Awaitable[Any]]] = []
        self.allowed_until: dict[str, float] = {}
        self.closed = False
        self._handlers = app.registry.handlers
        self._schemas = app.schemas
        self._pending: dict[str, tuple[str, asyncio.Future[dict]]] = {}
        self._call_lock = asyncio.Lock()
        # The station's CALLs are handled one at a time, in order (OCPP-J 4.1.1: a station
        # waits for each answer): a station that floods gets its share of the loop, no more.
        self._calls: deque[rpc.Call] = deque()
        self._max_queued_calls = app.settings.max_queued_calls
        self._worker: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task] = set()
        self._debug = frames_log.isEnabledFor(logging.DEBUG)
        peer = websocket.remote_address
        self.remote_address = f"{peer[0]}:{peer[1]}" if peer else None

    # --- inbound ----------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                self.last_seen = time.time()
                if self._debug:
                    frames_log.debug("%r -> %s", self.id, redact_frame(raw))
                self._receive(raw)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            self._calls.clear()  # not started, not answered: the station sends them again
            for _action, future in self._pending.values():
                if not future.done():
                    future.set_exception(StationNotConnected(self.id))
            if self._tasks:
                # Let in-flight handlers finish: what they persist must not be cut in half.
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _receive(self, raw: str | bytes) -> None:
        # Answers to our own CALLs are resolved here at once, even while one of the station's
        # CALLs is being handled: its handler may be waiting for one of them.
        try:
            frame = rpc.parse_frame(raw)
        except rpc.FrameError as exc:
            log.warning("%r sent a malformed frame: %s", self.id, exc.description)
            self._spawn(
                self._send(rpc.encode_error(exc.message_id or "-1", exc.code, exc.description))
            )
            return
        if isinstance(frame, rpc.Call):
            self._queue(frame)
        else:  # CALLRESULT or CALLERROR: the answer to one of our calls
            self._resolve(frame.message_id, frame)

    def _queue(self, call: rpc.Call) -> None:
        if self._worker is None:
            self._worker = self._spawn(self._work(call))
        elif len(self._calls) < self._max_queued_calls:
            self._calls.append(call)
        else:
            error = rpc.OcppError(
                rpc.GENERIC_ERROR,
                f"more than {self._max_queued_calls} CALLs waiting: send the next CALL after "
                "the answer to the previous one (OCPP-J 4.1.1)",
            )
            self._spawn(self._send_error(call, error))

    async def _work(self, call: rpc.Call) -> None:
        """Handle ``call``, then each queued CALL in turn; the next worker starts with the next
        CALL to arrive."""
        try:
            while True:
                try:
                    await self._on_call(call)
                except Exception:  # a hook failed after the answer: the queue goes on
                    log.exception("after %r (station %r)", call.action, self.id)
                if not self._calls:
                    return
                call = self._calls.popleft()
        finally:
            self._worker = None

    async def _on_call(self, call: rpc.Call) -> None:
        action = call.action
        if not self.accepted and action != BOOT_NOTIFICATION and not self._allowed(action):
            # OCPP-J errata 5.6: CALLs before the station is accepted get SecurityError.
            error = rpc.OcppError(rpc.SECURITY_ERROR, f"{action} before BootNotification accepted")
            await self._send_error(call, error)
            return
        handler = self._handlers.get(action)
        if handler is None:
            code = rpc.NOT_SUPPORTED if self._schemas.knows(action) else rpc.NOT_IMPLEMENTED
            error = rpc.OcppError(
                code,
                f"{action} is not {'supported' if code == rpc.NOT_SUPPORTED else 'implemented'}",
            )
            await self._send_error(call, error)
            return
        try:
            self._schemas.validate_request(action, call.payload)
        except rpc.OcppError as error:
            await self._send_error(call, error)
            return
        await self._handle(call, handler)

    def _allowed(self, action: str) -> bool:
        until = self.allowed_until.get(action)
        return until is not None and time.monotonic() < until

    async def _handle(self, call: rpc.Call, handler: Callable[..., Awaitable[dict]]) -> None:
        try:
            response = await handler(self.context, call.payload)
            self._schemas.validate_response(call.action, response)
        except rpc.OcppError as error:
            await self._send_error(call, error)
            return
        except Exception:
            log.exception("handler for %r failed (station %r)", call.action, self.id)
            await self._send_error(call, rpc.OcppError(rpc.INTERNAL_ERROR, "handler failed"))
            self.after_reply.clear()
            return
        if call.action == BOOT_NOTIFICATION:
            # Before the answer goes out: no call may slip in once the station reads it.
            self.rejected = response.get("status") == "Rejected"
        await self._send(rpc.encode_result(call.message_id, response))
        if call.action == BOOT_NOTIFICATION:
            self.accepted = response.get("status") == "Accepted"
            log.info(
                "%r booted (%r %r, firmware %r): %s",
                self.id,
                call.payload.get("chargePointVendor"),
                call.payload.get("chargePointModel"),
                call.payload.get("firmwareVersion", "?"),
                response.get("status"),
            )
            await self.app.fire(
                "station_booted",
                station_id=self.id,
                status=response.get("status"),
                boot=call.payload,
            )
        if self.app.plugins.has_impls("station_message"):
            await self.app.fire(
                "station_message",
                station_id=self.id,
                action=call.action,
                payload=call.payload,
            )
        if self.app.watchers:
            self.app.watchers.deliver(self.id, call.action, call.payload)
        if self.after_reply:
            # In their own task: they may call the station and wait for its answer, and the
            # station's next CALL need not wait for that.
            follow_ups, self.after_reply = self.after_reply, []
            self._spawn(self._run_after_reply(follow_ups))

    async def _run_after_reply(self, follow_ups: list[Callable[[], Awaitable[Any]]]) -> None:
        for fn in follow_ups:
            try:
                await fn()
            except Exception:
                log.exception("after-reply task failed (station %r)", self.id)

    async def _send_error(self, call: rpc.Call, error: rpc.OcppError) -> None:
        log.info("%r %r answered with %s: %s", self.id, call.action, error.code, error.description)
        await self._send(
            rpc.encode_error(call.message_id, error.code, error.description, error.details)
        )

    async def _send(self, text: str) -> None:
        if self._debug:
            frames_log.debug("%r <- %s", self.id, redact_frame(text))
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            log.info("%r closed before we could answer", self.id)

    @property
    def busy(self) -> bool:
        """Whether a message (or an answer to it) is still being handled."""
        return bool(self._tasks)

    async def idle(self) -> None:
        """Return once what is being handled now is done (for tests: ``settle``)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- outbound ---------------------------------------------------------------------

    def _resolve(self, message_id: str, frame: rpc.CallResult | rpc.CallError) -> None:
        pending = self._pending.get(message_id)
        if pending is None:
            log.warning("%r answered unknown message id %r", self.id, message_id)
            return
        action, future = pending
        if future.done():
            return
        if isinstance(frame, rpc.CallError):
            future.set_exception(CallErrorReceived(frame.code, frame.description, frame.details))
            return
        try:
            self._schemas.validate_response(action, frame.payload)
        except rpc.OcppError as error:
            future.set_exception(
                CallErrorReceived(error.code, f"invalid {action} response: {error.description}")
            )
            return
        future.set_result(frame.payload)

    async def call(
        self, action: str, payload: dict, timeout: float, permits: Iterable[str] = ()
    ) -> dict:
        """Send a CALL and wait for its answer; at most one is outstanding per station.
        ``permits``: actions a station not yet accepted may send in answer (OCPP 1.6 4.2)."""
        async with self._call_lock:
            if self.closed:
                raise StationNotConnected(self.id)
            if not self.accepted:
                # Opened before sending: the station may answer with the message at once.
                for permitted in permits:
                    self.context.allow_before_accepted(permitted)
            message_id = str(uuid.uuid4())
            future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
            self._pending[message_id] = (action, future)
            try:
                text = rpc.encode_call(message_id, action, payload)
                if self._debug:
                    frames_log.debug("%r <- %s", self.id, redact_frame(text))
                try:
                    await self.ws.send(text)
                except ConnectionClosed:
                    raise StationNotConnected(self.id) from None
                try:
                    return await asyncio.wait_for(future, timeout)
                except TimeoutError:
                    raise CallTimeout(self.id, action, timeout) from None
            finally:
                del self._pending[message_id]

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code, reason)
