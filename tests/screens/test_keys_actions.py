"""Each action of the keys screen against the in-process sandbox, from the key press to the server."""

from __future__ import annotations

from pathlib import Path

from keys_support import (
    confirm,
    dialog,
    keys_reloaded,
    open_keys,
    record_notifications,
    sign_csr,
    start,
)
from screen_support import PIN, Initialised, wait_for
from textual.widgets import Input

from backend.sandbox import centralserver
from screens.keys_dialogs import (
    AddressDialog,
    ChangePinDialog,
    DownloadDialog,
    ImportDialog,
    LoginDialog,
)
from screens.keys_generate import GenerateDialog

NEW_PIN = "Another-PIN-5678"


def token_row(state):
    return state.token("0")


async def test_log_out_log_in_and_change_the_pin(initialised: Initialised, config, secrets,
                                                  journal) -> None:
    state = initialised.state
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select("token:0")
        before = keys.generation
        await pilot.press("L")
        await confirm(pilot)  # logging out stops signing: the transport asks first
        await keys_reloaded(pilot, keys, before)
        assert not token_row(state)["logged_in"]
        assert keys.reason("generate") == "not possible: token is logged out: log in first (l)"

        before = keys.generation
        await pilot.press("l")
        login = await dialog(pilot, LoginDialog)
        login.query_one("#login-pin", Input).value = "wrong-pin"
        await pilot.press("enter")
        await keys_reloaded(pilot, keys, before)
        assert not token_row(state)["logged_in"]
        before = keys.generation
        await pilot.press("l")
        login = await dialog(pilot, LoginDialog)
        login.query_one("#login-pin", Input).value = PIN
        await pilot.press("enter")
        await keys_reloaded(pilot, keys, before)
        assert token_row(state)["logged_in"]

        before = keys.generation
        await pilot.press("p")
        change = await dialog(pilot, ChangePinDialog)
        change.query_one("#old-pin", Input).value = PIN
        change.query_one("#pin-first", Input).value = NEW_PIN
        change.query_one("#pin-again", Input).value = NEW_PIN
        await pilot.pause()
        change.submit()
        await confirm(pilot)
        await keys_reloaded(pilot, keys, before)
    if token_row(state)["logged_in"]:
        state.logout_token()
    state.login_token(NEW_PIN)
    outcomes = [(event["summary"], event["outcome"]) for event in journal.tail(100)]
    assert ("Log in to token 0", "failed") in outcomes
    assert ("Change the PIN of token 0", "ok") in outcomes
    assert all("PIN-" not in str(event) for event in journal.tail(100))  # PINs never recorded


async def test_generate_a_key_and_csr_then_save_the_csr(initialised: Initialised, config,
                                                         secrets, tmp_path: Path) -> None:
    state = initialised.state
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        before = keys.generation
        await pilot.press("n")
        form = await dialog(pilot, GenerateDialog)
        await wait_for(pilot, lambda: form.loads >= 1, what="subject fields")
        assert form.usage == "AUTHENTICATION"
        assert [f.id for f in form.fields] == ["CN", "serialNumber", "C", "O"]
        assert form.query_one("#subject-serialNumber", Input).disabled  # set by the server
        form.query_one("#generate-label", Input).value = "auth 2027"
        form.query_one("#subject-CN", Input).value = "ss1.example.kg"
        form.query_one("#subject-C", Input).value = "KG"
        form.query_one("#generate-ok").press()
        await keys_reloaded(pilot, keys, before)
        assert keys.selection.kind == "csr"
        key = keys.selection.key
        assert key.label == "auth 2027" and key.usage == "AUTHENTICATION"
        assert [csr["id"] for csr in state.csrs(key.id)] == [keys.selection.csr.id]

        before = keys.generation
        await pilot.press("s")
        save = await dialog(pilot, DownloadDialog)
        save.query_one("#picker-path", Input).value = str(tmp_path)
        save.submit()
        await keys_reloaded(pilot, keys, before)
    saved = list(tmp_path.glob("*.p*"))
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"-----BEGIN CERTIFICATE REQUEST")


