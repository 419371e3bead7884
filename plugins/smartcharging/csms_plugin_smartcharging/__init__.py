"""OCPP 1.6 Smart Charging: charging profiles, composite schedules and load management."""

__version__ = "0.1.0"
