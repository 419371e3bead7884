"""A scriptable OCPP-J 1.6 charge point: the client of the simulator, the self-test and tests.

A runtime module (no pytest): ``csms simulate`` and ``csms selftest`` use it in an install
without the dev dependencies. ``csms_core.testing`` re-exports it for tests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from . import rpc
from .errors import CallErrorReceived

__all__ = ["ChargePoint", "IncomingCall", "Responder", "eventually"]


@dataclass
class IncomingCall:
    """A CALL the CSMS sent to our test charge point."""

    message_id: str
    action: str
    payload: dict


Responder = Callable[[IncomingCall], dict | Awaitable[dict]] | dict


class ChargePoint:
    """A scriptable OCPP-J 1.6 charge point for tests and tools.

    ``await cp.call(action, payload)`` sends a CALL and returns the CALLRESULT payload (raises
    CallErrorReceived on CALLERROR). CSMS-initiated CALLs are answered by ``answer(action, ...)``
    responders, or queued for ``await cp.expect(action)`` and ``await cp.reply(call, payload)``.
    """

    def __init__(
        self,
        url: str,
        station_id: str,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        subprotocols: tuple[str, ...] = ("ocpp1.6",),
    ) -> None:
        # OCPP-J 3.1.1: the identity is one path segment, percent-encoded ("RDAM%20123").
        self.url = url.rstrip("/") + "/" + quote(station_id, safe="")
        self.station_id = station_id
        self.password = password
        self.ssl_context = ssl_context
        self.subprotocols = subprotocols
        self.ws: ClientConnection | None = None
        self.responders: dict[str, Responder] = {}
        self.received: asyncio.Queue[IncomingCall] = asyncio.Queue()
        self.raw_frames: asyncio.Queue[list] = asyncio.Queue()
        self._pending: dict[str, asyncio.Future] = {}
        self._reader: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._after_reply: list[Callable[[], Awaitable[Any]]] = []

    async def connect(self) -> ChargePoint:
        headers = {}
        if self.password is not None:
            token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        self.ws = await ws_connect(
            self.url,
            subprotocols=list(self.subprotocols) or None,
            additional_headers=headers,
            ssl=self.ssl_context,
            open_timeout=10,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def __aenter__(self) -> ChargePoint:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def subprotocol(self) -> str | None:
        return self.ws.subprotocol if self.ws else None

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                message_type = frame[0] if isinstance(frame, list) and frame else None
                if message_type == rpc.CALL:
                    # A task, so a responder may itself call the CSMS and read the answer.
                    task = asyncio.create_task(self._on_call(IncomingCall(*frame[1:4])))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    continue
                future = self._pending.pop(frame[1], None) if message_type else None
                if future is None:
                    self.raw_frames.put_nowait(frame)
                elif not future.done():
                    future.set_result(frame)
        except Exception:  # connection closed: fail whatever waits
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))

    async def _on_call(self, call: IncomingCall) -> None:
        responder = self.responders.get(call.action)
        if responder is None:
            self.received.put_nowait(call)
            return
        payload = responder(call) if callable(responder) else responder
        if asyncio.iscoroutine(payload):
            payload = await payload
        await self.reply(call, payload)
        # Follow-ups (a StartTransaction after RemoteStart...) run once the reply is out.
        while self._after_reply:
            task = asyncio.ensure_future(self._after_reply.pop(0)())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def after_reply(self, fn: Callable[[], Awaitable[Any]]) -> None:
        """From a responder: run ``fn()`` in a task once the reply to this CALL is sent."""
        self._after_reply.append(fn)

    def answer(self, action: str, responder: Responder) -> None:
        """Answer every ``action`` CALL with a payload, or with ``responder(call)``."""
        self.responders[action] = responder

    async def expect(self, action: str | None = None, timeout: float = 5.0) -> IncomingCall:
        """The next CSMS-initiated CALL not handled by a responder."""
        call = await asyncio.wait_for(self.received.get(), timeout)
        if action is not None and call.action != action:
            raise AssertionError(f"expected {action}, CSMS sent {call.action}: {call.payload}")
        return call

    async def reply(self, call: IncomingCall, payload: dict) -> None:
        assert self.ws is not None
        await self.ws.send(rpc.encode_result(call.message_id, payload))

    async def reply_error(self, call: IncomingCall, code: str, description: str = "") -> None:
        assert self.ws is not None
        await self.ws.send(rpc.encode_error(call.message_id, code, description))

    async def send_frame(self, frame: list | str, message_id: str | None = None) -> list:
        """Send a raw frame (list or text) and return the CSMS's answer frame."""
        assert self.ws is not None
        text = frame if isinstance(frame, str) else json.dumps(frame)
        if message_id is None and isinstance(frame, list) and len(frame) > 1:
            message_id = frame[1] if isinstance(frame[1], str) else None
        if message_id is None:
            await self.ws.send(text)
            return await asyncio.wait_for(self.raw_frames.get(), 10)
        future = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self.ws.send(text)
        return await asyncio.wait_for(future, 10)

    async def call(self, action: str, payload: dict | None = None) -> dict:
        message_id = str(uuid.uuid4())
        frame = await self.send_frame([rpc.CALL, message_id, action, payload or {}])
        if frame[0] == rpc.CALLERROR:
            raise CallErrorReceived(frame[2], frame[3], frame[4] if len(frame) > 4 else {})
        return frame[2]

    async def boot(
        self, vendor: str = "TestVendor", model: str = "TestModel", **fields: Any
    ) -> dict:
        return await self.call(
            "BootNotification", {"chargePointVendor": vendor, "chargePointModel": model, **fields}
        )


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Wait until ``check()`` (sync or async) returns something truthy; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
