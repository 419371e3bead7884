"""``csms profiles`` and ``csms composite`` against a running server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from click.testing import CliRunner

from csms_core.testing import TEST_API_KEY, api_url


async def test_profiles_and_composite_commands(csms: Any, cp: Any) -> None:
    from csms_core.cli import _add_plugin_commands, cli

    _add_plugin_commands()
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    cp.answer("ClearChargingProfile", {"status": "Accepted"})
    options = ["--api-url", api_url(csms), "--api-key", TEST_API_KEY]

    async def run(*args: str) -> str:
        # The CLI's HTTP client is synchronous: run it beside the server's event loop.
        result = await asyncio.to_thread(CliRunner().invoke, cli, [*args, *options])
        assert result.exit_code == 0, result.output
        return result.output

    cap = {
        "chargingProfileId": 3,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 20}],
        },
    }
    assert json.loads(await run("profiles", "set", "CP1", "0", json.dumps(cap))) == {
        "status": "Accepted"
    }
    listing = await run("profiles", "list", "CP1")
    assert "ChargePointMaxProfile" in listing and "chargingProfileId" in listing
    composite = await run("composite", "CP1", "1", "--duration", "600")
    assert "from " in composite and "20.0" in composite
    assert "Accepted" in await run("profiles", "clear", "CP1", "--id", "3")
    assert "ChargePointMaxProfile" not in await run("profiles", "list", "CP1")
