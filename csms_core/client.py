"""The API client behind the CLI's operator commands (``csms stations``, ``csms call``, and
plugins' commands): shared options, one request helper, tables or JSON out."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import click
import httpx

from .security import station_id_problem


class ApiClient:
    def __init__(self, api_url: str, api_key: str | None, as_json: bool) -> None:
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.as_json = as_json

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = f"{self.api_url}/api/v1{path}"  # station ids are quoted by station()
        try:
            response = httpx.request(method, url, headers=headers, timeout=330, **kwargs)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach {self.api_url}: {exc}") from None
        if response.status_code >= 400:
            try:
                body = response.json()
                reason = body.get("detail", body)
            except ValueError:
                reason = response.text
            if not isinstance(reason, str):
                reason = json.dumps(reason)
            raise click.ClickException(f"{response.status_code}: {reason}")
        if response.status_code == 204 or not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.content

    def every(self, path: str, page_size: int = 1000, **params: Any) -> list[Any]:
        """Every item of a paged list route, a page at a time."""
        items: list[Any] = []
        while True:
            window = {"offset": len(items), "limit": page_size}
            page = self.request("GET", path, params={**params, **window})
            items += page["items"]
            if not page["items"] or len(items) >= page["total"]:
                return items

    def station(self, station_id: str, *path: str) -> str:
        """The API path of a station or one of its resources, the id percent-quoted (an id
        may hold ``#``, ``?`` or ``/``): ``station("CP#1", "calls", "Reset")`` is
        ``/stations/CP%231/calls/Reset``. ``path`` segments are joined as they are."""
        return "/".join(["/stations", quote(station_id, safe=""), *path])

    def show(self, data: Any, columns: Sequence[str] | None = None) -> None:
        """Print JSON with --json, else a table of `columns` (or indented JSON)."""
        if self.as_json or columns is None:
            click.echo(json.dumps(data, indent=None if self.as_json else 2, default=str))
            return
        rows = data.get("items", data) if isinstance(data, dict) else data
        if isinstance(rows, dict):
            rows = [rows]
        click.echo(table(rows, columns))


def table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def api_options(fn: Callable) -> Callable:
    """Adds --api-url, --api-key and --json and passes ``client: ApiClient``."""

    @click.option(
        "--api-url", envvar="CSMS_API_URL", default="http://127.0.0.1:8180", show_default=True
    )
    @click.option("--api-key", envvar="CSMS_API_KEY", help="Operator API key (CSMS_API_KEY).")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @functools.wraps(fn)
    def wrapper(api_url: str, api_key: str | None, as_json: bool, **kwargs: Any) -> Any:
        return fn(client=ApiClient(api_url, api_key, as_json), **kwargs)

    return wrapper


def compact(**options: Any) -> dict[str, Any]:
    """The options that were given: a click option left unset is None and is not sent
    (``params=compact(stationId=station, limit=limit)``)."""
    return {name: value for name, value in options.items() if value is not None}


def station_id_argument(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A click callback: the kernel's one rule for station ids, before anything is sent."""
    problem = station_id_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


def parse_json_argument(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}") from None
