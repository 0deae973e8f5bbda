"""The whole wizard at 80×24, by keyboard: a fresh sandbox to an active, registered certificate."""

from __future__ import annotations

from pathlib import Path

from screen_support import SIZE, dashboard_loaded
from setup_support import (
    OWNER_ID,
    PIN,
    at_step,
    fill,
    screen_text,
    sign_csr_file,
    type_path,
    until,
    wizard_app,
    write,
)
from textual.widgets import Input

from backend.sandbox import centralserver
from screens.dashboard import DashboardScreen
from screens.setup.flow import DONE


async def test_a_fresh_server_to_an_active_registered_certificate(
        sandbox_state, config, secrets, tmp_path: Path) -> None:
    state = sandbox_state
    centralserver.set_request_delay(state, 0)
    anchor = write(tmp_path / "home" / "anchor.xml", state.central.anchor)
    csr_dir = tmp_path / "home" / "csrs"
    csr_dir.mkdir()
    app = wizard_app(state, config, secrets)
    async with app.run_test(size=SIZE) as pilot:
        # 1 the anchor: type its path, compare the hash, tick, upload
        panel = await at_step(pilot, 1)
        await type_path(pilot, anchor)
        await until(pilot, lambda: panel.has_class("-previewed"), what="anchor preview")
        assert panel.server_hash and panel.anchor.instance == "SANDBOX-KG"
        await pilot.press("space", "tab", "enter")

        # 2 the owner: member class, member code (its name is looked up), server code
        panel = await at_step(pilot, 2)
        await until(pilot, lambda: panel.member_classes, what="member classes")
        await pilot.press("down", "enter")  # COM, GOV, NGO: GOV
        assert panel.member_class == "GOV"
        await pilot.press("tab", *"70000001")
        await until(pilot, lambda: panel.name_known, what="member name")
        assert panel.member_name == "Ala-Too State Registry Service"
        await pilot.press("tab", *"SS1", "enter")

        # 3 the PIN, twice, then POST /initialization
        panel = await at_step(pilot, 3)
        await fill(pilot, "#pin-first", PIN)  # typed key by key in tests/e2e
        await pilot.press("tab")
        await fill(pilot, "#pin-again", PIN, enter=True)

        # 4 the timestamping service: an explicit choice
        panel = await at_step(pilot, 4)
        await until(pilot, lambda: panel.services, what="approved TSAs")
        names = [service.name for service in panel.services]
        await pilot.press(*["down"] * names.index("Kapka Sandbox TSA"), "enter", "tab", "enter")

        # 5 (the token is logged in after the initialisation) → 6 the keys and CSRs, CA defaults
        for usage in ("AUTHENTICATION", "SIGNING"):
            panel = await at_step(pilot, 6)
            assert panel.usage == usage
            await until(pilot, lambda: panel.authorities, what="CAs")  # noqa: B023
            if len(panel.authorities) > 1:  # choose the test CA among the approved ones
                names = [ca.name for ca in panel.authorities]
                await pilot.press(*["down"] * names.index("Kapka Sandbox Test CA"), "enter")
            await until(pilot, lambda: panel.fields, what="subject fields")  # noqa: B023
            for index, field in enumerate(panel.fields):
                box = panel.query_one(f"#csr-field-{index}", Input)
                if field.id == "CN" and not field.read_only:
                    box.value = "ss1.example.kg"
                if field.id == "C" and usage == "AUTHENTICATION":
                    box.value = "KG"
            if usage == "SIGNING":  # the country comes from the authentication CSR
                assert dict(panel.values())["C"] == "KG"
            generate = panel.query_one("#csr-generate")
            await until(pilot, lambda: not generate.disabled, what="form complete")  # noqa: B023
            generate.focus()
            await pilot.press("enter")
            await until(pilot, lambda: not panel.is_attached,  # noqa: B023
                           what="key generated")

        # 7 the CSR files, saved where the operator says, named as the server names them
        panel = await at_step(pilot, 7)
        await until(pilot, lambda: panel.pem.startswith("-----BEGIN"), what="PEM shown")
        panel.query_one("#export-dir").path_input.value = str(csr_dir)
        panel.query_one("#export-save").focus()
        await pilot.press("enter")
        await until(pilot, lambda: len(list(csr_dir.iterdir())) == 2, what="CSR files")
        panel.query_one("#export-next").focus()
        await pilot.press("enter")

        # the CA signs them (the sandbox's CA, as `kapka sandbox ca sign` does)
        certs = [sign_csr_file(state, csr, tmp_path / "home" / f"{csr.stem}.pem")
                 for csr in sorted(csr_dir.iterdir())]

        # 8 the certificates, each checked and imported
        for cert in certs:
            panel = await at_step(pilot, 8)
            await type_path(pilot, cert)
            await until(pilot, lambda: not panel.is_attached, what="certificate imported")  # noqa: B023

        # 9 registration: the preflight from the server, then the address
        panel = await at_step(pilot, 9)
        # X-Road imports the authentication certificate disabled: activate it first
        await until(pilot, lambda: panel.query_one("#register-activate").display,
                    what="activation offered")
        panel.query_one("#register-activate").focus()
        await pilot.press("enter")
        await until(pilot, lambda: panel.checks_ok, what="preflight all ✓")
        field = panel.query_one("#register-address", Input)
        field.value = "ss1.example.kg"
        field.focus()
        await pilot.press("enter")

        # 10: the central server approves at once here; 11: both certificates are active
        # already (the signing one since its import, the authentication one since step 9)
        panel = await at_step(pilot, DONE)
        assert "Setup complete" in screen_text(app)
        await pilot.press("enter")
        await dashboard_loaded(pilot)
        assert isinstance(app.screen, DashboardScreen)

    token = state.token("0")
    keys = {row["usage"]: row for row in state.keys("0")}
    auth = state.certificates(keys["AUTHENTICATION"]["id"])[0]
    sign = state.certificates(keys["SIGNING"]["id"])[0]
    assert token["logged_in"]
    assert (auth["status"], bool(auth["active"])) == ("REGISTERED", True)
    assert (sign["status"], bool(sign["active"])) == ("REGISTERED", True)
    assert sign["member_id"] == OWNER_ID
