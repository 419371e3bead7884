"""``csms selftest``: the conformance scenarios against a running CSMS, a table by profile."""

from __future__ import annotations

import secrets
import ssl
import time
import traceback
from dataclasses import dataclass

import click
import httpx

from .scenarios import PROFILES, Context, Skip, load_all, run


@dataclass
class Result:
    case: str
    title: str
    profile: str
    outcome: str  # PASS / FAIL / SKIP
    reason: str = ""
    seconds: float = 0.0


async def run_selftest(
    url: str,
    api_url: str,
    api_key: str,
    cases: tuple[str, ...] = (),
    timeout: float = 5.0,
    ssl_context: ssl.SSLContext | None = None,
    verify: bool | ssl.SSLContext = True,
) -> list[Result]:
    scenarios = [sc for sc in load_all().values() if sc.live and (not cases or sc.id in cases)]
    run_id = secrets.token_hex(3).upper()
    results: list[Result] = []
    async with httpx.AsyncClient(
        base_url=api_url.rstrip("/") + "/api/v1",
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=timeout + 5,
        verify=verify,
    ) as api:
        probe = await api.get("/stations", params={"limit": 1})
        if probe.status_code != 200:
            raise click.ClickException(f"operator API: {probe.status_code} {probe.text}")
        for sc in scenarios:
            # Fresh stations per case: SELFTEST-<run>-<case>-CP; removed afterwards.
            prefix = f"SELFTEST-{run_id}-{sc.id}-"
            ctx = Context(api, url.rstrip("/"), prefix, None, ssl_context, timeout)
            started = time.monotonic()
            try:
                await run(sc, ctx)
                result = Result(sc.id, sc.title, sc.profile, "PASS")
            except Skip as exc:
                result = Result(sc.id, sc.title, sc.profile, "SKIP", str(exc))
            except Exception as exc:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                reason = f"{type(exc).__name__}: {exc} ({where.name}:{where.lineno})"
                result = Result(sc.id, sc.title, sc.profile, "FAIL", reason)
            result.seconds = time.monotonic() - started
            results.append(result)
            # Leave the server as we found it (a tag still referenced may stay).
            for station_id in ctx.passwords:
                await api.delete(f"/stations/{station_id}")
            for tag in ctx.id_tags:
                await api.delete(f"/id-tags/{tag}")
    return results


def print_table(results: list[Result], verbose: bool = False) -> None:
    width = max((len(r.title) for r in results), default=10)
    for profile in PROFILES:
        rows = [r for r in results if r.profile == profile]
        if not rows:
            continue
        passed = sum(r.outcome == "PASS" for r in rows)
        click.echo(f"\n{profile}  ({passed}/{len(rows)} passed)")
        for r in rows:
            colour = {"PASS": "green", "FAIL": "red", "SKIP": "yellow"}[r.outcome]
            outcome = click.style(r.outcome, fg=colour)
            line = f"  {r.case:<24} {r.title:<{width}}  {outcome}  {r.seconds:5.2f}s"
            click.echo(line)
            if r.reason and (verbose or r.outcome == "SKIP"):
                click.echo(f"      {r.reason}")
            elif r.reason:
                click.echo(f"      {r.reason[:150]}")
    totals = {o: sum(r.outcome == o for r in results) for o in ("PASS", "FAIL", "SKIP")}
    click.echo(
        f"\n{len(results)} cases: {totals['PASS']} passed, {totals['FAIL']} failed, "
        f"{totals['SKIP']} skipped"
    )
