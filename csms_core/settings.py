"""Settings: defaults < TOML config file < CSMS_* environment < command-line flags."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError
from .security import parse_networks

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CSMS_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    host: str = Field("0.0.0.0", description="Address both servers listen on.")
    ocpp_port: int = Field(9000, ge=0, le=65535, description="OCPP WebSocket port (0: any).")
    api_port: int = Field(8180, ge=0, le=65535, description="Operator API port (0: any).")
    data_dir: Path = Field(Path("data"), description="Where the SQLite database and files live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy async URL; default SQLite under data_dir."
    )
    auto_migrate: bool = Field(True, description="Apply migrations when the server starts.")
    disabled_plugins: CommaList = Field(
        default_factory=list, description="Installed plugins to leave off."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="debug also logs every OCPP frame."
    )
    log_format: Literal["text", "json"] = Field("text", description="json: one object a line.")
    log_database: bool = Field(
        False, description="Log SQL statements (never their parameters); off: DB warnings only."
    )

    unknown_stations: Literal["reject", "accept"] = Field(
        "reject",
        description="reject: refuse unknown identities (HTTP 401, as a wrong password); "
        "accept: register them.",
    )
    require_password: bool = Field(False, description="Refuse stations without a password.")
    allow_missing_subprotocol: bool = Field(
        False, description="Accept stations that offer no subprotocol at all (old firmware)."
    )
    ping_interval: float | None = Field(60.0, description="WebSocket ping interval, s (None: off).")
    ping_timeout: float | None = Field(30.0, description="Close after this long without pong, s.")
    handshake_timeout: float = Field(
        30.0, gt=0, description="Seconds a WebSocket opening handshake may take."
    )
    handshakes_per_source: int = Field(
        2500, ge=1, description="Handshakes in progress from one address (IPv6: one /64)."
    )
    handshakes_total: int = Field(10000, ge=1, description="Handshakes in progress in all.")
    fd_reserve: int = Field(
        256, ge=0, description="File descriptors kept from new connections for the rest."
    )
    compression: bool = Field(False, description="permessage-deflate; off saves CPU and memory.")
    max_message_size: int = Field(
        64 * 1024, ge=1024, description="Largest accepted frame from a station, bytes."
    )
    max_queued_calls: int = Field(
        8, ge=0, description="CALLs a station may send ahead while one is being handled."
    )
    call_timeout: float = Field(30.0, gt=0, description="How long to wait for a station's answer.")
    auth_free_failures: int = Field(
        5, ge=1, description="Failed logins per (address, station) before backing off."
    )
    auth_backoff_max: float = Field(
        60.0, ge=1, description="Longest backoff after failed logins, s (it doubles from 1 s)."
    )
    auth_limiter_entries: int = Field(
        50_000, ge=100, description="(address, station) pairs the login limiter remembers."
    )
    trusted_proxies: CommaList = Field(
        default_factory=list,
        description="Proxies (addresses or CIDRs) whose X-Forwarded-For names the client.",
    )

    api_keys: CommaList = Field(default_factory=list, description="Operator API keys.")
    api_max_body_bytes: int = Field(
        1 << 20, ge=0, description="Largest API request body, bytes (uploads have their own)."
    )
    api_header_timeout: float = Field(
        10.0, gt=0, description="Seconds an API request's line and headers may take to arrive."
    )
    tls_cert: Path | None = Field(
        None, description="Server certificate (PEM): wss:// and https://."
    )
    tls_key: Path | None = Field(None, description="Its private key (PEM).")
    tls_ca: Path | None = Field(None, description="CA for client certificates (profile 3).")

    node_id: str | None = Field(None, description="This node's name (default host-pid).")
    event_loop: Literal["asyncio", "uvloop"] = Field(
        "asyncio", description="uvloop needs the csms-core[uvloop] extra."
    )
    gc_tuning: bool = Field(
        True,
        description="Freeze start-up objects and collect less often (-22% server CPU per station "
        "in a reconnect storm, -26 to -33% per message at a fixed rate).",
    )
    commit_delay_ms: float = Field(
        2.0,
        ge=0,
        le=100,
        description="Group commit: wait this long for more writes to join a batch, ms (0: none).",
    )
    stall_warning_ms: float = Field(
        0, ge=0, description="Log event-loop stalls longer than this, ms (0: off)."
    )
    cluster_url: str | None = Field(
        None,
        description="NATS URL(s) shared by several nodes (nats://[user:password@]host:4222, "
        "tls://host:4222); unset: one node.",
    )
    cluster_credentials: Path | None = Field(
        None, description="NATS credentials file (user JWT and NKey seed) for cluster_url."
    )
    cluster_name: str = Field(
        "csms",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Prefix of this cluster's NATS subjects, KV buckets and object store.",
    )
    cluster_ttl: float = Field(
        10.0, ge=1.0, description="Seconds after which a silent node's stations and locks are free."
    )
    reuse_port: bool = Field(
        False, description="SO_REUSEPORT on both ports: several processes share them."
    )

    plugins: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Each plugin's own section, by plugin name."
    )

    @field_validator("disabled_plugins", "api_keys", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # a ValueError names the bad entry
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'csms.db').resolve()}"

    def plugin_settings(self, name: str, model: type[BaseModel]) -> BaseModel:
        """Validate one plugin's section; errors name the setting."""
        try:
            return model.model_validate(self.plugins.get(name, {}))
        except ValidationError as exc:
            raise ConfigError(_describe(exc, f"plugins.{name}.")) from None


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from every source; a bad value raises ConfigError naming it."""
    if config_file is not None and not Path(config_file).is_file():
        raise ConfigError(f"config file {config_file} does not exist")

    class ConfiguredSettings(Settings):
        model_config = SettingsConfigDict(toml_file=config_file)

    try:
        return ConfiguredSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError, prefix: str = "") -> str:
    problems = []
    for error in exc.errors():
        name = prefix + ".".join(str(part) for part in error["loc"])
        problems.append(f"setting {name}: {error['msg']}")
    return "; ".join(problems)
