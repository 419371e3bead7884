"""Security tests run the real server with every installed plugin and real charge points."""

from __future__ import annotations

from typing import Any

import pytest

from csms_core.testing import ChargePoint


@pytest.fixture
async def cp(connect: Any) -> ChargePoint:
    station = await connect("CP1")
    assert (await station.boot())["status"] == "Accepted"
    return station
