"""The example third-party plugin in docs/, installed from its own folder, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from csms_core.plugins import Plugins

EXAMPLE = Path(__file__).parent.parent / "docs" / "example-plugin"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--python",
            sys.executable,
            "--target",
            str(target),
            str(EXAMPLE),
        ],
        check=True,
    )
    sys.path.insert(0, str(target))  # entry points are read from every sys.path entry
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m.startswith("csms_example_greeter")]:
        del sys.modules[name]


# Every installed plugin (core boots the station) and the example, configured.
@pytest.mark.csms(plugins=None, plugin_settings={"greeter": {"greeting": "Welcome"}})
async def test_example_plugin_answers_its_vendor_and_keeps_a_history(
    installed_example, csms, connect, api, cli
):
    assert "greeter" in Plugins().available and "greeter" in csms.plugins.enabled
    cp = await connect("CP1")
    assert (await cp.boot())["status"] == "Accepted"
    for _ in range(3):
        answer = await cp.call("DataTransfer", {"vendorId": "com.example", "messageId": "Hello"})
        assert answer == {"status": "Accepted", "data": "Welcome, CP1"}
    other = await cp.call("DataTransfer", {"vendorId": "com.other"})
    assert other["status"] == "UnknownVendorId"

    page = (await api.get("/stations/CP1/greetings", params={"limit": 2})).json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["items"]) == 2
    assert {g["stationId"] for g in page["items"]} == {"CP1"}
    assert (await api.get("/stations/NOPE/greetings")).status_code == 404

    shown = await cli("greetings", "CP1", "--limit", "1", "--json")
    assert json.loads(shown.output)["total"] == 3

    assert (await api.delete("/stations/CP1")).status_code == 204
    await csms.stations.create("CP1")
    assert (await api.get("/stations/CP1/greetings")).json()["total"] == 0


async def test_example_plugin_can_be_disabled(installed_example, make_csms):
    app = await make_csms(disabled_plugins=["greeter"])
    assert "greeter" not in app.plugins.enabled
    assert ("com.example", "Hello") not in app.registry.data_transfer


# Counts the apps the documented test starts: exactly one, the one its marker configured.
ONE_APP_CONFTEST = """
import pytest


@pytest.fixture
async def make_csms(make_csms):
    started = []

    async def make(**options):
        app = await make_csms(**options)
        started.append(app)
        return app

    yield make
    assert [sorted(app.plugins.enabled) for app in started] == [["core", "greeter"]]
"""


def test_documented_plugin_test_runs_against_its_app(installed_example, tmp_path):
    guide = (Path(__file__).parent.parent / "docs" / "writing-plugins.md").read_text()
    section = guide.split("## Testing a plugin", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "test_documented.py").write_text(example)
    (tmp_path / "conftest.py").write_text(ONE_APP_CONFTEST)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(installed_example), *sys.path])}
    options = ["-q", "-p", "no:cacheprovider", "--strict-markers", "--rootdir", str(tmp_path)]
    ini = ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *ini, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
