"""The wizard's logic without a terminal: which step is next, anchor files, PINs, identifiers."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.api.models import (
    CertificateDetails,
    InitializationStatus,
    Key,
    TimestampingService,
    Token,
    TokenCertificate,
    TokenCertificateSigningRequest,
)
from backend.errors import KapkaError
from screens.setup.anchorfile import parse_anchor, read_anchor_file
from screens.setup.files import read_small_file, write_new_file
from screens.setup.flow import DONE, SetupState, current_step, step_line
from screens.setup.step_init import identifier_problem
from screens.setup.step_keys import dn_string
from screens.setup.step_register import address_problem
from screens.widgets.hash_display import hash_lines
from screens.widgets.pin_input import assess_pin

OWNER = "SANDBOX-KG:GOV:70000001"
ANCHOR = b"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<tns:configurationAnchor xmlns:tns="http://x-road.eu/xsd/xroad.xsd">
    <generatedAt>2026-01-01T00:00:00Z</generatedAt>
    <instanceIdentifier>KG</instanceIdentifier>
    <source>
        <downloadURL>http://cs.example.kg/internalconf</downloadURL>
        <verificationCert>AAAA</verificationCert>
    </source>
</tns:configurationAnchor>
"""


def status(anchor: bool = True, owner: bool = True, token: str = "INITIALIZED") -> InitializationStatus:
    return InitializationStatus(is_anchor_imported=anchor, is_server_code_initialized=owner,
                                is_server_owner_initialized=owner,
                                software_token_init_status=token)


def certificate(cert_status: str, *, active: bool = True, owner: str | None = None,
                name: str = "A") -> TokenCertificate:
    now = datetime.now(UTC)
    details = CertificateDetails(
        issuer_distinguished_name="CN=CA", issuer_common_name="CA",
        subject_distinguished_name="CN=x", subject_common_name="x", not_before=now,
        not_after=now + timedelta(days=365), serial="1", version=3,
        signature_algorithm="SHA256withRSA", signature="00", public_key_algorithm="RSA",
        hash=name * 64)
    return TokenCertificate(certificate_details=details, status=cert_status, active=active,
                            owner_id=owner, ocsp_status="OCSP_RESPONSE_GOOD")


def key(usage: str, *, csr: bool = False, cert: TokenCertificate | None = None,
        key_id: str = "K") -> Key:
    return Key(id=key_id, name=key_id, label=key_id, usage=usage,
               certificate_signing_requests=[TokenCertificateSigningRequest(
                   id="C" + key_id, owner_id=OWNER if usage == "SIGNING" else None)] if csr else [],
               certificates=[cert] if cert else [])


def state(*keys: Key, logged_in: bool = True, tsa: bool = True, **kwargs) -> SetupState:
    token = Token(id="0", name="softToken-0", type="SOFTWARE", status="OK", logged_in=logged_in,
                  keys=list(keys))
    return SetupState(status=status(**kwargs), token=token, server_id=OWNER + ":SS1",
                      timestamping=(TimestampingService(name="TSA", url="http://tsa"),)
                      if tsa else ())


def test_each_step_follows_from_what_the_server_has() -> None:
    assert current_step(SetupState(status=status(anchor=False, owner=False,
                                                 token="NOT_INITIALIZED"))) == 1
    assert current_step(SetupState(status=status(owner=False, token="NOT_INITIALIZED"))) == 2
    assert current_step(SetupState(status=status(token="NOT_INITIALIZED"))) == 3
    assert current_step(state(tsa=False)) == 4
    assert current_step(state(logged_in=False)) == 5
    assert current_step(state()) == 6
    assert current_step(state(key("AUTHENTICATION", csr=True, key_id="A"))) == 6
    both_csrs = state(key("AUTHENTICATION", csr=True, key_id="A"),
                      key("SIGNING", csr=True, key_id="S"))
    assert current_step(both_csrs) == 7
    assert [p.key.id for p in both_csrs.waiting_for_certificates()] == ["A", "S"]
    one_imported = state(key("AUTHENTICATION", cert=certificate("SAVED"), key_id="A"),
                         key("SIGNING", csr=True, key_id="S"))
    assert current_step(one_imported) == 8
    saved = state(key("AUTHENTICATION", cert=certificate("SAVED"), key_id="A"),
                  key("SIGNING", cert=certificate("REGISTERED", owner=OWNER, name="B"),
                      key_id="S"))
    assert current_step(saved) == 9
    pending = state(key("AUTHENTICATION", cert=certificate("REGISTRATION_IN_PROGRESS"),
                        key_id="A"),
                    key("SIGNING", cert=certificate("REGISTERED", owner=OWNER, name="B"),
                        key_id="S"))
    assert current_step(pending) == 10
    inactive = state(key("AUTHENTICATION", cert=certificate("REGISTERED", active=False),
                         key_id="A"),
                     key("SIGNING", cert=certificate("REGISTERED", owner=OWNER, name="B"),
                         key_id="S"))
    assert current_step(inactive) == 11
    done = state(key("AUTHENTICATION", cert=certificate("REGISTERED"), key_id="A"),
                 key("SIGNING", cert=certificate("REGISTERED", owner=OWNER, name="B"),
                     key_id="S"))
    assert current_step(done) == DONE


