"""Steps 1 to 5 of the wizard against the sandbox: good input goes through, bad input is said in
words and changes nothing on the server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from screen_support import SIZE, until_screen
from setup_support import (
    PIN,
    at_step,
    fill,
    open_at,
    owner_and_pin,
    screen_text,
    text_of,
    to_step,
    type_path,
    until,
    wizard_app,
    write,
)
from textual.widgets import Button, Input

from backend.sandbox.anchor import DOWNLOAD_URL, anchor_xml
from screens.widgets.confirm import ConfirmDialog
from screens.widgets.pin_input import PinInput


def anchor_imported(state) -> bool:
    return bool(state.server_conf()["anchor_imported"])


# -- 1 the anchor ---------------------------------------------------------------------------------

async def test_the_anchor_hash_is_shown_large_and_upload_waits_for_the_comparison(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    anchor = write(tmp_path / "home" / "tunduk-anchor.xml", state.central.anchor)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await at_step(pilot, 1)
        assert app.screen.progress_text == ("Step 1 of 11 · Configuration anchor · next: Owner "
                                            "and server code")
        assert panel.query_one("#picker-path", Input).value == str(Path.home()) + "/"
        await type_path(pilot, anchor)
        await until(pilot, lambda: panel.has_class("-previewed"), "preview")
        text = screen_text(app)
        assert "SANDBOX-KG" in text and DOWNLOAD_URL in text
        assert "Hash (SHA-224)" in text and "compare this hash" in text.lower()
        first_pair = panel.server_hash[:2]
        assert f"║  {first_pair}:" in text  # framed, in pairs
        upload = panel.query_one("#anchor-upload", Button)
        assert upload.disabled  # not before the operator says they compared it
        assert not anchor_imported(state)  # a preview stores nothing
        await pilot.press("escape")  # back to the file, nothing changed
        assert not panel.has_class("-previewed")
        await type_path(pilot, anchor)
        await until(pilot, lambda: panel.has_class("-previewed"), "preview again")
        await pilot.press("space")
        assert not upload.disabled
        await pilot.press("tab", "enter")
        await at_step(pilot, 2)
    assert anchor_imported(state)


async def test_a_file_that_is_not_an_anchor_is_explained_and_nothing_is_sent(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    home = tmp_path / "home"
    cases = {
        write(home / "certificate.xml", b"\x30\x82\x03\x0b binary DER"): "is not XML",
        write(home / "page.xml", "<html><body>Sign in</body></html>"): "not <configurationAnchor>",
        write(home / "bomb.xml", '<!DOCTYPE a [<!ENTITY x "y">]><configurationAnchor/>'):
            "document type declaration",
        home: "is a directory",
        home / "missing.xml": "There is no file",
    }
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await at_step(pilot, 1)
        for path, words in cases.items():
            field = panel.query_one("#picker-path", Input)
            field.value = str(path)
            panel.preview(path)  # what enter on the path does, also for directories
            await until(pilot, lambda: words in panel.problem_text, words)  # noqa: B023
            assert not panel.has_class("-previewed")
    assert not anchor_imported(state)


async def test_an_anchor_of_another_instance_is_refused_in_words(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    state = sandbox_state
    own_cert = state.central.signing_cert.public_bytes(serialization.Encoding.DER)
    other = write(tmp_path / "home" / "other.xml", anchor_xml(
        "EE", dt.datetime.now(dt.UTC), DOWNLOAD_URL, [own_cert]))
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await at_step(pilot, 1)
        await type_path(pilot, other)
        await until(pilot, lambda: panel.has_class("-previewed"), "preview")
        assert "Instance  EE" in screen_text(app)  # the operator sees it before uploading
        await pilot.press("space", "tab", "enter")
        await until(pilot, lambda: panel.problem_text, "refusal")
        assert "Anchor not accepted" in panel.problem_text
        assert "names instance EE" in panel.problem_text
        assert "Traceback" not in panel.problem_text
    assert not anchor_imported(state)


# -- 2 and 3 the owner, the PIN, the initialisation ------------------------------------------------

async def test_owner_lookup_validation_and_back_keeps_what_was_typed(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 2)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await at_step(pilot, 2)
        await until(pilot, lambda: panel.member_classes, "member classes")
        assert panel.member_classes == ["COM", "GOV", "NGO"]
        await pilot.press("down", "enter")
        await fill(pilot, "#owner-code", "70000099")
        await until(pilot, lambda: panel.name_known, "lookup")
        assert panel.member_name is None
        assert "not in the global configuration — registration will warn" in screen_text(app)
        code = panel.query_one("#owner-code", Input)
        code.value = "70000002"
        await until(pilot, lambda: panel.member_name == "Issyk-Kul Regional Administration",
                    "name")
        server = panel.query_one("#server-code", Input)
        next_button = panel.query_one("#owner-next", Button)
        for bad, words in (("SS:1", "may not contain ':'"), ("SS 1", "may not contain ' '"),
                           ("СС1", "Latin letters"), ("SS%1", "'%'")):
            server.value = bad
            await pilot.pause()
            assert words in text_of(panel.query_one("#code-problem"))
            assert next_button.disabled
        server.value = "SS2"
        await pilot.pause()
        assert not next_button.disabled
        assert "SANDBOX-KG:GOV:70000002:SS2" in text_of(panel.query_one("#owner-id"))
        server.focus()
        await pilot.press("enter")
        pin_step = await at_step(pilot, 3)
        assert "GOV:70000002 (Issyk-Kul Regional Administration)" in screen_text(app)
        assert pin_step.query_one("#init-send", Button).disabled
        await pilot.press("escape")  # nothing was sent: back to the owner, as typed
        panel = await at_step(pilot, 2)
        await until(pilot, lambda: panel.member_classes, "member classes")
        assert panel.member_class == "GOV"
        assert panel.query_one("#owner-code", Input).value == "70000002"
        assert panel.query_one("#server-code", Input).value == "SS2"
    assert not state.server_conf()["owner_member_code"]


async def test_a_weak_pin_is_refused_when_the_server_enforces_the_policy(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 2)
    state.set_token_pin_policy(True)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await owner_and_pin(pilot, pin="short1")
        send = panel.query_one("#init-send", Button)
        pin = panel.query_one(PinInput)
        assert not pin.assessment.meets_policy and send.disabled
        assert "✗ 6 characters (at least 10)" in text_of(panel.query_one("#pin-meter"))
        assert "A lost PIN cannot be recovered" in text_of(panel.query_one(".warning"))
        await pilot.press("enter")  # enter on the second entry sends nothing either
        await pilot.pause(0.2)
        assert "at least 10 characters" in text_of(panel.query_one("#step-note"))
        assert panel.query_one("#pin-first", Input).password  # no echo
        await pilot.press("shift+tab")
        panel.query_one("#pin-first", Input).value = PIN
        panel.query_one("#pin-again", Input).value = PIN + "x"
        await pilot.pause()
        assert send.disabled and "differ" in pin.assessment.problem
    assert not state.software_token_initialized()
    assert not state.server_conf()["owner_member_code"]


async def test_initialisation_warnings_are_shown_verbatim_and_can_be_declined(
        sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 2)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await owner_and_pin(pilot, code="70000099")
        await pilot.press("enter")
        dialog = await until_screen(pilot, ConfirmDialog)
        text = screen_text(app)
        assert "init_unregistered_member" in text and "SANDBOX-KG/GOV/70000099" in text
        assert app.focused is dialog.query_one("#cancel", Button)  # Cancel first
        await pilot.press("enter")
        await until(pilot, lambda: "nothing was changed" in text_of(
            panel.query_one("#step-note")), "declined")
        assert not state.software_token_initialized()
        panel.query_one("#init-send", Button).focus()
        await pilot.press("enter")
        dialog = await until_screen(pilot, ConfirmDialog)
        await pilot.press("tab", "enter")  # the operator read them and sends anyway
        await at_step(pilot, 4)
    assert state.software_token_initialized()
    assert state.server_conf()["owner_member_code"] == "70000099"


# -- 4 the timestamping service, 5 the token login --------------------------------------------------

async def test_the_timestamping_service_is_an_explicit_choice(sandbox_state, config,
                                                              secrets) -> None:
    state = sandbox_state
    to_step(state, 4)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 4)
        await until(pilot, lambda: panel.services, "approved services")
        add = panel.query_one("#tsa-add", Button)
        assert panel.chosen is None and add.disabled
        assert "(paid)" in screen_text(app) and "(free)" in screen_text(app)
        names = [service.name for service in panel.services]
        await pilot.press(*["down"] * names.index("Kapka Sandbox Paid TSA"), "enter")
        assert panel.chosen.name == "Kapka Sandbox Paid TSA" and not add.disabled
        await pilot.press("tab", "enter")
        await at_step(pilot, 6)  # the token is logged in since the initialisation
    assert [row["name"] for row in state.timestamping_services()] == ["Kapka Sandbox Paid TSA"]


async def test_a_wrong_pin_says_how_many_tries_are_left(sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 5)
    state.logout_token()
    state.set_pin_retry_limit(3)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 5)
        await fill(pilot, "#login-pin", "Wrong-PIN-0000", enter=True)
        await until(pilot, lambda: panel.problem_text, "refusal")
        assert "PIN is not correct" in panel.problem_text
        status = panel.query_one("#login-token")
        await until(pilot, lambda: "Few tries are left" in text_of(status), "tries left")
        assert "USER_PIN_COUNT_LOW" in text_of(status)
        assert panel.query_one("#login-pin", Input).value == ""  # the PIN is not kept
        await fill(pilot, "#login-pin", "Wrong-PIN-0001", enter=True)
        await until(pilot, lambda: "One try is left: the next wrong PIN locks the token"
                    in text_of(status), "final try")
        assert not state.token("0")["logged_in"]
        await fill(pilot, "#login-pin", PIN, enter=True)
        await at_step(pilot, 6)
    assert state.token("0")["logged_in"]


async def test_a_locked_token_gets_no_more_pins(sandbox_state, config, secrets) -> None:
    state = sandbox_state
    to_step(state, 5)
    state.logout_token()
    state.set_pin_retry_limit(1)
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        panel = await open_at(pilot, 5)
        await fill(pilot, "#login-pin", "Wrong-PIN-0000", enter=True)
        send = panel.query_one("#login-send", Button)
        await until(pilot, lambda: send.disabled and "locked" in text_of(
            panel.query_one("#login-token")), "locked")
        assert panel.query_one("#login-pin", Input).disabled
