"""Exports from the archives screens: the current search as CSV and one record's .asice, each written
whole into the chosen directory, never over an existing file, and entered in the audit journal."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from archives_support import REST_QUERY, SIZE, SOAP_QUERY, console_app, open_archives, settings, write_mixed
from screen_support import wait_for
from textual.widgets import Input

from backend.archive.search import CSV_HEADER, ArchiveSearch, RecordFilter, write_csv
from screens.archives.detail import RecordScreen
from screens.archives.export import ExportDirectoryDialog


async def _choose_directory(pilot, directory: Path) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportDirectoryDialog),
                   what="directory dialog")
    dialog = pilot.app.screen
    field = dialog.query_one("#picker-path", Input)
    field.value = str(directory)
    field.focus()
    await pilot.press("enter")


async def test_search_result_as_csv(tmp_path: Path, config, journal) -> None:
    archive_dir, out = tmp_path / "xroad", tmp_path / "out"
    write_mixed(archive_dir)
    out.mkdir()
    app = console_app(config, settings(archive_dir), journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        screen.query_one("#records-filter", Input).value = "kind:rest"
        await pilot.press("slash", "enter")
        await wait_for(pilot, lambda: screen.source.counted, what="search")
        assert screen.source.count == 2
        await pilot.press("e")
        await _choose_directory(pilot, out)
        await wait_for(pilot, lambda: screen.exported is not None, what="CSV export")
        written = screen.exported
        assert written.parent == out and written.suffix == ".csv"
        assert written.stat().st_mode & 0o777 == 0o600
        rows = list(csv.reader(written.open(encoding="utf-8", newline="")))
        assert tuple(rows[0]) == CSV_HEADER
        assert [row[2] for row in rows[1:]] == [REST_QUERY, REST_QUERY]
        assert [row[5] for row in rows[1:]] == ["rest", "rest"]
        with ArchiveSearch(screen.session.index_path, archive_dir) as search:
            expected = io.StringIO(newline="")
            write_csv(search, RecordFilter(kind="rest"), expected)
        assert written.read_bytes().decode("utf-8") == expected.getvalue()

        await pilot.press("e")  # the same export again: a second file, the first one untouched
        first = written
        await _choose_directory(pilot, out)
        await wait_for(pilot, lambda: screen.exported != first, what="second CSV export")
        assert screen.exported.name != first.name and first.read_bytes().decode() == expected.getvalue()
    actions = [entry["action"] for entry in journal.tail(10)]
    assert actions.count("archive.records_exported") == 2
    assert journal.tail(1)[0]["details"]["filter"] == "kind:rest"


async def test_record_container_as_asice(tmp_path: Path, config, journal) -> None:
    archive_dir, out = tmp_path / "xroad", tmp_path / "evidence"
    paths = write_mixed(archive_dir)
    out.mkdir()
    app = console_app(config, settings(archive_dir), journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        screen.query_one("#records-filter", Input).value = f"{SOAP_QUERY} dir:request"
        await pilot.press("slash", "enter")
        await wait_for(pilot, lambda: screen.source.counted and screen.records.current is not None,
                       what="search")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordScreen) and app.screen.loaded is not None,
                       what="record")
        detail = app.screen
        entry = detail.loaded.detail.entry
        await pilot.press("e")
        await _choose_directory(pilot, out)
        await wait_for(pilot, lambda: detail.exported is not None, what=".asice export")
        saved = detail.exported
        assert saved == out / entry and saved.suffix == ".asice"
        with zipfile.ZipFile(paths[0]) as archive:
            assert saved.read_bytes() == archive.read(entry)
        with zipfile.ZipFile(saved) as container:  # an ASiC-E container on its own
            assert container.read("mimetype") == b"application/vnd.etsi.asic-e+zip"
            assert SOAP_QUERY.encode() in container.read("message.xml")
    actions = [entry["action"] for entry in journal.tail(10)]
    assert "archive.record_viewed" in actions and "archive.record_exported" in actions


async def test_export_into_a_missing_directory_is_refused_in_the_dialog(tmp_path: Path, config) -> None:
    archive_dir = tmp_path / "xroad"
    write_mixed(archive_dir)
    app = console_app(config, settings(archive_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        await pilot.press("e")
        await _choose_directory(pilot, tmp_path / "no-such-dir")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDirectoryDialog)  # still asking
        await pilot.click("#dialog-ok")
        assert "existing directory" in str(dialog.query_one("#dialog-problem").content)
        await pilot.press("escape")
        assert app.screen is screen and screen.exported is None
