"""Several CSMS nodes sharing one database: the broker-backed call router and shared files.

``cluster_url`` unset: the in-process LocalRouter and LocalFiles (one node). Set to
``nats://...``: the NatsRouter, which finds each station's node through NATS, and NatsFiles,
which keeps files in a JetStream object store (see docs/deployment.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..files import LocalFiles, SharedFiles
from ..redact import mask_url_credentials
from ..router import CallRouter, LocalRouter

if TYPE_CHECKING:
    from ..app import Csms


def make_router(app: Csms) -> CallRouter:
    url = app.settings.cluster_url
    if not url:
        return LocalRouter()
    if url.split("://", 1)[0].lower() not in ("nats", "tls", "nats+tls", "ws", "wss"):
        raise ConfigError(
            "setting cluster_url: only NATS is supported (nats://, tls://), got "
            f"{mask_url_credentials(url)!r}"
        )
    from .nats import NatsRouter

    return NatsRouter(app, url)


def make_files(app: Csms, router: CallRouter) -> SharedFiles:
    """Shared files over the router's broker connection (it must start first)."""
    if not app.settings.cluster_url:
        return LocalFiles(app.settings.data_dir)
    from .files import NatsFiles
    from .nats import NatsRouter

    assert isinstance(router, NatsRouter)
    return NatsFiles(router, app.settings.data_dir)
