"""``csms serve --workers N``: N processes on the same two ports, each a cluster node.

The kernel spreads new connections over the processes (SO_REUSEPORT); the NATS router lets
each of them reach stations held by the others. The parent only supervises: SIGTERM/SIGINT
are passed on to every worker, and if one worker dies the others are stopped too, so that a
service manager (systemd ``Restart=on-failure``) restarts the whole set.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from typing import Any

from .settings import Settings

log = logging.getLogger("csms.workers")

STOP_GRACE_SECONDS = 30.0


def run_workers(settings: Settings, count: int) -> int:
    """Start ``count`` workers and wait for them; the exit status for the parent."""
    base = settings.node_id or f"{socket.gethostname()}-{os.getpid()}"
    values = settings.model_dump(mode="json")
    values.update(reuse_port=True, auto_migrate=False)  # the parent migrated already
    context = multiprocessing.get_context("spawn")  # no forked event loop or sockets
    workers = [
        context.Process(
            target=_worker_main, args=({**values, "node_id": f"{base}-w{i}"},), name=f"w{i}"
        )
        for i in range(1, count + 1)
    ]
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.start()
    log.info("started %d workers: %s", count, ", ".join(str(w.pid) for w in workers))
    while any(worker.is_alive() for worker in workers):
        time.sleep(0.2)  # the parent has no event loop: a plain poll is fine here
        failed = [w for w in workers if not w.is_alive() and w.exitcode not in (0, None)]
        if failed and not stopping:
            log.error(
                "worker %s exited with %s; stopping the others", failed[0].pid, failed[0].exitcode
            )
            stop(signal.SIGTERM, None)
    for worker in workers:
        worker.join(STOP_GRACE_SECONDS)
    codes = [worker.exitcode for worker in workers]
    return 0 if stopping and all(code == 0 for code in codes) else 1


def _worker_main(values: dict[str, Any]) -> None:
    import asyncio

    from .app import Csms
    from .logs import configure_logging

    _die_with_parent()
    settings = Settings(**values)
    configure_logging(settings.log_level, settings.log_format, settings.log_database)
    # Ctrl-C reaches the whole process group; the parent forwards SIGTERM anyway.
    asyncio.run(Csms(settings).serve_forever())


def _die_with_parent() -> None:
    """Linux: get SIGTERM if the parent dies (even by SIGKILL), so no worker is orphaned."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
