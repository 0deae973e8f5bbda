"""Helpers of the service-description tests: subsystems, generated WSDL and OpenAPI documents,
access rights written directly, and a TLS server on loopback."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from backend.sandbox.state import SandboxState
from backend.sandbox.wire import store_time, utcnow

INSTANCE = "SANDBOX-KG"
SUBSYSTEM = f"{INSTANCE}:GOV:70000001:registry"
OTHER_SUBSYSTEM = f"{INSTANCE}:GOV:70000001:notifications"
SUBJECT = f"{INSTANCE}:GOV:70000002:permits"
SUBJECT_2 = f"{INSTANCE}:COM:50010001:tracking"
IS_URL = "http://is.example.org:8080/soap"


def add_subsystem(state: SandboxState, client_id: str = SUBSYSTEM) -> str:
    """A subsystem client of the server, written directly (as ``POST /clients`` would add it)."""
    instance, member_class, member_code, subsystem = client_id.split(":")
    state.db.execute(
        "INSERT OR IGNORE INTO clients (id, instance_identifier, member_class, member_code, "
        "subsystem_code, status, created_at) VALUES (?, ?, ?, ?, ?, 'SAVED', ?)",
        (client_id, instance, member_class, member_code, subsystem, store_time(utcnow())))
    return client_id


def wsdl_document(services: list[tuple[str, str | None]], *, url: str = IS_URL,
                  style: str = "document", use: str = "literal", soap12: bool = False,
                  title: str = "Title of {name}") -> bytes:
    """A WSDL 1.1 document with one SOAP-over-HTTP port whose operations are ``services``
    (``(code, version)``)."""
    soap = "http://schemas.xmlsoap.org/wsdl/soap12/" if soap12 else \
        "http://schemas.xmlsoap.org/wsdl/soap/"
    port_ops, binding_ops = [], []
    for name, version in services:
        port_ops.append(
            f'<wsdl:operation name="{name}"><wsdl:documentation><xrd:title>'
            f'{title.format(name=name)}</xrd:title></wsdl:documentation>'
            f'<wsdl:input message="tns:req"/><wsdl:output message="tns:res"/></wsdl:operation>')
        version_element = f"<xrd:version>{version}</xrd:version>" if version else ""
        binding_ops.append(
            f'<wsdl:operation name="{name}"><soap:operation soapAction="" style="{style}"/>'
            f'{version_element}<wsdl:input><soap:body use="{use}"/></wsdl:input>'
            f'<wsdl:output><soap:body use="{use}"/></wsdl:output></wsdl:operation>')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="{soap}"
    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:tns="http://test.x-road.example/producer"
    name="generated" targetNamespace="http://test.x-road.example/producer">
  <wsdl:message name="req"/><wsdl:message name="res"/>
  <wsdl:portType name="ports">{"".join(port_ops)}</wsdl:portType>
  <wsdl:binding name="binding" type="tns:ports">
    <soap:binding style="{style}" transport="http://schemas.xmlsoap.org/soap/http"/>
    {"".join(binding_ops)}
  </wsdl:binding>
  <wsdl:service name="service">
    <wsdl:port binding="tns:binding" name="port"><soap:address location="{url}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
""".encode()


def openapi_document(paths: dict[str, list[str]], *, version: str = "3.0.3",
                     server: str | None = "https://api.example.org/v1") -> str:
    """An OpenAPI description whose ``paths`` map to lists of methods; path templates get a
    path parameter each."""
    lines = [f"openapi: {version}", "info:", "  title: Test", "  version: '1'"]
    if server is not None:
        lines += ["servers:", f"  - url: {server}"]
    lines.append("paths:")
    for path, methods in paths.items():
        lines.append(f"  '{path}':")
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        if names:
            lines.append("    parameters:")
            for name in names:
                lines += [f"      - name: {name}", "        in: path", "        required: true",
                          "        schema: {type: string}"]
        for method in methods:
            lines += [f"    {method}:", "      responses:", "        '200':",
                      "          description: OK"]
    return "\n".join(lines) + "\n"


def grant(state: SandboxState, client_id: str, service_code: str, subject: str, *,
          method: str = "*", path: str = "**") -> None:
    """An access right of ``subject`` to an endpoint (default: the service's base endpoint)."""
    endpoint = state.db.execute(
        "SELECT id FROM endpoints WHERE client_id = ? AND service_code = ? AND method = ? "
        "AND path = ?", (client_id, service_code, method, path)).fetchone()
    assert endpoint is not None, (service_code, method, path)
    state.db.execute("INSERT INTO access_rights (client_id, subject_id, endpoint_id, "
                     "rights_given_at) VALUES (?, ?, ?, ?)",
                     (client_id, subject, endpoint[0], store_time(utcnow())))


def rights(state: SandboxState, client_id: str) -> set[tuple[str, str, str, str]]:
    """``(service code, method, path, subject)`` of every access right of the client."""
    rows = state.db.execute(
        "SELECT e.service_code, e.method, e.path, a.subject_id FROM access_rights a "
        "JOIN endpoints e ON e.id = a.endpoint_id WHERE a.client_id = ?", (client_id,))
    return {tuple(row) for row in rows}


def endpoints(state: SandboxState, client_id: str) -> set[tuple[str, str, str, int]]:
    rows = state.db.execute("SELECT service_code, method, path, generated FROM endpoints "
                            "WHERE client_id = ?", (client_id,))
    return {tuple(row) for row in rows}


def self_signed(directory: Path, name: str = "is.example.org") -> tuple[Path, Path, bytes]:
    """A certificate and key for a TLS test server: ``(cert PEM file, key PEM file, cert DER)``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, cert.public_bytes(serialization.Encoding.DER)


@contextmanager
def tls_server(cert_file: Path, key_file: Path) -> Iterator[int]:
    """A TLS server on a loopback port that completes handshakes and closes; its port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                with context.wrap_socket(connection, server_side=True) as tls:
                    tls.settimeout(2)
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)
