"""``csms local-list push|show`` against the running server."""

from __future__ import annotations

import json
from typing import Any


async def test_push_and_show(cli: Any, la: Any, station: Any, recorder: Any) -> None:
    await la.add_tags("A", "B")

    def run(*args: str, check: bool = True) -> Any:
        return cli("local-list", *args, check=check)

    pushed = await run("push", "LA1", "--full")
    assert pushed.exit_code == 0, pushed.output
    assert "Accepted: version 1, 2 entries" in pushed.output
    assert recorder.summary() == [("Full", 1, 2)]

    shown = await run("show", "LA1", "--entries")
    assert "listVersion: 1" in shown.output
    assert "lastResult: Accepted" in shown.output
    assert "B" in shown.output.splitlines()[-1]

    as_json = await run("show", "LA1", "--json")
    assert json.loads(as_json.output)["size"] == 2

    missing = await run("push", "NOPE", check=False)
    assert missing.exit_code != 0
    assert "404" in missing.output
