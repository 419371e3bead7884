"""One simulated charge point: a plain asyncio loop per station on top of the kernel's
``ChargePoint`` client, with sensible answers to every CSMS-initiated OCPP 1.6 message.

Kept lean on purpose (it is also the load generator): no per-message validation or logging,
counters are plain integers on a shared ``Stats`` object.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from csms_core.chargepoint import ChargePoint, IncomingCall
from csms_core.rpc import parse_timestamp, utc_now_iso


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


# key: (default value, read-only)
DEFAULT_CONFIGURATION: dict[str, tuple[str, bool]] = {
    "AllowOfflineTxForUnknownId": ("false", False),
    "AuthorizationCacheEnabled": ("true", False),
    "AuthorizeRemoteTxRequests": ("false", False),
    "ClockAlignedDataInterval": ("0", False),
    "ConnectionTimeOut": ("60", False),
    "GetConfigurationMaxKeys": ("50", True),
    "HeartbeatInterval": ("300", False),
    "LocalAuthorizeOffline": ("true", False),
    "LocalPreAuthorize": ("false", False),
    "MeterValuesAlignedData": ("Energy.Active.Import.Register", False),
    "MeterValuesSampledData": ("Energy.Active.Import.Register,Power.Active.Import", False),
    "MeterValueSampleInterval": ("60", False),
    "NumberOfConnectors": ("2", True),
    "ResetRetries": ("1", False),
    "ConnectorPhaseRotation": ("NotApplicable", False),
    "StopTransactionOnEVSideDisconnect": ("true", False),
    "StopTransactionOnInvalidId": ("true", False),
    "StopTxnAlignedData": ("", False),
    "StopTxnSampledData": ("Energy.Active.Import.Register", False),
    "SupportedFeatureProfiles": (
        "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
        True,
    ),
    "TransactionMessageAttempts": ("3", False),
    "TransactionMessageRetryInterval": ("60", False),
    "UnlockConnectorOnEVSideDisconnect": ("true", False),
    "LocalAuthListEnabled": ("true", False),
    "LocalAuthListMaxLength": ("100", True),
    "SendLocalListMaxLength": ("100", True),
    "ReserveConnectorZeroSupported": ("true", True),
    "ChargeProfileMaxStackLevel": ("10", True),
    "ChargingScheduleAllowedChargingRateUnit": ("Current,Power", True),
    "ChargingScheduleMaxPeriods": ("24", True),
    "MaxChargingProfilesInstalled": ("10", True),
    "AuthorizationKey": ("", False),
}
INTEGER_KEYS = {
    "ClockAlignedDataInterval",
    "ConnectionTimeOut",
    "HeartbeatInterval",
    "MeterValueSampleInterval",
    "ResetRetries",
    "TransactionMessageAttempts",
    "TransactionMessageRetryInterval",
}
BOOLEAN_KEYS = {k for k, (v, _) in DEFAULT_CONFIGURATION.items() if v in ("true", "false")}


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
        """The car's power, capped by the first period of the winning charging profiles."""
        limit = self.options.power_w
        for purpose in ("ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"):
            candidates = [
                p
                for p in self.charging_profiles
                if p["chargingProfilePurpose"] == purpose and p["connectorId"] in (0, connector_id)
            ]
            if candidates:
                best = max(candidates, key=lambda p: p["stackLevel"])
                schedule = best["chargingSchedule"]
                value = schedule["chargingSchedulePeriod"][0]["limit"]
                watts = value if schedule["chargingRateUnit"] == "W" else value * 230 * 3
                limit = min(limit, watts)
        return limit

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
        for action in (
            "CancelReservation",
            "ChangeAvailability",
            "ChangeConfiguration",
            "ClearCache",
            "ClearChargingProfile",
            "DataTransfer",
            "GetCompositeSchedule",
            "GetConfiguration",
            "GetDiagnostics",
            "GetLocalListVersion",
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "ReserveNow",
            "Reset",
            "SendLocalList",
            "SetChargingProfile",
            "TriggerMessage",
            "UnlockConnector",
            "UpdateFirmware",
        ):
            self.cp.answer(action, self._counted(getattr(self, "on_" + _snake(action))))

    def _counted(self, fn: Any) -> Any:
        def respond(call: IncomingCall) -> dict:
            self.stats.messages += 1
            return fn(call.payload)

        return respond

    def later(self, coro_fn: Any) -> None:
        """Send follow-up messages once our answer is on the wire."""

        async def run() -> None:
            if self.options.ready_delay:
                await asyncio.sleep(self.options.ready_delay)
            await coro_fn()

        self.cp.after_reply(lambda: self.spawn(run()))

    def on_change_availability(self, p: dict) -> dict:
        targets = [c for c in self.connectors.values() if p["connectorId"] in (0, c.id)]
        if not targets:
            return {"status": "Rejected"}
        new = "Available" if p["type"] == "Operative" else "Unavailable"
        if any(c.transaction_id is not None for c in targets):
            return {"status": "Scheduled"}

        async def apply() -> None:
            for c in targets:
                if c.status != new:
                    await self.set_status(c.id, new)

        self.later(apply)
        return {"status": "Accepted"}

    def on_change_configuration(self, p: dict) -> dict:
        key, value = p["key"], p["value"]
        if key not in DEFAULT_CONFIGURATION:
            return {"status": "NotSupported"}
        if DEFAULT_CONFIGURATION[key][1]:
            return {"status": "Rejected"}
        if key in INTEGER_KEYS and not (value.isdigit() and int(value) >= 0):
            return {"status": "Rejected"}
        if key in BOOLEAN_KEYS and value.lower() not in ("true", "false"):
            return {"status": "Rejected"}
        self.config[key] = value
        if key == "HeartbeatInterval" and int(value) > 0:
            self.heartbeat_interval = float(value)
        if key == "MeterValueSampleInterval":
            self.meter_interval = float(value)
        return {"status": "Accepted"}

    def on_get_configuration(self, p: dict) -> dict:
        keys = p.get("key") or list(self.config)
        known = [
            {"key": k, "readonly": DEFAULT_CONFIGURATION[k][1], "value": self.config[k]}
            for k in keys
            if k in self.config
        ]
        answer: dict[str, Any] = {"configurationKey": known}
        unknown = [k for k in keys if k not in self.config]
        if unknown:
            answer["unknownKey"] = unknown
        return answer

    def on_clear_cache(self, p: dict) -> dict:
        return {"status": "Accepted"}

    def on_data_transfer(self, p: dict) -> dict:
        if p["vendorId"] != self.options.vendor:
            return {"status": "UnknownVendorId"}
        return {"status": "Accepted", "data": p.get("data", "")}

    def on_remote_start_transaction(self, p: dict) -> dict:
        connector_id = p.get("connectorId") or self.idle_connector()
        connector = self.connectors.get(connector_id or -1)
        if (
            not connector
            or connector.transaction_id is not None
            or connector.status
            not in (
                "Available",
                "Preparing",
            )
        ):
            return {"status": "Rejected"}
        profile = p.get("chargingProfile")
        authorize = self.config["AuthorizeRemoteTxRequests"] == "true"

        async def start() -> None:
            transaction_id = await self.start_transaction(connector.id, p["idTag"], authorize)
            if transaction_id is not None and profile is not None:
                self._store_profile(connector.id, {**profile, "transactionId": transaction_id})

        self.later(start)
        return {"status": "Accepted"}

    def on_remote_stop_transaction(self, p: dict) -> dict:
        connector = self.find_transaction(p["transactionId"])
        if connector is None:
            return {"status": "Rejected"}
        self.later(lambda: self.stop_transaction(connector.id, "Remote"))
        return {"status": "Accepted"}

    def on_reset(self, p: dict) -> dict:
        async def reboot() -> None:
            await self.stop_all_transactions("HardReset" if p["type"] == "Hard" else "SoftReset")
            self._reboot.set()

        self.later(reboot)
        return {"status": "Accepted"}

    def on_unlock_connector(self, p: dict) -> dict:
        connector = self.connectors.get(p["connectorId"])
        if connector is None or connector.id == 0:
            return {"status": "NotSupported"}
        if connector.transaction_id is not None:
            self.later(lambda: self.stop_transaction(connector.id, "UnlockCommand"))
        return {"status": "Unlocked"}

    def on_reserve_now(self, p: dict) -> dict:
        connector = self.connectors.get(p["connectorId"])
        if connector is None:
            return {"status": "Rejected"}
        if connector.id == 0 and self.config["ReserveConnectorZeroSupported"] != "true":
            return {"status": "Rejected"}
        if connector.status == "Faulted":
            return {"status": "Faulted"}
        if connector.status == "Unavailable":
            return {"status": "Unavailable"}
        if connector.transaction_id is not None or connector.status not in (
            "Available",
            "Reserved",
        ):
            return {"status": "Occupied"}
        connector.reservation_id = p["reservationId"]
        expiry = parse_timestamp(p["expiryDate"])

        async def reserve() -> None:
            if connector.id:
                await self.set_status(connector.id, "Reserved")
            wait = (expiry - datetime.now(UTC)).total_seconds()
            await asyncio.sleep(max(wait, 0))
            if connector.reservation_id == p["reservationId"]:
                connector.reservation_id = None
                if connector.id and connector.status == "Reserved":
                    await self.set_status(connector.id, "Available")

        self.later(reserve)
        return {"status": "Accepted"}

    def on_cancel_reservation(self, p: dict) -> dict:
        for connector in self.connectors.values():
            if connector.reservation_id == p["reservationId"]:
                connector.reservation_id = None
                if connector.id and connector.status == "Reserved":
                    self.later(lambda c=connector: self.set_status(c.id, "Available"))
                return {"status": "Accepted"}
        return {"status": "Rejected"}

    def on_send_local_list(self, p: dict) -> dict:
        entries = p.get("localAuthorizationList") or []
        if len(entries) > int(self.config["SendLocalListMaxLength"]):
            return {"status": "Failed"}
        if p["updateType"] == "Full":
            new = {e["idTag"]: e["idTagInfo"] for e in entries if "idTagInfo" in e}
        else:
            if p["listVersion"] <= self.local_list_version:
                return {"status": "VersionMismatch"}
            new = dict(self.local_list)
            for e in entries:
                if "idTagInfo" in e:
                    new[e["idTag"]] = e["idTagInfo"]
                else:
                    new.pop(e["idTag"], None)
        if len(new) > int(self.config["LocalAuthListMaxLength"]):
            return {"status": "Failed"}
        self.local_list, self.local_list_version = new, p["listVersion"]
        return {"status": "Accepted"}

    def on_get_local_list_version(self, p: dict) -> dict:
        enabled = self.config["LocalAuthListEnabled"] == "true"
        return {"listVersion": self.local_list_version if enabled else -1}

    def on_trigger_message(self, p: dict) -> dict:
        message, connector_id = p["requestedMessage"], p.get("connectorId")
        if connector_id is not None and connector_id not in self.connectors:
            return {"status": "Rejected"}
        senders = {
            "BootNotification": self._send_boot_again,
            "DiagnosticsStatusNotification": lambda: self.call(
                "DiagnosticsStatusNotification", {"status": "Idle"}
            ),
            "FirmwareStatusNotification": lambda: self.call(
                "FirmwareStatusNotification", {"status": "Idle"}
            ),
            "Heartbeat": lambda: self.call("Heartbeat", {}),
            "MeterValues": lambda: self._triggered_meter_values(connector_id),
            "StatusNotification": lambda: self._triggered_status(connector_id),
        }
        sender = senders.get(message)
        if sender is None:
            return {"status": "NotImplemented"}
        self.later(sender)
        return {"status": "Accepted"}

    async def _send_boot_again(self) -> None:
        await self.call(
            "BootNotification",
            {
                "chargePointVendor": self.options.vendor,
                "chargePointModel": self.options.model,
                "firmwareVersion": self.firmware_version,
            },
        )

    async def _triggered_meter_values(self, connector_id: int | None) -> None:
        for c in self.connectors.values():
            if c.id and connector_id in (None, c.id):
                await self.send_meter_values(c, "Trigger")

    async def _triggered_status(self, connector_id: int | None) -> None:
        for c in self.connectors.values():
            if connector_id in (None, c.id):
                await self.set_status(c.id, c.status, c.error_code)

    def _store_profile(self, connector_id: int, profile: dict) -> None:
        profile = {**profile, "connectorId": connector_id}
        self.charging_profiles = [
            p
            for p in self.charging_profiles
            if p["chargingProfileId"] != profile["chargingProfileId"]
            and not (
                p["connectorId"] == connector_id
                and p["stackLevel"] == profile["stackLevel"]
                and p["chargingProfilePurpose"] == profile["chargingProfilePurpose"]
            )
        ]
        self.charging_profiles.append(profile)

    def on_set_charging_profile(self, p: dict) -> dict:
        connector_id, profile = p["connectorId"], p["csChargingProfiles"]
        purpose = profile["chargingProfilePurpose"]
        if connector_id not in self.connectors:
            return {"status": "Rejected"}
        if purpose == "ChargePointMaxProfile" and connector_id != 0:
            return {"status": "Rejected"}
        if purpose == "TxProfile":
            connector = self.connectors[connector_id]
            if connector_id == 0 or connector.transaction_id is None:
                return {"status": "Rejected"}
            if profile.get("transactionId", connector.transaction_id) != connector.transaction_id:
                return {"status": "Rejected"}
        if profile["stackLevel"] > int(self.config["ChargeProfileMaxStackLevel"]):
            return {"status": "Rejected"}
        self._store_profile(connector_id, profile)
        return {"status": "Accepted"}

    def on_clear_charging_profile(self, p: dict) -> dict:
        def matches(profile: dict) -> bool:
            if "id" in p:
                return profile["chargingProfileId"] == p["id"]
            return all(
                p.get(field_) is None or profile[key] == p[field_]
                for field_, key in (
                    ("connectorId", "connectorId"),
                    ("chargingProfilePurpose", "chargingProfilePurpose"),
                    ("stackLevel", "stackLevel"),
                )
            )

        keep = [profile for profile in self.charging_profiles if not matches(profile)]
        cleared = len(keep) != len(self.charging_profiles)
        self.charging_profiles = keep
        return {"status": "Accepted" if cleared else "Unknown"}

    def on_get_composite_schedule(self, p: dict) -> dict:
        connector_id = p["connectorId"]
        if connector_id not in self.connectors:
            return {"status": "Rejected"}
        relevant = [pr for pr in self.charging_profiles if pr["connectorId"] in (0, connector_id)]
        if not relevant:
            return {"status": "Rejected"}
        unit = p.get("chargingRateUnit") or relevant[0]["chargingSchedule"]["chargingRateUnit"]
        limit_w = self.power_limit_w(connector_id)
        limit = limit_w if unit == "W" else round(limit_w / 230 / 3, 1)
        return {
            "status": "Accepted",
            "connectorId": connector_id,
            "scheduleStart": utc_now_iso(),
            "chargingSchedule": {
                "duration": p["duration"],
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        }

    def on_update_firmware(self, p: dict) -> dict:
        async def update() -> None:
            start = parse_timestamp(p["retrieveDate"])
            await asyncio.sleep(min(max((start - datetime.now(UTC)).total_seconds(), 0), 3600))
            await self.call("FirmwareStatusNotification", {"status": "Downloading"})
            ok = self.options.firmware_outcome != "DownloadFailed" and await _download(
                p["location"]
            )
            if not ok:
                await self.call("FirmwareStatusNotification", {"status": "DownloadFailed"})
                return
            await self.call("FirmwareStatusNotification", {"status": "Downloaded"})
            await self.call("FirmwareStatusNotification", {"status": "Installing"})
            if self.options.firmware_outcome == "InstallationFailed":
                await self.call("FirmwareStatusNotification", {"status": "InstallationFailed"})
                return
            self.firmware_version = f"{self.options.firmware_version}+{int(time.time())}"
            await self.call("FirmwareStatusNotification", {"status": "Installed"})
            # A new firmware means a reboot: boot again with the new version.
            await self.stop_all_transactions("Reboot")
            self._reboot.set()

        self.later(update)
        return {}

    def on_get_diagnostics(self, p: dict) -> dict:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        file_name = f"diagnostics-{self.id}-{stamp}.log"

        async def send_file() -> None:
            await self.call("DiagnosticsStatusNotification", {"status": "Uploading"})
            content = self._diagnostics_text(p).encode()
            ok = self.options.diagnostics_outcome == "Uploaded" and await upload(
                p["location"], file_name, content
            )
            status = "Uploaded" if ok else "UploadFailed"
            await self.call("DiagnosticsStatusNotification", {"status": status})

        self.later(send_file)
        return {"fileName": file_name}

    def _diagnostics_text(self, p: dict) -> str:
        lines = [f"station {self.id} firmware {self.firmware_version}"]
        lines += [f"connector {c.id}: {c.status} {c.error_code}" for c in self.connectors.values()]
        lines += [
            f"config {k}={v}" for k, v in sorted(self.config.items()) if k != "AuthorizationKey"
        ]
        return "\n".join(lines) + "\n"


async def _download(location: str) -> bool:
    if not location.startswith(("http://", "https://")):
        return False
    try:
        async with httpx.AsyncClient(timeout=30, verify=False) as client:
            response = await client.get(location)
        return response.status_code == 200
    except httpx.HTTPError:
        return False


async def upload(location: str, file_name: str, content: bytes) -> bool:
    """HTTP upload: multipart POST to the location, else PUT to location/fileName."""
    if not location.startswith(("http://", "https://")):
        return False
    try:
        async with httpx.AsyncClient(timeout=30, verify=False) as client:
            response = await client.post(location, files={"file": (file_name, content)})
            if response.status_code in (404, 405):
                response = await client.put(location.rstrip("/") + "/" + file_name, content=content)
        return response.status_code < 300
    except httpx.HTTPError:
        return False


def _snake(name: str) -> str:
    return "".join("_" + ch.lower() if ch.isupper() else ch for ch in name).lstrip("_")


def future_iso(seconds: float) -> str:
    """An OCPP timestamp ``seconds`` from now (for reservations, firmware retrieve dates)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
