"""``csms simulate`` and ``csms selftest``."""

from __future__ import annotations

import asyncio
import ssl
import sys
from pathlib import Path
from typing import TextIO

import click

from .station import SimOptions


def client_ssl_context(
    url: str, ca_file: Path | None, cert: Path | None, key: Path | None, insecure: bool
) -> ssl.SSLContext | None:
    """TLS for wss:// URLs: a custom CA, a client certificate (profile 3), or no checks."""
    if not url.startswith("wss://"):
        return None
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context


tls_options = [
    click.option("--ca-file", type=click.Path(path_type=Path), help="CA to trust for wss://."),
    click.option("--cert", type=click.Path(path_type=Path), help="Client certificate (profile 3)."),
    click.option("--key", type=click.Path(path_type=Path), help="Client certificate key."),
    click.option("--insecure", is_flag=True, help="Do not verify the server certificate."),
]


def with_tls(fn: click.decorators.FC) -> click.decorators.FC:
    for option in reversed(tls_options):
        fn = option(fn)
    return fn


@click.command()
@click.option(
    "--url",
    envvar="CSMS_SIM_URL",
    default="ws://127.0.0.1:9000/ocpp",
    show_default=True,
    help="CSMS OCPP URL without the station id (ws:// or wss://).",
)
@click.option("--stations", "-n", default=1, show_default=True, help="Number of stations.")
@click.option("--id-prefix", default="SIM", show_default=True, help="Station ids: SIM001, ...")
@click.option("--first", default=1, show_default=True, help="Number of the first station.")
@click.option("--password", envvar="CSMS_SIM_PASSWORD", help="Basic-auth password (all).")
@click.option("--duration", type=float, help="Seconds to run (default: until Ctrl-C).")
@click.option(
    "--rate",
    type=float,
    default=0.0,
    show_default=True,
    help="New transactions per second across all stations (0: only on remote start).",
)
@click.option("--connectors", default=2, show_default=True, help="Connectors per station.")
@click.option(
    "--tx-duration", type=float, default=120.0, show_default=True, help="Seconds per session."
)
@click.option(
    "--meter-interval",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between meter values (MeterValueSampleInterval).",
)
@click.option("--id-tag", "id_tags", multiple=True, help="idTags to charge with (repeatable).")
@click.option(
    "--id-tags-file",
    type=click.File(),
    help="More idTags, one a line (a CSMS may refuse one tag in two sessions: ConcurrentTx).",
)
@click.option("--ramp-up", type=float, help="Spread connections over this many seconds.")
@click.option(
    "--firmware-outcome",
    type=click.Choice(["Installed", "DownloadFailed", "InstallationFailed"]),
    default="Installed",
    show_default=True,
)
@with_tls
def simulate(
    url: str,
    stations: int,
    id_prefix: str,
    first: int,
    password: str | None,
    duration: float | None,
    rate: float,
    connectors: int,
    tx_duration: float,
    meter_interval: float,
    id_tags: tuple[str, ...],
    id_tags_file: TextIO | None,
    ramp_up: float | None,
    firmware_outcome: str,
    ca_file: Path | None,
    cert: Path | None,
    key: Path | None,
    insecure: bool,
) -> None:
    """Simulate OCPP 1.6-J charge points against a CSMS.

    The stations must be known to the CSMS: register them (csms stations add SIM001 ...)
    or run the server with CSMS_UNKNOWN_STATIONS=accept.
    """
    from .fleet import Fleet, StatusLine

    tags = list(id_tags)
    if id_tags_file is not None:
        tags += [line.strip() for line in id_tags_file if line.strip()]
    options = SimOptions(
        connectors=connectors,
        tx_duration=tx_duration,
        meter_interval=meter_interval,
        id_tags=tuple(tags) or SimOptions.id_tags,
        firmware_outcome=firmware_outcome,
    )
    context = client_ssl_context(url, ca_file, cert, key, insecure)
    line = StatusLine()

    async def main() -> None:
        fleet = Fleet(url, stations, id_prefix, password, context, options, first)
        stats = await fleet.run(duration, rate, ramp_up, progress=line)
        line.finish(stats)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        click.echo("\nstopped", err=True)


@click.command()
@click.option("--url", envvar="CSMS_SIM_URL", default="ws://127.0.0.1:9000/ocpp", show_default=True)
@click.option(
    "--api-url", envvar="CSMS_API_URL", default="http://127.0.0.1:8180", show_default=True
)
@click.option("--api-key", envvar="CSMS_API_KEY", required=True, help="Operator API key.")
@click.option("--case", "cases", multiple=True, help="Only these case ids (repeatable).")
@click.option("--timeout", type=float, default=5.0, show_default=True)
@click.option("--verbose", "-v", is_flag=True, help="Print each failure's reason.")
@with_tls
def selftest(
    url: str,
    api_url: str,
    api_key: str,
    cases: tuple[str, ...],
    timeout: float,
    verbose: bool,
    ca_file: Path | None,
    cert: Path | None,
    key: Path | None,
    insecure: bool,
) -> None:
    """Run the conformance scenarios against a running CSMS and print a table by profile.

    Non-destructive: it registers fresh stations (ids starting SELFTEST-) and id tags and
    touches nothing else. Stations need passwords allowed or required: it sets one.
    """
    from .selftest import print_table, run_selftest

    context = client_ssl_context(url, ca_file, cert, key, insecure)
    verify: bool | ssl.SSLContext = not insecure
    if ca_file and not insecure:
        verify = ssl.create_default_context(cafile=str(ca_file))
    results = asyncio.run(run_selftest(url, api_url, api_key, cases, timeout, context, verify))
    print_table(results, verbose)
    if any(r.outcome == "FAIL" for r in results):
        sys.exit(1)
