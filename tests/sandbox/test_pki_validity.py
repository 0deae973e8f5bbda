"""The sandbox PKI's validity: its authorities reach 400 days back, what its CA issues starts now."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from backend.sandbox.ca import SandboxCA
from backend.sandbox.pki import ensure_pki
from backend.sandbox.seed import load_seed
from backend.sandbox.state import SandboxState
from backend.sandbox.tls import ensure_tls_certificate
from tests.sandboxes import OWNER_ID, PIN, Templates

MINUTE = dt.timedelta(minutes=1)
BACKDATE = dt.timedelta(days=400)


def test_authorities_are_valid_from_400_days_before_their_creation(tmp_path: Path) -> None:
    seed = load_seed()
    before = dt.datetime.now(dt.UTC)
    pki = ensure_pki(tmp_path / "pki", seed)
    after = dt.datetime.now(dt.UTC)
    authorities = [pki.ca, pki.ocsp, *pki.tsas.values(),
                   *(part for issuer in pki.issuers for part in (issuer.ca, issuer.responder))]
    assert len(pki.issuers) == 1 + len(seed.extra_cas) and len(pki.tsas) >= 1
    for authority in authorities:
        cert = authority.cert
        assert before - BACKDATE - MINUTE < cert.not_valid_before_utc \
            <= after - BACKDATE, cert.subject
    ca = pki.ca.cert
    assert ca.not_valid_after_utc - after < dt.timedelta(days=seed.ca.validity_days)
    assert ca.not_valid_after_utc - before > dt.timedelta(days=seed.ca.validity_days) - MINUTE
    assert ensure_pki(tmp_path / "pki", seed, create=False).ca.cert == ca  # kept, not remade


def _csr(common_name: str) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)]))
               .sign(key, hashes.SHA256()))
    return request.public_bytes(serialization.Encoding.PEM)


def test_certificates_the_ca_issues_start_when_issued(templates: Templates, tmp_path: Path) -> None:
    """Members' certificates are not backdated with the CA: a signed CSR and a certificate issued
    on the token start now."""
    data_dir = tmp_path / "sandbox"
    shutil.copytree(templates.populated, data_dir)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    authority = SandboxCA.open(data_dir)
    try:
        signed = authority.sign(_csr("SS1"), usage="AUTHENTICATION")
        ca_start = authority.pki.ca.cert.not_valid_before_utc
    finally:
        authority.close()
    assert before <= signed.not_valid_before_utc <= dt.datetime.now(dt.UTC)
    state = SandboxState.open(data_dir)
    try:
        state.login_token(PIN)
        key_id = state.generate_key("sign-later")
        digest = state.issue_certificate(key_id, "SIGNING", OWNER_ID, 30)
        on_token = x509.load_der_x509_certificate(bytes(state.certificate(digest)["der"]))
    finally:
        state.close()
    assert before <= on_token.not_valid_before_utc <= dt.datetime.now(dt.UTC)
    assert ca_start < before - dt.timedelta(days=399)


def test_the_tls_certificate_starts_minutes_before_it_is_made(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC)
    cert_path, _key_path = ensure_tls_certificate(tmp_path, "127.0.0.1")
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert before - dt.timedelta(minutes=6) < cert.not_valid_before_utc < before
