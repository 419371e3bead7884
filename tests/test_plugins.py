"""Plugin loading, enable/disable, start-up errors, events and settings sections."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from csms_core import hookimpl
from csms_core.app import Csms
from csms_core.errors import ConfigError
from csms_core.plugins import Plugins
from csms_core.settings import Settings


def handler_plugin(action: str) -> object:
    class P:
        @hookimpl
        def register_handlers(self, register: Any) -> None:
            async def handle(station: Any, payload: dict) -> dict:
                return {}

            register(action, handle)

    return P()


def test_two_plugins_handling_one_action_fail_at_startup():
    plugins = Plugins(
        extra=[("a", handler_plugin("Heartbeat")), ("b", handler_plugin("Heartbeat"))],
        load_entry_points=False,
    )
    with pytest.raises(ConfigError, match="handled by both"):
        plugins.build_registry()


def test_unknown_plugin_in_disable_list_fails():
    with pytest.raises(ConfigError, match="cannot disable unknown plugin"):
        Plugins(disabled=["nonexistent"], extra=[("a", object())], load_entry_points=False)


def test_misspelled_hook_implementation_fails():
    class Typo:
        @hookimpl
        def register_handler(self, register: Any) -> None:  # missing "s"
            pass

    with pytest.raises(ConfigError, match="register_handler"):
        Plugins(extra=[("typo", Typo())], load_entry_points=False)


def test_disabled_plugin_contributes_nothing():
    plugins = Plugins(
        disabled=["b"],
        extra=[("a", handler_plugin("Heartbeat")), ("b", handler_plugin("Authorize"))],
        load_entry_points=False,
    )
    registry = plugins.build_registry()
    assert set(registry.handlers) == {"Heartbeat", "DataTransfer"}  # DataTransfer: the kernel
    infos = {i.name: i for i in plugins.describe(registry)}
    assert infos["a"].enabled and infos["a"].handles == ["Heartbeat"]
    assert not infos["b"].enabled and infos["b"].handles == []


def test_installed_profile_plugins_are_found_through_entry_points():
    names = set(Plugins().available)
    # Whatever profile plugins are installed in this workspace come through the entry points.
    from importlib.metadata import entry_points

    assert names == {ep.name for ep in entry_points(group="csms.plugins")}


@pytest.mark.csms(
    plugins=[("a", handler_plugin("BootNotification")), ("b", handler_plugin("Heartbeat"))],
    disabled_plugins=["b"],
)
async def test_disabled_profile_answers_not_supported(csms, connect):
    from csms_core.errors import CallErrorReceived

    cp = await connect("CP1")
    await csms.stations.update("CP1", registration_status="Accepted")
    cp2 = await connect("CP1")
    with pytest.raises(CallErrorReceived) as caught:
        await cp2.call("Heartbeat")
    assert caught.value.code == "NotSupported"
    await cp.close()


class Section(BaseModel):
    limit: int = 5


class SettingsPlugin:
    @hookimpl
    def register_settings(self, register: Any) -> None:
        register("demo", Section)


def test_plugin_settings_section_is_validated(tmp_path):
    plugins = Plugins(extra=[("demo", SettingsPlugin())], load_entry_points=False)
    app = Csms(Settings(data_dir=tmp_path, plugins={"demo": {"limit": "7"}}), plugins)
    assert app.settings_for("demo").limit == 7
    with pytest.raises(ConfigError, match=r"plugins\.demo\.limit"):
        Csms(
            Settings(data_dir=tmp_path, plugins={"demo": {"limit": "many"}}),
            Plugins(extra=[("demo", SettingsPlugin())], load_entry_points=False),
        )


async def test_failing_event_observer_does_not_stop_others(make_csms, connect_to):
    calls = []

    class Broken:
        @hookimpl
        def station_connected(self, station_id: str) -> None:
            raise RuntimeError("observer bug")

    class Fine:
        @hookimpl
        async def station_connected(self, station_id: str) -> None:
            calls.append(station_id)

    app = await make_csms(plugins=[("broken", Broken()), ("fine", Fine())])
    await connect_to(app, "CP9")
    from csms_core.testing import eventually

    assert await eventually(lambda: calls) == ["CP9"]
