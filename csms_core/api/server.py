"""Build the FastAPI application and serve it with uvicorn inside the CSMS event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from .. import __version__
from ..errors import CallFailed
from .auth import ApiKeyStore, require_operator
from .deps import call_error_response
from .gate import ApiGate
from .keys import router as keys_router
from .protocol import guarded_protocol
from .stations import router as stations_router

if TYPE_CHECKING:
    from ..app import Csms

log = logging.getLogger("csms.api")

API_PREFIX = "/api/v1"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"
DOCS_ASSETS = f"{DOCS_URL}/assets"


def build_api(app: Csms) -> FastAPI:
    api = FastAPI(
        title="CSMS operator API",
        version=__version__,
        description="Operate an OCPP 1.6-J charging station management system.",
        openapi_url=OPENAPI_URL,
        docs_url=None,  # served below from the installed package, not from a CDN
        redoc_url=None,
    )
    api.state.csms = app
    api.state.api_keys = ApiKeyStore(app.db, app.settings.api_keys)

    @api.get("/health", tags=["health"])
    async def health() -> dict:
        """Open without a key: for load balancers and monitoring."""
        return {"status": "ok", "node": app.node_id}

    # Swagger UI's files come with the swagger-ui-bundle-v2 package: the page works offline
    # and loads no third-party script where operators paste their keys.
    api.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @api.get(DOCS_URL, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{api.title} - Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )

    # Any route may let ``app.call`` raise: failures get the contract's status codes.
    api.add_exception_handler(CallFailed, lambda _request, exc: call_error_response(exc))
    operator = [Depends(require_operator)]
    api.include_router(stations_router, prefix=API_PREFIX, dependencies=operator)
    api.include_router(keys_router, prefix=API_PREFIX, dependencies=operator)
    for _plugin, router in app.registry.api_routers:
        api.include_router(router, prefix=API_PREFIX, dependencies=operator)
    public = [re.compile(re.escape(path) + "$") for path in (OPENAPI_URL, DOCS_URL)]
    public.append(re.compile(re.escape(DOCS_ASSETS) + "/"))
    for _plugin, router in app.registry.public_routers:
        api.include_router(router)
        public += [route.path_regex for route in router.routes if hasattr(route, "path_regex")]
    api.add_middleware(
        ApiGate,
        keys=api.state.api_keys,
        prefix=API_PREFIX,
        max_body=app.settings.api_max_body_bytes,
        public=public,
    )
    return api


SHUTDOWN_GRACE_SECONDS = 10


class _EmbeddedServer(uvicorn.Server):
    """uvicorn inside the CSMS's loop, stopped by ``exit()`` rather than by uvicorn's polling
    (every 0.1 s, plus 0.1 s at shutdown: idle time at every stop)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit = asyncio.Event()

    def exit(self) -> None:
        self.should_exit = True
        self._exit.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The CSMS owns SIGINT/SIGTERM and stops both servers together.
        yield

    async def main_loop(self) -> None:
        # A tick a second keeps the Date header current, as uvicorn's tenth tick does.
        while not await self.on_tick(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), 1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # idle ones close now, busy ones after their response
        try:
            await asyncio.wait_for(self._drain(), self.config.timeout_graceful_shutdown)
        except TimeoutError:
            log.error(
                "cancelling %d request(s) still running at shutdown", len(self.server_state.tasks)
            )
            for task in self.server_state.tasks:
                task.cancel()
        await self.lifespan.shutdown()

    async def _drain(self) -> None:
        state = self.server_state
        while state.tasks or state.connections:
            if state.tasks:
                await asyncio.wait(list(state.tasks))
            else:
                await asyncio.sleep(0.001)  # a closed transport reports back a loop turn later
        for server in self.servers:
            await server.wait_closed()


class ApiServer:
    def __init__(self, app: Csms) -> None:
        self.app = app
        self.fastapi = build_api(app)
        self.port: int | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        s = self.app.settings
        family = socket.AF_INET6 if ":" in s.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if s.reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((s.host, s.api_port))
        sock.listen(2048)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.fastapi,
            log_config=None,
            access_log=False,
            lifespan="off",
            http=guarded_protocol(s.api_header_timeout),
            # At shutdown, requests in flight get this long; then they are cancelled, so a
            # client that never finishes reading cannot keep the node from stopping.
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            ssl_certfile=str(s.tls_cert) if s.tls_cert else None,
            ssl_keyfile=str(s.tls_key) if s.tls_key else None,
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        log.info("operator API listening on %s:%s", s.host, self.port)

    def connection_count(self) -> int:
        return len(self._server.server_state.connections) if self._server is not None else 0

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.exit()
            await self._task
