"""Names of the whitepaper that the API, the CLI and the checks share (no imports: the CLI
loads this module on every ``csms`` command)."""

from __future__ import annotations

# ExtendedTriggerMessage's requestedMessage -> the message the station then sends (6.16).
TRIGGERED = {
    "BootNotification": "BootNotification",
    "LogStatusNotification": "LogStatusNotification",
    "FirmwareStatusNotification": "SignedFirmwareStatusNotification",
    "Heartbeat": "Heartbeat",
    "MeterValues": "MeterValues",
    "SignChargePointCertificate": "SignCertificate",
    "StatusNotification": "StatusNotification",
}

# InstallCertificate's and GetInstalledCertificateIds' certificateType (6.2).
CERTIFICATE_TYPES = ("CentralSystemRootCertificate", "ManufacturerRootCertificate")
