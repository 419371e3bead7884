"""A charge point simulator for OCPP 1.6-J, the load generator, and the conformance scenarios."""

__version__ = "0.1.0"
