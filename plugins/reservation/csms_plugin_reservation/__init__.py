"""OCPP 1.6 Reservation profile: ReserveNow, CancelReservation and the reservation lifecycle."""

PLUGIN = "reservation"
