"""Verification from the archives screen: a good directory passes every layer, a flipped byte and a
file removed from the middle of a chain are named exactly, a run can be cancelled, and without a
verification configuration the layers that need one are UNVERIFIED with the reason."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from archives_support import SIZE, console_app, flip_byte, open_archives, settings, write_signed
from screen_support import wait_for
from textual.widgets import DataTable, Static, Tree

from backend.archive.verify import Status
from screens.archives import ArchivesScreen, verify_screen
from screens.archives.verify_screen import VerifyScreen
from tests.archive_verify import forge


@pytest.fixture(scope="module")
def pki() -> forge.Pki:
    return forge.Pki.create("archives-screen")


@pytest.fixture
def signed(tmp_path: Path, pki: forge.Pki) -> tuple[Path, Path]:
    """Three chained archive files of four signed, timestamped records, and their verification conf."""
    directory = tmp_path / "xroad"
    write_signed(directory, pki)
    return directory, pki.write_conf(tmp_path / "globalconf")


async def _verified(pilot: Any, *, full: bool = True) -> VerifyScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, VerifyScreen), what="verify screen")
    screen = pilot.app.screen
    assert screen.full is full
    await wait_for(pilot, lambda: screen.report is not None, timeout=60, what="verification")
    await pilot.pause()
    return screen


def _tree_text(screen: VerifyScreen) -> str:
    lines = []

    def walk(node: Any) -> None:
        lines.append(str(node.label))
        for child in node.children:
            walk(child)

    walk(screen.query_one(Tree).root)
    return "\n".join(lines)


async def test_good_directory_passes_every_layer(signed: tuple[Path, Path], config) -> None:
    directory, conf = signed
    app = console_app(config, settings(directory, verification_conf=conf))
    async with app.run_test(size=SIZE) as pilot:
        archives = await open_archives(pilot)
        await pilot.press("v")
        screen = await _verified(pilot)
        report = screen.report
        assert report is not None and not report.cancelled
        assert report.status is Status.PASS, report.to_dict()
        assert report.totals()["records_passed"] == 12
        assert "certificate" in report.layers and "ocsp" in report.layers
        assert screen.query_one("#verify-conf").has_class("-ok")
        assert "PASS" in str(screen.query_one("#verify-summary", Static).content)
        await pilot.press("escape")
        assert app.screen is archives
        await pilot.press("2")
        table = archives.query_one("#files-table", DataTable)
        assert [str(table.get_row_at(row)[0]) for row in range(3)] == ["✓ verified"] * 3


async def test_flipped_byte_is_named_with_its_entry_and_layer(signed: tuple[Path, Path], config) -> None:
    directory, conf = signed
    middle = sorted(directory.glob("mlog-*.zip"))[1]
    entry = flip_byte(middle, 1)
    app = console_app(config, settings(directory, verification_conf=conf))
    async with app.run_test(size=SIZE) as pilot:
        await open_archives(pilot, verify=True)
        screen = await _verified(pilot)
        report = screen.report
        assert report is not None and report.status is Status.FAIL
        broken = {f.name: f for f in report.files}[middle.name]
        assert broken.status is Status.FAIL and broken.records_failed >= 1
        codes = {(f.code, f.entry) for f in broken.findings}
        assert ("linkinginfo_digest_mismatch", entry) in codes
        record = next(r for r in broken.records if r.name == entry)
        assert "entry_crc_mismatch" in {f.code for f in record.findings}
        shown = _tree_text(screen)
        assert middle.name in shown and entry in shown and "linkinginfo_digest_mismatch" in shown
        others = [f for f in report.files if f.name != middle.name]
        assert all(f.records_failed == 0 for f in others)


async def test_file_removed_from_the_middle_of_a_chain_is_named(signed: tuple[Path, Path], config) -> None:
    directory, conf = signed
    first, middle, last = sorted(directory.glob("mlog-*.zip"))
    middle.unlink()
    app = console_app(config, settings(directory, verification_conf=conf))
    async with app.run_test(size=SIZE) as pilot:
        archives = await open_archives(pilot)
        warning = archives.query_one("#archives-warning", Static)
        assert not warning.has_class("-hidden")  # the index's linkinginfo headers already tell
        assert middle.name in str(warning.content)
        await pilot.press("v")
        screen = await _verified(pilot)
        report = screen.report
        assert report is not None and report.status is Status.FAIL
        follower = {f.name: f for f in report.files}[last.name]
        missing = [f for f in follower.findings if f.code == "archive_missing"]
        assert missing and missing[0].entry == middle.name and middle.name in missing[0].message
        assert "archive_missing" in _tree_text(screen)
        await pilot.press("escape", "2")
        table = archives.query_one("#files-table", DataTable)
        states = {str(table.get_row_at(row)[-1]): str(table.get_row_at(row)[0]) for row in range(2)}
        assert states == {first.name: "✓ verified", last.name: "✗ broken"}


async def test_cancel_stops_the_run_and_keeps_no_verdicts(signed: tuple[Path, Path], config,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    directory, conf = signed
    real = verify_screen.verify_directory
    gate, reported = threading.Event(), threading.Event()

    def held(path: Path, **options: Any) -> Any:
        progress = options["progress"]

        def report_then_wait(done: int, total: int) -> None:
            progress(done, total)
            reported.set()
            gate.wait(20)  # the operator cancels while the first file is being verified

        return real(path, **{**options, "progress": report_then_wait})

    monkeypatch.setattr(verify_screen, "verify_directory", held)
    app = console_app(config, settings(directory, verification_conf=conf))
    async with app.run_test(size=SIZE) as pilot:
        archives = await open_archives(pilot, verify=True)
        await wait_for(pilot, lambda: isinstance(app.screen, VerifyScreen) and reported.is_set(),
                       what="first progress")
        screen = app.screen
        assert screen.running
        await pilot.press("escape")  # cancels, does not leave
        assert app.screen is screen
        gate.set()
        await wait_for(pilot, lambda: screen.report is not None, timeout=30, what="cancelled report")
        await pilot.pause()
        report = screen.report
        assert report.cancelled and len(report.files) < 3
        assert "cancelled" in str(screen.query_one("#verify-summary", Static).content)
        assert archives.session.verdicts == {}  # a cancelled run proves nothing about the chain
        await pilot.press("escape")
        assert isinstance(app.screen, ArchivesScreen)


async def test_without_configuration_certificates_are_unverified_with_the_reason(
        signed: tuple[Path, Path], config) -> None:
    directory, _conf = signed
    app = console_app(config, settings(directory))
    async with app.run_test(size=SIZE) as pilot:
        await open_archives(pilot, verify=True)
        screen = await _verified(pilot)
        report = screen.report
        assert report is not None and report.status is Status.UNVERIFIED
        assert report.totals()["records_failed"] == 0
        assert "certificate" not in report.layers
        assert any(f.code == "no_verification_configuration" for f in report.findings)
        note = str(screen.query_one("#verify-conf", Static).content)
        assert "no verification configuration" in note.lower() and "verification_conf" in note


async def test_links_only_is_fast_and_checks_the_chain(signed: tuple[Path, Path], config) -> None:
    directory, _conf = signed
    app = console_app(config, settings(directory))
    async with app.run_test(size=SIZE) as pilot:
        await open_archives(pilot)
        await pilot.press("V")
        screen = await _verified(pilot, full=False)
        report = screen.report
        assert report is not None and report.status is Status.PASS
        assert report.layers == ["archive", "linkinginfo", "chain"]
