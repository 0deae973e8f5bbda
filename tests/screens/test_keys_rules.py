"""Why an action is disabled: read-only, the kind of object, the caller's roles, the object's state."""

from __future__ import annotations

from keys_support import MEMBER, NOW, certificate, csr, key, token

from screens.keys_render import ClientsUsing, delete_plan
from screens.keys_rules import Selection, action_reason, missing_role

AUTH, SIGN = "AUTHENTICATION", "SIGNING"
H1, H2 = "A1" * 32, "B2" * 32
OBSERVER = frozenset({"VIEW_KEYS", "VIEW_AUTH_CERT", "VIEW_SIGN_CERT"})
SECURITY_OFFICER = frozenset({
    "VIEW_KEYS", "ACTIVATE_DEACTIVATE_TOKEN", "GENERATE_KEY", "GENERATE_AUTH_CERT_REQ",
    "GENERATE_SIGN_CERT_REQ", "IMPORT_AUTH_CERT", "IMPORT_SIGN_CERT",
    "ACTIVATE_DISABLE_AUTH_CERT", "ACTIVATE_DISABLE_SIGN_CERT", "SEND_AUTH_CERT_REG_REQ",
    "SEND_AUTH_CERT_DEL_REQ", "DELETE_AUTH_CERT", "DELETE_SIGN_CERT", "DELETE_KEY",
    "DELETE_AUTH_KEY", "DELETE_SIGN_KEY"})


def cert_selection(usage: str = AUTH, logged_in: bool = True, **kwargs) -> Selection:
    cert = certificate(H1, **kwargs)
    k = key("k1", usage, certs=(cert,))
    return Selection(token(k, logged_in=logged_in), k, cert=cert)


def reason(action: str, sel: Selection | None, permissions=SECURITY_OFFICER,
           read_only: bool = False) -> str | None:
    return action_reason(action, sel, permissions=permissions, read_only=read_only)


def test_read_only_comes_first() -> None:
    sel = cert_selection(actions=("ACTIVATE",), active=False)
    assert reason("activate", sel) is None
    assert reason("activate", sel, read_only=True) == "read-only"
    assert reason("renew", sel, read_only=True) is None  # the renewal can still be looked at


def test_the_selection_must_be_the_right_kind() -> None:
    tok = token()
    assert reason("activate", Selection(tok)) == "select a certificate"
    assert reason("download", Selection(tok)) == "select a CSR"
    assert reason("delete", Selection(tok)) == "select a key, certificate or CSR"
    assert reason("activate", None) == "nothing selected"


def test_roles_say_which_role_is_needed() -> None:
    sign = cert_selection(SIGN, actions=("DISABLE",))
    auth = cert_selection(AUTH, actions=("DISABLE",))
    assert reason("disable", auth, OBSERVER) == "needs the security officer role"
    assert reason("disable", sign, OBSERVER) == \
        "needs the security officer or registration officer role"
    assert reason("login", Selection(token(logged_in=False)), OBSERVER) == \
        "needs the security officer or system administrator role"
    assert reason("change_pin", Selection(token()), SECURITY_OFFICER) == \
        "needs the system administrator role"
    assert missing_role("activate", auth, None) is None  # permissions not known: server decides


def test_possible_actions_say_why_not_in_words() -> None:
    assert reason("activate", cert_selection(actions=("DISABLE",))) == \
        "not possible: certificate is already active"
    assert reason("register", cert_selection(SIGN)) == \
        "not possible: only authentication certificates are registered"
    assert reason("unregister", cert_selection(status="SAVED", actions=("REGISTER",))) == \
        "not possible: certificate is not registered (SAVED)"
    assert reason("delete", cert_selection(actions=("UNREGISTER",))) == \
        "not possible: certificate is registered: unregister it first (G)"
    assert reason("generate", Selection(token(logged_in=False))) == \
        "not possible: token is logged out: log in first (l)"
    assert reason("login", Selection(token())) == "not possible: token is already logged in"
    assert reason("logout", Selection(token())) is None


def test_a_key_with_a_certificate_gets_no_new_csr() -> None:
    k = key("k1", SIGN, certs=(certificate(H1, owner=MEMBER),))
    assert reason("new_csr", Selection(token(k), k)) == \
        "not possible: key already has a certificate: renew with a new key instead"
    fresh = key("k2", SIGN, actions=("DELETE", "GENERATE_SIGN_CSR"))
    assert reason("new_csr", Selection(token(fresh), fresh)) is None


def test_deleting_a_key_lists_what_goes_with_it_and_asks_for_its_label() -> None:
    cert = certificate(H1, owner=MEMBER)
    k = key("k1", SIGN, certs=(cert,), csrs=(csr("c9", MEMBER),), label="sign key")
    plan = delete_plan(Selection(token(k), k), [token(k)], {
        MEMBER: ClientsUsing(MEMBER, problem="the server does not answer GET /clients")}, NOW)
    text = "\n".join(line.plain for line in plan.lines)
    assert plan.acknowledgement == "sign key"
    assert "sign certificate SS1: REGISTERED, active, expires in 100 days" in text
    assert "CSR c9" in text
    assert "could not be determined: the server does not answer GET /clients" in text
    assert "keeps no other usable signing certificate" in text


def test_deleting_a_sign_certificate_names_the_clients_and_what_remains() -> None:
    cert = certificate(H1, owner=MEMBER)
    other = certificate(H2, owner=MEMBER)
    k1, k2 = key("k1", SIGN, certs=(cert,)), key("k2", SIGN, certs=(other,))
    tokens = [token(k1, k2)]
    using = {MEMBER: ClientsUsing(MEMBER, (MEMBER, MEMBER + ":registry"))}
    plan = delete_plan(Selection(tokens[0], k1, cert=cert), tokens, using, NOW)
    text = "\n".join(line.plain for line in plan.lines)
    assert f"that sign with it: {MEMBER}, {MEMBER}:registry" in text
    assert "keeps no other" not in text
    assert plan.acknowledgement == H1[:8]


def test_an_unregistered_auth_certificate_and_a_csr_need_no_typed_word() -> None:
    sel = cert_selection(status="SAVED", active=False)
    assert delete_plan(sel, [sel.token], {}, NOW).acknowledgement is None
    k = key("k1", AUTH, csrs=(csr("c1"),))
    assert delete_plan(Selection(token(k), k, csr=k.certificate_signing_requests[0]),
                       [token(k)], {}, NOW).acknowledgement is None
