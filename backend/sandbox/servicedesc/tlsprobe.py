"""The HTTPS check X-Road makes when a service gets TLS authentication (``ssl_auth``).

X-Road's ``InternalServerTestService`` opens a TLS connection to the service URL and trusts only
the client's information-system TLS certificates. A server certificate that is not among them fails
the handshake (warning ``internal_server_ssl_handshake_error``); a server that cannot be reached
or does not speak TLS is ``internal_server_ssl_error``. Both are warnings the operator may ignore.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

HANDSHAKE_ERROR = "internal_server_ssl_handshake_error"
SSL_ERROR = "internal_server_ssl_error"
TIMEOUT = 10.0


def probe(url: str, trusted: list[bytes], timeout: float = TIMEOUT) -> str | None:
    """The warning code for a TLS connection to ``url`` trusting only the DER certificates in
    ``trusted``; ``None`` when the server presents one of them."""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or 443
    except ValueError:
        return SSL_ERROR
    if not host:
        return SSL_ERROR
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # trust is decided below, against the client's certs
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            presented = tls.getpeercert(binary_form=True)
    except ssl.SSLError as error:
        alert = "ALERT" in str(error).upper() or "HANDSHAKE" in str(error).upper()
        return HANDSHAKE_ERROR if alert else SSL_ERROR
    except (OSError, UnicodeError):
        return SSL_ERROR
    if presented is None or presented not in trusted:
        return HANDSHAKE_ERROR
    return None
