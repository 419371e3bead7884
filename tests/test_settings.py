"""Settings precedence: defaults < TOML file < CSMS_* environment < command-line flags."""

from __future__ import annotations

import pytest

from csms_core.errors import ConfigError
from csms_core.settings import load_settings


def test_precedence(tmp_path, monkeypatch):
    config = tmp_path / "csms.toml"
    config.write_text(
        'ocpp_port = 9100\napi_port = 8100\nlog_level = "warning"\n'
        'disabled_plugins = ["reservation"]\n[plugins.core]\nheartbeat_interval = 60\n'
    )
    monkeypatch.setenv("CSMS_API_PORT", "8200")
    monkeypatch.setenv("CSMS_API_KEYS", "one, two")
    monkeypatch.setenv("CSMS_PLUGINS__CORE__HEARTBEAT_INTERVAL", "90")
    settings = load_settings(config, log_level="debug")
    assert settings.ocpp_port == 9100  # file over default
    assert settings.api_port == 8200  # environment over file
    assert settings.log_level == "debug"  # flag over everything
    assert settings.api_keys == ["one", "two"]
    assert settings.disabled_plugins == ["reservation"]
    assert settings.plugins["core"]["heartbeat_interval"] == "90"


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.ocpp_port, settings.api_port) == (9000, 8180)
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.unknown_stations == "reject"


def test_bad_value_names_the_setting(monkeypatch):
    monkeypatch.setenv("CSMS_OCPP_PORT", "ninety")
    with pytest.raises(ConfigError, match="setting ocpp_port"):
        load_settings()


def test_unknown_setting_in_file_is_an_error(tmp_path):
    config = tmp_path / "csms.toml"
    config.write_text("ocpp_prot = 1\n")
    with pytest.raises(ConfigError, match="ocpp_prot"):
        load_settings(config)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
