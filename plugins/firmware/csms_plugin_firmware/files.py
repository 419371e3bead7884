"""Files on disk: their names in ``app.files`` (the kernel's shared files: the data
directory, shared through the cluster's object store when there are several nodes), names
that cannot leave their folder, and request bodies (multipart or raw) streamed to disk with a
size limit and sha256 without blocking the event loop."""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import anyio.to_thread
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from csms_core import Csms
from csms_core.storage.types import utcnow

from . import PLUGIN
from .models import DiagnosticsRequest

# Disk writes (and hashing) happen on a worker thread once this much is buffered.
WRITE_BATCH = 1 << 20
MULTIPART_OVERHEAD = 64 << 10


class UploadRefused(Exception):
    """A request body we will not store; the API answers ``status_code`` with ``detail``."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(slots=True)
class StoredFile:
    file_name: str
    size: int
    sha256: str


def new_token() -> str:
    """An unguessable path segment (192 bits)."""
    return secrets.token_urlsafe(24)


def image_key(token: str) -> str:
    """The image's name in ``app.files`` (a path under the data directory)."""
    return f"firmware/images/{_token(token)}"


def diagnostics_key(token: str) -> str:
    return f"firmware/diagnostics/{_token(token)}"


def _token(token: str) -> str:
    # Tokens are ours, but never trust a path anyway.
    if token in {"", ".", ".."} or any(ch in token for ch in "/\\") or not token.isprintable():
        raise UploadRefused(400, "invalid file reference")
    return token


def inside(folder: Path, token: str) -> Path:
    """The file for ``token`` in ``folder``; tokens are ours, but never trust a path anyway."""
    path = (folder / token).resolve()
    if path.parent != folder.resolve():
        raise UploadRefused(400, "invalid file reference")
    return path


def check_file_name(name: str | None) -> str:
    """A file name as a station or operator gave it, refused if it could name another folder.

    Files are stored under our own tokens, so a name is only ever a label; refusing instead
    of cleaning it keeps a confused client from thinking ``../x`` went where it asked.
    """
    if name is None or name.strip() == "":
        raise UploadRefused(400, "the upload has no file name")
    if len(name) > 255:
        raise UploadRefused(400, "file name longer than 255 characters")
    if name in {".", ".."} or any(sep in name for sep in ("/", "\\")):
        raise UploadRefused(400, f"file name {name!r} must not contain a path (/, \\, . or ..)")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise UploadRefused(400, "file name contains control characters")
    return name


def public_base(app: Csms) -> str:
    """The base URL stations use for our file routes (setting ``public_url``, else the API's)."""
    configured = app.settings_for(PLUGIN).public_url
    if configured:
        return configured.rstrip("/")
    s = app.settings
    scheme = "https" if s.tls_cert else "http"
    host = s.host if s.host not in {"0.0.0.0", "::", ""} else socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{app.api.port}"


def upload_expired(app: Csms, request: DiagnosticsRequest) -> bool:
    """Whether the request's upload URL or FTP account no longer takes files (setting
    ``diagnostics_upload_ttl``, counted from the request)."""
    ttl = timedelta(seconds=app.settings_for(PLUGIN).diagnostics_upload_ttl)
    return utcnow() > request.requested_at + ttl


