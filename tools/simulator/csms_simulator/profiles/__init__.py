"""The station's answers to CSMS-initiated messages, one module per OCPP 1.6 feature profile
(as the CSMS has one plugin per profile).

A responder takes the station and the CALL's payload and returns the answer at once; messages
that follow the answer go through ``station.later`` so they leave after it.
"""

from __future__ import annotations

from . import core, firmware, localauth, remotetrigger, reservation, smartcharging

RESPONDERS = {
    **core.RESPONDERS,
    **firmware.RESPONDERS,
    **localauth.RESPONDERS,
    **remotetrigger.RESPONDERS,
    **reservation.RESPONDERS,
    **smartcharging.RESPONDERS,
}
