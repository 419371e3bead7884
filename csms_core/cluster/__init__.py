"""Several CSMS nodes sharing one database: the broker-backed call router.

``cluster_url`` unset: the in-process LocalRouter (one node). Set to ``nats://...``: the
NatsRouter, which finds each station's node through NATS (see docs/deployment.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..router import CallRouter, LocalRouter

if TYPE_CHECKING:
    from ..app import Csms


def make_router(app: Csms) -> CallRouter:
    url = app.settings.cluster_url
    if not url:
        return LocalRouter()
    if url.split("://", 1)[0] not in ("nats", "tls", "ws", "wss"):
        raise ConfigError(f"setting cluster_url: only NATS is supported (nats://...), got {url!r}")
    from .nats import NatsRouter

    return NatsRouter(app, url)
