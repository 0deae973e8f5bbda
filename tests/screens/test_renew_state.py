"""Renewal progress derived from the tokens alone: each step's state at each point of a renewal."""

from __future__ import annotations

from datetime import timedelta

from keys_support import MEMBER, NOW, certificate, csr, key, token

from screens.renew_state import (
    DONE,
    LATER,
    NEXT,
    SKIPPED,
    WAITING,
    find_renewal,
    renewals_in_progress,
    subject_values,
)

AUTH, SIGN = "AUTHENTICATION", "SIGNING"
OLD = "AA" * 32
NEW = "BB" * 32


def states(renewal) -> dict[str, str]:
    return {step.id: step.state for step in renewal.steps}


def old_auth(**kwargs) -> object:
    return key("old", AUTH, certs=(certificate(OLD, days=20, **kwargs),))


def test_nothing_started_the_next_step_is_a_new_key() -> None:
    renewal = find_renewal([token(old_auth())], OLD, NOW)
    assert renewal is not None and not renewal.started
    assert states(renewal) == {
        "generate": NEXT, "export": LATER, "import": LATER, "register": LATER,
        "activate": LATER, "in_use": LATER, "disable_old": LATER, "unregister_old": LATER,
        "delete_old": LATER}
    assert renewal.current.id == "generate" and renewal.current.action == "generate"
    assert "Kapka Test CA" in renewal.current.detail


def test_a_new_key_with_a_csr_waits_for_the_ca() -> None:
    tokens = [token(old_auth(), key("new", AUTH, csrs=(csr("c1"),)))]
    renewal = find_renewal(tokens, OLD, NOW)
    assert renewal.new_key.id == "new" and renewal.new_csr.id == "c1"
    assert states(renewal)["generate"] == DONE
    assert renewal.step("export").state == NEXT and renewal.step("export").action == "download"
    assert renewal.step("import").state == WAITING and renewal.step("import").action == "import"
    assert renewal.current.id == "export"


def test_a_new_key_whose_csr_was_deleted_gets_a_new_csr() -> None:
    renewal = find_renewal([token(old_auth(), key("new", AUTH))], OLD, NOW)
    # a key without certificates or CSRs is not recognised as a renewal: nothing says so
    assert renewal.new_key is None
    tokens = [token(old_auth(), key("new", AUTH, csrs=(csr("c1"),)))]
    assert find_renewal(tokens, OLD, NOW).step("export").action == "download"


def test_an_imported_auth_certificate_is_registered_then_activated() -> None:
    new = certificate(NEW, days=365, issued_days_ago=0, status="SAVED", active=False, ocsp=None)
    renewal = find_renewal([token(old_auth(), key("new", AUTH, certs=(new,)))], OLD, NOW)
    assert renewal.new_hash == NEW
    s = states(renewal)
    assert (s["export"], s["import"], s["register"], s["activate"]) == (DONE, DONE, NEXT, NEXT)
    assert s["in_use"] == LATER and s["disable_old"] == LATER
    assert renewal.current.id == "register"


def test_registration_in_progress_is_waited_for() -> None:
    new = certificate(NEW, days=365, status="REGISTRATION_IN_PROGRESS", ocsp=None)
    renewal = find_renewal([token(old_auth(), key("new", AUTH, certs=(new,)))], OLD, NOW)
    s = states(renewal)
    assert s["register"] == WAITING and s["activate"] == DONE and s["in_use"] == WAITING
    assert renewal.current.id == "register"
    assert "central server" in renewal.current.detail
    assert "registered (it is REGISTRATION_IN_PROGRESS)" in renewal.step("in_use").detail


def test_the_old_certificate_waits_a_day_after_the_new_one_was_issued() -> None:
    new = certificate(NEW, days=365, issued_days_ago=0)
    renewal = find_renewal([token(old_auth(), key("new", AUTH, certs=(new,)))], OLD,
                           NOW + timedelta(hours=3))
    assert renewal.step("in_use").state == WAITING
    assert "wait until" in renewal.step("in_use").detail
    assert renewal.step("disable_old").state == LATER
    a_day_later = find_renewal([token(old_auth(), key("new", AUTH, certs=(new,)))], OLD,
                               NOW + timedelta(days=1, minutes=1))
    assert a_day_later.step("in_use").state == DONE
    assert a_day_later.current.id == "disable_old"


def test_retiring_the_old_certificate_disable_unregister_delete() -> None:
    new = certificate(NEW, days=365, issued_days_ago=3)
    def at(**old) -> object:
        return find_renewal([token(old_auth(**old), key("new", AUTH, certs=(new,)))], OLD, NOW)
    assert at().current.id == "disable_old"
    assert at(active=False).current.id == "unregister_old"
    done = at(active=False, status="DELETION_IN_PROGRESS")
    assert states(done)["unregister_old"] == DONE
    assert done.current.id == "delete_old" and done.current.action == "delete_old"


def test_signing_renewals_match_the_member_and_skip_registration() -> None:
    old = key("old", SIGN, certs=(certificate(OLD, days=10, owner=MEMBER),))
    other_member = key("other", SIGN, csrs=(csr("x", owner="KG:COM:50010001"),))
    assert find_renewal([token(old, other_member)], OLD, NOW).new_key is None
    new = key("new", SIGN, certs=(certificate(NEW, days=365, issued_days_ago=2, owner=MEMBER),))
    renewal = find_renewal([token(old, other_member, new)], OLD, NOW)
    assert renewal.member_id == MEMBER and renewal.new_key.id == "new"
    s = states(renewal)
    assert s["register"] == SKIPPED and s["unregister_old"] == SKIPPED
    assert renewal.current.id == "disable_old"


def test_opened_on_the_new_certificate_the_old_one_is_renewed() -> None:
    new = certificate(NEW, days=365, issued_days_ago=3)
    tokens = [token(old_auth(), key("new", AUTH, certs=(new,)))]
    renewal = find_renewal(tokens, NEW, NOW)
    assert renewal.old.hash == OLD and renewal.new_hash == NEW


def test_the_renewed_cert_hash_names_the_new_certificate() -> None:
    new = certificate(NEW, days=15, issued_days_ago=3)  # expires before the old one: ACME said so
    tokens = [token(key("old", AUTH, certs=(certificate(OLD, days=20, renewed=NEW),)),
                    key("new", AUTH, certs=(new,)))]
    assert find_renewal(tokens, OLD, NOW).new_hash == NEW


def test_a_certificate_that_is_gone_has_no_renewal() -> None:
    assert find_renewal([token(old_auth())], "CC" * 32, NOW) is None


def test_renewals_in_progress_are_found_by_old_and_new_hash() -> None:
    new = certificate(NEW, days=365)
    found = renewals_in_progress([token(old_auth(), key("new", AUTH, certs=(new,)))], NOW)
    assert set(found) == {OLD, NEW} and found[OLD] is found[NEW]
    assert renewals_in_progress([token(old_auth())], NOW) == {}


def test_subject_values_from_a_java_distinguished_name() -> None:
    dn = 'CN=Ala-Too State Registry Service, SERIALNUMBER=70000001, OID.2.5.4.15=GOV, ' \
         'O="Ala-Too, State \\"Registry\\"", C=KG'
    assert subject_values(dn) == {
        "CN": "Ala-Too State Registry Service", "serialNumber": "70000001",
        "businessCategory": "GOV", "O": 'Ala-Too, State "Registry"', "C": "KG"}
