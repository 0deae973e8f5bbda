"""The archives screen over what ``kapka sandbox traffic`` writes: under ``kapka --sandbox`` the screen
shows the sandbox's own message log, a record is found by its query id, and the whole directory
verifies against the sandbox's verification configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

from archives_support import SIZE, console_app, open_archives
from screen_support import wait_for
from textual.widgets import Input, Static

from backend.archive.search import ArchiveSearch, RecordFilter
from backend.archive.verify import Status
from backend.sandbox.traffic.generate import Options, generate
from console.sandbox_session import EmbeddedSandbox
from screens.archives.detail import RecordScreen
from screens.archives.verify_screen import VerifyScreen
from tests.sandboxes import PIN, Templates


async def test_sandbox_traffic_found_read_and_verified(templates: Templates, tmp_path: Path, config) -> None:
    data_dir = tmp_path / "sandbox"
    shutil.copytree(templates.populated, data_dir)
    result = generate(data_dir, Options(60, seed=5, max_filesize=60_000), lambda: PIN)
    assert len(result.files) >= 2
    settings = EmbeddedSandbox(data_dir).archive_settings(config.archives)
    assert settings.origin == "sandbox" and settings.archive_dir == result.layout.archive
    assert settings.verification_conf == result.layout.verification_conf
    app = console_app(config, settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        assert screen.source.count == 60
        with ArchiveSearch(screen.session.index_path, settings.archive_dir) as search:
            rest = search.page(RecordFilter(kind="rest"), 0, 1)[0]
        screen.query_one("#records-filter", Input).value = rest.query_id
        await pilot.press("slash", "enter")
        await wait_for(pilot, lambda: screen.source.counted and screen.records.current is not None,
                       what="search")
        assert {screen.source.get(n).query_id for n in range(screen.source.count)} == {rest.query_id}
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.report is not None,
                       timeout=30, what="record")
        detail = app.screen
        assert detail.report.status is Status.PASS, detail.report.to_dict()
        assert rest.query_id in str(detail.query_one("#record-facts", Static).content)
        await pilot.press("escape", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, VerifyScreen), what="verify screen")
        verify = app.screen
        await wait_for(pilot, lambda: verify.report is not None, timeout=120, what="verification")
        report = verify.report
        assert report.status is Status.PASS, report.to_dict()
        assert report.totals()["records_passed"] == 60 and "ocsp" in report.layers
