"""Fixtures of the PKI tests (the helpers are in ``tests.pki.pkitools``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.pki.pkitools import Issuer, issue, make_ca


@pytest.fixture(scope="session")
def ca() -> Issuer:
    return make_ca()


@pytest.fixture(scope="session")
def leaf_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def auth_cert(ca: Issuer, leaf_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return issue(ca, leaf_key.public_key(), eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))


@pytest.fixture
def issue_for(ca: Issuer) -> Callable[..., x509.Certificate]:
    return lambda public_key, **kwargs: issue(ca, public_key, **kwargs)
