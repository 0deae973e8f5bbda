"""What a file an operator brings holds: PEM blocks, DER, base64 without PEM lines, or none of these.

``decode`` turns the bytes into DER blobs, each with its kind (certificate, CSR, private key,
public key, PKCS #7, CRL), or raises ``CertificateFileError`` with a reason an operator can act on:
empty, too large, cut short, damaged base64, a web page, text or binary data that is not ASN.1.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from backend.i18n import _
from backend.pki.errors import CertificateRejected

#: X-Road's limit for an uploaded file (``request-sizelimit-binary-upload``)
MAX_FILE_BYTES = 10 * 1024 * 1024

Kind = Literal["certificate", "csr", "private_key", "public_key", "pkcs7", "crl", "unknown"]
Encoding = Literal["PEM", "DER", "base64"]

_PEM_KINDS: dict[str, Kind] = {
    "CERTIFICATE": "certificate",
    "X509 CERTIFICATE": "certificate",
    "TRUSTED CERTIFICATE": "certificate",
    "CERTIFICATE REQUEST": "csr",
    "NEW CERTIFICATE REQUEST": "csr",
    "PUBLIC KEY": "public_key",
    "RSA PUBLIC KEY": "public_key",
    "PKCS7": "pkcs7",
    "CMS": "pkcs7",
    "X509 CRL": "crl",
}
_BEGIN = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]+")

REASONS = ("not_found", "unreadable", "too_large", "empty", "truncated", "damaged", "csr",
           "certificate", "private_key", "public_key", "crl", "html", "not_certificate",
           "not_csr", "unrelated_bundle")


class CertificateFileError(CertificateRejected):
    """A file that is not the certificate (or CSR) it should be; ``reason`` is one of ``REASONS``.

    A file that cannot be opened is a usage error (exit code 2); one that opens but holds the
    wrong thing fails the check (exit code 3).
    """

    def __init__(self, message: str, reason: str, title: str | None = None) -> None:
        super().__init__(message, reason, title or _("Not a usable file"))
        self.exit_code = 2 if reason in ("not_found", "unreadable") else 3


@dataclass(frozen=True)
class Blob:
    kind: Kind
    der: bytes
    label: str = ""  # the PEM label, if any


@dataclass
class Decoded:
    encoding: Encoding
    blobs: list[Blob]
    notes: list[str] = field(default_factory=list)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return _("{n:.1f} MB").format(n=size / (1024 * 1024))
    if size >= 1024:
        return _("{n:.1f} kB").format(n=size / 1024)
    return _("{n} bytes").format(n=size)


def too_large(where: str, size: int, limit: int = MAX_FILE_BYTES) -> CertificateFileError:
    return CertificateFileError(
        _("{file} is {size}, more than the {limit} X-Road accepts for an upload. A certificate "
          "or CSR file is a few kilobytes: check that you chose the file the certification "
          "authority sent, not an archive or a disk image.").format(
            file=where, size=size_text(size), limit=size_text(limit)),
        "too_large", _("File too large"))


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing a file over ``limit`` before reading it (and never reading
    more than ``limit`` + 1 bytes of a pipe or device that does not say its size)."""
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > limit:
                raise too_large(str(path), size, limit)
            data = file.read(limit + 1)
    except FileNotFoundError:
        raise CertificateFileError(
            _("There is no file {file}. Check the name and the directory.").format(file=path),
            "not_found", _("No such file")) from None
    except IsADirectoryError:
        raise CertificateFileError(
            _("{file} is a directory. Name the certificate file inside it.").format(file=path),
            "unreadable", _("Not a file")) from None
    except PermissionError:
        raise CertificateFileError(
            _("You may not read {file}. Copy it somewhere your user can read it, or change its "
              "permissions.").format(file=path), "unreadable", _("File not readable")) from None
    except OSError as error:
        raise CertificateFileError(
            _("Kapka could not read {file}: {reason}.").format(
                file=path, reason=error.strerror or error), "unreadable",
            _("File not readable")) from error
    if len(data) > limit:
        raise too_large(str(path), len(data), limit)
    return data


