"""OCPP 1.6 Remote Trigger profile: TriggerMessage with the errata's BootNotification rule,
a history of triggers, and an API route that can wait for the triggered message."""

PLUGIN = "remotetrigger"