async def test_import_checks_the_file_first_then_imports(initialised: Initialised, config,
                                                          secrets, tmp_path: Path) -> None:
    state = initialised.state
    key_id = state.generate_key("renewed sign")
    csr_id = state.create_csr(key_id, "SIGNING", initialised.member_id)
    cert_file = sign_csr(state, key_id, csr_id, tmp_path)
    junk = tmp_path / "notes.pem"
    junk.write_text("not a certificate\n")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        told = record_notifications(app)
        before = keys.generation
        await pilot.press("i")
        picker = await dialog(pilot, ImportDialog)
        picker.query_one("#picker-path", Input).value = str(junk)
        picker.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await keys_reloaded(pilot, keys, before)
        assert told and told[-1][0] != "Imported"
        assert not state.certificates(key_id)  # refused before anything was sent

        before = keys.generation
        await pilot.press("i")
        picker = await dialog(pilot, ImportDialog)
        picker.query_one("#picker-path", Input).value = str(cert_file)
        picker.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await keys_reloaded(pilot, keys, before)
        assert "Imported the sign certificate for key renewed sign" in told[-1][1]
        assert keys.selection.kind == "certificate" and keys.selection.key.id == key_id


async def test_disable_activate_register_and_unregister(initialised: Initialised, config,
                                                         secrets) -> None:
    state = initialised.state
    centralserver.set_request_delay(state, None)  # the central server does not answer by itself
    app = start(initialised, config, secrets)
    auth = initialised.auth_hash
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"cert:{auth}")
        before = keys.generation
        await pilot.press("A")
        await confirm(pilot)
        await keys_reloaded(pilot, keys, before)
        assert not state.certificate(auth)["active"]
        before = keys.generation
        await pilot.press("a")
        await keys_reloaded(pilot, keys, before)
        assert state.certificate(auth)["active"]

        before = keys.generation
        await pilot.press("g")
        address = await dialog(pilot, AddressDialog)
        address.query_one("#register-address", Input).value = "https://ss1.example.kg/"
        address.submit()
        assert "without https://" in str(address.query_one("#dialog-problem").render())
        address.query_one("#register-address", Input).value = "ss1.example.kg"
        address.submit()
        await keys_reloaded(pilot, keys, before)
        assert keys.selection.cert.status == "REGISTRATION_IN_PROGRESS"
        assert keys.reason("delete") == \
            "not possible: certificate is registered: unregister it first (G)"

        centralserver.approve_pending(state)
        loads = keys.loads
        await pilot.press("r")
        await wait_for(pilot, lambda: keys.loads > loads, what="refresh")
        assert keys.selection.cert.status == "REGISTERED"
        before = keys.generation
        await pilot.press("G")
        await confirm(pilot)
        await keys_reloaded(pilot, keys, before)
        assert keys.selection.cert.status == "DELETION_IN_PROGRESS"


async def test_a_new_csr_for_a_key_and_marking_for_deletion_when_unregistering_fails(
        initialised: Initialised, config, secrets) -> None:
    from screens.widgets.confirm import ConfirmDialog

    state = initialised.state
    auth = initialised.auth_hash
    spare = state.generate_key("spare")
    state.register_certificate(auth, "ss1.example.kg")
    centralserver.approve_pending(state)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"key:{spare}")
        before = keys.generation
        await pilot.press("N")
        form = await dialog(pilot, GenerateDialog)
        await wait_for(pilot, lambda: form.loads >= 1, what="subject fields")
        assert form.key_id == spare and not form.query("#generate-label")
        form.query_one("#subject-CN", Input).value = "ss1.example.kg"
        form.query_one("#subject-C", Input).value = "KG"
        form.query_one("#generate-ok").press()
        await keys_reloaded(pilot, keys, before)
        assert len(state.csrs(spare)) == 1

        state.set_global_conf_error("conf_verification.unreachable")  # requests cannot be sent
        keys.select(f"cert:{auth}")
        before = keys.generation
        await pilot.press("G")
        await confirm(pilot)  # the transport's question: send the deletion request?
        failed = await dialog(pilot, ConfirmDialog)
        assert "could not be sent" in failed.effect.plain
        await confirm(pilot)  # mark it for deletion anyway: no second generic question
        await keys_reloaded(pilot, keys, before)
        assert state.certificate(auth)["status"] == "DELETION_IN_PROGRESS"
