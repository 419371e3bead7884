"""The optional built-in FTP receiver for diagnostics uploads (setting ``ftp_enabled``).

pyftpdlib runs its own I/O loop on a thread of its own; the few database look-ups it needs
(log-in, file received) are sent to the CSMS event loop and awaited there, so nothing on the
event loop ever blocks on FTP. Each GetDiagnostics request gets its own user name, password
and home folder; the user may only list, change directory and store files (no reading,
deleting, renaming or creating folders), and a file larger than ``max_diagnostics_size``
is cut off with 552.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from csms_core import Csms

from . import PLUGIN, store
from .files import UploadRefused, check_file_name, diagnostics_key, inside, upload_expired

log = logging.getLogger("csms.firmware.ftp")

PERMISSIONS = "elw"  # change directory, list, store
DB_TIMEOUT = 10.0


@dataclass
class FirmwareState:
    """The plugin's runtime state on this node."""

    ftp: FtpReceiver | None = None  # the FTP receiver, when ftp_enabled


def state(app: Csms) -> FirmwareState:
    return app.plugin_state(PLUGIN, FirmwareState)


def ftp_home_root(app: Csms) -> Path:
    return Path(app.settings.data_dir).resolve() / "firmware" / "ftp"


def new_credentials() -> tuple[str, str]:
    return f"diag-{secrets.token_hex(6)}", secrets.token_urlsafe(18)


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


@dataclass(slots=True)
class _Login:
    request_id: int
    token: str
    home: str


class _Authorizer:
    """pyftpdlib's authorizer interface, answered from the diagnostics requests table."""

    def __init__(self, receiver: FtpReceiver) -> None:
        self.receiver = receiver
        self.logins: dict[str, _Login] = {}

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        row = self.receiver.run(store.diagnostics_request_by_ftp_user(self.receiver.app, username))
        if (
            row is None
            or row.ftp_password_hash is None
            or not hmac.compare_digest(row.ftp_password_hash, hash_password(password))
        ):
            raise AuthenticationFailed("Authentication failed.")
        if upload_expired(self.receiver.app, row):
            raise AuthenticationFailed("This upload account has expired.")
        home = inside(ftp_home_root(self.receiver.app), row.token)
        home.mkdir(parents=True, exist_ok=True)
        self.logins[username] = _Login(row.id, row.token, str(home))

    def get_home_dir(self, username: str) -> str:
        login = self.logins.get(username)
        if login is None:
            raise AuthenticationFailed("Authentication failed.")
        return login.home

    def has_user(self, username: str) -> bool:
        return username in self.logins

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        return perm in PERMISSIONS

    def get_perms(self, username: str) -> str:
        return PERMISSIONS

    def get_msg_login(self, username: str) -> str:
        return "Upload your diagnostics file."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        pass

    def terminate_impersonation(self, username: str) -> None:
        pass


class FtpReceiver:
    def __init__(self, app: Csms) -> None:
        self.app = app
        self.settings = app.settings_for(PLUGIN)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: FTPServer | None = None
        self.port: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.authorizer = _Authorizer(self)

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the CSMS event loop from the FTP thread and wait for it."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(DB_TIMEOUT)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        receiver = self
        limit = self.settings.max_diagnostics_size

        class LimitedDTPHandler(DTPHandler):
            def handle_read(self) -> None:
                super().handle_read()
                if self.tot_bytes_received > limit:
                    self._resp = (f"552 File larger than {limit} bytes.", log.info)
                    self.transfer_finished = False
                    self.close()

            handle_read_event = handle_read  # the base class aliases its own handle_read

        class Handler(FTPHandler):
            authorizer = receiver.authorizer
            dtp_handler = LimitedDTPHandler
            banner = "CSMS diagnostics upload"
            permit_foreign_addresses = False
            timeout = 300
            # Credentials are random per request; a short delay after a failure suffices.
            auth_failed_timeout = 1

            def on_file_received(self, file: str) -> None:
                receiver.file_received(self.username, file)

            def on_incomplete_file_received(self, file: str) -> None:
                Path(file).unlink(missing_ok=True)

        if self.settings.ftp_passive_ports:
            low, high = (int(p) for p in self.settings.ftp_passive_ports.split("-"))
            Handler.passive_ports = list(range(low, high + 1))
        if self.settings.ftp_masquerade_address:
            Handler.masquerade_address = self.settings.ftp_masquerade_address
        host = self.settings.ftp_host or self.app.settings.host
        # Binding may touch the network: not on the event loop.
        address = (host, self.settings.ftp_port)
        # Its own I/O loop (not pyftpdlib's global one): one per CSMS, bound off the event loop.
        self.server = await asyncio.to_thread(FTPServer, address, Handler, IOLoop())
        self.port = self.server.address[1]
        self._thread = threading.Thread(target=self._serve, name="csms-ftp", daemon=True)
        self._thread.start()
        log.info("FTP receiver for diagnostics listening on %s:%s", host, self.port)

    def _serve(self) -> None:
        assert self.server is not None
        # One poll at a time, so that stop() is seen within 0.2 s; the I/O loop itself, not
        # serve_forever(), which logs ">>> starting FTP server" on every call.
        ioloop = self.server.ioloop
        try:
            while not self._stopping.is_set():
                ioloop.loop(timeout=0.2, blocking=False)
        finally:
            self.server.close_all()

    async def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5)

    def file_received(self, username: str, path_name: str) -> None:
        """On the FTP thread: move the file to its place and hash it; sharing it with the
        cluster and recording it happen on the event loop, so that other FTP sessions need
        not wait for a large file to be published."""
        login = self.authorizer.logins.get(username)
        path = Path(path_name)
        if login is None:
            path.unlink(missing_ok=True)
            return
        try:
            name = check_file_name(path.name)
        except UploadRefused:
            path.unlink(missing_ok=True)
            return
        key = diagnostics_key(login.token)
        target = self.app.files.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        size = path.stat().st_size
        os.replace(path, target)
        done = self._complete(key, login.request_id, name, size, digest.hexdigest())
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.app.spawn, done)

    async def _complete(self, key: str, request_id: int, name: str, size: int, sha: str) -> None:
        try:
            await self.app.files.publish(key)
        except Exception:
            # The station was told 226 already and will not send it again: say so loudly.
            log.exception("FTP upload %s could not be shared with the cluster; dropped", key)
            await asyncio.to_thread(self.app.files.path(key).unlink, missing_ok=True)
            return
        await store.record_diagnostics_file(self.app, request_id, name, size, sha)
