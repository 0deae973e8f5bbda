"""Where a certificate renewal stands, read back from the token (no widgets, nothing stored locally).

A manual renewal spans days (the CA signs, the central server approves, other servers must see the
new certificate), so its progress is derived from what the server shows:

* the *old* certificate is the one the operator renews; the *new* key is another key on a token
  with the same usage (and, for signing, the same member) that either holds a certificate that
  expires later than the old one or holds only a CSR; the old certificate's ``renewed_cert_hash``
  (set by X-Road's ACME renewal) names the new certificate directly when present;
* opened on the newer certificate of such a pair, the older one is taken as the old certificate;
* each step is then done, next, waiting (for the CA, the central server, OCSP or time) or later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from backend.api.models import Key, Token, TokenCertificate, TokenCertificateSigningRequest
from backend.i18n import _
from screens.keys_rules import AUTH, IN_REGISTRATION, SIGN

#: how long the new certificate should be in use before the old one is retired (xrdsst: a day)
PROPAGATION = timedelta(days=1)
DONE, NEXT, WAITING, LATER, SKIPPED = "done", "next", "waiting", "later", "skipped"


@dataclass(frozen=True)
class CertRef:
    token: Token
    key: Key
    cert: TokenCertificate

    @property
    def hash(self) -> str:
        return self.cert.certificate_details.hash


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    state: str  # done, next, waiting, later, skipped
    detail: str
    action: str | None = None  # the renew screen's action that does this step


@dataclass(frozen=True)
class Renewal:
    old: CertRef
    usage: str
    member_id: str | None
    new_token: Token | None
    new_key: Key | None
    new_csr: TokenCertificateSigningRequest | None
    new_cert: TokenCertificate | None
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def current(self) -> Step | None:
        """The first step to do now, else the first one waiting (None: nothing left here)."""
        return (next((s for s in self.steps if s.state == NEXT), None)
                or next((s for s in self.steps if s.state == WAITING), None))

    @property
    def started(self) -> bool:
        return self.new_key is not None

    @property
    def new_hash(self) -> str | None:
        return self.new_cert.certificate_details.hash if self.new_cert is not None else None


Add = Callable[..., None]  # add(step_id, title, state, detail, action=None)


def _refs(tokens: Iterable[Token]) -> list[CertRef]:
    return [CertRef(token, key, cert) for token in tokens for key in token.keys
            for cert in key.certificates]


def _member(ref: CertRef) -> str | None:
    return ref.cert.owner_id if ref.key.usage == SIGN else None


def _same_purpose(ref: CertRef, usage: str, member: str | None) -> bool:
    return ref.key.usage == usage and (usage != SIGN or ref.cert.owner_id == member)


def _older_partner(refs: list[CertRef], chosen: CertRef) -> CertRef | None:
    """When ``chosen`` is the new certificate of a renewal, the old one."""
    for ref in refs:
        if ref.cert.renewed_cert_hash and ref.cert.renewed_cert_hash.upper() == chosen.hash.upper():
            return ref
    usage, member = chosen.key.usage or "", _member(chosen)
    older = [ref for ref in refs if ref.key.id != chosen.key.id
             and _same_purpose(ref, usage, member)
             and ref.cert.certificate_details.not_after < chosen.cert.certificate_details.not_after]
    return max(older, key=lambda r: r.cert.certificate_details.not_after, default=None)


def _new_parts(tokens: list[Token], refs: list[CertRef], old: CertRef
               ) -> tuple[Token | None, Key | None, TokenCertificateSigningRequest | None,
                          TokenCertificate | None]:
    usage, member = old.key.usage or "", _member(old)
    if old.cert.renewed_cert_hash:
        named = next((r for r in refs if r.hash.upper() == old.cert.renewed_cert_hash.upper()),
                     None)
        if named is not None:
            return named.token, named.key, None, named.cert
    newer = [ref for ref in refs if ref.key.id != old.key.id and _same_purpose(ref, usage, member)
             and ref.cert.certificate_details.not_after > old.cert.certificate_details.not_after]
    if newer:
        best = max(newer, key=lambda r: r.cert.certificate_details.not_after)
        return best.token, best.key, None, best.cert
    pending: tuple[Token | None, Key | None, TokenCertificateSigningRequest | None] = (
        None, None, None)
    for token in tokens:
        for key in token.keys:
            if key.id == old.key.id or key.usage != usage or key.certificates:
                continue
            csrs = [csr for csr in key.certificate_signing_requests
                    if usage != SIGN or csr.owner_id == member]
            if csrs:
                pending = (token, key, csrs[-1])
    return (*pending, None)


def find_renewal(tokens: Iterable[Token], cert_hash: str, now: datetime | None = None
                 ) -> Renewal | None:
    """The renewal of the certificate ``cert_hash`` (or the one it renews); None if it is gone."""
    tokens = list(tokens)
    refs = _refs(tokens)
    chosen = next((r for r in refs if r.hash.upper() == cert_hash.upper()), None)
    if chosen is None or chosen.key.usage not in (AUTH, SIGN):
        return None
    old = chosen if chosen.cert.renewed_cert_hash else (_older_partner(refs, chosen) or chosen)
    new_token, new_key, new_csr, new_cert = _new_parts(tokens, refs, old)
    usage = old.key.usage or ""
    steps = _steps(old, usage, new_key, new_csr, new_cert, now or datetime.now(UTC))
    return Renewal(old=old, usage=usage, member_id=_member(old), new_token=new_token,
                   new_key=new_key, new_csr=new_csr, new_cert=new_cert, steps=steps)


def renewals_in_progress(tokens: Iterable[Token], now: datetime | None = None
                         ) -> dict[str, Renewal]:
    """Every started renewal, by the hash of its old and of its new certificate."""
    tokens = list(tokens)
    found: dict[str, Renewal] = {}
    for ref in _refs(tokens):
        if ref.hash in found:
            continue
        renewal = find_renewal(tokens, ref.hash, now)
        if renewal is None or not renewal.started or renewal.old.hash in found:
            continue
        found[renewal.old.hash] = renewal
        if renewal.new_hash:
            found[renewal.new_hash] = renewal
    return found


def _when(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _in_use_missing(new_cert: TokenCertificate, now: datetime) -> list[str]:
    missing = []
    if new_cert.status != "REGISTERED":
        missing.append(_("registered (it is {status})").format(status=new_cert.status))
    if not new_cert.active:
        missing.append(_("active"))
    if new_cert.ocsp_status != "OCSP_RESPONSE_GOOD":
        missing.append(_("OCSP status GOOD (it is {status}; the signer fetches it)").format(
            status=(new_cert.ocsp_status or _("not checked yet")).removeprefix("OCSP_RESPONSE_")))
    ready_at = new_cert.certificate_details.not_before + PROPAGATION
    if now < ready_at:
        missing.append(_("in use for a day: X-Road's toolkit advises waiting at least a day so "
                         "that every security server has the new global configuration; the "
                         "certificate was issued {issued}, wait until {ready}").format(
            issued=_when(new_cert.certificate_details.not_before), ready=_when(ready_at)))
    return missing


def _steps(old: CertRef, usage: str, new_key: Key | None,
           new_csr: TokenCertificateSigningRequest | None, new_cert: TokenCertificate | None,
           now: datetime) -> tuple[Step, ...]:
    ca = old.cert.certificate_details.issuer_common_name
    steps: list[Step] = []

    def add(step_id: str, title: str, state: str, detail: str, action: str | None = None) -> None:
        steps.append(Step(step_id, title, state, detail, action))

    if new_key is not None:
        add("generate", _("New key and CSR"), DONE, _("Key {label}.").format(label=new_key.label))
    else:
        add("generate", _("New key and CSR"), NEXT,
            _("Generate a new key and a CSR for {ca} with the old certificate's subject.").format(
                ca=ca), "generate")
    if new_cert is not None:
        add("export", _("Send the CSR to the CA"), DONE, _("The CA has signed it."))
        add("import", _("Import the new certificate"), DONE,
            _("Imported; it expires {date}.").format(
                date=_when(new_cert.certificate_details.not_after)))
    elif new_csr is not None:
        add("export", _("Send the CSR to the CA"), NEXT,
            _("Download the CSR (s) and send it to {ca}. Kapka cannot see whether it was sent: "
              "this step is done when the certificate is imported.").format(ca=ca), "download")
        add("import", _("Import the new certificate"), WAITING,
            _("Waiting for {ca} to sign the CSR. Import the certificate (i) when it "
              "arrives.").format(ca=ca), "import")
    elif new_key is not None:
        add("export", _("Send the CSR to the CA"), NEXT,
            _("The new key has no CSR any more: generate one again for it."), "new_csr")
        add("import", _("Import the new certificate"), LATER, _("After the CA has signed it."))
    else:
        add("export", _("Send the CSR to the CA"), LATER, _("After the CSR is generated."))
        add("import", _("Import the new certificate"), LATER, _("After the CA has signed it."))
    _registration_steps(add, usage, new_cert)
    in_use = _in_use_step(add, steps, new_cert, now)
    _retire_steps(add, old, usage, in_use)
    return tuple(steps)


def _registration_steps(add: Add, usage: str, new_cert: TokenCertificate | None) -> None:
    if usage == SIGN:
        add("register", _("Register the new certificate"), SKIPPED,
            _("Signing certificates are registered when they are imported."))
    elif new_cert is None:
        add("register", _("Register the new certificate"), LATER,
            _("After the import: the central server must approve it."))
    elif new_cert.status == "REGISTERED":
        add("register", _("Register the new certificate"), DONE,
            _("The central server approved it."))
    elif new_cert.status == "REGISTRATION_IN_PROGRESS":
        add("register", _("Register the new certificate"), WAITING,
            _("Waiting for the central server to approve it; the status becomes REGISTERED "
              "after the next global configuration download."))
    else:
        add("register", _("Register the new certificate"), NEXT,
            _("Send the registration request with this server's public address (it is "
              "{status}).").format(status=new_cert.status), "register")
    if new_cert is None:
        add("activate", _("Activate the new certificate"), LATER, _("After the import."))
    elif new_cert.active:
        add("activate", _("Activate the new certificate"), DONE, _("It is active."))
    else:
        detail = _("Activate it so that it is used.")
        if new_cert.ocsp_verify_before_activation_error:
            detail += " " + _("The server reported: {error}").format(
                error=new_cert.ocsp_verify_before_activation_error)
        add("activate", _("Activate the new certificate"), NEXT, detail, "activate")


def _in_use_step(add: Add, steps: list[Step], new_cert: TokenCertificate | None,
                 now: datetime) -> bool:
    title = _("New certificate in use")
    if new_cert is None:
        add("in_use", title, LATER, _("After it is imported, registered and active."))
        return False
    missing = _in_use_missing(new_cert, now)
    if not missing:
        add("in_use", title, DONE, _("Registered, active, OCSP GOOD, for more than a day."))
        return True
    if any(s.state == NEXT for s in steps):
        add("in_use", title, LATER, _("After the steps above."))
        return False
    add("in_use", title, WAITING, _("Waiting until it is {what}.").format(
        what="; ".join(missing)))
    return False


def _retire_steps(add: Add, old: CertRef, usage: str, in_use: bool) -> None:
    cert = old.cert
    if not cert.active:
        add("disable_old", _("Disable the old certificate"), DONE, _("It is disabled."))
        disabled = True
    else:
        add("disable_old", _("Disable the old certificate"), NEXT if in_use else LATER,
            _("Stop using the old certificate.") if in_use
            else _("When the new certificate is in use."), "disable_old" if in_use else None)
        disabled = False
    unregistered = True
    if usage == SIGN:
        add("unregister_old", _("Unregister the old certificate"), SKIPPED,
            _("Only authentication certificates are unregistered."))
    elif cert.status == "DELETION_IN_PROGRESS":
        add("unregister_old", _("Unregister the old certificate"), DONE,
            _("The deletion request is sent."))
    elif cert.status not in IN_REGISTRATION:
        add("unregister_old", _("Unregister the old certificate"), SKIPPED,
            _("It is not registered ({status}).").format(status=cert.status))
    else:
        unregistered = False
        add("unregister_old", _("Unregister the old certificate"), NEXT if disabled else LATER,
            _("Send the deletion request to the central server.") if disabled
            else _("After it is disabled."), "unregister_old" if disabled else None)
    ready = disabled and unregistered
    add("delete_old", _("Delete the old certificate"), NEXT if ready else LATER,
        _("Remove it from the token; this cannot be undone.") if ready
        else _("After it is disabled and unregistered."), "delete_old" if ready else None)


# -- the old certificate's subject, for the new CSR -----------------------------------------------

_ATTRIBUTE_IDS = {
    "CN": "CN", "C": "C", "O": "O", "OU": "OU", "L": "L", "ST": "ST",
    "SERIALNUMBER": "serialNumber", "OID.2.5.4.5": "serialNumber", "2.5.4.5": "serialNumber",
    "BUSINESSCATEGORY": "businessCategory", "OID.2.5.4.15": "businessCategory",
    "2.5.4.15": "businessCategory",
}


def subject_values(distinguished_name: str) -> dict[str, str]:
    """``CN=SS1, SERIALNUMBER=7000, O="A, B", C=KG`` → CSR subject field values by field id."""
    values: dict[str, str] = {}
    for part in re.findall(r'(?:[^,"\\]|\\.|"(?:[^"\\]|\\.)*")+', distinguished_name):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        value = re.sub(r"\\(.)", r"\1", value)
        field = _ATTRIBUTE_IDS.get(name.strip().upper(), name.strip())
        values.setdefault(field, value)
    return values
