"""Steps 6 to 11 against the sandbox: keys and CSRs, export, import with its checks, registration,
the wait for approval, activation; bad certificates are refused in words and nothing is sent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from screen_support import SIZE, until_screen
from setup_support import (
    OWNER_ID,
    at_step,
    csr_pem,
    open_at,
    screen_text,
    text_of,
    to_step,
    type_path,
    until,
    wizard_app,
    write,
)
from textual.widgets import Button, Input

from backend.api.writes import WriteEvent
from backend.sandbox import centralserver
from backend.sandbox.ca import SandboxCA
from screens.setup import step_finish
from screens.widgets.confirm import ConfirmDialog


def certificates(state) -> list:
    return [cert for key in state.keys("0") for cert in state.certificates(key["id"])]


def signed(state, csr: bytes, path: Path, **options) -> Path:
    authority = SandboxCA.open(state.data_dir)
    try:
        cert = authority.sign(csr, **options)
    finally:
        authority.close()
    encoding = serialization.Encoding.DER if path.suffix == ".der" else serialization.Encoding.PEM
    return write(path, cert.public_bytes(encoding))


# -- 6 keys and CSRs ------------------------------------------------------------------------------

async def test_the_csr_form_comes_from_the_ca_profile(sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 6)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 6)
        assert panel.usage == "AUTHENTICATION"
        await until(pilot, lambda: panel.authorities, "CAs")
        generate = panel.query_one("#csr-generate", Button)
        assert generate.disabled and "Choose the certification authority." in panel.missing()
        names = [ca.name for ca in panel.authorities]
        await pilot.press(*["down"] * names.index("Kapka Sandbox Test CA"), "enter")
        await until(pilot, lambda: panel.fields, "subject fields")
        assert panel._format() == "DER"  # the CA's default format
        rows = {field.id: panel.query_one(f"#csr-field-{i}", Input)
                for i, field in enumerate(panel.fields)}
        assert rows["serialNumber"].disabled and rows["serialNumber"].value == "70000001"
        assert rows["O"].value == "Ala-Too State Registry Service"
        assert "Country code (C) *" in [text_of(label) for label in panel.query("Label")]
        rows["C"].value = ""
        rows["CN"].value = ""
        await pilot.pause()
        assert generate.disabled
        assert "Country code (C) is required." in panel.missing()
        rows["C"].value = "KG"
        rows["CN"].value = "ss1.example.kg"
        await pilot.pause()
        assert not generate.disabled
        subject = text_of(panel.query_one("#csr-subject"))
        assert "CN=ss1.example.kg, serialNumber=70000001, C=KG, " \
               "O=Ala-Too State Registry Service" in subject
        generate.focus()
        await pilot.press("enter")
        panel = await at_step(pilot, 6)
        assert panel.usage == "SIGNING" and panel.member_id == OWNER_ID
    keys = state.keys("0")
    assert [key["usage"] for key in keys] == ["AUTHENTICATION"]
    assert len(state.csrs(keys[0]["id"])) == 1


# -- 7 export -------------------------------------------------------------------------------------

async def test_csr_files_never_overwrite_without_asking(sandbox_state, config, secrets,
                                                        tmp_path: Path) -> None:
    state = sandbox_state
    ids = to_step(state, 7)
    out = tmp_path / "home" / "to-ca"
    out.mkdir()
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 7)
        await until(pilot, lambda: panel.pem.startswith("-----BEGIN CERTIFICATE REQUEST"), "PEM")
        assert panel.pem.encode().strip() == csr_pem(state, ids["auth_key"],
                                                   ids["auth_csr"]).strip()
        panel.query_one("#export-copy", Button).press()
        await pilot.pause()
        assert app.clipboard == panel.pem
        panel.query_one("#export-dir").path_input.value = str(out)
        panel.query_one("#export-save", Button).press()
        await until(pilot, lambda: len(list(out.iterdir())) == 2, "two files")
        names = sorted(path.name for path in out.iterdir())
        assert all(name.endswith(".der") for name in names)
        assert names[0].startswith("auth_csr_") and names[1].startswith("sign_csr_")
        first = out / names[0]
        first.write_bytes(b"the operator's own file")
        panel.query_one("#export-save", Button).press()
        dialog = await until_screen(pilot, ConfirmDialog)
        assert app.focused is dialog.query_one("#cancel", Button)
        await pilot.press("enter")  # Cancel: keep it
        await until(pilot, lambda: "kept" in text_of(panel.query_one("#export-saved")), "kept")
        assert first.read_bytes() == b"the operator's own file"
        panel.query_one("#export-next", Button).press()
        await at_step(pilot, 8)
        await pilot.press("escape")  # back to the export: the server cannot see it was done
        await at_step(pilot, 7)


# -- 8 import -------------------------------------------------------------------------------------

async def test_bad_certificates_are_refused_before_anything_is_sent(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    ids = to_step(state, 8)
    home = tmp_path / "home"
    auth_csr = csr_pem(state, ids["auth_key"], ids["auth_csr"])
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign_csr = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other")]))
                   .add_extension(x509.KeyUsage(True, False, True, False, False, False, False,
                                                False, False), critical=True)
                   .sign(stranger, hashes.SHA256())
                   .public_bytes(serialization.Encoding.PEM))
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    good = signed(state, auth_csr, home / "good.pem")
    damaged = good.read_text().replace("\n", "\n!", 3)
    cases = [
        (signed(state, foreign_csr, home / "foreign.pem"), "No key waits for this certificate"),
        (signed(state, auth_csr, home / "expired.pem", not_before=long_ago), "expired"),
        (signed(state, auth_csr, home / "usage.pem", usage="SIGNING"), "Wrong certificate"),
        (write(home / "request.pem", auth_csr), "not a certificate"),
        (write(home / "damaged.pem", damaged), "damaged"),
    ]
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 8)
        for path, words in cases:
            panel.clear_problem()
            await type_path(pilot, path)
            await until(pilot, lambda: panel.problem_text, path.name)
            assert words.lower() in panel.problem_text.lower(), (path.name, panel.problem_text)
            assert "Nothing was sent" in text_of(panel.query_one("#step-note"))
        assert certificates(state) == []
        # pasted PEM (as from the CA's web page) goes through the same checks, then in
        panel.query_one("#import-paste").text = good.read_text()
        panel.query_one("#import-pasted", Button).press()
        panel = await at_step(pilot, 8)
        await until(pilot, lambda: len(certificates(state)) == 1, "imported")
    assert certificates(state)[0]["status"] == "SAVED"


async def test_a_der_file_named_pem_is_still_imported_and_the_mix_up_is_said(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    ids = to_step(state, 8)
    sign_csr = csr_pem(state, ids["sign_key"], ids["sign_csr"])
    der = signed(state, sign_csr, tmp_path / "home" / "sign.der")
    misnamed = write(tmp_path / "home" / "sign-cert.pem", der.read_bytes())
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        panel = await open_at(pilot, 8)
        await type_path(pilot, misnamed)
        await until(pilot, lambda: not panel.is_attached, "imported")
        await at_step(pilot, 8)  # the authentication certificate still waits
        toast = next(n.message for n in app._notifications
                     if "Imported the signing certificate" in n.message)
        assert "is named .pem but holds binary DER" in toast
    assert [(c["status"], bool(c["active"])) for c in certificates(state)] == [
        ("REGISTERED", True)]


# -- 9 registration, 10 approval, 11 activation -----------------------------------------------------

async def test_the_preflight_says_what_is_missing_before_registering(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 9)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 9)
        await until(pilot, lambda: panel.query_one("#register-checks").checks[3].ok is not None,
                    "checks read from the server")
        checks = panel.query_one("#register-checks")
        text = checks.plain_text()
        assert "✓ Software token logged in" in text
        assert "✗ Authentication certificate imported and active" in text
        assert "not active: activate it first" in text
        assert "✓ Global configuration valid" in text
        assert panel.query_one("#register-send", Button).disabled
        address = panel.query_one("#register-address", Input)
        address.value = "127.0.0.1"
        await pilot.pause()
        assert "loopback" in text_of(panel.query_one("#register-address-problem"))
        address.value = "ss1.example.kg"
        panel.query_one("#register-activate", Button).press()
        await until(pilot, lambda: panel.checks_ok, "all ✓")
        assert not panel.query_one("#register-send", Button).disabled
        assert not panel.query_one("#register-activate").display
    assert [bool(c["active"]) for c in certificates(state)] == [True, True]
    assert [c["status"] for c in certificates(state)] == ["SAVED", "REGISTERED"]


async def test_waiting_for_approval_shows_since_when_and_what_to_do(
        sandbox_state, config, secrets, journal, monkeypatch) -> None:
    state = sandbox_state
    monkeypatch.setattr(step_finish, "POLL_SECONDS", 0.2)
    ids = to_step(state, 10, approve=False)
    sent = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    journal.record(WriteEvent(at=sent, method="PUT",
                              path=f"/token-certificates/{ids['auth_hash']}/register",
                              summary="Register", outcome="ok", status=204))
    app = wizard_app(state, config, secrets, journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 10)
        await until(pilot, lambda: panel.checks >= 2, "two polls")
        status = text_of(panel.query_one("#approval-status"))
        assert "REGISTRATION_IN_PROGRESS" in status and ids["auth_hash"] in status
        local = sent.astimezone().strftime("%Y-%m-%d %H:%M")
        assert f"pending since {local} (20 min" in status  # from the operator's audit journal
        assert not panel.query_one("#approval-recovery").has_class("-overdue")
        recovery = text_of(panel.query_one("#approval-recovery"))
        assert "never reports a rejection" in recovery
        assert "unregister the certificate, delete it" in recovery
        assert "SANDBOX-KG:GOV:70000001:SS1" in recovery
        panel.since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        await pilot.pause(1.1)
        assert panel.query_one("#approval-recovery").has_class("-overdue")
        assert "pending since" in text_of(panel.query_one("#approval-status"))
        centralserver.approve_pending(state)
        await at_step(pilot, step_finish.DonePanel.STEP)


async def test_certificates_that_are_not_active_are_activated_last(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    ids = to_step(state, 10)
    state.disable_certificate(ids["sign_hash"])
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 11)
        assert "✗ signing certificate" in text_of(panel.query_one("#activate-list"))
        await pilot.press("enter")  # the Activate button has the focus
        await at_step(pilot, 12)
        assert "The security server is set up." in screen_text(app)
    assert all(c["active"] for c in certificates(state))
