"""OCPP 1.6 Firmware Management: UpdateFirmware, GetDiagnostics, their status notifications,
firmware images hosted for stations to download and diagnostics uploads received."""

PLUGIN = "firmware"