class _Sink:
    """One file being written: a ``.part`` file beside the target, renamed when complete."""

    def __init__(self, path: Path, max_size: int) -> None:
        self.path = path
        # A unique temporary name: two uploads to the same URL must not interleave.
        self.part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        self.max_size = max_size
        self.size = 0
        self.hash = hashlib.sha256()
        self.buffer = bytearray()
        self.fh: IO[bytes] | None = None

    async def open(self) -> None:
        def open_part() -> IO[bytes]:
            self.part.parent.mkdir(parents=True, exist_ok=True)
            return open(self.part, "wb")

        self.fh = await anyio.to_thread.run_sync(open_part)

    async def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_size:
            raise UploadRefused(413, f"file larger than the limit of {self.max_size} bytes")
        self.buffer += data
        if len(self.buffer) >= WRITE_BATCH:
            await self._flush()

    async def _flush(self) -> None:
        data = bytes(self.buffer)
        self.buffer.clear()
        assert self.fh is not None
        fh, digest = self.fh, self.hash

        def write() -> None:
            digest.update(data)
            fh.write(data)

        await anyio.to_thread.run_sync(write)

    async def commit(self) -> str:
        await self._flush()
        assert self.fh is not None
        fh = self.fh

        def finish() -> None:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(self.part, self.path)

        await anyio.to_thread.run_sync(finish)
        return self.hash.hexdigest()

    async def discard(self) -> None:
        fh = self.fh

        def remove() -> None:
            if fh is not None:
                fh.close()
            self.part.unlink(missing_ok=True)

        await anyio.to_thread.run_sync(remove)


async def receive(
    request: Request,
    path: Path,
    max_size: int,
    default_name: str | None = None,
    field: str | None = None,
) -> StoredFile:
    """Store the request's file at ``path``: a multipart/form-data part (the ``field`` part,
    or the first with a file name) or else the raw body, named ``default_name``."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    # Refuse early when the length alone says too much (a multipart body also carries headers
    # and boundaries); the limit on the file itself is enforced while streaming.
    slack = MULTIPART_OVERHEAD if content_type == b"multipart/form-data" else 0
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > max_size + slack:
        raise UploadRefused(413, f"file larger than the limit of {max_size} bytes")
    sink = _Sink(path, max_size)
    try:
        if content_type == b"multipart/form-data":
            name = await _receive_multipart(request, sink, params, field, default_name)
        else:
            name = check_file_name(default_name)
            await sink.open()
            async for chunk in request.stream():
                await sink.write(chunk)
        if sink.fh is None:
            await sink.open()  # an empty raw body is still a file
        digest = await sink.commit()
    except BaseException:
        await sink.discard()
        raise
    return StoredFile(name, sink.size, digest)


async def _receive_multipart(
    request: Request,
    sink: _Sink,
    params: dict[bytes, bytes],
    field: str | None,
    default_name: str | None,
) -> str:
    boundary = params.get(b"boundary")
    if not boundary:
        raise UploadRefused(400, "multipart body without a boundary")
    # The parser's callbacks are synchronous; they queue events that we then handle with
    # awaits (disk writes) in order, chunk by chunk.
    events: list[tuple[str, Any]] = []
    header_field = bytearray()
    header_value = bytearray()
    headers: dict[bytes, bytes] = {}

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get(b"content-disposition"))
        part_name = options.get(b"name", b"").decode("utf-8", "replace")
        # Decoded in the loop below, where a refusal can be raised: not in the parser's callback.
        events.append(("begin", (part_name, options.get(b"filename"))))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        events.append(("data", data[start:end]))

    def on_part_end() -> None:
        events.append(("end", None))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    name: str | None = None
    state = "before"  # before the file part, "in" it, or "after" it (later parts ignored)
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            for kind, value in events:
                if kind == "begin" and state == "before":
                    part_name, raw_name = value
                    try:
                        file_name = None if raw_name is None else raw_name.decode("utf-8")
                    except UnicodeDecodeError:
                        raise UploadRefused(400, "the file name is not valid UTF-8") from None
                    wanted = part_name == field if field else file_name is not None
                    if wanted:
                        name = check_file_name(file_name or default_name)
                        await sink.open()
                        state = "in"
                elif kind == "data" and state == "in":
                    await sink.write(value)
                elif kind == "end" and state == "in":
                    state = "after"
            events.clear()
        parser.finalize()
    except FormParserError:
        raise UploadRefused(400, "malformed multipart body") from None
    if state == "before" or name is None:
        wanted = f"a part named {field!r}" if field else "a file part"
        raise UploadRefused(400, f"the multipart body has no {wanted}")
    if state == "in":
        raise UploadRefused(400, "the multipart body ended inside the file part")
    return name
