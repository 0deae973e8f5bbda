"""Distinguished names as X-Road writes them, and comparing a name with X-Road's text of one.

X-Road's admin API shows names as Java's ``X500Principal.toString()`` writes them: the last RDN
first, ``", "`` between RDNs, RFC 1779 keywords (``CN``, ``O``, ``SERIALNUMBER``…) and
``OID.x.y.z`` for other attributes. ``same_name`` compares a parsed certificate name with such a
text attribute by attribute, so that the order of the RDNs, the spelling of a keyword
(``serialNumber``, ``SERIALNUMBER``, ``OID.2.5.4.5``), case and repeated spaces do not matter.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

_KEYWORDS: dict[str, str] = {
    NameOID.COMMON_NAME.dotted_string: "CN",
    NameOID.COUNTRY_NAME.dotted_string: "C",
    NameOID.LOCALITY_NAME.dotted_string: "L",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "ST",
    NameOID.ORGANIZATION_NAME.dotted_string: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "OU",
    NameOID.TITLE.dotted_string: "T",
    NameOID.STREET_ADDRESS.dotted_string: "STREET",
    NameOID.DOMAIN_COMPONENT.dotted_string: "DC",
    NameOID.DN_QUALIFIER.dotted_string: "DNQUALIFIER",
    NameOID.SURNAME.dotted_string: "SURNAME",
    NameOID.GIVEN_NAME.dotted_string: "GIVENNAME",
    NameOID.INITIALS.dotted_string: "INITIALS",
    NameOID.GENERATION_QUALIFIER.dotted_string: "GENERATION",
    NameOID.EMAIL_ADDRESS.dotted_string: "EMAILADDRESS",
    NameOID.USER_ID.dotted_string: "UID",
    NameOID.SERIAL_NUMBER.dotted_string: "SERIALNUMBER",
}

#: every keyword spelling Kapka accepts in a name's text → the attribute's OID
_OIDS: dict[str, str] = {keyword: oid for oid, keyword in _KEYWORDS.items()}
_OIDS.update({
    "S": NameOID.STATE_OR_PROVINCE_NAME.dotted_string,
    "E": NameOID.EMAIL_ADDRESS.dotted_string,
    "EMAIL": NameOID.EMAIL_ADDRESS.dotted_string,
    "SN": NameOID.SURNAME.dotted_string,
    "BUSINESSCATEGORY": NameOID.BUSINESS_CATEGORY.dotted_string,
    "ORGANIZATIONIDENTIFIER": NameOID.ORGANIZATION_IDENTIFIER.dotted_string,
    "POSTALCODE": NameOID.POSTAL_CODE.dotted_string,
    "NAME": "2.5.4.41",
    "PSEUDONYM": NameOID.PSEUDONYM.dotted_string,
})

_SPECIAL = set(',+=\n<>#;\\"')

Attribute = tuple[str, str]  # (OID, normalised value)


def _quoted(text: str) -> str:
    if not text or any(ch in _SPECIAL for ch in text) or text != text.strip() or "  " in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.hex()


def java_dn(name: x509.Name) -> str:
    """``name`` as X-Road's admin API writes it (``CN=…, O=…, C=KG``)."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        avas = []
        for attribute in rdn:
            oid = attribute.oid.dotted_string
            keyword = _KEYWORDS.get(oid, f"OID.{oid}")
            avas.append(f"{keyword}={_quoted(_text(attribute.value))}")
        parts.append(" + ".join(avas))
    return ", ".join(parts)


def common_name(name: x509.Name) -> str | None:
    """The first CN of a name, if it has one."""
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return _text(values[0].value) if values else None


def _normal(value: str) -> str:
    return " ".join(value.split()).casefold()


def name_attributes(name: x509.Name) -> list[Attribute]:
    """The attributes of ``name`` as sorted (OID, normalised value) pairs."""
    return sorted((a.oid.dotted_string, _normal(_text(a.value))) for a in name)


def _split(text: str, separators: str) -> list[str]:
    """Split at separators outside quotes and not escaped with a backslash."""
    parts, current, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch in separators and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return re.sub(r"\\([0-9A-Fa-f]{2}|.)",
                  lambda m: chr(int(m.group(1), 16)) if len(m.group(1)) == 2 else m.group(1),
                  value)


def parse_dn(text: str) -> list[Attribute] | None:
    """The attributes of a name written as text, as sorted (OID, normalised value) pairs.

    Accepts X-Road's (Java's) form and RFC 4514; ``None`` when the text is not a name.
    """
    attributes: list[Attribute] = []
    for rdn in _split(text, ",;"):
        if not rdn.strip():
            continue
        for ava in _split(rdn, "+"):
            keyword, equals, value = ava.partition("=")
            if not equals:
                return None
            keyword = keyword.strip().upper().removeprefix("OID.")
            oid = _OIDS.get(keyword, keyword if re.fullmatch(r"\d+(\.\d+)+", keyword) else None)
            if oid is None:
                return None
            attributes.append((oid, _normal(_unescape(value))))
    return sorted(attributes) or None


def same_name(name: x509.Name, text: str) -> bool:
    """Whether the parsed ``name`` and X-Road's ``text`` of a name have the same attributes."""
    parsed = parse_dn(text)
    return parsed is not None and parsed == name_attributes(name)
