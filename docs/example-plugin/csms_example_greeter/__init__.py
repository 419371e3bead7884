"""A whole third-party plugin in one module: it answers DataTransfer messages that
stations of the (made-up) vendor "com.example" send with messageId "Hello"."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from csms_core import hookimpl

VENDOR_ID = "com.example"


class GreeterSettings(BaseModel):
    greeting: str = "Hello"


@hookimpl
def register_settings(register: Any) -> None:
    # [plugins.greeter] greeting = "..." in the config file, or CSMS_PLUGINS__GREETER__GREETING
    register("greeter", GreeterSettings)


@hookimpl
def register_data_transfer(register: Any) -> None:
    register(VENDOR_ID, hello, message_id="Hello")


async def hello(station: Any, payload: dict) -> dict:
    greeting = station.app.settings_for("greeter").greeting
    return {"status": "Accepted", "data": f"{greeting}, {station.id}"}
