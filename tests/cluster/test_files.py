"""Files in a cluster: whatever one node receives, every node serves (the JetStream object
store ``<cluster>_files`` is the truth, each node's data directory a cache)."""

from __future__ import annotations

import asyncio
import ftplib
import hashlib
import io
import os
from typing import Any
from urllib.parse import urlsplit

import httpx

from csms_core.cluster.files import NatsFiles
from csms_core.testing import ChargePoint, api_url, eventually, ocpp_url

LOG = b"2026-01-01 boot ok\n" * 5000


def via(node: Any, url: str) -> str:
    """``url`` sent to ``node`` instead, as a load balancer might."""
    parts = urlsplit(url)
    return api_url(node) + parts.path


async def test_firmware_uploaded_to_one_node_downloads_from_another(make_node, api_for):
    a, b = await make_node("a"), await make_node("b")
    image = os.urandom(3 * 2**20 + 4321)  # several 128 KiB chunks
    uploaded = await api_for(a).post("/firmware", files={"file": ("fw-2.1.bin", image)})
    assert uploaded.status_code == 201, uploaded.text
    url = uploaded.json()["url"]
    cached = b.files.path(f"firmware/images/{urlsplit(url).path.split('/')[-2]}")
    assert not cached.exists()

    async with httpx.AsyncClient(timeout=30) as station:  # no API key, like a station
        resumed = await station.get(via(b, url), headers={"Range": "bytes=1048576-"})
        assert resumed.status_code == 206, resumed.text
        assert resumed.headers["content-range"] == f"bytes 1048576-{len(image) - 1}/{len(image)}"
        assert resumed.content == image[1048576:]
        whole = await station.get(via(b, url))
        assert whole.status_code == 200 and whole.content == image
        assert cached.read_bytes() == image

        # Deleted through node a: node b drops its copy and stops serving it.
        listed = (await api_for(b).get("/firmware")).json()["items"]
        assert [i["sha256"] for i in listed] == [hashlib.sha256(image).hexdigest()]
        deleted = await api_for(a).delete(f"/firmware/{uploaded.json()['id']}")
        assert deleted.status_code == 204
        await eventually(lambda: not cached.exists())
        assert (await station.get(via(b, url))).status_code == 404


async def test_diagnostics_uploaded_to_one_node_are_fetched_from_another(
    make_node, api_for, connect_to
):
    a, b = await make_node("a"), await make_node("b")
    cp = await connect_to(a, "CP1")
    assert (await cp.boot())["status"] == "Accepted"
    cp.answer("GetDiagnostics", {"fileName": "diag.zip"})
    requested = await api_for(a).post("/stations/CP1/diagnostics-request", json={})
    assert requested.status_code == 200, requested.text
    location = requested.json()["request"]["location"]
    async with httpx.AsyncClient(timeout=30) as station:
        upload = await station.post(via(b, location), files={"file": ("diag.zip", LOG)})
    assert upload.status_code == 201, upload.text
    cached = a.files.path(f"firmware/diagnostics/{urlsplit(location).path.split('/')[-2]}")
    assert not cached.exists()

    listed = (await api_for(a).get("/stations/CP1/diagnostics/files")).json()["items"]
    assert [(f["name"], f["size"]) for f in listed] == [("diag.zip", len(LOG))]
    fetched = await api_for(a).get("/stations/CP1/diagnostics/files/diag.zip")
    assert fetched.status_code == 200 and fetched.content == LOG
    assert cached.read_bytes() == LOG


async def publish(files: NatsFiles, key: str, data: bytes) -> None:
    path = files.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    await files.publish(key)


async def test_a_download_is_shared_and_replaced_versions_are_fetched_again(make_node):
    a, b = await make_node("a"), await make_node("b")
    assert isinstance(a.files, NatsFiles) and isinstance(b.files, NatsFiles)
    key = "test/blob"
    first = os.urandom(24 * 2**20)
    await publish(a.files, key, first)
    assert await b.files.fetch("test/missing") is None

    leaving = asyncio.ensure_future(b.files.fetch(key))
    download = await eventually(lambda: b.files._downloads.get(key), timeout=10)
    staying = asyncio.ensure_future(b.files.fetch(key))
    leaving.cancel()  # the first caller gives up: the download goes on for the other one
    assert await staying == b.files.path(key)
    assert download.done() and not download.cancelled()
    assert b.files.path(key).read_bytes() == first
    assert not [p for p in b.files.path(key).parent.iterdir() if p.suffix == ".part"]

    second = b"a retry replaces the file"
    await publish(a.files, key, second)
    assert (await b.files.fetch(key)).read_bytes() == second

    # Deleted while node b was not listening: its next fetch drops the stale copy.
    assert a.files.store is not None
    await a.files.store.delete(key)
    assert await b.files.fetch(key) is None
    assert not b.files.path(key).exists()


async def test_files_from_before_the_cluster_are_published_when_first_fetched(make_node):
    a, b = await make_node("a"), await make_node("b")
    key = "test/old"
    path = a.files.path(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"stored by a single node")  # never published
    assert await b.files.fetch(key) is None
    assert await a.files.fetch(key) == path
    assert (await b.files.fetch(key)).read_bytes() == b"stored by a single node"


async def test_a_restarted_node_keeps_its_copies(make_node):
    a = await make_node("a")
    key = "test/kept"
    await publish(a.files, key, b"x" * 1000)
    await a.stop()
    again = await make_node("a2", data_dir=a.settings.data_dir)
    path = again.files.path(key)
    before = path.stat().st_mtime_ns
    assert await again.files.fetch(key) == path
    assert path.stat().st_mtime_ns == before  # adopted, not downloaded again


def ftp_upload(host: str, port: int, user: str, password: str, data: bytes) -> str:
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=10)
        ftp.login(user, password)
        return ftp.storbinary("STOR diag.tar", io.BytesIO(data))


async def test_ftp_upload_to_one_node_is_fetched_from_another(make_node, api_for, monkeypatch):
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__FTP_ENABLED", "true")
    monkeypatch.setenv("CSMS_PLUGINS__FIRMWARE__FTP_PORT", "0")
    a, b = await make_node("a"), await make_node("b")
    await a.stations.create("CP1")
    cp = await ChargePoint(ocpp_url(a), "CP1").connect()
    try:
        assert (await cp.boot())["status"] == "Accepted"
        sent: list[dict] = []

        def answer(call: Any) -> dict:
            sent.append(call.payload)
            return {"fileName": "diag.tar"}

        cp.answer("GetDiagnostics", answer)
        requested = await api_for(a).post(
            "/stations/CP1/diagnostics-request", json={"protocol": "ftp"}
        )
        assert requested.status_code == 200, requested.text
        # The upload account's password goes to the station alone.
        location = urlsplit(sent[0]["location"])
        # The account lives in the database: node b accepts it although a created it.
        port_b = b.state["firmware"].ftp.port
        assert port_b != location.port
        args = (location.hostname, port_b, location.username, location.password, LOG)
        assert (await asyncio.to_thread(ftp_upload, *args)).startswith("226")

        async def listed() -> list:
            return (await api_for(a).get("/stations/CP1/diagnostics/files")).json()["items"]

        assert [(f["name"], f["size"]) for f in await eventually(listed)] == [
            ("diag.tar", len(LOG))
        ]
        fetched = await api_for(a).get("/stations/CP1/diagnostics/files/diag.tar")
        assert fetched.status_code == 200 and fetched.content == LOG
    finally:
        await cp.close()
