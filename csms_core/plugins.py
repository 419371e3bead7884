"""Plugin loading (pluggy + the ``csms.plugins`` entry point group) and the tables
built once from the ``register_*`` hooks."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pluggy
from pydantic import BaseModel
from sqlalchemy import MetaData

from . import datatransfer, hookspecs
from .errors import ConfigError
from .storage.migrate import TableSet

log = logging.getLogger("csms.plugins")

ENTRY_POINT_GROUP = "csms.plugins"
KERNEL = "kernel"  # the owner of what the kernel registers itself
Handler = Callable[[Any, dict], Awaitable[dict]]


async def await_me_maybe(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


@dataclass(slots=True)
class OwnedAction:
    """A CSMS-initiated action and the plugin that owns it."""

    plugin: str
    check: Callable[..., Any] | None = None
    on_result: Callable[..., Any] | None = None
    permits: Callable[[dict], Iterable[str]] | None = None


@dataclass(slots=True)
class ConfigKey:
    plugin: str
    key: str
    type_name: str
    description: str
    read_only: bool = False


@dataclass(slots=True)
class PluginInfo:
    name: str
    version: str
    enabled: bool
    handles: list[str] = field(default_factory=list)
    owns: list[str] = field(default_factory=list)


@dataclass
class Registry:
    """Everything plugins registered, looked up by the kernel without further hook calls."""

    handlers: dict[str, Handler] = field(default_factory=dict)
    handler_owners: dict[str, str] = field(default_factory=dict)
    actions: dict[str, OwnedAction] = field(default_factory=dict)
    schemas: list[tuple[str, dict | None, dict | None]] = field(default_factory=list)
    data_transfer: dict[tuple[str, str | None], Handler] = field(default_factory=dict)
    settings_models: dict[str, type[BaseModel]] = field(default_factory=dict)
    config_keys: dict[str, ConfigKey] = field(default_factory=dict)
    tables: list[TableSet] = field(default_factory=list)
    api_routers: list[tuple[str, Any]] = field(default_factory=list)
    public_routers: list[tuple[str, Any]] = field(default_factory=list)


class Plugins:
    """The plugin manager: which plugins are loaded, and hook calls the kernel makes."""

    def __init__(
        self,
        disabled: Iterable[str] = (),
        extra: Iterable[tuple[str, object]] = (),
        load_entry_points: bool = True,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.versions: dict[str, str] = {}
        self.disabled: set[str] = set(disabled)
        available: dict[str, Callable[[], object]] = {}
        if load_entry_points:
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                available[ep.name] = ep.load
                self.versions[ep.name] = ep.dist.version if ep.dist else "?"
        for name, plugin in extra:
            available[name] = lambda plugin=plugin: plugin
            self.versions.setdefault(name, getattr(plugin, "__version__", "local"))
        unknown = self.disabled - set(available)
        if unknown:
            raise ConfigError(
                f"cannot disable unknown plugin(s) {', '.join(sorted(unknown))}; "
                f"installed: {', '.join(sorted(available)) or 'none'}"
            )
        self.available = sorted(available)
        for name, load in available.items():
            if name in self.disabled:
                self.pm.set_blocked(name)
                continue
            try:
                self.pm.register(load(), name=name)
            except Exception as exc:
                raise ConfigError(f"plugin {name!r} failed to load: {exc}") from exc
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise ConfigError(f"plugin hook error: {exc}") from exc
        self._event_cache: dict[str, list[pluggy.HookImpl]] = {}

    @property
    def enabled(self) -> list[str]:
        return [name for name in self.available if name not in self.disabled]

    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        impls = self._event_cache.get(hook_name)
        if impls is None:
            # pluggy calls the last registered first; keep that order.
            impls = list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))
            self._event_cache[hook_name] = impls
        return impls

    def has_impls(self, hook_name: str) -> bool:
        return bool(self._impls(hook_name))

    @staticmethod
    def _call(impl: pluggy.HookImpl, kwargs: dict[str, Any]) -> Any:
        return impl.function(*[kwargs[name] for name in impl.argnames])

    async def fire(self, hook_name: str, **kwargs: Any) -> None:
        """Fire an event: every implementation runs; a failure is logged, never raised."""
        for impl in self._impls(hook_name):
            try:
                await await_me_maybe(self._call(impl, kwargs))
            except Exception:
                log.exception("plugin %s failed in %s", impl.plugin_name, hook_name)

    async def query(self, hook_name: str, **kwargs: Any) -> Any:
        """Ask a firstresult question; the first non-None answer wins."""
        for impl in self._impls(hook_name):
            result = await await_me_maybe(self._call(impl, kwargs))
            if result is not None:
                return result
        return None

    async def call_all(self, hook_name: str, **kwargs: Any) -> None:
        """Run every implementation; unlike events, the first exception propagates
        (a failing start-up stops the server, a check refuses the call)."""
        for impl in self._impls(hook_name):
            await await_me_maybe(self._call(impl, kwargs))

    def call_register(self, hook_name: str, make_register: Callable[[str], Any]) -> None:
        for impl in self._impls(hook_name):
            impl.function(make_register(impl.plugin_name))

    def build_registry(self) -> Registry:
        reg = Registry()
        # The kernel answers DataTransfer itself, from reg.data_transfer (see datatransfer.py).
        reg.handlers[datatransfer.ACTION] = datatransfer.dispatch
        reg.handler_owners[datatransfer.ACTION] = KERNEL

        def handlers(plugin: str) -> Callable[..., None]:
            def register(action: str, handler: Handler) -> None:
                if action in reg.handlers:
                    raise ConfigError(
                        f"action {action!r} is handled by both {reg.handler_owners[action]!r} "
                        f"and {plugin!r}"
                    )
                reg.handlers[action] = handler
                reg.handler_owners[action] = plugin

            return register

        def actions(plugin: str) -> Callable[..., None]:
            def register(
                action: str, check: Any = None, on_result: Any = None, permits: Any = None
            ) -> None:
                if action in reg.actions:
                    raise ConfigError(
                        f"action {action!r} is owned by both {reg.actions[action].plugin!r} "
                        f"and {plugin!r}"
                    )
                reg.actions[action] = OwnedAction(plugin, check, on_result, permits)

            return register

        def schemas(plugin: str) -> Callable[..., None]:
            def register(action: str, request_schema: Any = None, response_schema: Any = None):
                reg.schemas.append((action, request_schema, response_schema))

            return register

        def data_transfer(plugin: str) -> Callable[..., None]:
            def register(vendor_id: str, handler: Handler, message_id: str | None = None) -> None:
                key = (vendor_id, message_id)
                if key in reg.data_transfer:
                    raise ConfigError(f"DataTransfer {key} is registered twice ({plugin!r})")
                reg.data_transfer[key] = handler

            return register

        def settings(plugin: str) -> Callable[..., None]:
            def register(name: str, model: type[BaseModel]) -> None:
                if name in reg.settings_models:
                    raise ConfigError(f"settings section {name!r} registered twice ({plugin!r})")
                reg.settings_models[name] = model

            return register

        def config_keys(plugin: str) -> Callable[..., None]:
            def register(
                key: str, type_name: str, description: str = "", read_only: bool = False
            ) -> None:
                if key in reg.config_keys:
                    raise ConfigError(f"configuration key {key!r} declared twice ({plugin!r})")
                reg.config_keys[key] = ConfigKey(plugin, key, type_name, description, read_only)

            return register

        def tables(plugin: str) -> Callable[..., None]:
            def register(name: str, metadata: MetaData, migrations_dir: str | Path) -> None:
                if any(t.name == name for t in reg.tables):
                    raise ConfigError(f"storage name {name!r} registered twice ({plugin!r})")
                taken = {table for t in reg.tables for table in t.metadata.tables}
                clash = taken & set(metadata.tables)
                if clash:
                    raise ConfigError(f"plugin {plugin!r} redefines table(s) {sorted(clash)}")
                reg.tables.append(TableSet(plugin, name, metadata, Path(migrations_dir)))

            return register

        def routers(target: list) -> Callable[[str], Callable[[Any], None]]:
            def make(plugin: str) -> Callable[[Any], None]:
                return lambda router: target.append((plugin, router))

            return make

        self.call_register("register_handlers", handlers)
        self.call_register("register_actions", actions)
        self.call_register("register_schemas", schemas)
        self.call_register("register_data_transfer", data_transfer)
        self.call_register("register_settings", settings)
        self.call_register("register_config_keys", config_keys)
        self.call_register("register_tables", tables)
        self.call_register("register_api_routes", routers(reg.api_routers))
        self.call_register("register_public_routes", routers(reg.public_routers))
        return reg

    def describe(self, registry: Registry | None = None) -> list[PluginInfo]:
        registry = registry or self.build_registry()
        infos = []
        for name in self.available:
            info = PluginInfo(name, self.versions.get(name, "?"), name not in self.disabled)
            info.handles = sorted(a for a, p in registry.handler_owners.items() if p == name)
            info.owns = sorted(a for a, o in registry.actions.items() if o.plugin == name)
            infos.append(info)
        return infos
