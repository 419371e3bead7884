"""DataTransfer from a station is answered by the kernel, from what vendors registered:
no profile plugin (core included) is needed for a vendor's handler to run."""

from __future__ import annotations

from typing import Any

import pytest

from csms_core import hookimpl


class Vendor:
    @hookimpl
    def register_data_transfer(self, register: Any) -> None:
        register("com.example", self.hello, message_id="Hello")

    async def hello(self, station: Any, payload: dict) -> dict:
        return {"status": "Accepted", "data": f"Hello, {station.id}"}


@pytest.fixture
async def csms(make_csms: Any) -> Any:
    # Only the vendor's plugin: no BootNotification handler, so the station is accepted
    # in the database before it connects.
    app = await make_csms(plugins=[("vendor", Vendor())])
    await app.stations.create("CP1")
    await app.stations.update("CP1", registration_status="Accepted")
    return app


async def test_vendor_handler_answers_without_the_core_plugin(csms: Any, connect: Any) -> None:
    assert "core" not in csms.plugins.enabled
    cp = await connect("CP1")
    hello = await cp.call("DataTransfer", {"vendorId": "com.example", "messageId": "Hello"})
    assert hello == {"status": "Accepted", "data": "Hello, CP1"}
    other = await cp.call("DataTransfer", {"vendorId": "com.example", "messageId": "Bye"})
    assert other == {"status": "UnknownMessageId"}
    unknown = await cp.call("DataTransfer", {"vendorId": "com.other"})
    assert unknown == {"status": "UnknownVendorId"}


def test_a_plugin_cannot_take_over_data_transfer() -> None:
    from csms_core.errors import ConfigError
    from csms_core.plugins import Plugins

    class Rogue:
        @hookimpl
        def register_handlers(self, register: Any) -> None:
            register("DataTransfer", lambda station, payload: {"status": "Accepted"})

    plugins = Plugins(extra=[("rogue", Rogue())], load_entry_points=False)
    with pytest.raises(ConfigError, match="handled by both 'kernel' and 'rogue'"):
        plugins.build_registry()
