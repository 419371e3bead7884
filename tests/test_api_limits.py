"""The API's front door under attack: bodies before keys, oversize bodies, the docs page."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from csms_core.testing import TEST_API_KEY, api_url

MB = 1 << 20


def rss_bytes() -> int:
    """This process's resident set (the server runs in it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def post_streamed(
    port: int, path: str, total: int, headers: dict[str, str], chunked: bool = False
) -> tuple[int, bytes]:
    """POST ``total`` bytes, streamed from one reused chunk (never built in memory), while
    reading the answer. Returns its status and body, once the server has hung up."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {path} HTTP/1.1", "Host: csms", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = b" " * MB
    sent = 0

    async def send_body() -> None:
        nonlocal sent
        try:
            while sent < total:
                piece = chunk[: min(MB, total - sent)]
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                await writer.drain()
                sent += len(piece)
            if chunked:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the server hung up: the attack is over

    sender = asyncio.create_task(send_body())
    try:
        status_line = await asyncio.wait_for(reader.readline(), 30)
        response_headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            response_headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(response_headers.get("content-length", 0)))
        await asyncio.wait_for(sender, 60)  # the attacker goes on until it may not
        # The server ends the connection rather than read (or drop) the body forever.
        with contextlib.suppress(ConnectionError):
            assert await asyncio.wait_for(reader.read(), 30) == b""
    finally:
        sender.cancel()
        writer.close()
    return int(status_line.split()[1]), body


async def test_unauthenticated_200mb_body_is_refused_without_reading_it(csms: Any) -> None:
    async with httpx.AsyncClient(base_url=api_url(csms)) as client:
        assert (await client.get("/health")).status_code == 200  # warm up before measuring
    before = rss_bytes()
    for chunked in (False, True):
        status, body = await post_streamed(
            csms.api.port, "/api/v1/stations", 200 * MB, {}, chunked=chunked
        )
        assert status == 401, body
        assert b"missing API key" in body
    status, body = await post_streamed(
        csms.api.port, "/api/v1/stations", 200 * MB, {"Authorization": "Bearer wrong"}
    )
    assert status == 401 and b"invalid API key" in body
    grown = rss_bytes() - before
    assert grown < 64 * MB, f"the server grew by {grown / MB:.0f} MB"
    async with httpx.AsyncClient(base_url=api_url(csms), timeout=10) as client:
        assert (await client.get("/health")).status_code == 200


async def test_oversize_body_with_a_key_gets_413(make_csms: Any) -> None:
    csms = await make_csms(api_max_body_bytes=4096)
    key = {"Authorization": f"Bearer {TEST_API_KEY}"}
    # From the Content-Length, before a byte of the body is read:
    status, body = await post_streamed(csms.api.port, "/api/v1/stations", 200 * MB, key)
    assert status == 413 and b"api_max_body_bytes" in body
    # Chunked: no length up front, refused while streaming.
    status, body = await post_streamed(csms.api.port, "/api/v1/stations", 8 * MB, key, chunked=True)
    assert status == 413 and b"api_max_body_bytes" in body

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"id": "CP1", "password": "'
        yield b"x" * 8192
        yield b'"}'

    async with httpx.AsyncClient(base_url=api_url(csms) + "/api/v1", headers=key) as client:
        answer = await client.post("/stations", content=chunks())
        assert answer.status_code == 413
        assert "api_max_body_bytes" in answer.json()["detail"]
        # Under the limit all is as before, on a fresh connection or this one.
        answer = await client.post("/stations", json={"id": "CP1"})
        assert answer.status_code == 201, answer.text


async def test_uploads_keep_their_own_limit(make_csms: Any) -> None:
    csms = await make_csms(api_max_body_bytes=1024)
    key = {"Authorization": f"Bearer {TEST_API_KEY}"}
    image = b"\x7fELF" + bytes(64 * 1024)
    async with httpx.AsyncClient(base_url=api_url(csms) + "/api/v1", headers=key) as client:
        answer = await client.post("/firmware", files={"file": ("fw.bin", image)})
        assert answer.status_code == 201, answer.text
        assert answer.json()["size"] == len(image)
    # Without a key the upload route is refused before its body is read.
    status, body = await post_streamed(csms.api.port, "/api/v1/firmware", 200 * MB, {})
    assert status == 401, body


async def test_public_routes_stay_open_and_unknown_ones_need_a_key(csms: Any) -> None:
    async with httpx.AsyncClient(base_url=api_url(csms)) as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/api/v1/openapi.json")).status_code == 200
        assert (await client.get("/api/v1/docs")).status_code == 200
        for path in ("/api/v1/stations", "/api/v1/no-such-route", "/api/v1"):
            answer = await client.get(path)
            assert answer.status_code == 401, path
            assert answer.headers["www-authenticate"] == "Bearer"
            assert answer.json() == {"detail": "missing API key: send Authorization: Bearer <key>"}
        answer = await client.get("/api/v1/stations", headers={"Authorization": "Basic eDp5"})
        assert answer.status_code == 401


async def test_docs_page_loads_nothing_from_other_hosts(csms: Any) -> None:
    async with httpx.AsyncClient(base_url=api_url(csms)) as client:
        page = await client.get("/api/v1/docs")
        assert page.status_code == 200
        html = page.text
        assert "SwaggerUIBundle" in html
        assert not re.search(r"(https?:)?//[A-Za-z0-9.-]", html), "the page names another host"
        references = re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", html)
        assert len(references) >= 4  # script, stylesheet, icon, OpenAPI document
        for reference in references:
            assert reference.startswith("/api/v1/"), reference
            asset = await client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.content