def der_length(data: bytes) -> int | None:
    """The length of the ASN.1 SEQUENCE ``data`` starts with (header included), if it starts so."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def _truncated(where: str, expected: int, actual: int) -> CertificateFileError:
    return CertificateFileError(
        _("{file} is cut short: its DER structure announces {expected} bytes but only {actual} "
          "are there. The download or copy was incomplete: get the file again.").format(
            file=where, expected=expected, actual=actual),
        "truncated", _("File cut short"))


def _der_kind(der: bytes) -> Kind:
    """What a DER blob is, found by trying each parser."""
    try:
        x509.load_der_x509_certificate(der)
        return "certificate"
    except ValueError:
        pass
    try:
        x509.load_der_x509_csr(der)
        return "csr"
    except ValueError:
        pass
    try:
        serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
        return "private_key"
    except TypeError:  # an encrypted private key: it wants a password
        return "private_key"
    except Exception:  # any parser error means "not a key"
        pass
    try:
        serialization.load_der_public_key(der)
        return "public_key"
    except Exception:
        pass
    try:
        pkcs7.load_der_pkcs7_certificates(der)
        return "pkcs7"
    except Exception:
        pass
    try:
        x509.load_der_x509_crl(der)
        return "crl"
    except ValueError:
        pass
    return "unknown"


def _der_blob(data: bytes, where: str) -> Blob:
    length = der_length(data)
    if length is None:
        raise CertificateFileError(
            _("{file} is binary data that is not DER: it does not start as an ASN.1 structure "
              "as a certificate does. Check that you chose the certificate file.").format(
                file=where), "not_certificate", _("Not a certificate"))
    if length > len(data):
        raise _truncated(where, length, len(data))
    der = data[:length]
    return Blob(_der_kind(der), der)


def _strip_text(data: bytes) -> bytes:
    """Text in UTF-16 (Windows exports) or with a byte order mark, as plain bytes."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data.removeprefix(b"\xef\xbb\xbf")


def _pem_blobs(text: bytes, where: str) -> list[Blob]:
    blobs: list[Blob] = []
    for match in _BEGIN.finditer(text):
        label = match.group(1).decode("ascii")
        end = text.find(b"-----END " + match.group(1) + b"-----", match.end())
        if end < 0:
            raise CertificateFileError(
                _("{file} is cut short: the line “-----END {label}-----” is missing. Copy the "
                  "whole file again, including its last line.").format(file=where, label=label),
                "truncated", _("File cut short"))
        body = text[match.end():end]
        lines = [line for line in body.splitlines() if b":" not in line]  # RFC 1421 headers
        try:
            der = base64.b64decode(b"".join(b"".join(lines).split()), validate=True)
        except (binascii.Error, ValueError):
            raise CertificateFileError(
                _("{file} has a “{label}” block whose text is not valid base64: an editor or a "
                  "mail program changed it. Get the original file again.").format(
                    file=where, label=label), "damaged", _("Damaged file")) from None
        if label.endswith("PRIVATE KEY"):
            blobs.append(Blob("private_key", der, label))
            continue
        length = der_length(der)
        if length is not None and length > len(der):
            raise _truncated(where, length, len(der))
        blobs.append(Blob(_PEM_KINDS.get(label, "unknown"), der[:length] if length else der, label))
    return blobs


def decode(data: bytes, where: str, *, suffix: str = "") -> Decoded:
    """The DER blobs in ``data`` (named ``where`` in messages; ``suffix`` is the file's ending)."""
    if len(data) > MAX_FILE_BYTES:
        raise too_large(where, len(data))
    if not data.strip(b" \t\r\n\x00"):
        raise CertificateFileError(
            _("{file} is empty. The copy or download failed: get the file from the certification "
              "authority again.").format(file=where), "empty", _("Empty file"))
    suffix = suffix.lower()
    text = _strip_text(data)
    if _BEGIN.search(text):
        decoded = Decoded("PEM", _pem_blobs(text, where))
        if suffix == ".der":
            decoded.notes.append(_("{file} is named .der but holds PEM text; Kapka read it as "
                                   "PEM.").format(file=where))
        return decoded
    if b"-----END " in text or b"-----BEGIN" in text:
        raise CertificateFileError(
            _("{file} has a damaged PEM line: Kapka expected “-----BEGIN CERTIFICATE-----”. "
              "Get the original file again.").format(file=where), "damaged", _("Damaged file"))
    if data[0] == 0x30:
        decoded = Decoded("DER", [_der_blob(data, where)])
        if suffix == ".pem":
            decoded.notes.append(_("{file} is named .pem but holds binary DER; Kapka read it as "
                                   "DER.").format(file=where))
        return decoded
    stripped = text.strip()
    if re.match(rb"(?is)\s*(<!doctype html|<html|<head|<\?xml[^>]*>\s*<html)", stripped):
        raise CertificateFileError(
            _("{file} is a web page (HTML), not a certificate: probably a download link that led "
              "to a login or error page. Download the certificate file itself.").format(
                file=where), "html", _("Not a certificate"))
    if _BASE64_TEXT.fullmatch(stripped):
        try:
            raw = base64.b64decode(b"".join(stripped.split()), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if der_length(raw) is not None:
            decoded = Decoded("base64", [_der_blob(raw, where)])
            decoded.notes.append(_("{file} holds base64 text without the “-----BEGIN …-----” "
                                   "lines; Kapka decoded it as DER.").format(file=where))
            return decoded
    if all(ch >= 0x20 or ch in b"\t\r\n" for ch in stripped[:4096]):
        raise CertificateFileError(
            _("{file} is text that is not a certificate: Kapka expected a block starting with "
              "“-----BEGIN CERTIFICATE-----”, or DER. Check that you chose the certificate "
              "file.").format(file=where), "not_certificate", _("Not a certificate"))
    return Decoded("DER", [_der_blob(data, where)])
