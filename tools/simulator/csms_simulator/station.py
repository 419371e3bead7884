"""One simulated charge point: a plain asyncio loop per station on top of the kernel's
``ChargePoint`` client, with sensible answers to every CSMS-initiated OCPP 1.6 message
(one module per feature profile in ``profiles/``).

Kept lean on purpose (it is also the load generator): no per-message validation or logging,
counters are plain integers on a shared ``Stats`` object.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from csms_core.chargepoint import ChargePoint, IncomingCall
from csms_core.rpc import utc_now_iso

from .profiles import RESPONDERS, smartcharging
from .profiles.core import DEFAULT_CONFIGURATION

Responder = Callable[["SimStation", dict], dict]


@dataclass
class SimOptions:
    """Behaviour of every station in a run."""

    connectors: int = 2
    vendor: str = "CsmsSim"
    model: str = "Sim-1"
    firmware_version: str = "1.0.0"
    meter_interval: float = 60.0  # s; MeterValueSampleInterval, the CSMS may change it
    power_w: float = 11000.0  # what the car draws when no charging profile limits it
    id_tags: tuple[str, ...] = ("SIMTAG",)
    tx_duration: float = 120.0  # s; automatic transactions stop after this long
    firmware_outcome: str = "Installed"  # or DownloadFailed / InstallationFailed
    diagnostics_outcome: str = "Uploaded"  # or UploadFailed
    ready_delay: float = 0.0  # s between the answer and the follow-up messages (tests: 0)
    reconnect_delay: float = 5.0


@dataclass
class Stats:
    """Counters shared by a fleet, read by the progress display."""

    stations: int = 0
    connected: int = 0
    booted: int = 0
    active_transactions: int = 0
    transactions: int = 0
    messages: int = 0  # CALLs sent and CSMS CALLs answered
    refused: int = 0  # sessions whose idTag the CSMS did not accept (Invalid, ConcurrentTx...)
    errors: int = 0
    last_error: str = ""

    def error(self, station_id: str, exc: BaseException | str) -> None:
        self.errors += 1
        self.last_error = f"{station_id}: {exc!r}" if isinstance(exc, BaseException) else exc


@dataclass
class Connector:
    id: int
    status: str = "Available"
    error_code: str = "NoError"
    transaction_id: int | None = None
    id_tag: str | None = None
    meter_wh: float = 0.0
    reservation_id: int | None = None
    meter_task: asyncio.Task | None = None
    stop_task: asyncio.Task | None = None


class SimStation:
    """Connects, boots, reports its connectors, heartbeats, charges, answers the CSMS."""

    def __init__(
        self,
        url: str,
        station_id: str,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        options: SimOptions | None = None,
        stats: Stats | None = None,
    ) -> None:
        self.id = station_id
        self.options = options or SimOptions()
        self.stats = stats or Stats()
        self.cp = ChargePoint(url, station_id, password, ssl_context)
        self.firmware_version = self.options.firmware_version
        self.config = {k: v for k, (v, _) in DEFAULT_CONFIGURATION.items()}
        self.config["NumberOfConnectors"] = str(self.options.connectors)
        self.config["MeterValueSampleInterval"] = str(int(self.options.meter_interval))
        self.connectors = {i: Connector(i) for i in range(self.options.connectors + 1)}
        self.local_list: dict[str, dict] = {}
        self.local_list_version = 0
        self.charging_profiles: list[dict] = []  # with "connectorId" added
        self.heartbeat_interval = 300.0
        # Sub-second intervals are allowed here (tests, load); the key itself is whole seconds.
        self.meter_interval = self.options.meter_interval
        self.booted = asyncio.Event()
        self.registration_status: str | None = None
        self._reboot = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._register_responders()

    # --- life cycle -------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected (reconnecting after resets and drops) until ``stop`` is set."""
        while not stop.is_set():
            connected = False
            try:
                await self.cp.connect()
                connected = True
                self.stats.connected += 1
                await self._session(stop)
            except (OSError, TimeoutError, ConnectionError) as exc:
                self.stats.error(self.id, exc)
            except Exception as exc:  # a CALLERROR or a bug: count it, keep the fleet going
                self.stats.error(self.id, exc)
            finally:
                if connected:
                    self.stats.connected -= 1
                if self.booted.is_set():
                    self.stats.booted -= 1
                    self.booted.clear()
                await self._stop_tasks()
                await self.cp.close()
            if self._reboot.is_set():
                self._reboot.clear()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.options.reconnect_delay)
        await self.stop_all_transactions("Other", send=False)

    async def _session(self, stop: asyncio.Event) -> None:
        await self.boot()
        await self.send_all_statuses()
        self.spawn(self._heartbeat_loop())
        assert self.cp.ws is not None
        closed = asyncio.ensure_future(self.cp.ws.wait_closed())
        waits = [
            closed,
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self._reboot.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if stop.is_set():
            await self.stop_all_transactions("Other")

    async def boot(self) -> dict:
        """BootNotification until Accepted (Pending/Rejected: retry after ``interval``)."""
        while True:
            answer = await self.call(
                "BootNotification",
                {
                    "chargePointVendor": self.options.vendor,
                    "chargePointModel": self.options.model,
                    "chargePointSerialNumber": f"SN-{self.id}",
                    "firmwareVersion": self.firmware_version,
                    "meterType": "SimMeter",
                },
            )
            self.registration_status = answer["status"]
            if answer["status"] == "Accepted":
                if answer.get("interval"):
                    self.heartbeat_interval = float(answer["interval"])
                    self.config["HeartbeatInterval"] = str(answer["interval"])
                self.booted.set()
                self.stats.booted += 1
                return answer
            await asyncio.sleep(max(float(answer.get("interval") or 0), 1.0))

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(max(self.heartbeat_interval, 1.0))
            await self.call("Heartbeat", {})

    def spawn(self, coro: Any) -> asyncio.Task:
        task = asyncio.ensure_future(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.stats.error(self.id, exc)

    async def _stop_tasks(self) -> None:
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for connector in self.connectors.values():
            connector.meter_task = connector.stop_task = None

    async def call(self, action: str, payload: dict) -> dict:
        self.stats.messages += 1
        return await self.cp.call(action, payload)

    # --- connectors and transactions ------------------------------------------------------

    async def set_status(self, connector_id: int, status: str, error_code: str = "NoError") -> None:
        connector = self.connectors[connector_id]
        connector.status, connector.error_code = status, error_code
        await self.call(
            "StatusNotification",
            {
                "connectorId": connector_id,
                "status": status,
                "errorCode": error_code,
                "timestamp": utc_now_iso(),
            },
        )

    async def send_all_statuses(self) -> None:
        for connector in self.connectors.values():
            await self.set_status(connector.id, connector.status, connector.error_code)

    def idle_connector(self) -> int | None:
        for connector in self.connectors.values():
            if connector.id and connector.status == "Available":
                return connector.id
        return None

    async def start_transaction(
        self, connector_id: int, id_tag: str, authorize: bool = True
    ) -> int | None:
        """Plug in, (authorize), StartTransaction, Charging, meter values; None if refused."""
        connector = self.connectors[connector_id]
        if connector.status in ("Available", "Preparing", "Reserved"):
            await self.set_status(connector_id, "Preparing")
        if authorize and id_tag not in self.local_list:
            info = (await self.call("Authorize", {"idTag": id_tag}))["idTagInfo"]
            if info["status"] != "Accepted":
                self.stats.refused += 1
                await self.set_status(connector_id, "Available")
                return None
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "idTag": id_tag,
            "meterStart": int(connector.meter_wh),
            "timestamp": utc_now_iso(),
        }
        if connector.reservation_id is not None:
            payload["reservationId"] = connector.reservation_id
            connector.reservation_id = None
        answer = await self.call("StartTransaction", payload)
        connector.transaction_id, connector.id_tag = answer["transactionId"], id_tag
        self.stats.active_transactions += 1
        self.stats.transactions += 1
        if answer["idTagInfo"]["status"] != "Accepted":
            # StopTransactionOnInvalidId: the CSMS refused the tag afterwards
            await self.stop_transaction(connector_id, "DeAuthorized")
            return None
        await self.set_status(connector_id, "Charging")
        connector.meter_task = self.spawn(self._meter_loop(connector))
        return connector.transaction_id

    async def stop_transaction(
        self, connector_id: int, reason: str = "Local", send: bool = True
    ) -> bool:
        connector = self.connectors[connector_id]
        if connector.transaction_id is None:
            return False
        for task in (connector.meter_task, connector.stop_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        connector.meter_task = connector.stop_task = None
        transaction_id, connector.transaction_id = connector.transaction_id, None
        self.stats.active_transactions -= 1
        if not send:
            return True
        await self.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": connector.id_tag,
                "meterStop": int(connector.meter_wh),
                "timestamp": utc_now_iso(),
                "reason": reason,
            },
        )
        await self.set_status(connector_id, "Finishing")
        await self.set_status(connector_id, "Available")
        return True

    async def stop_all_transactions(self, reason: str, send: bool = True) -> None:
        for connector in self.connectors.values():
            if connector.transaction_id is not None:
                try:
                    await self.stop_transaction(connector.id, reason, send)
                except Exception as exc:
                    self.stats.error(self.id, exc)

    async def charge_for(self, connector_id: int, seconds: float, id_tag: str) -> None:
        """One automatic charging session (the load generator's unit of work)."""
        if await self.start_transaction(connector_id, id_tag) is None:
            return
        connector = self.connectors[connector_id]
        connector.stop_task = self.spawn(self._stop_after(connector_id, seconds))

    async def _stop_after(self, connector_id: int, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.connectors[connector_id].stop_task = None
        await self.stop_transaction(connector_id, "EVDisconnected")

    def power_limit_w(self, connector_id: int) -> float:
        return smartcharging.power_limit_w(self, connector_id)

    def meter_sample(self, connector: Connector, context: str = "Sample.Periodic") -> dict:
        power = self.power_limit_w(connector.id) if connector.transaction_id else 0.0
        return {
            "timestamp": utc_now_iso(),
            "sampledValue": [
                {
                    "value": f"{connector.meter_wh:.0f}",
                    "context": context,
                    "measurand": "Energy.Active.Import.Register",
                    "location": "Outlet",
                    "unit": "Wh",
                },
                {
                    "value": f"{power:.0f}",
                    "context": context,
                    "measurand": "Power.Active.Import",
                    "unit": "W",
                },
                {
                    "value": f"{power / 230 / 3:.1f}",
                    "context": context,
                    "measurand": "Current.Import",
                    "phase": "L1",
                    "unit": "A",
                },
                {
                    "value": f"{229 + random.random() * 2:.1f}",
                    "context": context,
                    "measurand": "Voltage",
                    "phase": "L1-N",
                    "unit": "V",
                },
            ],
        }

    async def send_meter_values(self, connector: Connector, context: str) -> None:
        payload: dict[str, Any] = {
            "connectorId": connector.id,
            "meterValue": [self.meter_sample(connector, context)],
        }
        if connector.transaction_id is not None:
            payload["transactionId"] = connector.transaction_id
        await self.call("MeterValues", payload)

    async def _meter_loop(self, connector: Connector) -> None:
        last = time.monotonic()
        while connector.transaction_id is not None:
            interval = self.meter_interval
            await asyncio.sleep(interval if interval > 0 else 60)
            now = time.monotonic()
            connector.meter_wh += self.power_limit_w(connector.id) * (now - last) / 3600
            last = now
            if interval > 0:
                await self.send_meter_values(connector, "Sample.Periodic")

    def find_transaction(self, transaction_id: int) -> Connector | None:
        for connector in self.connectors.values():
            if connector.transaction_id == transaction_id:
                return connector
        return None

    # --- answers to the CSMS ----------------------------------------------------------

    def _register_responders(self) -> None:
        for action, respond in RESPONDERS.items():
            self.cp.answer(action, self._counted(respond))

    def _counted(self, respond: Responder) -> Callable[[IncomingCall], dict]:
        def answer(call: IncomingCall) -> dict:
            self.stats.messages += 1
            return respond(self, call.payload)

        return answer

    def later(self, coro_fn: Any) -> None:
        """Send follow-up messages once our answer is on the wire."""

        async def run() -> None:
            if self.options.ready_delay:
                await asyncio.sleep(self.options.ready_delay)
            await coro_fn()

        self.cp.after_reply(lambda: self.spawn(run()))

    def reboot(self) -> None:
        """Disconnect and boot again (after a Reset or a firmware update)."""
        self._reboot.set()


def future_iso(seconds: float) -> str:
    """An OCPP timestamp ``seconds`` from now (for reservations, firmware retrieve dates)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
