"""The API's front door, in front of routing: the operator key is checked and the body size
limited before any route reads a byte of the body, so a request without a key costs nothing
however large its body, and no route buffers or parses more than ``api_max_body_bytes``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import OPERATOR_VERIFIED, ApiKeyStore
from .deps import BODY_LIMIT


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body larger than {limit} bytes (the api_max_body_bytes setting)"
        )


class ApiGate:
    """Pure ASGI middleware: it sees the request before routing and before the body."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: ApiKeyStore,
        prefix: str,
        max_body: int,
        public: Sequence[re.Pattern[str]],
    ) -> None:
        self.app = app
        self.keys = keys
        self.prefix = prefix
        self.max_body = max_body
        # Under the prefix every path needs a key (unknown ones too: no route discovery)
        # except these (the docs, the OpenAPI document, any public route placed there).
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._needs_key(scope["path"]):
            refusal = await self._check_key(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            scope[OPERATOR_VERIFIED] = True
        # An upload route lifts the limit (deps.lift_body_limit) before it reads, so the
        # limit is looked up at each read; the Content-Length is checked at the first.
        scope[BODY_LIMIT] = self.max_body
        length = _content_length(scope)
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            limit = scope[BODY_LIMIT]
            if limit is not None and received == 0 and length is not None and length > limit:
                raise BodyTooLarge(limit)  # before a byte of the body is read
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if limit is not None and received > limit:  # chunked, or a lying length
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as exc:
            # Routes pass it on as an HTTPException (413); this is for code that does not.
            if started:
                raise
            await JSONResponse({"detail": exc.detail}, 413)(scope, receive, send)

    def _needs_key(self, path: str) -> bool:
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            return False
        return not any(pattern.match(path) for pattern in self.public)

    async def _check_key(self, scope: Scope) -> JSONResponse | None:
        header = _header(scope, b"authorization")
        scheme, _, key = (header or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return _unauthorized("missing API key: send Authorization: Bearer <key>")
        if not await self.keys.verify(key):
            return _unauthorized("invalid API key")
        return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


def _unauthorized(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, 401, headers={"WWW-Authenticate": "Bearer"})
