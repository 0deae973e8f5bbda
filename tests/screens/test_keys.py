"""The keys screen against the in-process sandbox: the tree, the details, disabled keys and why."""

from __future__ import annotations

from keys_support import open_keys, record_notifications, start
from screen_support import Initialised, wait_for

from backend.api.models import ROLES
from screens.help import HelpScreen, binding_rows
from screens.keys import KeysScreen


async def test_the_tree_lists_tokens_keys_certificates_and_csrs(initialised: Initialised,
                                                                config, secrets) -> None:
    state = initialised.state
    key_id = state.generate_key("spare")
    csr_id = state.create_csr(key_id, "SIGNING", initialised.member_id)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        labels = [str(keys.tree.get_node_at_line(n).label) for n in range(keys.tree.last_line + 1)]
        assert labels[0].startswith("Token softToken-0 · SOFTWARE · OK · logged in")
        assert any(label.startswith("Key auth key · auth · 1 cert") for label in labels)
        sign_cert = next(label for label in labels if "10 days !!" in label)
        assert sign_cert.startswith("Cert 10 days !! · REGISTERED · active · OCSP GOOD")
        assert any(label.startswith("CSR sign · " + initialised.member_id) for label in labels)
        assert keys.select(f"csr:{key_id}:{csr_id}")
        assert keys.selection.kind == "csr"
        assert keys.select(f"cert:{initialised.sign_hash}")
        facts = str(keys.query_one("#keys-facts").render())
        assert initialised.sign_hash in facts and "REGISTERED; active; OCSP GOOD" in facts
        actions = str(keys.query_one("#keys-actions").render())
        assert "Register" in actions and "only authentication certificates are registered" in \
            actions


async def test_the_dashboard_certificate_row_opens_it_on_the_keys_screen(
        initialised: Initialised, config, secrets) -> None:
    from screen_support import dashboard_loaded

    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        dashboard = await dashboard_loaded(pilot)
        table = dashboard.section("certificates").table
        table.focus()
        await pilot.press("enter")  # the first row: the sign certificate, 10 days left
        keys = await open_keys(pilot, press=None)
        assert keys.selection.cert.certificate_details.hash == initialised.sign_hash
        await pilot.press("escape")
        assert app.screen is dashboard


async def test_possible_actions_disable_keys_with_the_reason(initialised: Initialised, config,
                                                              secrets) -> None:
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        told = record_notifications(app)
        keys.select(f"cert:{initialised.sign_hash}")
        assert keys.reason("register") == \
            "not possible: only authentication certificates are registered"
        assert keys.reason("activate") == "not possible: certificate is already active"
        assert keys.check_action("activate", ()) is None  # dimmed in the footer
        assert keys.reason("disable") is None
        await pilot.press("g")
        await pilot.pause()
        assert told[-1] == ("Register", "not possible: only authentication certificates are "
                                        "registered")
        keys.select("token:0")
        assert keys.reason("login") == "not possible: token is already logged in"
        assert keys.reason("delete") == "select a key, certificate or CSR"


async def test_an_observer_key_is_told_which_role_each_action_needs(
        initialised: Initialised, config, secrets) -> None:
    app = start(initialised, config, secrets, roles=["XROAD_SECURITYSERVER_OBSERVER"])
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        told = record_notifications(app)
        keys.select(f"cert:{initialised.auth_hash}")
        assert keys.reason("disable") == "needs the security officer role"
        assert keys.reason("register") == "needs the security officer role"
        assert keys.reason("delete") == "needs the security officer role"
        assert keys.reason("renew") is None  # its steps say what is missing
        keys.select(f"cert:{initialised.sign_hash}")
        assert keys.reason("disable") == "needs the security officer or registration officer role"
        keys.select("token:0")
        assert keys.reason("logout") == "needs the security officer or system administrator role"
        assert keys.reason("change_pin") == "needs the system administrator role"
        await pilot.press("L")
        await pilot.pause()
        assert told[-1][1] == "needs the security officer or system administrator role"
        assert isinstance(app.screen, KeysScreen)  # nothing was opened, nothing sent


async def test_read_only_mode_disables_every_change_and_help_says_why(
        initialised: Initialised, config, secrets) -> None:
    app = start(initialised, config, secrets, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        keys.select(f"cert:{initialised.auth_hash}")
        for action in ("disable", "register", "delete", "import_cert", "generate", "logout"):
            assert keys.reason(action) == "read-only", action
        assert keys.reason("renew") is None and keys.reason("refresh") is None
        rows = {row.binding_id: row for row in binding_rows(app, keys)}
        assert rows["keys.delete"].state == "disabled: read-only"
        assert rows["keys.refresh"].state == ""
        assert rows["keys.renew"].key == "R"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {row.binding_id for row in app.screen.rows}
        assert {"keys.refresh", "keys.login", "keys.logout", "keys.change_pin", "keys.generate",
                "keys.download", "keys.import", "keys.activate", "keys.disable",
                "keys.register", "keys.unregister", "keys.delete", "keys.renew",
                "keys.expiry", "app.keys"} <= ids


async def test_k_opens_the_screen_from_anywhere_and_the_palette_has_it(
        initialised: Initialised, config, secrets) -> None:
    from console.commands import kapka_commands

    app = start(initialised, config, secrets, roles=list(ROLES))
    async with app.run_test(size=(80, 24)) as pilot:
        names = [command.name for command in kapka_commands(app)]
        assert "keys: open" in names and "keys: expiry overview" in names
        keys = await open_keys(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("k")  # back to the keys screen, not a second one
        await pilot.pause()
        assert app.screen is keys
        assert sum(isinstance(screen, KeysScreen) for screen in app.screen_stack) == 1
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")  # the palette, from the dashboard
        await pilot.pause()
        for char in "keys expiry":
            await pilot.press("space" if char == " " else char)
        await pilot.pause(0.3)
        await pilot.press("enter")  # the keys screen, then the overview over it
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ExpiryScreen", what="expiry")
        assert isinstance(app.screen_stack[-2], KeysScreen)

