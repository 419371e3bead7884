"""OCPP 1.6 Core profile plugin."""

__version__ = "0.1.0"
