"""The archives screen over a directory of archives: files, records, search, detail (SOAP and REST),
the index reused, a directory that is missing — with no server connection at all."""

from __future__ import annotations

import os
from pathlib import Path

from archives_support import (
    CLIENT,
    REST_BODY,
    REST_QUERY,
    SIZE,
    SOAP_QUERY,
    console_app,
    flip_byte,
    open_archives,
    settings,
    write_mixed,
)
from screen_support import wait_for
from textual.widgets import DataTable, Input, Static

from screens.archives.detail import RecordScreen


async def test_files_records_and_search_by_query_id(tmp_path: Path, config) -> None:
    archive_dir = tmp_path / "xroad"
    write_mixed(archive_dir)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        assert app.server is None  # no server: the archives are files on this host
        assert len(screen.session.files) == 2
        assert screen.source.count == 40
        assert "40 records" in str(screen.query_one("#records-count", Static).render())
        first = screen.records.current
        assert first is not None and first.query_id == SOAP_QUERY and not first.response

        await pilot.press("2")
        table = screen.query_one("#files-table", DataTable)
        assert table.row_count == 2
        chain_cells = [str(table.get_row_at(row)[0]) for row in range(2)]
        assert chain_cells == ["linked", "linked"]

        await pilot.press("slash")
        assert screen.focused is screen.query_one("#records-filter", Input)
        await pilot.press(*REST_QUERY, "enter")
        await wait_for(pilot, lambda: screen.source.counted and screen.source.count == 2, what="search")
        await wait_for(pilot, lambda: screen.records.current is not None, what="first page")
        assert screen.focused is screen.records
        assert {screen.source.get(0).query_id, screen.source.get(1).query_id} == {REST_QUERY}
        assert "2 of 40 records match" in str(screen.query_one("#records-count", Static).render())


async def test_soap_record_detail(tmp_path: Path, config) -> None:
    archive_dir = tmp_path / "xroad"
    write_mixed(archive_dir)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        screen.query_one("#records-filter", Input).value = f"{SOAP_QUERY} dir:response"
        await pilot.press("slash", "enter")
        await wait_for(pilot, lambda: screen.source.counted and screen.records.current is not None,
                       what="search")
        assert screen.source.count == 1
        await pilot.press("enter")
        detail = await _detail(pilot)
        facts = str(detail.query_one("#record-facts", Static).render())
        assert SOAP_QUERY in facts and CLIENT in facts and "response" in facts
        message = _plain(detail, "#record-message")
        assert "<name>Aibek</name>" in message
        assert "\n" in message and "  <" in message  # indented, one element a line
        verification = _plain(detail, "#record-verification")
        assert "ASiC-E structure complete" in verification
        assert "linkinginfo_link_ok" in verification  # its line in the file's chain
        await pilot.press("escape")
        assert app.screen is screen


async def test_rest_record_detail_shows_request_line_headers_and_body(tmp_path: Path, config) -> None:
    archive_dir = tmp_path / "xroad"
    write_mixed(archive_dir)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        screen.query_one("#records-filter", Input).value = f"q:{REST_QUERY} kind:rest dir:request"
        await pilot.press("slash", "enter")
        await wait_for(pilot, lambda: screen.source.counted and screen.records.current is not None,
                       what="search")
        await pilot.press("enter")
        detail = await _detail(pilot)
        message = _plain(detail, "#record-message")
        assert "POST /r1/CS/COM/6006/shop/orders" in message
        assert "x-road-client: CS/COM/2002/billing" in message
        assert f"body ({len(REST_BODY)} B)" in message
        assert REST_BODY.decode() in message


async def test_an_altered_record_is_shown_with_what_is_wrong(tmp_path: Path, config) -> None:
    archive_dir = tmp_path / "xroad"
    first, _second = write_mixed(archive_dir)
    entry = flip_byte(first, 0)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        await pilot.press("enter")
        detail = await _detail(pilot)
        assert detail.loaded.detail.entry == entry
        facts = _plain(detail, "#record-facts")
        assert "does not match its checksum" in facts and SOAP_QUERY in facts
        verification = _plain(detail, "#record-verification")
        assert "entry_crc_mismatch" in verification and "linkinginfo_digest_mismatch" in verification
        await pilot.press("escape")
        assert app.screen is screen


async def test_index_is_reused_on_the_second_opening(tmp_path: Path, config) -> None:
    archive_dir = tmp_path / "xroad"
    write_mixed(archive_dir)
    for round_ in (1, 2):
        app = console_app(config, settings(archive_dir))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_archives(pilot)
            where = str(screen.query_one("#archives-where", Static).render())
            summary = screen.session.last_update
            assert summary is not None
            if round_ == 1:
                assert summary.added == 2 and "index updated" in where
            else:
                assert summary.unchanged == 2 and summary.records == 0 and "index reused" in where
            assert screen.source.count == 40


async def test_a_damaged_index_is_built_again(tmp_path: Path, config) -> None:
    from backend.archive.index import default_index_path

    archive_dir = tmp_path / "xroad"
    write_mixed(archive_dir)
    index = default_index_path(archive_dir)
    index.parent.mkdir(parents=True)
    index.write_bytes(b"this is not an SQLite database, it was damaged" * 100)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        assert not screen.query_one("#archives-error").has_class("-visible")
        assert screen.session.last_update.added == 2
        await wait_for(pilot, lambda: screen.source.count == 40 and screen.records.current is not None,
                       what="records of the rebuilt index")


async def test_missing_directory_is_a_clear_message(tmp_path: Path, config) -> None:
    app = console_app(config, settings(tmp_path / "nowhere"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        panel = screen.query_one("#archives-error")
        assert panel.has_class("-visible")
        assert panel.error_title == "No archive directory"
        assert "archive_dir" in panel.error_message and str(tmp_path / "nowhere") in panel.error_message
        await pilot.press("v")  # nothing to verify: said, not attempted
        assert app.screen is screen


async def test_sandbox_hint_when_no_traffic_was_written(tmp_path: Path, config) -> None:
    app = console_app(config, settings(tmp_path / "sandbox" / "messagelog" / "archive", origin="sandbox"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        assert "kapka sandbox traffic" in screen.query_one("#archives-error").error_message


async def _detail(pilot) -> RecordScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RecordScreen), what="record screen")
    detail = pilot.app.screen
    await wait_for(pilot, lambda: detail.report is not None, timeout=20, what="record verification")
    await pilot.pause()
    return detail


def _plain(screen, selector: str) -> str:
    """What a Static shows, as plain text (rich renderables printed without colour)."""
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(screen.query_one(selector, Static).content)
    return console.export_text()
