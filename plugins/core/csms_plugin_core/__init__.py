"""OCPP 1.6 Core profile plugin."""

PLUGIN = "core"
