"""The shared-files seam: files that every node must be able to serve (firmware images,
uploads from stations).

Plugins write a file under ``path(relative)`` (in ``data_dir``), then ``publish(relative)``
once it is complete; before serving one they ask ``fetch(relative)``. On one node
(``LocalFiles``) ``data_dir`` is the truth and publishing does nothing. In a cluster
(``cluster/files.py``) a JetStream object store is the truth and ``data_dir`` a cache.
"""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePosixPath
from typing import Protocol


class SharedFilesError(Exception):
    """The shared store could not be reached or refused the operation."""


class SharedFiles(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def path(self, relative: str) -> Path:
        """Where the file is (or would be) kept on this node; refuses ``..`` and absolute
        paths with ValueError."""

    async def publish(self, relative: str) -> None:
        """Make a complete local file available to every node (replacing an older one)."""

    async def fetch(self, relative: str) -> Path | None:
        """A local copy of the file, fetched if needed; None if no node has it."""

    async def delete(self, relative: str) -> None:
        """Remove the file everywhere (nothing happens if it does not exist)."""


def checked(relative: str) -> str:
    """``relative`` as a normalised key, or ValueError if it could leave the data directory."""
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or relative.startswith("/")
        or "\\" in relative
        or any(part in ("..", ".") for part in relative.split("/"))
        or any(ord(ch) < 32 for ch in relative)
    ):
        raise ValueError(f"not a relative file path: {relative!r}")
    return "/".join(parts)


class LocalFiles:
    """One node: the data directory is the only copy."""

    def __init__(self, data_dir: Path | str) -> None:
        self.root = Path(data_dir).resolve()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def path(self, relative: str) -> Path:
        return self.root.joinpath(*checked(relative).split("/"))

    async def publish(self, relative: str) -> None:
        self.path(relative)  # still refuse a bad path, as the cluster would

    async def fetch(self, relative: str) -> Path | None:
        path = self.path(relative)
        return path if await asyncio.to_thread(path.is_file) else None

    async def delete(self, relative: str) -> None:
        path = self.path(relative)
        await asyncio.to_thread(path.unlink, missing_ok=True)
