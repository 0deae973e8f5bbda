"""The embedded sandbox security server (``kapka sandbox``).

An X-Road 7.8 compatible admin API (``/api/v1``) with its state in SQLite and a real test PKI: a
certification authority with an OCSP responder, a timestamping authority and a software token whose
keys are encrypted under its PIN. ``state.SandboxState`` is the domain layer, ``app.create_app`` the
ASGI application and ``server.SandboxServer`` serves it over HTTPS on loopback.
"""
