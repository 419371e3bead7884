"""The shared-files seam on one node: the data directory is the only copy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from csms_core.files import LocalFiles, checked

BAD_PATHS = ["", ".", "..", "../x", "a/../b", "/etc/passwd", "a\\b", "a/./b", "a/\nb"]


@pytest.mark.parametrize("relative", BAD_PATHS)
async def test_paths_that_could_leave_the_data_directory_are_refused(
    tmp_path: Path, relative: str
) -> None:
    files = LocalFiles(tmp_path)
    with pytest.raises(ValueError):
        files.path(relative)
    for operation in (files.publish, files.fetch, files.delete):
        with pytest.raises(ValueError):
            await operation(relative)


def test_paths_are_normalised_under_the_data_directory(tmp_path: Path) -> None:
    files = LocalFiles(tmp_path / "data")
    assert files.path("fw/images/t1") == (tmp_path / "data" / "fw" / "images" / "t1").resolve()
    assert checked("fw//images/t1/") == "fw/images/t1"


async def test_publish_fetch_delete(tmp_path: Path) -> None:
    files = LocalFiles(tmp_path)
    assert await files.fetch("fw/a.bin") is None
    path = files.path("fw/a.bin")
    path.parent.mkdir()
    path.write_bytes(b"image")
    await files.publish("fw/a.bin")  # nothing to do on one node
    assert await files.fetch("fw/a.bin") == path
    await files.delete("fw/a.bin")
    assert not path.exists()
    assert await files.fetch("fw/a.bin") is None
    await files.delete("fw/a.bin")  # deleting what is gone is fine


def resolved(path: Path) -> Path:
    return path.resolve()


async def test_a_single_node_app_keeps_files_in_its_data_directory(csms: Any) -> None:
    assert isinstance(csms.files, LocalFiles)
    assert csms.files.root == resolved(csms.settings.data_dir)
