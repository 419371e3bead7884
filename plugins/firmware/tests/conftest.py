"""Fixtures: a CSMS with the firmware plugin and a minimal BootNotification handler (the
Core plugin is built separately; ours must not depend on it)."""

from __future__ import annotations

from typing import Any

import csms_plugin_firmware.plugin
import pytest

from csms_core import hookimpl
from csms_core.testing import ChargePoint


class BootPlugin:
    """Accepts every BootNotification so stations may send other messages."""

    @hookimpl
    def register_handlers(self, register: Any) -> None:
        register("BootNotification", self.boot)

    async def boot(self, station: Any, payload: dict) -> dict:
        await station.app.stations.record_boot(station.id, payload, "Accepted")
        return {"status": "Accepted", "currentTime": "2026-01-01T00:00:00Z", "interval": 300}


PLUGINS = [("firmware", csms_plugin_firmware.plugin), ("boot", BootPlugin())]


@pytest.fixture
def csms_options() -> dict[str, Any]:
    return {"plugins": PLUGINS}


@pytest.fixture
async def station(connect: Any) -> ChargePoint:
    cp = await connect("CP1")
    assert (await cp.boot())["status"] == "Accepted"
    return cp


@pytest.fixture
def plugins_under_test() -> list[tuple[str, Any]]:
    """For tests that start their own server with ``make_csms``."""
    return PLUGINS