def test_the_furthest_key_counts_and_deleted_certificates_do_not() -> None:
    old = key("AUTHENTICATION", cert=certificate("DELETION_IN_PROGRESS"), key_id="OLD")
    new = key("AUTHENTICATION", csr=True, key_id="NEW")
    assert state(old, new).auth.key.id == "NEW"
    registered = key("AUTHENTICATION", cert=certificate("REGISTERED"), key_id="REG")
    assert state(new, registered).auth.key.id == "REG"
    other_owner = Key(id="X", name="X", label="X", usage="SIGNING", certificates=[
        certificate("REGISTERED", owner="SANDBOX-KG:COM:1", name="C")])
    assert state(other_owner).sign is None


def test_the_step_line_says_where_and_what_is_next() -> None:
    assert step_line(3) == "Step 3 of 11 · Software token PIN · next: Timestamping service"
    assert step_line(11) == "Step 11 of 11 · Activate the certificates"
    assert all(len(step_line(n)) <= 78 for n in range(1, 12))


def test_an_anchor_is_read_without_dtds_and_with_clear_errors(tmp_path: Path) -> None:
    anchor = parse_anchor(ANCHOR)
    assert anchor.instance == "KG"
    assert anchor.download_urls == ("http://cs.example.kg/internalconf",)
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><configurationAnchor/>'
    with pytest.raises(KapkaError, match="document type declaration"):
        parse_anchor(bomb)
    with pytest.raises(KapkaError, match="is not XML"):
        parse_anchor(b"\x30\x82\x01\x0a binary")
    with pytest.raises(KapkaError, match="root element is <html>"):
        parse_anchor(b"<html><body>login</body></html>")
    with pytest.raises(KapkaError, match="names no X-Road instance"):
        parse_anchor(b"<configurationAnchor><source><downloadURL>u</downloadURL></source>"
                     b"</configurationAnchor>")
    big = tmp_path / "big.xml"
    big.write_bytes(b"<a>" + b" " * 2_000_000 + b"</a>")
    with pytest.raises(KapkaError, match="at most"):
        read_anchor_file(big)
    with pytest.raises(KapkaError, match="directory"):
        read_anchor_file(tmp_path)
    with pytest.raises(KapkaError, match="no file"):
        read_anchor_file(tmp_path / "missing.xml")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    with pytest.raises(KapkaError, match="not a regular file"):
        read_small_file(fifo, 1000, what="anchor")


def test_exports_never_overwrite_silently(tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    first = write_new_file(tmp_path, "auth.der", b"one")
    assert first.read_bytes() == b"one"
    with pytest.raises(FileExistsError):
        write_new_file(tmp_path, "auth.der", b"two")
    assert first.read_bytes() == b"one"
    write_new_file(tmp_path, "auth.der", b"two", replace=True)
    assert first.read_bytes() == b"two"
    assert write_new_file(tmp_path, "../../etc/x.der", b"3").parent == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auth.der", "x.der"]


def test_the_pin_policy_meter_follows_x_road() -> None:
    weak = assess_pin("1234", "1234", enforced=True)
    assert not weak.meets_policy and not weak.acceptable and "at least 10" in weak.problem
    assert assess_pin("1234", "1234", enforced=False).acceptable
    strong = assess_pin("Tunduk-PIN-2024", "Tunduk-PIN-2024", enforced=True)
    assert strong.meets_policy and strong.acceptable and strong.classes == 4
    assert not assess_pin("Tunduk-PIN-2024", "Tunduk-PIN-2025", enforced=True).acceptable
    cyrillic = assess_pin("Пароль-12345", "Пароль-12345", enforced=False)
    assert not cyrillic.acceptable and "ASCII" in cyrillic.problem


def test_identifiers_addresses_and_subjects() -> None:
    assert identifier_problem("SS1", "server code") == ""
    assert "may not contain ':'" in identifier_problem("SS:1", "server code")
    assert "Latin" in identifier_problem("СС1", "server code")
    assert "Latin" in identifier_problem("SS_1", "server code")
    assert identifier_problem("", "server code").startswith("Type")
    assert identifier_problem("70000001", "member code") == ""
    assert "'%'" in identifier_problem("7%1", "member code")
    assert address_problem("ss1.example.kg") == ""
    assert "loopback" in address_problem("127.0.0.1")
    assert "no URL" in address_problem("https://ss1.example.kg/")
    assert dn_string([("C", "KG"), ("O", "A, B"), ("CN", "")]) == "C=KG, O=A\\, B"
    assert hash_lines("ab" * 28) == [":".join(["AB"] * 7)] * 4
