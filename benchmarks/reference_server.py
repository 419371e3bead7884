"""The reference: a central system written as in the ``ocpp`` package's README example.

``ocpp.v16.ChargePoint`` with ``@on`` handlers, websockets' defaults, no persistence.
StatusNotification gets a handler too so that the steady mix is answered the same way.

    python -m benchmarks.reference_server --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as cp
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, RegistrationStatus

logging.basicConfig(level=logging.WARNING)


class ChargePoint(cp):
    @on(Action.boot_notification)
    def on_boot_notification(self, charge_point_vendor: str, charge_point_model: str, **kwargs):
        return call_result.BootNotification(
            current_time=datetime.now(UTC).isoformat(),
            interval=300,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    @on(Action.meter_values)
    def on_meter_values(self, connector_id: int, meter_value: list, **kwargs):
        return call_result.MeterValues()

    @on(Action.status_notification)
    def on_status_notification(self, connector_id: int, error_code: str, status: str, **kwargs):
        return call_result.StatusNotification()


async def on_connect(websocket) -> None:
    try:
        requested = websocket.request.headers["Sec-WebSocket-Protocol"]
    except KeyError:
        return await websocket.close()
    if not websocket.subprotocol:
        logging.warning("protocols mismatched: client wants %s", requested)
        return await websocket.close()
    charge_point_id = websocket.request.path.strip("/").rsplit("/", 1)[-1]
    charge_point = ChargePoint(charge_point_id, websocket)
    try:
        await charge_point.start()
    except websockets.exceptions.ConnectionClosed:
        pass


async def main(host: str, port: int) -> None:
    server = await websockets.serve(on_connect, host, port, subprotocols=["ocpp1.6"])
    await server.wait_closed()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
