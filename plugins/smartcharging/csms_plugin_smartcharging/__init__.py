"""OCPP 1.6 Smart Charging: charging profiles, composite schedules and load management."""

PLUGIN = "smartcharging"
