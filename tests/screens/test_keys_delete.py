"""Deleting a CSR, a certificate and a key: what goes with it, Cancel first, a typed word."""

from __future__ import annotations

from keys_support import confirm, dialog, keys_reloaded, open_keys, start
from screen_support import Initialised, wait_for
from textual.widgets import Button

from backend.sandbox import centralserver
from screens.keys import KeysScreen
from screens.widgets.confirm import ConfirmDialog


def effect_text(screen: ConfirmDialog) -> str:
    effect = screen.effect
    return effect if isinstance(effect, str) else effect.plain


async def test_a_csr_is_deleted_after_a_confirmation_that_starts_on_cancel(
        initialised: Initialised, config, secrets, journal) -> None:
    state = initialised.state
    key_id = state.generate_key("spare")
    csr_id = state.create_csr(key_id, "SIGNING", initialised.member_id)
    app = start(initialised, config, secrets, journal=journal)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"csr:{key_id}:{csr_id}")
        before = keys.generation
        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        assert app.focused is question.query_one("#cancel", Button)
        assert "The key stays" in effect_text(question)
        await pilot.press("enter")  # enter on the focused Cancel
        await keys_reloaded(pilot, keys, before)
        assert [row["id"] for row in state.csrs(key_id)] == [csr_id]

        before = keys.generation
        await pilot.press("delete")
        await confirm(pilot)
        await keys_reloaded(pilot, keys, before)
        assert isinstance(app.screen, KeysScreen)  # no second, generic confirmation
        assert state.csrs(key_id) == []
        assert keys.selection.ident == f"key:{key_id}"  # the cursor stays where the CSR was
    deletes = [event for event in journal.tail(50) if event["method"] == "DELETE"]
    assert [event["outcome"] for event in deletes] == ["ok"]


async def test_a_sign_certificate_shows_who_signs_with_it_and_needs_its_hash_typed(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    sign = initialised.sign_hash
    state.add_client("GOV", "70000001", "registry")
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"cert:{sign}")
        before = keys.generation
        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        text = effect_text(question)
        assert f"SHA-256 {sign}" in text
        member = initialised.member_id
        assert f"Clients of {member} that sign with it: {member}, {member}:registry" in text
        assert "keeps no other usable signing certificate" in text
        assert question.acknowledgement == sign[:8]
        await confirm(pilot, acknowledgement=sign[:8])
        await keys_reloaded(pilot, keys, before)
        assert all(row["hash"] != sign for key in state.keys("0")
                   for row in state.certificates(key["id"]))


async def test_a_key_lists_its_certificates_needs_its_label_and_confirms_xroads_warning(
        initialised: Initialised, config, secrets) -> None:
    state = initialised.state
    auth = initialised.auth_hash
    state.register_certificate(auth, "ss1.example.kg")
    centralserver.approve_pending(state)
    key_id = state.certificate(auth)["key_id"]
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"key:{key_id}")
        await wait_for(pilot, lambda: keys.selection.key.certificates[0].status == "REGISTERED",
                       what="registered")
        before = keys.generation
        await pilot.press("d")
        question = await dialog(pilot, ConfirmDialog)
        text = effect_text(question)
        assert "Deletes key auth key" in text
        assert "auth certificate" in text and "REGISTERED" in text
        assert "X-Road will warn" in text
        assert question.acknowledgement == "auth key"
        question.query_one("#confirm-ack").value = "auth"  # not the label: still disabled
        await pilot.pause()
        assert question.query_one("#confirm", Button).disabled
        question.query_one("#confirm-ack").value = ""
        await confirm(pilot, acknowledgement="auth key")
        warning = await dialog(pilot, ConfirmDialog)  # X-Road's warning, shown verbatim
        assert "auth_key_with_registered_cert_warning" in effect_text(warning)
        await confirm(pilot)
        await keys_reloaded(pilot, keys, before)
        assert all(key["id"] != key_id for key in state.keys("0"))
