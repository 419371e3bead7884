"""Hook implementations only: the simulator adds ``csms simulate`` and ``csms selftest``."""

from __future__ import annotations

from typing import Any

from csms_core import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from .commands import selftest, simulate

    cli.add_command(simulate)
    cli.add_command(selftest)
