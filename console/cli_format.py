"""What the key and certificate commands print, and how they find what the operator names.

Human output fits 80 columns; a certificate hash (64 characters) always stays whole on its own
line so that it can be copied into ``kapka cert register``/``activate``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from backend.i18n import N_, _, ngettext
from console.cli_session import UsageError

if TYPE_CHECKING:
    from backend.api.models import Key, Token, TokenCertificate

WIDTH = 80
RENEW_SOON_DAYS = 30

_OCSP = {
    "OCSP_RESPONSE_GOOD": N_("OCSP good"),
    "OCSP_RESPONSE_REVOKED": N_("OCSP REVOKED"),
    "OCSP_RESPONSE_SUSPENDED": N_("OCSP suspended"),
    "OCSP_RESPONSE_UNKNOWN": N_("OCSP unknown"),
    "DISABLED": N_("OCSP not checked (disabled)"),
    "EXPIRED": N_("OCSP not checked (expired)"),
}
_USAGE = {"AUTHENTICATION": N_("authentication"), "SIGNING": N_("signing")}


def clip(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def usage_word(usage: str | None) -> str:
    return _(_USAGE[usage]) if usage in _USAGE else _("usage not decided yet")


def ocsp_word(status: str | None) -> str:
    if status is None:
        return _("no OCSP status yet")
    return _(_OCSP[status]) if status in _OCSP else status


def expiry_text(not_after: datetime, now: datetime) -> str:
    """"29 days left, renew soon", "EXPIRED 3 days ago"."""
    days = (not_after - now).days
    if not_after < now:
        return ngettext("EXPIRED {n} day ago", "EXPIRED {n} days ago", -days).format(n=-days)
    text = ngettext("{n} day left", "{n} days left", days).format(n=days)
    return text + (_(", renew soon") if days <= RENEW_SOON_DAYS else "")


def _wrapped(label: str, value: str, indent: str, lines: int = 2) -> list[str]:
    import textwrap

    first = f"{indent}{label:<9}"
    wrapped = textwrap.wrap(value, WIDTH, initial_indent=first,
                            subsequent_indent=" " * len(first), break_on_hyphens=False)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = clip(wrapped[-1] + " …")
    return wrapped


def certificate_lines(cert: TokenCertificate, now: datetime, indent: str = "    ") -> list[str]:
    details = cert.certificate_details
    state = ", ".join([cert.status, _("active") if cert.active else _("not active"),
                       ocsp_word(cert.ocsp_status)])
    expires = "{date}, {left}".format(date=details.not_after.astimezone(UTC).strftime("%Y-%m-%d"),
                                      left=expiry_text(details.not_after, now))
    inner = indent + "  "
    lines = [clip(f"{indent}{_('certificate')}  {state}")]
    lines.append(clip(f"{inner}{_('expires:'):<9}{expires}"))
    lines.append(f"{inner}{_('hash:'):<9}{details.hash}")
    lines += _wrapped(_("subject:"), details.subject_distinguished_name, inner)
    if cert.owner_id:
        lines.append(clip(f"{inner}{_('member:'):<9}{cert.owner_id}"))
    return lines


def token_lines(tokens: list[Token], now: datetime) -> list[str]:
    lines: list[str] = []
    for token in tokens:
        state = [token.type.lower(), token.status,
                 _("logged in") if token.logged_in else _("logged out")]
        lines.append(clip(_("Token {id}  {name}  ({state})").format(
            id=token.id, name=token.name, state=", ".join(state))))
        if not token.keys:
            lines.append("  " + _("no keys"))
        for key in token.keys:
            algorithm = f", {key.key_algorithm}" if key.key_algorithm else ""
            lines.append(clip(f"  {_('Key')} {key.label}  ({usage_word(key.usage)}{algorithm})"))
            if key.name and key.name != key.label:
                lines.append(clip(f"    {_('name:')} {key.name}"))
            lines.append(f"    {_('id:')} {key.id}")
            for cert in key.certificates:
                lines.extend(certificate_lines(cert, now))
            for csr in key.certificate_signing_requests:
                owner = _("  for {member}").format(member=csr.owner_id) if csr.owner_id else ""
                lines.append(clip(f"    {_('CSR')} {csr.id}{owner}"))
            if not key.certificates and not key.certificate_signing_requests:
                lines.append("    " + _("no certificate, no CSR"))
        lines.append("")
    return lines[:-1] if lines else [_("The server reports no tokens.")]


def api_json(value: Any) -> Any:
    """An API model as X-Road writes it: every field, only ``null`` left out (Jackson's
    NON_NULL), so that ``false`` and ``[]`` are there for scripts to read."""
    import msgspec

    if isinstance(value, msgspec.Struct):
        fields = ((name, api_json(getattr(value, name))) for name in value.__struct_fields__)
        return {name: item for name, item in fields if item is not None}
    if isinstance(value, list | tuple):
        return [api_json(item) for item in value]
    if isinstance(value, dict):
        return {key: api_json(item) for key, item in value.items()}
    return value


def tokens_json(tokens: list[Token], now: datetime) -> list[dict[str, Any]]:
    """X-Road's ``Token`` objects as the API gives them, each certificate with ``days_left``."""
    data = api_json(tokens)
    for token, raw in zip(tokens, data, strict=True):
        for key, raw_key in zip(token.keys, raw["keys"], strict=True):
            for cert, raw_cert in zip(key.certificates, raw_key["certificates"], strict=True):
                raw_cert["days_left"] = cert.certificate_details.days_left(now)
    return data


