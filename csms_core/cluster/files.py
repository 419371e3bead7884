"""Shared files for several nodes: a JetStream object store ``<cluster>_files`` is the truth,
each node's data directory a cache.

- ``publish`` streams the local file into the store (chunks of 128 KiB, read on a worker
  thread); ``fetch`` asks the store for the object's current version (one round trip) and
  serves the local copy if it is that version, else streams it into a ``.part`` file renamed
  into place. Concurrent fetches of one file on one node share one download.
- ``delete`` removes the object and tells every node (``<cluster>.files.deleted``) to drop
  its copy; a node that missed the message drops it on its next fetch (the store keeps a
  deletion marker). A local file the store never had (kept before the node joined a
  cluster) is published on its first fetch instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nats.aio.msg import Msg
from nats.js.api import ObjectStoreConfig, StorageType
from nats.js.errors import BucketNotFoundError, ObjectNotFoundError
from nats.js.object_store import ObjectStore

from ..files import LocalFiles, SharedFilesError, checked

if TYPE_CHECKING:
    from .nats import NatsRouter

log = logging.getLogger("csms.cluster.files")

STALL_SECONDS = 30.0  # a download that receives nothing this long is abandoned


class NatsFiles(LocalFiles):
    def __init__(self, router: NatsRouter, data_dir: Path | str) -> None:
        super().__init__(data_dir)
        self.router = router
        self.bucket = f"{router.name}_files"
        self.store: ObjectStore | None = None
        self._versions: dict[str, str] = {}  # relative path -> nuid of our local copy
        self._downloads: dict[str, asyncio.Task[Path | None]] = {}
        self._sub: Any = None

    async def start(self) -> None:
        nc = self.router.nc
        assert nc is not None, "the router connects first"
        js = nc.jetstream()
        try:
            self.store = await js.object_store(self.bucket)
        except BucketNotFoundError:
            config = ObjectStoreConfig(description="CSMS shared files", storage=StorageType.FILE)
            self.store = await js.create_object_store(self.bucket, config)
        self._sub = await nc.subscribe(f"{self.router.name}.files.deleted", cb=self._on_deleted)

    async def stop(self) -> None:
        downloads = list(self._downloads.values())
        for task in downloads:
            task.cancel()
        await asyncio.gather(*downloads, return_exceptions=True)
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    async def publish(self, relative: str) -> None:
        assert self.store is not None
        key, path = checked(relative), self.path(relative)
        fh = await asyncio.to_thread(path.open, "rb")
        try:
            info = await self.store.put(key, fh)  # reads on a worker thread, chunk by chunk
        except Exception as exc:
            raise SharedFilesError(f"could not publish {key} to {self.bucket}: {exc}") from exc
        finally:
            await asyncio.to_thread(fh.close)
        self._versions[key] = info.nuid

    async def fetch(self, relative: str) -> Path | None:
        assert self.store is not None
        key, path = checked(relative), self.path(relative)
        try:
            info = await self.store.get_info(key, show_deleted=True)
        except ObjectNotFoundError:
            # Never published: a file from before the cluster (one node's data_dir).
            if await super().fetch(key) is None:
                return None
            log.info("publishing %s, found only in this node's data directory", key)
            await self.publish(key)
            return path
        except Exception as exc:
            log.warning("file store unreachable (%s); serving %s from the local copy", exc, key)
            if local := await super().fetch(key):
                return local
            raise SharedFilesError(f"could not fetch {key} from {self.bucket}: {exc}") from exc
        if info.deleted:
            await self._drop(key)  # deleted elsewhere while we were not listening
            return None
        size = await asyncio.to_thread(_size, path)
        known = self._versions.get(key)
        # A copy from before a restart (neither published nor fetched since) counts as
        # current if the sizes agree: files are named by fresh random tokens.
        if size is not None and (known == info.nuid or (known is None and size == info.size)):
            self._versions[key] = info.nuid
            return path
        task = self._downloads.get(key)
        if task is None:
            task = asyncio.ensure_future(self._download(key, path))
            self._downloads[key] = task
            task.add_done_callback(self._done)
        return await asyncio.shield(task)  # a caller that leaves does not stop the others'

    async def delete(self, relative: str) -> None:
        assert self.store is not None and self.router.nc is not None
        key = checked(relative)
        try:
            with contextlib.suppress(ObjectNotFoundError):
                await self.store.delete(key)
        except Exception as exc:
            raise SharedFilesError(f"could not delete {key} from {self.bucket}: {exc}") from exc
        await self._drop(key)
        with contextlib.suppress(Exception):
            await self.router.nc.publish(f"{self.router.name}.files.deleted", key.encode())

    async def _download(self, key: str, path: Path) -> Path | None:
        assert self.store is not None
        part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        sink = _Sink(await asyncio.to_thread(_open_part, part))
        try:
            get = asyncio.ensure_future(self.store.get(key, writeinto=sink))
            try:
                while not get.done():
                    seen = sink.received
                    await asyncio.wait({get}, timeout=STALL_SECONDS)
                    if not get.done() and sink.received == seen:
                        raise SharedFilesError(f"download of {key} stalled")
                result = get.result()
            finally:
                get.cancel()
                await asyncio.gather(get, return_exceptions=True)
            await asyncio.to_thread(_finish, sink.fh, part, path)
        except ObjectNotFoundError:
            await asyncio.to_thread(_discard, sink.fh, part)
            return None  # deleted meanwhile
        except BaseException as exc:
            await asyncio.to_thread(_discard, sink.fh, part)
            if isinstance(exc, Exception) and not isinstance(exc, SharedFilesError):
                raise SharedFilesError(f"could not fetch {key}: {exc}") from exc
            raise
        self._versions[key] = result.info.nuid
        return path

    def _done(self, task: asyncio.Task[Path | None]) -> None:
        for key, running in list(self._downloads.items()):
            if running is task:
                del self._downloads[key]
        if not task.cancelled():
            task.exception()  # retrieved: every waiter may have left

    async def _drop(self, key: str) -> None:
        self._versions.pop(key, None)
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def _on_deleted(self, msg: Msg) -> None:
        try:
            await self._drop(checked(msg.data.decode()))
        except (ValueError, OSError) as exc:
            log.warning("could not drop a deleted file: %s", exc)


class _Sink:
    """What nats-py writes a download into (on a worker thread); counts bytes for the
    stall check."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.received = 0

    def write(self, data: bytes) -> int:
        self.received += len(data)
        return self.fh.write(data)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _open_part(part: Path) -> IO[bytes]:
    part.parent.mkdir(parents=True, exist_ok=True)
    return part.open("wb")


def _finish(fh: IO[bytes], part: Path, path: Path) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()
    os.replace(part, path)


def _discard(fh: IO[bytes], part: Path) -> None:
    fh.close()
    part.unlink(missing_ok=True)
