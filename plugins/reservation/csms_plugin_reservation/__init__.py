"""OCPP 1.6 Reservation profile: ReserveNow, CancelReservation and the reservation lifecycle."""

__version__ = "0.1.0"