# -- finding what the operator names -----------------------------------------------------------

@dataclass(frozen=True)
class Located:
    token: Token
    key: Key
    certificate: TokenCertificate | None = None


def find_key(tokens: list[Token], ref: str) -> Located:
    """The key with id ``ref``, else the one key labelled or named ``ref``."""
    keys = [(token, key) for token in tokens for key in token.keys]
    for token, key in keys:
        if key.id == ref:
            return Located(token, key)
    named = [(t, k) for t, k in keys if ref in (k.label, k.name)]
    if len(named) == 1:
        return Located(*named[0])
    if named:
        raise UsageError(
            _("{n} keys are labelled “{ref}”: give the key's id instead ({ids}).").format(
                n=len(named), ref=ref, ids=", ".join(k.id for _t, k in named)), _("Which key?"))
    raise UsageError(
        _("There is no key “{ref}” on the server. “kapka keys list” shows the keys and their "
          "ids.").format(ref=ref), _("No such key"))


_HEX = re.compile(r"[0-9A-F]+")
MIN_PREFIX = 8


def normalise_hash(ref: str) -> str:
    """A certificate hash as X-Road writes it: upper case, no ':' or spaces."""
    value = re.sub(r"[\s:]", "", ref).upper()
    if not _HEX.fullmatch(value) or len(value) > 64:
        raise UsageError(
            _("“{ref}” is not a certificate hash: expected the 64 hexadecimal digits (SHA-256) "
              "that “kapka keys list” shows, or at least the first {n} of them.").format(
                ref=ref, n=MIN_PREFIX), _("Not a hash"))
    if len(value) < MIN_PREFIX:
        raise UsageError(
            _("“{ref}” is too short to name one certificate: give at least {n} digits of its "
              "hash.").format(ref=ref, n=MIN_PREFIX), _("Hash too short"))
    return value


def find_certificate(tokens: list[Token], ref: str) -> Located:
    """The certificate whose hash is ``ref`` or starts with it (unambiguously)."""
    wanted = normalise_hash(ref)
    found = [Located(token, key, cert) for token in tokens for key in token.keys
             for cert in key.certificates
             if cert.certificate_details.hash.upper().startswith(wanted)]
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(
            _("{n} certificates have hashes starting with {ref}; give more digits.").format(
                n=len(found), ref=wanted), _("Which certificate?"))
    raise UsageError(
        _("There is no certificate with hash {ref} on the server. “kapka keys list” shows the "
          "certificates and their hashes.").format(ref=wanted), _("No such certificate"))
