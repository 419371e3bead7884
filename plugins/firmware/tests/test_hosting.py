"""Firmware images: upload, list, download by stations (with Range), delete, refusals."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from csms_core.testing import api_url

IMAGE = bytes(range(256)) * 400  # 102400 bytes


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


async def test_upload_list_get_and_delete(csms: Any, api: httpx.AsyncClient) -> None:
    response = await api.post("/firmware", files={"file": ("fw 2.0.bin", IMAGE)})
    assert response.status_code == 201
    image = response.json()
    assert image["fileName"] == "fw 2.0.bin"
    assert image["size"] == len(IMAGE)
    assert image["sha256"] == hashlib.sha256(IMAGE).hexdigest()
    assert image["url"].startswith(api_url(csms) + "/files/firmware/")
    assert image["url"].endswith("/fw%202.0.bin")

    listing = (await api.get("/firmware")).json()
    assert listing["total"] == 1 and listing["items"][0]["url"] == image["url"]
    assert (await api.get(f"/firmware/{image['id']}")).json() == image

    assert (await api.delete(f"/firmware/{image['id']}")).status_code == 204
    assert (await api.get(f"/firmware/{image['id']}")).status_code == 404
    async with httpx.AsyncClient() as station:
        assert (await station.get(image["url"])).status_code == 404
    assert files_under(Path(csms.settings.data_dir) / "firmware") == []


async def test_station_downloads_with_range_and_resumes(api: httpx.AsyncClient) -> None:
    image = (await api.post("/firmware", files={"file": ("fw.bin", IMAGE)})).json()
    async with httpx.AsyncClient() as station:  # no API key: stations have none
        full = await station.get(image["url"])
        assert full.status_code == 200
        assert full.content == IMAGE
        assert full.headers["accept-ranges"] == "bytes"

        # An interrupted download: the first part, then the rest from where it stopped.
        first = await station.get(image["url"], headers={"Range": "bytes=0-40959"})
        assert first.status_code == 206
        assert first.headers["content-range"] == f"bytes 0-40959/{len(IMAGE)}"
        rest = await station.get(
            image["url"],
            headers={"Range": "bytes=40960-", "If-Range": full.headers["etag"]},
        )
        assert rest.status_code == 206
        assert first.content + rest.content == IMAGE

        head = await station.head(image["url"])
        assert head.status_code == 200 and int(head.headers["content-length"]) == len(IMAGE)
        beyond = await station.get(image["url"], headers={"Range": f"bytes={len(IMAGE)}-"})
        assert beyond.status_code == 416

        # Guessing does not work: the right token with another name, or another token.
        wrong_name = image["url"].rsplit("/", 1)[0] + "/other.bin"
        assert (await station.get(wrong_name)).status_code == 404
        base = image["url"].split("/files/firmware/")[0]
        assert (await station.get(f"{base}/files/firmware/guess/fw.bin")).status_code == 404
        # The operator routes still need a key.
        assert (await station.get(f"{base}/api/v1/firmware")).status_code == 401


@pytest.mark.parametrize("name", ["../../evil.bin", "..", "a/b.bin", "..\\evil.bin", ""])
async def test_path_traversal_names_are_refused(
    csms: Any, api: httpx.AsyncClient, name: str
) -> None:
    data_dir = Path(csms.settings.data_dir)
    before = files_under(data_dir.parent)
    response = await api.post("/firmware", files={"file": (name, b"payload")})
    assert response.status_code == 400
    assert "file name" in response.json()["detail"]
    assert files_under(data_dir.parent) == before  # nothing written anywhere
    assert (await api.get("/firmware")).json()["total"] == 0


async def test_multipart_without_file_field_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/firmware", files={"other": ("fw.bin", b"x")})
    assert response.status_code == 400
    assert "'file'" in response.json()["detail"]
    raw = await api.post("/firmware", content=b"raw", headers={"content-type": "text/plain"})
    assert raw.status_code == 400


@pytest.fixture
async def small_limit_api(
    make_csms: Any, plugins_under_test: Any, monkeypatch: pytest.MonkeyPatch, api_for: Any
) -> tuple[Any, httpx.AsyncClient]:
    # Through the environment, as an operator would set it.
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__MAX_FIRMWARE_SIZE", "1000")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__MAX_DIAGNOSTICS_SIZE", "1000")
    app = await make_csms(plugins=plugins_under_test)
    return app, api_for(app)


async def test_oversized_image_is_refused(small_limit_api: tuple[Any, httpx.AsyncClient]) -> None:
    app, api = small_limit_api
    assert (await api.post("/firmware", files={"file": ("ok.bin", b"x" * 900)})).status_code == 201

    # With a Content-Length the refusal comes before the body is read ...
    big = await api.post("/firmware", files={"file": ("big.bin", b"x" * 100_000)})
    assert big.status_code == 413
    assert "1000 bytes" in big.json()["detail"]

    # ... and without one (chunked) while streaming; no partial file is left behind.
    async def chunks() -> AsyncIterator[bytes]:
        boundary = b"--B\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="s.bin"\r\n\r\n'
        for _ in range(20):
            yield os.urandom(100)
        yield b"\r\n--B--\r\n"

    streamed = await api.post(
        "/firmware", content=chunks(), headers={"content-type": "multipart/form-data; boundary=B"}
    )
    assert streamed.status_code == 413
    assert len(files_under(Path(app.settings.data_dir) / "firmware")) == 1
    assert (await api.get("/firmware")).json()["total"] == 1


async def test_routes_are_documented(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "multipart/form-data" in paths["/api/v1/firmware"]["post"]["requestBody"]["content"]
    for path in (
        "/api/v1/stations/{station_id}/firmware-update",
        "/api/v1/stations/{station_id}/diagnostics/files/{name}",
        "/files/firmware/{token}/{name}",
        "/files/diagnostics/{token}/{name}",
    ):
        assert path in paths


async def test_image_missing_on_disk_is_404(csms: Any, api: httpx.AsyncClient) -> None:
    image = (await api.post("/firmware", files={"file": ("fw.bin", b"abc")})).json()
    for path in files_under(Path(csms.settings.data_dir) / "firmware"):
        path.unlink()
    async with httpx.AsyncClient() as station:
        response = await station.get(image["url"])
    assert response.status_code == 404 and "missing" in response.json()["detail"]


async def test_file_name_that_is_not_utf8_is_a_400_not_a_500(api: httpx.AsyncClient) -> None:
    boundary = "b0undary"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="fw\xff\xfe.bin"\r\n'
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + b"payload\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    response = await api.post("/firmware", content=body, headers=headers)
    assert response.status_code == 400 and "UTF-8" in response.json()["detail"]
    assert (await api.get("/firmware")).json()["total"] == 0
    ok = await api.post("/firmware", files={"file": ("fw.bin", b"payload")})
    assert ok.status_code == 201
