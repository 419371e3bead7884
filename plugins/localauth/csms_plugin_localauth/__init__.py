"""OCPP 1.6 Local Authorization List Management: which tags go to which station, and the
list version and content each station last accepted, so operators never count versions."""

PLUGIN = "localauth"
