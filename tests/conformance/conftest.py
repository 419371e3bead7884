"""The conformance suite runs against every installed plugin (unlike the kernel tests), on the
real server, the real database and real WebSocket clients.

Every scenario of ``csms_simulator.scenarios`` is one test: a test function taking ``case`` is
run once per scenario id (``test_scenarios.py``), the scenario asserting what the CSMS sends and
answers; cases that need a specially started server are plain tests (``test_tls.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from csms_simulator.scenarios import (
    SCENARIOS,
    Check,
    Context,
    Skip,
    available_actions,
    load_all,
    missing_requirements,
    run,
)

from csms_core.testing import ocpp_url

load_all()

# The conformance table's sections, in this order; a scenario's profile picks its section.
HEADINGS = {
    "Core": "Core",
    "FirmwareManagement": "Firmware Management",
    "LocalAuthListManagement": "Local Authorization List Management",
    "Reservation": "Reservation",
    "RemoteTrigger": "Remote Trigger",
    "SmartCharging": "Smart Charging",
    "Security": "Security (whitepaper)",
    "Transport": "Transport (our own negative cases)",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        cases = sorted(SCENARIOS, key=lambda case: list(HEADINGS).index(SCENARIOS[case].profile))
        metafunc.parametrize("case", cases, ids=cases)


@pytest.fixture(scope="session")
def installed_actions() -> set[str]:
    """What the installed plugins handle, known without starting a server."""
    from csms_core.plugins import Plugins

    registry = Plugins().build_registry()
    return set(registry.handlers) | set(registry.actions)


@pytest.fixture(autouse=True)
def _skip_pending(request: pytest.FixtureRequest, installed_actions: set[str]) -> None:
    # Autouse runs before the server starts: a case whose plugin is missing costs nothing.
    case = getattr(request.node, "callspec", None) and request.node.callspec.params.get("case")
    reason = missing_requirements(SCENARIOS[case], installed_actions) if case else None
    if reason:
        pytest.skip(reason)


@pytest.fixture
def csms_options() -> dict[str, Any]:
    # Override tests/conftest.py's kernel-only server: load every installed plugin.
    return {}


@pytest.fixture
async def ctx(csms: Any, api_for: Callable[..., httpx.AsyncClient]) -> AsyncIterator[Context]:
    client = api_for(csms, timeout=10, verify=False)
    context = Context(client, ocpp_url(csms), "", available_actions(csms))
    yield context
    await context.close()


@pytest.fixture
def check(ctx: Context) -> Check:
    """``await check("TC_001")`` runs that scenario; a missing plugin makes the test skip."""

    async def run_case(case_id: str) -> None:
        try:
            await run(SCENARIOS[case_id], ctx)
        except Skip as exc:
            pytest.skip(str(exc))

    return run_case


# --- the conformance table (docs/conformance.md) ------------------------------------------
# `pytest -n 0 tests/conformance --conformance-report docs/conformance.md` writes the table of
# cases with this run's result, so the document is generated from the suite, never by hand.

_results: dict[str, dict[str, str]] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--conformance-report", help="Write the case table (Markdown) here.")


def pytest_configure(config: pytest.Config) -> None:
    # The rows are collected where the tests run: in one process only.
    if config.getoption("--conformance-report", default=None) and config.getoption(
        "numprocesses", default=None
    ):
        raise pytest.UsageError("--conformance-report needs the tests in one process: add -n 0")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    row = _results.setdefault(item.nodeid, _row(item))
    if report.skipped:
        row["result"] = "skipped"
        row["note"] = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
    elif report.failed:
        row["result"] = "FAILED"
    return report


def _row(item: pytest.Item) -> dict[str, str]:
    """A scenario's id, title and profile; a plain test's from its docstring and module."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "case" in callspec.params:
        sc = SCENARIOS[callspec.params["case"]]
        case, title, profile = sc.id, sc.title, sc.profile
    else:
        doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
        case, _, title = doc.partition(":")
        profile = getattr(getattr(item, "module", None), "PROFILE", "")
    return {
        "heading": HEADINGS.get(profile, profile),
        "case": case.strip(),
        "title": " ".join(title.split()).rstrip("."),
        "result": "passed",
        "note": "",
    }


def pytest_sessionfinish(session: pytest.Session) -> None:
    # default=None: the option is unknown when this conftest was not loaded at start-up.
    path = session.config.getoption("--conformance-report", default=None)
    if not path or not _results:
        return
    from datetime import UTC, datetime
    from pathlib import Path

    from csms_core.plugins import Plugins

    plugins = ", ".join(p.name for p in Plugins().describe() if p.enabled)
    lines = [
        "# OCPP 1.6 conformance: OCTT Central System cases",
        "",
        "Generated by `uv run pytest -n 0 tests/conformance --conformance-report"
        " docs/conformance.md`"
        f" on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with plugins: {plugins}.",
        "Each row is one test in `tests/conformance/`; an OCTT case's scenario lives in",
        "`tools/simulator/csms_simulator/scenarios/` (also run by `csms selftest`). Rows named",
        "after a rule (OCPP 1.6 section, errata, OCPP-J) test that SHALL/SHOULD on their own.",
        "",
    ]
    for heading in HEADINGS.values():
        rows = [r for r in _results.values() if r["heading"] == heading]
        if not rows:
            continue
        passed = sum(r["result"] == "passed" for r in rows)
        lines += [f"## {heading} ({passed}/{len(rows)} passed)", ""]
        lines += ["| Case | Title | Result | Note |", "|---|---|---|---|"]
        lines += [
            f"| {r['case']} | {r['title']} | {r['result']} | {r['note'].replace('|', '/')} |"
            for r in rows
        ]
        lines.append("")
    Path(path).write_text("\n".join(lines))
