"""What may be done to a token, key, certificate or CSR now, and if not, why (no widgets here).

Two things decide, as in X-Road's web UI: the object's ``possible_actions`` (the server's rule
engine) and the caller's permissions (``GET /user``). Kapka adds read-only mode. A disabled action
always comes with a reason the operator can act on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backend.api.models import Key, Token, TokenCertificate, TokenCertificateSigningRequest
from backend.i18n import N_, _

SO = "XROAD_SECURITY_OFFICER"
RO = "XROAD_REGISTRATION_OFFICER"
SA = "XROAD_SERVICE_ADMINISTRATOR"
SY = "XROAD_SYSTEM_ADMINISTRATOR"
OB = "XROAD_SECURITYSERVER_OBSERVER"

ROLE_WORDS = {SO: N_("security officer"), RO: N_("registration officer"),
              SA: N_("service administrator"), SY: N_("system administrator"),
              OB: N_("observer")}

#: the roles that grant each permission these screens need (X-Road's ``permissions.yml``)
GRANTED_BY: dict[str, tuple[str, ...]] = {
    "ACTIVATE_DEACTIVATE_TOKEN": (SO, SY),
    "UPDATE_TOKEN_PIN": (SY,),
    "GENERATE_KEY": (SO, RO),
    "GENERATE_AUTH_CERT_REQ": (SO,),
    "GENERATE_SIGN_CERT_REQ": (SO, RO),
    "IMPORT_AUTH_CERT": (SO,),
    "IMPORT_SIGN_CERT": (SO, RO),
    "ACTIVATE_DISABLE_AUTH_CERT": (SO,),
    "ACTIVATE_DISABLE_SIGN_CERT": (SO, RO),
    "SEND_AUTH_CERT_REG_REQ": (SO,),
    "SEND_AUTH_CERT_DEL_REQ": (SO,),
    "DELETE_AUTH_CERT": (SO,),
    "DELETE_SIGN_CERT": (SO, RO),
    "DELETE_KEY": (SO, RO),
    "DELETE_AUTH_KEY": (SO,),
    "DELETE_SIGN_KEY": (SO, RO),
    "VIEW_CLIENTS": (SO, RO, SA, OB),
}

AUTH, SIGN = "AUTHENTICATION", "SIGNING"
IN_REGISTRATION = ("REGISTRATION_IN_PROGRESS", "REGISTERED")

# the screen's actions that change the server (disabled in read-only mode)
WRITE_ACTIONS = frozenset({
    "login", "logout", "change_pin", "generate", "new_csr", "import_cert", "activate",
    "disable", "register", "unregister", "delete",
})


@dataclass(frozen=True)
class Selection:
    """One object of the tree with the objects above it."""

    token: Token
    key: Key | None = None
    cert: TokenCertificate | None = None
    csr: TokenCertificateSigningRequest | None = None

    @property
    def kind(self) -> str:
        if self.cert is not None:
            return "certificate"
        if self.csr is not None:
            return "csr"
        if self.key is not None:
            return "key"
        return "token"

    @property
    def ident(self) -> str:
        """A stable id, to find the object again after a reload."""
        if self.cert is not None:
            return f"cert:{self.cert.certificate_details.hash}"
        if self.csr is not None and self.key is not None:
            return f"csr:{self.key.id}:{self.csr.id}"
        if self.key is not None:
            return f"key:{self.key.id}"
        return f"token:{self.token.id}"

    @property
    def usage(self) -> str | None:
        return self.key.usage if self.key is not None else None


def selections(tokens: Iterable[Token]) -> list[Selection]:
    """Every object of the tree, in tree order."""
    found: list[Selection] = []
    for token in tokens:
        found.append(Selection(token))
        for key in token.keys:
            found.append(Selection(token, key))
            found.extend(Selection(token, key, cert=cert) for cert in key.certificates)
            found.extend(Selection(token, key, csr=csr) for csr in key.certificate_signing_requests)
    return found


def find(tokens: Iterable[Token], ident: str) -> Selection | None:
    return next((s for s in selections(tokens) if s.ident == ident), None)


def find_certificate(tokens: Iterable[Token], cert_hash: str) -> Selection | None:
    return find(tokens, f"cert:{cert_hash.upper()}") or find(tokens, f"cert:{cert_hash}")


# -- permissions --------------------------------------------------------------------------------

def _by_usage(usage: str | None, auth: str, sign: str, either: tuple[str, ...]) -> tuple[str, ...]:
    if usage == AUTH:
        return (auth,)
    if usage == SIGN:
        return (sign,)
    return either


def required_permissions(action: str, sel: Selection | None) -> list[tuple[str, ...]]:
    """The permissions an action needs: every group, and any one permission of each group."""
    usage = sel.usage if sel is not None else None
    csr_any = ("GENERATE_AUTH_CERT_REQ", "GENERATE_SIGN_CERT_REQ")
    kind = sel.kind if sel is not None else ""
    if action in ("login", "logout"):
        return [("ACTIVATE_DEACTIVATE_TOKEN",)]
    if action == "change_pin":
        return [("UPDATE_TOKEN_PIN",)]
    if action == "generate":
        return [("GENERATE_KEY",), csr_any]
    if action in ("new_csr", "download"):
        return [_by_usage(usage, *csr_any, csr_any)]
    if action == "import_cert":
        return [("IMPORT_AUTH_CERT", "IMPORT_SIGN_CERT")]
    if action in ("activate", "disable"):
        return [_by_usage(usage, "ACTIVATE_DISABLE_AUTH_CERT", "ACTIVATE_DISABLE_SIGN_CERT",
                          ("ACTIVATE_DISABLE_AUTH_CERT", "ACTIVATE_DISABLE_SIGN_CERT"))]
    if action == "register":
        return [("SEND_AUTH_CERT_REG_REQ",)]
    if action == "unregister":
        return [("SEND_AUTH_CERT_DEL_REQ",)]
    if action == "delete" and kind in ("certificate", "csr"):
        return [_by_usage(usage, "DELETE_AUTH_CERT", "DELETE_SIGN_CERT",
                          ("DELETE_AUTH_CERT", "DELETE_SIGN_CERT"))]
    if action == "delete" and kind == "key":
        return [_by_usage(usage, "DELETE_AUTH_KEY", "DELETE_SIGN_KEY", ("DELETE_KEY",))]
    return []  # renew: anyone may follow a renewal; each of its steps says what it needs


def role_phrase(roles: Iterable[str]) -> str:
    words = [_(ROLE_WORDS[role]) for role in (SO, RO, SA, SY, OB) if role in set(roles)]
    if not words:
        return _("needs a role this API key does not have")
    if len(words) == 1:
        return _("needs the {role} role").format(role=words[0])
    return _("needs the {roles} or {last} role").format(roles=", ".join(words[:-1]),
                                                        last=words[-1])


def missing_role(action: str, sel: Selection | None, permissions: frozenset[str] | None
                 ) -> str | None:
    """Why the caller may not do this ("needs the security officer role"), or None."""
    if permissions is None:  # not known (yet): the server decides
        return None
    for group in required_permissions(action, sel):
        if not permissions.intersection(group):
            roles = {role for permission in group for role in GRANTED_BY.get(permission, ())}
            return role_phrase(roles)
    return None


# -- the object's state ---------------------------------------------------------------------------

SELECT_HINT = {
    "download": N_("select a CSR"),
    "activate": N_("select a certificate"),
    "disable": N_("select a certificate"),
    "register": N_("select an authentication certificate"),
    "unregister": N_("select an authentication certificate"),
    "delete": N_("select a key, certificate or CSR"),
    "renew": N_("select a certificate"),
    "new_csr": N_("select a key"),
}

#: the ``possible_actions`` value behind each action, per kind of object
POSSIBLE = {
    ("login", "token"): "LOGIN", ("logout", "token"): "LOGOUT",
    ("change_pin", "token"): "TOKEN_CHANGE_PIN", ("generate", "token"): "GENERATE_KEY",
    ("activate", "certificate"): "ACTIVATE", ("disable", "certificate"): "DISABLE",
    ("register", "certificate"): "REGISTER", ("unregister", "certificate"): "UNREGISTER",
    ("delete", "certificate"): "DELETE", ("delete", "key"): "DELETE", ("delete", "csr"): "DELETE",
}

TOKEN_ACTIONS = frozenset({"login", "logout", "change_pin", "generate"})


def _target_kind(action: str, sel: Selection) -> str | None:
    """Which object of the selection the action applies to (None: it does not apply here)."""
    if action in TOKEN_ACTIONS:
        return "token"
    if action in ("activate", "disable", "register", "unregister", "renew"):
        return "certificate" if sel.kind == "certificate" else None
    if action == "download":
        return "csr" if sel.kind == "csr" else None
    if action == "new_csr":
        return "key" if sel.kind == "key" else None
    if action == "delete":
        return sel.kind if sel.kind != "token" else None
    return sel.kind


def _possible_actions(kind: str, sel: Selection) -> list[str]:
    if kind == "token":
        return sel.token.possible_actions
    if kind == "key" and sel.key is not None:
        return sel.key.possible_actions
    if kind == "certificate" and sel.cert is not None:
        return sel.cert.possible_actions
    if kind == "csr" and sel.csr is not None:
        return sel.csr.possible_actions
    return []


def _token_state(action: str, token: Token) -> str:
    if not token.available:
        return _("token is not available")
    if action == "login":
        return _("token is already logged in") if token.logged_in else _("token does not accept a "
                                                                         "login now")
    if action == "change_pin" and token.type != "SOFTWARE":
        return _("only the software token's PIN can be changed here")
    if not token.logged_in:
        return _("token is logged out: log in first (l)")
    return _("the server does not offer it for this token")


def _certificate_state(action: str, sel: Selection) -> str:
    cert = sel.cert
    assert cert is not None
    usage = sel.usage
    if action in ("register", "unregister") and usage != AUTH:
        return _("only authentication certificates are registered")
    if action == "register":
        if cert.status in IN_REGISTRATION:
            return _("certificate is already {status}").format(status=cert.status)
        return _("certificate is {status}, not SAVED").format(status=cert.status)
    if action == "unregister":
        return _("certificate is not registered ({status})").format(status=cert.status)
    if action in ("activate", "disable") and not cert.saved_to_configuration:
        return _("certificate is not saved to the configuration")
    if action == "activate":
        return _("certificate is already active") if cert.active else _(
            "the server does not allow activating it now")
    if action == "disable":
        return _("certificate is already disabled") if not cert.active else _(
            "the server does not allow disabling it now")
    if action == "delete":
        if "UNREGISTER" in cert.possible_actions:
            return _("certificate is registered: unregister it first (G)")
        if not sel.token.logged_in:
            return _("token is logged out: log in first (l)")
    return _("the server does not offer it for this certificate")


def _key_state(action: str, sel: Selection) -> str:
    key = sel.key
    assert key is not None
    if not sel.token.logged_in:
        return _("token is logged out: log in first (l)")
    if action == "new_csr" and key.certificates:
        return _("key already has a certificate: renew with a new key instead")
    if action == "new_csr" and not key.available:
        return _("key is not available")
    return _("the server does not offer it for this key")


def state_reason(action: str, sel: Selection) -> str | None:
    """Why the selected object does not allow the action now (from ``possible_actions``)."""
    kind = _target_kind(action, sel)
    if kind is None:
        hint = SELECT_HINT.get(action)
        return _(hint) if hint else None
    if action == "renew":
        if sel.usage not in (AUTH, SIGN):
            return _("the key's usage is not known")
        return None
    if action == "new_csr":
        wanted = {AUTH: "GENERATE_AUTH_CSR", SIGN: "GENERATE_SIGN_CSR"}.get(sel.usage or "")
        offered = set(_possible_actions("key", sel))
        if (wanted and wanted in offered) or (
                wanted is None and offered & {"GENERATE_AUTH_CSR", "GENERATE_SIGN_CSR"}):
            return None
        return _("not possible: {why}").format(why=_key_state(action, sel))
    possible = POSSIBLE.get((action, kind))
    if possible is None or possible in _possible_actions(kind, sel):
        return None
    if kind == "token":
        why = _token_state(action, sel.token)
    elif kind == "certificate":
        why = _certificate_state(action, sel)
    elif kind == "key":
        why = _key_state(action, sel)
    else:
        why = (_("token is logged out: log in first (l)") if not sel.token.logged_in
               else _("the server does not offer it for this CSR"))
    return _("not possible: {why}").format(why=why)


def action_reason(action: str, sel: Selection | None, *, permissions: frozenset[str] | None,
                  read_only: bool) -> str | None:
    """Why ``action`` is disabled for ``sel`` (None: it is enabled).

    Read-only mode first, then whether the selection is the right kind of object, then the
    caller's roles, then the object's state.
    """
    if read_only and action in WRITE_ACTIONS:
        return _("read-only")
    if sel is None:
        if action in ("refresh", "expiry", "import_cert"):
            return missing_role(action, None, permissions)
        return _("nothing selected")
    kind = _target_kind(action, sel)
    if kind is None and action in SELECT_HINT:
        return _(SELECT_HINT[action])
    role = missing_role(action, sel, permissions)
    if role is not None:
        return role
    return state_reason(action, sel)
