"""Names as X-Road writes them, and comparing a certificate's issuer with a CA's subject text."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from backend.pki.names import java_dn, parse_dn, same_name
from backend.sandbox import certinfo

CA = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kapka Sandbox"),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Test PKI"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Kapka Sandbox Test CA"),
])


def test_java_form_matches_the_sandbox() -> None:
    odd = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tien-Shan, Logistics LLC"),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "50010001"),
        x509.NameAttribute(NameOID.BUSINESS_CATEGORY, "COM"),
        x509.NameAttribute(NameOID.COMMON_NAME, "  spaced  "),
    ])
    for name in (CA, odd):
        assert java_dn(name) == certinfo.java_dn(name)
    assert java_dn(CA) == "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG"


def test_same_name_ignores_order_case_keyword_spelling_and_spaces() -> None:
    assert same_name(CA, "CN=Kapka Sandbox Test CA, OU=Test PKI, O=Kapka Sandbox, C=KG")
    assert same_name(CA, "C=KG,O=Kapka Sandbox,OU=Test PKI,CN=Kapka Sandbox Test CA")
    assert same_name(CA, "cn=kapka  sandbox test ca; ou=TEST PKI; o=Kapka Sandbox; c=kg")
    assert same_name(CA, "OID.2.5.4.3=Kapka Sandbox Test CA, 2.5.4.11=Test PKI, O=Kapka "
                         "Sandbox, C=KG")
    assert not same_name(CA, "CN=Kapka Sandbox Test CA, O=Kapka Sandbox, C=KG")
    assert not same_name(CA, "CN=Other CA, OU=Test PKI, O=Kapka Sandbox, C=KG")
    assert not same_name(CA, "")
    assert not same_name(CA, "not a name")


def test_quoted_and_escaped_values() -> None:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "A, B + C"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, "GOV/70000001")])
    assert same_name(name, java_dn(name))
    assert same_name(name, r"SERIALNUMBER=GOV/70000001, O=A\, B \+ C")
    assert same_name(name, 'serialNumber=GOV/70000001, O="A, B + C"')
    assert parse_dn("X=1") is None
