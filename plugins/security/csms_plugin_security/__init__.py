"""OCPP 1.6 security whitepaper (edition 3): security events, Basic-auth key and security
profile updates, charge point certificate signing, CA certificate management."""

PLUGIN = "security"
