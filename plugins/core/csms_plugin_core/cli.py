"""``csms id-tags`` and ``csms transactions``."""

from __future__ import annotations

import click


@click.group("id-tags")
def id_tags() -> None:
    """Manage id tags."""


@click.group()
def transactions() -> None:
    """Browse transactions."""
