"""The guided renewal against the in-process sandbox, across app sessions (state from the server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
from screen_support import Initialised, wait_for
from textual.widgets import Input

from backend.sandbox import centralserver
from screens.keys_dialogs import AddressDialog, DownloadDialog, ImportDialog
from screens.keys_generate import GenerateDialog
from screens.renew import RenewScreen


async def open_renew(pilot, keys, cert_hash: str) -> RenewScreen:
    assert keys.select(f"cert:{cert_hash}")
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RenewScreen)
                   and pilot.app.screen.loads >= 1, what="renew screen")
    await pilot.pause()
    return pilot.app.screen


def current(renew: RenewScreen) -> str | None:
    step = renew.renewal.current if renew.renewal else None
    return step.id if step else None


async def test_a_sign_renewal_resumes_in_a_new_session_and_finishes(
        initialised: Initialised, config, secrets, tmp_path: Path) -> None:
    state = initialised.state
    old = initialised.sign_hash
    # session 1: start the renewal, then quit
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        renew = await open_renew(pilot, keys, old)
        assert current(renew) == "generate"
        assert "▶ 1. New key and CSR" in str(renew.query_one("#renew-steps").render())
        before = renew.generation
        await pilot.press("enter")
        form = await dialog(pilot, GenerateDialog)
        await wait_for(pilot, lambda: form.loads >= 1, what="subject fields")
        assert form.usage == "SIGNING" and form.member_id == initialised.member_id
        assert form.query_one("#subject-C", Input).value == "KG"  # from the old certificate
        form.query_one("#generate-ok").press()
        await keys_reloaded(pilot, renew, before)
        assert current(renew) == "export"
        new_key = renew.renewal.new_key.id

    # session 2: a new app finds the renewal on the token and goes on from there
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"cert:{old}")
        assert "renewal: send the csr to the ca" in str(keys.tree.cursor_node.label)
        renew = await open_renew(pilot, keys, old)
        assert current(renew) == "export" and renew.renewal.new_key.id == new_key
        assert renew.reason("download") is None

        before = renew.generation
        await pilot.press("s")
        save = await dialog(pilot, DownloadDialog)
        save.query_one("#picker-path", Input).value = str(tmp_path)
        save.submit()
        await keys_reloaded(pilot, renew, before)
        assert current(renew) == "export"  # Kapka cannot see that it was sent: still the step

        # the CA signed it two days ago (so the day of propagation has passed)
        csr_id = renew.renewal.new_csr.id
        cert_file = sign_csr(state, new_key, csr_id, tmp_path,
                             not_before=datetime.now(UTC) - timedelta(days=2))
        before = renew.generation
        await pilot.press("i")
        picker = await dialog(pilot, ImportDialog)
        picker.query_one("#picker-path", Input).value = str(cert_file)
        picker.query_one("#picker-path", Input).focus()
        await pilot.press("enter")
        await keys_reloaded(pilot, renew, before)
        steps = {step.id: step.state for step in renew.renewal.steps}
        assert steps["import"] == "done" and steps["register"] == "skipped"
        assert steps["activate"] == "done" and steps["in_use"] == "done"
        assert current(renew) == "disable_old"

        before = renew.generation
        await pilot.press("enter")
        await confirm(pilot)  # disabling is dangerous: the transport asks
        await keys_reloaded(pilot, renew, before)
        assert current(renew) == "delete_old"

        before = renew.generation
        await pilot.press("enter")
        await confirm(pilot, acknowledgement=old[:8])
        await keys_reloaded(pilot, renew, before)
        assert renew.renewal is None and renew.finished
        assert "The renewal is complete" in str(renew.query_one("#renew-old").render())


async def test_an_auth_renewal_waits_for_the_central_server_and_a_day(
        initialised: Initialised, config, secrets, tmp_path: Path) -> None:
    state = initialised.state
    old = initialised.auth_hash
    state.register_certificate(old, "ss1.example.kg")
    centralserver.approve_pending(state)
    centralserver.set_request_delay(state, None)
    new_key = state.generate_key("auth 2027")
    csr_id = state.create_csr(new_key, "AUTHENTICATION")
    new = state.import_certificate(sign_csr(state, new_key, csr_id, tmp_path, days=400).read_bytes())
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        renew = await open_renew(pilot, keys, new)  # opened on the new one: the old is found
        assert renew.renewal.old.hash == old and renew.renewal.new_hash == new
        assert current(renew) == "register"
        before = renew.generation
        await pilot.press("enter")
        address = await dialog(pilot, AddressDialog)
        address.query_one("#register-address", Input).value = "ss1.example.kg"
        address.submit()
        await keys_reloaded(pilot, renew, before)
        assert renew.renewal.step("register").state == "waiting"
        assert current(renew) == "activate"
        before = renew.generation
        await pilot.press("enter")
        await keys_reloaded(pilot, renew, before)
        assert current(renew) == "register"  # only waiting is left
        assert "Waiting: " in str(renew.query_one("#renew-now").render())
        assert renew.check_action("next_step", ()) is None

        centralserver.approve_pending(state)
        loads = renew.loads
        await pilot.press("r")
        await wait_for(pilot, lambda: renew.loads > loads, what="refresh")
        in_use = renew.renewal.step("in_use")
        assert in_use.state == "waiting" and "wait until" in in_use.detail  # issued just now
        assert renew.renewal.step("disable_old").state == "later"


async def test_read_only_and_observer_see_the_steps_but_may_not_do_them(
        initialised: Initialised, config, secrets) -> None:
    for options, why in (({"read_only": True}, "read-only"),
                         ({"roles": ["XROAD_SECURITYSERVER_OBSERVER"]},
                          "needs the security officer or registration officer role")):
        app = start(initialised, config, secrets, **options)
        async with app.run_test(size=(80, 24)) as pilot:
            keys = await open_keys(pilot)
            renew = await open_renew(pilot, keys, initialised.sign_hash)
            assert current(renew) == "generate"
            assert renew.disabled_reason("next_step") == why
            assert why in str(renew.query_one("#renew-now").render())
            told = record_notifications(app)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, RenewScreen)  # no form opened
            assert [message for _title, message in told] == [why]
