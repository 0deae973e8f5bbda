"""What the keys screen shows: tree labels, the details of the selection, the delete cascade.

No widgets here; ``screens/keys.py`` puts these into the tree, the detail panel and dialogs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.text import Text
from textual.content import Content

from backend.api.models import Key, Token, TokenCertificate
from backend.i18n import N_, _, ngettext
from screens.dashboard_render import days_left, expiry_level, short_dn, when
from screens.keys_rules import AUTH, IN_REGISTRATION, SIGN, Selection
from screens.renew_state import Renewal

USAGE_SHORT = {AUTH: N_("auth"), SIGN: N_("sign")}

#: the actions each kind of object lists in the detail panel, in this order
RELEVANT = {
    "token": ("login", "logout", "change_pin", "generate", "import_cert"),
    "key": ("new_csr", "delete", "generate"),
    "certificate": ("renew", "activate", "disable", "register", "unregister", "delete"),
    "csr": ("download", "delete", "import_cert"),
}


def usage_word(usage: str | None) -> str:
    return _(USAGE_SHORT[usage]) if usage in USAGE_SHORT else _("usage not set")


def expiry_phrase(not_after: datetime, now: datetime | None = None) -> str:
    left = days_left(not_after, now)
    level = expiry_level(left)
    if level == "expired":
        return _("EXPIRED")
    mark = {"critical": " !!!", "urgent": " !!", "soon": " !"}.get(level, "")
    return ngettext("{n} day", "{n} days", left).format(n=left) + mark


def ocsp_word(cert: TokenCertificate) -> str:
    return (cert.ocsp_status or "—").removeprefix("OCSP_RESPONSE_")


def renewal_note(cert: TokenCertificate, renewal: Renewal | None) -> str:
    if renewal is None:
        return ""
    if renewal.old.hash == cert.certificate_details.hash:
        step = renewal.current
        return _("renewal: {step}").format(step=step.title.lower()) if step else _("renewal")
    return _("new certificate of a renewal")


# -- tree labels ----------------------------------------------------------------------------------

def token_label(token: Token) -> Text:
    state = _("logged in") if token.logged_in else _("LOGGED OUT")
    return Text.assemble((_("Token") + " ", "bold"), token.name, f" · {token.type} · "
                         f"{token.status} · {state}")


def key_label(key: Key) -> Text:
    name = key.name if key.name == key.label else f"{key.name} ({key.label})"
    counts = []
    if key.certificates:
        counts.append(ngettext("{n} cert", "{n} certs", len(key.certificates)).format(
            n=len(key.certificates)))
    if key.certificate_signing_requests:
        counts.append(ngettext("{n} CSR", "{n} CSRs", len(key.certificate_signing_requests))
                      .format(n=len(key.certificate_signing_requests)))
    tail = f" · {', '.join(counts)}" if counts else ""
    return Text.assemble((_("Key") + " ", "bold"), name, f" · {usage_word(key.usage)}{tail}")


def certificate_label(cert: TokenCertificate, renewal: Renewal | None = None,
                      now: datetime | None = None) -> Text:
    details = cert.certificate_details
    active = _("active") if cert.active else _("DISABLED")
    subject = details.subject_common_name or short_dn(details.subject_distinguished_name)
    note = renewal_note(cert, renewal)
    return Text.assemble(
        (_("Cert") + " ", "bold"), (expiry_phrase(details.not_after, now), "bold"),
        f" · {cert.status} · {active} · OCSP {ocsp_word(cert)} · {subject}",
        (f" · {note}" if note else "", "italic"))


def csr_label(sel: Selection) -> Text:
    assert sel.csr is not None
    owner = f" · {sel.csr.owner_id}" if sel.csr.owner_id else ""
    return Text.assemble((_("CSR") + " ", "bold"), f"{usage_word(sel.usage)}{owner} · "
                         f"{sel.csr.id[:12]}")


def label_for(sel: Selection, renewals: dict[str, Renewal], now: datetime | None = None) -> Text:
    if sel.kind == "token":
        return token_label(sel.token)
    if sel.kind == "key":
        assert sel.key is not None
        return key_label(sel.key)
    if sel.kind == "certificate":
        assert sel.cert is not None
        return certificate_label(sel.cert, renewals.get(sel.cert.certificate_details.hash), now)
    return csr_label(sel)


# -- details --------------------------------------------------------------------------------------

def _line(label: str, value: str) -> Content:
    return Content.assemble((f"{label:<13}", "$text-muted"), value)


def detail_lines(sel: Selection, renewal: Renewal | None = None,
                 now: datetime | None = None) -> list[Content]:
    """Facts about the selected object, one per line."""
    if sel.kind == "token":
        token = sel.token
        return [
            _line(_("Token"), _("{name} (id {id}, {type})").format(
                name=token.name, id=token.id, type=token.type)),
            _line(_("Status"), f"{token.status}; " + (_("logged in") if token.logged_in
                                                     else _("logged out"))
                  + ("" if token.available else "; " + _("not available"))),
            _line(_("Keys"), str(len(token.keys))),
        ]
    key = sel.key
    assert key is not None
    if sel.kind == "key":
        return [
            _line(_("Key"), _("{name} (label {label})").format(name=key.name, label=key.label)),
            _line(_("Id"), key.id),
            _line(_("Usage"), f"{key.usage or _('not set yet')}; {key.key_algorithm or '?'}"
                  + ("" if key.available else "; " + _("not available"))),
            _line(_("On token"), sel.token.name),
        ]
    if sel.kind == "csr":
        assert sel.csr is not None
        return [
            _line(_("CSR"), sel.csr.id),
            _line(_("Key"), f"{key.name} ({usage_word(key.usage)})"),
            _line(_("Member"), sel.csr.owner_id or "—"),
            _line(_("Profile"), sel.csr.certificate_profile or "—"),
        ]
    cert = sel.cert
    assert cert is not None
    details = cert.certificate_details
    member = f" · {_('member')} {cert.owner_id}" if cert.owner_id else ""
    lines = [
        _line(_("Certificate"), f"{details.subject_common_name or '—'} · "
              f"{usage_word(key.usage)} · {_('key')} {key.name}"),
        _line(_("State"), f"{cert.status}; " + (_("active") if cert.active else _("disabled"))
              + f"; OCSP {ocsp_word(cert)}"),
        _line(_("Valid"), f"{when(details.not_before)} – {when(details.not_after)} "
              f"({expiry_phrase(details.not_after, now)})"),
        _line(_("Issuer"), f"{details.issuer_common_name or details.issuer_distinguished_name}"
              f"{member}"),
    ]
    if renewal is not None:
        lines.append(_line(_("Renewal"), renewal_note(cert, renewal) + _(" (R shows the steps)")))
    lines.append(Content.assemble(("SHA-256 ", "$text-muted"), details.hash))
    lines.append(_line(_("Subject"), details.subject_distinguished_name))
    return lines


def action_lines(sel: Selection, describe: Callable[[str], tuple[str, str, str | None]]
                 ) -> list[Content]:
    """One line per action that applies to the selection: key, what it does, why not."""
    lines = []
    for action in RELEVANT[sel.kind]:
        key, description, reason = describe(action)
        if not key:
            continue
        state = (Content.styled("✓ " + _("available"), "$text-success") if reason is None
                 else Content.styled("✗ " + reason, "$text-muted"))
        lines.append(Content.assemble((f"{key:>3} ", "bold"), (f"{description:<16} ", ""), state))
    return lines


# -- deleting: what goes with it ------------------------------------------------------------------

@dataclass(frozen=True)
class ClientsUsing:
    """The clients of a member, who sign with its signing certificates (or why not known)."""

    member_id: str
    clients: tuple[str, ...] = ()
    problem: str | None = None  # set when the list could not be determined


@dataclass
class DeletePlan:
    title: str
    lines: list[Content] = field(default_factory=list)
    acknowledgement: str | None = None
    confirm_label: str = ""


def _cert_line(cert: TokenCertificate, usage: str | None, now: datetime | None) -> str:
    details = cert.certificate_details
    return _("{usage} certificate {subject}: {status}, {active}, expires in {left}").format(
        usage=usage_word(usage), subject=details.subject_common_name or details.hash[:16],
        status=cert.status, active=_("active") if cert.active else _("disabled"),
        left=expiry_phrase(details.not_after, now))


def other_sign_certificates(tokens: Iterable[Token], member_id: str, leaving: set[str],
                            now: datetime | None = None) -> int:
    """How many usable signing certificates the member keeps (not deleted, active, valid)."""
    now = now or datetime.now(UTC)
    return sum(
        1 for token in tokens for key in token.keys for cert in key.certificates
        if key.usage == SIGN and cert.owner_id == member_id and cert.active
        and cert.certificate_details.hash not in leaving
        and cert.certificate_details.not_after > now)


def sign_members(sel: Selection) -> list[str]:
    """The members whose signing certificates a deletion of ``sel`` removes."""
    if sel.usage != SIGN:
        return []
    certs = [sel.cert] if sel.cert is not None else (
        sel.key.certificates if sel.kind == "key" and sel.key is not None else [])
    return sorted({cert.owner_id for cert in certs if cert is not None and cert.owner_id})


def _clients_lines(tokens: list[Token], member: str, using: ClientsUsing | None,
                   leaving: set[str], now: datetime | None) -> list[Content]:
    lines: list[Content] = []
    if using is None or using.problem is not None:
        lines.append(Content.assemble("  ", (_("Which clients of {member} use it could not be "
                                               "determined: {why}").format(
            member=member, why=using.problem if using else _("not asked")), "italic")))
    elif using.clients:
        lines.append(Content("  " + _("Clients of {member} that sign with it: {clients}").format(
            member=member, clients=", ".join(using.clients))))
    else:
        lines.append(Content("  " + _("No client of {member} is on this server.").format(
            member=member)))
    if other_sign_certificates(tokens, member, leaving, now) == 0:
        lines.append(Content.styled("  " + _("{member} keeps no other usable signing certificate: "
                                             "its clients can no longer sign messages.").format(
            member=member), "bold $text-error"))
    return lines


def delete_plan(sel: Selection, tokens: list[Token], clients: dict[str, ClientsUsing],
                now: datetime | None = None) -> DeletePlan:
    """What deleting the selection removes, and what the operator must type to confirm."""
    key = sel.key
    assert key is not None
    if sel.kind == "csr":
        assert sel.csr is not None
        return DeletePlan(
            _("Delete CSR"),
            [Content(_("Deletes CSR {id} of key {key}. The key stays; a certificate the CA "
                       "issues for this CSR can still be imported.").format(
                id=sel.csr.id, key=key.name))],
            None, _("Delete CSR"))
    if sel.kind == "certificate":
        cert = sel.cert
        assert cert is not None
        details = cert.certificate_details
        lines = [Content(_("Deletes this certificate from the token:")),
                 Content("  " + _cert_line(cert, key.usage, now)),
                 Content("  " + _("SHA-256 {hash}").format(hash=details.hash))]
        leaving = {details.hash}
        for member in sign_members(sel):
            lines.extend(_clients_lines(tokens, member, clients.get(member), leaving, now))
        registered = cert.status in (*IN_REGISTRATION, "DELETION_IN_PROGRESS")
        return DeletePlan(_("Delete certificate"), lines,
                          details.hash[:8] if registered or key.usage == SIGN else None,
                          _("Delete certificate"))
    leaving = {cert.certificate_details.hash for cert in key.certificates}
    lines = [Content(_("Deletes key {name} (label {label}, id {id}) from token {token}, and "
                       "with it:").format(name=key.name, label=key.label, id=key.id,
                                          token=sel.token.name))]
    for cert in key.certificates:
        lines.append(Content("  • " + _cert_line(cert, key.usage, now)))
    for csr in key.certificate_signing_requests:
        lines.append(Content("  • " + _("CSR {id}").format(id=csr.id)
                             + (f" ({csr.owner_id})" if csr.owner_id else "")))
    if not key.certificates and not key.certificate_signing_requests:
        lines.append(Content("  " + _("no certificates and no CSRs")))
    for member in sign_members(sel):
        lines.extend(_clients_lines(tokens, member, clients.get(member), leaving, now))
    if key.usage == AUTH and any(c.status in IN_REGISTRATION for c in key.certificates):
        lines.append(Content.styled(_("Its authentication certificate is registered: X-Road will "
                                      "warn and, if you confirm, unregister it."),
                                    "bold $text-warning"))
    return DeletePlan(_("Delete key"), lines, (key.label or key.id).strip() or key.id,
                      _("Delete key"))
