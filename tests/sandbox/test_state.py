"""The sandbox's domain layer: first start, persistence, initialisation, token, keys, certificates."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from backend.errors import KapkaError
from backend.sandbox.errors import SandboxError
from backend.sandbox.hashing import api_key_digest
from backend.sandbox.paths import default_data_dir, is_sandbox_data_dir, reset_data_dir
from backend.sandbox.state import SandboxState
from backend.sandbox.views import ocsp_status
from tests.sandboxes import ADMIN_PASSWORD, OWNER_ID, PIN, populate


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_data_dir_is_under_the_user_data_dir() -> None:
    assert default_data_dir().parts[-2:] == ("kapka", "sandbox")


def test_first_start_generates_and_stores_the_admin_password(tmp_path: Path) -> None:
    data_dir = tmp_path / "new"
    state = SandboxState.open(data_dir)
    try:
        password = state.generated_admin_password
        assert password and len(password) >= 16
        assert mode(data_dir) == 0o700
        password_file = data_dir / "admin-password"
        assert mode(password_file) == 0o600
        assert password_file.read_text().strip() == password
        assert state.user_roles("admin", password) == [
            "XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER", "XROAD_SERVICE_ADMINISTRATOR",
            "XROAD_SYSTEM_ADMINISTRATOR", "XROAD_SECURITYSERVER_OBSERVER",
        ]
        assert state.user_roles("admin", "wrong") is None
        for key_file in (data_dir / "pki").glob("*.key"):
            assert mode(key_file) == 0o600
        assert is_sandbox_data_dir(data_dir)
    finally:
        state.close()
    again = SandboxState.open(data_dir)
    assert again.generated_admin_password is None
    again.close()


def test_given_admin_password_replaces_the_stored_one(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    SandboxState.open(data_dir).close()
    state = SandboxState.open(data_dir, admin_password="Another-Password-9")
    try:
        assert state.user_roles("admin", "Another-Password-9") is not None
        assert not (data_dir / "admin-password").exists()  # it would be stale
    finally:
        state.close()


def test_fresh_state_is_not_initialised(sandbox_state: SandboxState) -> None:
    conf = sandbox_state.server_conf()
    assert not conf["anchor_imported"] and not conf["server_code"]
    token = sandbox_state.token("0")
    assert not token["initialized"] and not token["logged_in"]
    assert not sandbox_state.global_conf_valid()
    assert sandbox_state.user_roles("admin", ADMIN_PASSWORD) is not None


def test_api_keys_are_stored_only_as_sha256(sandbox_state: SandboxState) -> None:
    key_id, key = sandbox_state.create_api_key(["XROAD_SECURITYSERVER_OBSERVER"])
    stored = sandbox_state.db.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
    assert stored["key_sha256"] == api_key_digest(key)
    assert key not in [str(value) for value in tuple(stored)]
    assert sandbox_state.api_key_for(key).roles == ["XROAD_SECURITYSERVER_OBSERVER"]
    with pytest.raises(SandboxError) as error:
        sandbox_state.create_api_key([])
    assert error.value.code == "invalid_role"


def test_state_persists_across_opens(sandbox_state: SandboxState) -> None:
    sandbox_state.import_own_anchor()
    sandbox_state.initialize("GOV", "70000002", "SS9", PIN)
    key_id, key = sandbox_state.create_api_key(["XROAD_SYSTEM_ADMINISTRATOR"])
    label_key = sandbox_state.generate_key("persisted")
    data_dir = sandbox_state.data_dir
    sandbox_state.close()
    state = SandboxState.open(data_dir)
    try:
        conf = state.server_conf()
        assert (conf["owner_member_code"], conf["server_code"]) == ("70000002", "SS9")
        assert state.api_key_for(key).id == key_id
        assert [row["id"] for row in state.keys("0")] == [label_key]
        assert not state.token("0")["logged_in"]  # a restarted signer needs the PIN again
        state.login_token(PIN)
        assert state.token("0")["logged_in"]
    finally:
        state.close()


def test_initialize_needs_the_anchor_and_happens_once(sandbox_state: SandboxState) -> None:
    with pytest.raises(SandboxError) as error:
        sandbox_state.initialize("GOV", "70000001", "SS1", PIN)
    assert (error.value.code, error.value.status) == ("anchor_not_found", 409)
    sandbox_state.import_own_anchor()
    with pytest.raises(SandboxError) as error:
        sandbox_state.import_own_anchor()
    assert error.value.code == "anchor_already_exists"
    with pytest.raises(SandboxError) as error:
        sandbox_state.initialize("XXX", "70000001", "SS1", PIN)
    assert error.value.code == "invalid_member_class"
    with pytest.raises(SandboxError) as error:
        sandbox_state.initialize("GOV", "", "SS1", "")
    assert error.value.metadata == ["member_code_not_provided", "pin_code_not_provided"]
    sandbox_state.initialize("GOV", "70000001", "SS1", PIN)
    token = sandbox_state.token("0")
    assert token["initialized"] and token["logged_in"]
    assert sandbox_state.server_conf()["token_pin_hash"].startswith("scrypt$")
    with pytest.raises(SandboxError) as error:
        sandbox_state.initialize("GOV", "70000001", "SS1", PIN)
    assert error.value.code == "server_already_fully_initialized"


def test_pin_policy_when_enforced(sandbox_state: SandboxState) -> None:
    sandbox_state.import_own_anchor()
    sandbox_state.db.execute("UPDATE server_conf SET enforce_token_pin_policy = 1")
    with pytest.raises(SandboxError) as error:
        sandbox_state.initialize("GOV", "70000001", "SS1", "1234")
    assert error.value.code == "token_weak_pin"
    assert error.value.metadata[:2] == ["pin_min_length", "10"]


def test_login_logout_and_key_generation(sandbox_state: SandboxState) -> None:
    sandbox_state.import_own_anchor()
    sandbox_state.initialize("GOV", "70000001", "SS1", PIN)
    sandbox_state.logout_token()
    with pytest.raises(SandboxError) as error:
        sandbox_state.generate_key("refused")
    assert (error.value.code, error.value.status) == ("action_not_possible", 409)
    with pytest.raises(SandboxError) as error:
        sandbox_state.login_token("wrong PIN")
    assert error.value.code == "pin_incorrect"
    sandbox_state.login_token(PIN)
    key_id = sandbox_state.generate_key("my key")
    key = sandbox_state.key(key_id)
    assert (key["label"], key["friendly_name"], key["usage"], key["algorithm"]) == (
        "my key", "my key", None, "RSA")
    keystore = sandbox_state.softtoken.path(key_id)
    assert mode(keystore) == 0o600
    assert sandbox_state.softtoken.load(key_id, PIN).key_size == 2048
    with pytest.raises(ValueError):
        sandbox_state.softtoken.load(key_id, "not the PIN")


def test_issue_certificates(populated_state: SandboxState, populated_ids: dict[str, str]) -> None:
    auth = populated_state.certificate(populated_ids["auth_hash"])
    sign = populated_state.certificate(populated_ids["sign_hash"])
    assert (auth["status"], auth["active"], auth["member_id"]) == ("SAVED", 1, None)
    assert (sign["status"], sign["active"], sign["member_id"]) == ("REGISTERED", 1, OWNER_ID)
    assert populated_state.key(populated_ids["auth_key"])["usage"] == "AUTHENTICATION"
    assert populated_state.key(populated_ids["sign_key"])["usage"] == "SIGNING"
    cert = x509.load_der_x509_certificate(sign["der"])
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30
    cert.verify_directly_issued_by(populated_state.pki.ca.cert)
    assert cert.subject.get_attributes_for_oid(NameOID.BUSINESS_CATEGORY)[0].value == "GOV"
    assert ocsp_status(sign) == "OCSP_RESPONSE_GOOD"
    assert ocsp_status(auth) is None  # not registered yet: X-Road leaves it out
    with pytest.raises(SandboxError) as error:
        populated_state.issue_certificate(populated_ids["sign_key"], "AUTHENTICATION", OWNER_ID, 1)
    assert error.value.code == "cert_wrong_usage"
    with pytest.raises(SandboxError) as error:
        populated_state.issue_certificate(populated_ids["sign_key"], "SIGNING",
                                          "SANDBOX-KG:GOV:404", 1)
    assert error.value.code == "client_not_found"


def test_issue_needs_a_valid_global_configuration(sandbox_state: SandboxState) -> None:
    with pytest.raises(SandboxError) as error:
        sandbox_state.issue_certificate("ABC", "SIGNING", OWNER_ID, 30)
    assert error.value.code == "global_conf_outdated"


def test_status_changes_and_revocation(
    populated_state: SandboxState, populated_ids: dict[str, str]
) -> None:
    sign_hash = populated_ids["sign_hash"]
    populated_state.set_certificate_status(sign_hash, "REGISTERED", active=False)
    assert ocsp_status(populated_state.certificate(sign_hash)) == "DISABLED"
    populated_state.set_certificate_status(sign_hash, "REGISTERED", active=True)
    populated_state.revoke_certificate(sign_hash)
    assert ocsp_status(populated_state.certificate(sign_hash)) == "OCSP_RESPONSE_REVOKED"
    with pytest.raises(SandboxError):
        populated_state.set_certificate_status(sign_hash, "BOGUS")
    with pytest.raises(SandboxError) as error:
        populated_state.set_certificate_status("00" * 32, "SAVED")
    assert error.value.status == 404


def test_csr_for_a_key(populated_state: SandboxState) -> None:
    key_id = populated_state.generate_key("csr key")
    csr_id = populated_state.create_csr(key_id, "SIGNING", OWNER_ID)
    row = populated_state.csrs(key_id)[0]
    assert row["id"] == csr_id and row["member_id"] == OWNER_ID
    request = x509.load_der_x509_csr(row["der"])
    assert request.is_signature_valid
    populated_state.issue_certificate(key_id, "SIGNING", OWNER_ID, 10)
    assert populated_state.csrs(key_id) == []  # the answered request is gone


def test_timestamping_services(sandbox_state: SandboxState) -> None:
    with pytest.raises(SandboxError):
        sandbox_state.add_timestamping_service("Kapka Sandbox TSA")  # no global conf yet
    sandbox_state.import_own_anchor()
    sandbox_state.add_timestamping_service("Kapka Sandbox TSA")
    with pytest.raises(SandboxError) as error:
        sandbox_state.add_timestamping_service("Kapka Sandbox TSA")
    assert error.value.code == "timestamping_service_already_configured"
    with pytest.raises(SandboxError) as error:
        sandbox_state.add_timestamping_service("Unknown TSA")
    assert error.value.code == "timestamping_service_not_found"


def test_populate_helper_runs_on_a_fresh_state(sandbox_state: SandboxState) -> None:
    ids = populate(sandbox_state)
    assert len(sandbox_state.keys("0")) == 2
    assert sandbox_state.certificate(ids["sign_hash"])["status"] == "REGISTERED"


def test_reset_refuses_other_directories(tmp_path: Path) -> None:
    other = tmp_path / "precious"
    other.mkdir()
    (other / "file.txt").write_text("keep me")
    with pytest.raises(KapkaError):
        reset_data_dir(other)
    assert (other / "file.txt").exists()
    assert reset_data_dir(tmp_path / "missing") is False
    data_dir = tmp_path / "sandbox"
    SandboxState.open(data_dir, admin_password=ADMIN_PASSWORD).close()
    assert reset_data_dir(data_dir) is True
    assert not data_dir.exists()
