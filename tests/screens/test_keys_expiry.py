"""The expiry overview: sorted by days left, warnings at 30, 14 and 7 days and for expired ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keys_support import open_keys, start
from screen_support import Initialised, wait_for

from screens.expiry import ExpiryScreen
from screens.keys import KeysScreen
from screens.renew import RenewScreen


def add_certificate(state, member: str, days: int, *, expired: bool = False) -> str:
    key_id = state.generate_key(f"sign {days}")
    not_before = datetime.now(UTC) - timedelta(days=days + 3) if expired else None
    return state.issue_certificate(key_id, "SIGNING", member, days, not_before=not_before)


async def test_certificates_by_days_left_with_warning_levels(initialised: Initialised, config,
                                                             secrets) -> None:
    state, member = initialised.state, initialised.member_id
    expired = add_certificate(state, member, 5, expired=True)
    for days in (29, 6, 13):
        add_certificate(state, member, days)
    app = start(initialised, config, secrets)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = await open_keys(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExpiryScreen)
                       and app.screen.loads >= 1, what="expiry overview")
        overview = app.screen
        table = overview.table
        cells = [[str(table.get_cell_at((row, col))) for col in range(2)]
                 for row in range(table.row_count)]
        assert cells == [
            ["EXPIRED", "EXPIRED"],
            ["6 days !!!", "≤ 7 days"],
            ["10 days !!", "≤ 14 days"],
            ["13 days !!", "≤ 14 days"],
            ["29 days !", "≤ 30 days"],
            ["365 days", "ok"],
        ]
        assert overview.rows[0].hash == expired
        summary = str(overview.query_one("#expiry-summary").render())
        assert summary == ("6 certificates; 1 expired; 1 expires within 7 days; "
                           "2 expire within 14 days; 1 expires within 30 days")

        await pilot.press("R")  # on the expired one, at the top
        await wait_for(pilot, lambda: isinstance(app.screen, RenewScreen), what="renew")
        assert app.screen.cert_hash == expired
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is overview
        table.move_cursor(row=1)
        await pilot.press("enter")  # shows the certificate on the keys screen
        await wait_for(pilot, lambda: isinstance(app.screen, KeysScreen), what="keys")
        assert app.screen is keys
        assert keys.selection.cert.certificate_details.hash == overview.rows[1].hash
