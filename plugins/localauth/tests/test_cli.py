"""``csms local-list push|show`` against the running server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from click.testing import CliRunner
from csms_plugin_localauth.cli import local_list

from csms_core.testing import TEST_API_KEY, api_url


async def test_push_and_show(csms: Any, la: Any, station: Any, recorder: Any) -> None:
    await la.add_tags("A", "B")
    options = ["--api-url", api_url(csms), "--api-key", TEST_API_KEY]

    def run(*args: str) -> Any:
        # The CLI is synchronous: run it beside the server's event loop.
        return asyncio.to_thread(CliRunner().invoke, local_list, [*args, *options])

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

    missing = await run("push", "NOPE")
    assert missing.exit_code != 0
    assert "404" in missing.output
