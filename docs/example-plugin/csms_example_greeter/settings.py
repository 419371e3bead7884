"""The plugin's settings section, ``[plugins.greeter]``."""

from __future__ import annotations

from pydantic import BaseModel


class GreeterSettings(BaseModel):
    greeting: str = "Hello"
