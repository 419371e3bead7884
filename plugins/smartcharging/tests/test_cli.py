"""``csms profiles`` and ``csms composite`` against a running server."""

from __future__ import annotations

import json
from typing import Any


async def test_profiles_and_composite_commands(cli: Any, cp: Any) -> None:
    cp.answer("SetChargingProfile", {"status": "Accepted"})
    cp.answer("ClearChargingProfile", {"status": "Accepted"})

    async def run(*args: str) -> str:
        return (await cli(*args)).output

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
