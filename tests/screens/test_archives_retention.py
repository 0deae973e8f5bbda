"""Retention: the [archives] settings refuse less than three years (Tunduk), the Retention tab shows
the oldest archive, the period and the files missing from a chain, and Kapka offers no way to delete
an archive. Also: the app's key and palette commands open the screen without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from archives_support import SIZE, console_app, open_archives, settings, write_mixed
from screen_support import wait_for
from textual.widgets import Static

from console.archive_settings import ArchiveSettings, ArchiveSettingsError, check_retention_years
from console.commands import kapka_commands
from console.config import Config, ConfigError
from screens.archives import ArchivesScreen
from screens.archives.detail import RecordScreen
from screens.archives.retention import retention, retention_lines, years_before
from screens.archives.verify_screen import VerifyScreen
from screens.help import HelpScreen
from tests.archive.builder import write_traffic


@pytest.mark.parametrize("years", [0, 1, 2, -3])
def test_retention_below_three_years_is_refused_in_the_config_file(tmp_path: Path, years: int) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[archives]\nretention_years = {years}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert caught.value.title == "Retention below the legal minimum"
    assert "Tunduk" in caught.value.message and "at least 3 years" in caught.value.message
    assert str(path) in caught.value.message


@pytest.mark.parametrize("value", ['"5"', "3.5", "true"])
def test_retention_must_be_whole_years(tmp_path: Path, value: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[archives]\nretention_years = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="whole number of years"):
        Config.load(path)


def test_retention_of_three_years_or_more_is_kept_and_saved(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# mine\n[archives]\narchive_dir = "/srv/mlog" # copied here\nretention_years = 3\n',
                    encoding="utf-8")
    config = Config.load(path)
    assert config.archives == ArchiveSettings(archive_dir=Path("/srv/mlog"), retention_years=3)
    config.archives = ArchiveSettings(archive_dir=Path("/srv/mlog"), retention_years=7)
    config.save()
    text = path.read_text(encoding="utf-8")
    assert "retention_years = 7" in text and '"/srv/mlog" # copied here' in text and "# mine" in text
    assert Config.load(path).archives.retention_years == 7
    with pytest.raises(ArchiveSettingsError):
        ArchiveSettings(retention_years=2)
    assert check_retention_years(10) == 10


def test_defaults_are_xroads_paths_and_are_not_written(tmp_path: Path) -> None:
    config = Config.load(tmp_path / "config.toml")
    assert config.archives.archive_dir == Path("/var/lib/xroad")
    assert config.archives.gpg_home == Path("/etc/xroad/gpghome")
    assert config.archives.verification_conf == Path("/etc/xroad/globalconf")
    assert config.archives.retention_years == 3
    assert "[archives]" not in config.dumps()


def test_unknown_archive_setting_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[archives]\nretention = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting “retention”"):
        Config.load(path)


def test_retention_lines_name_old_files_and_say_nothing_is_deleted(tmp_path: Path) -> None:
    from backend.archive.index import ArchiveIndex

    directory = tmp_path / "xroad"
    write_traffic(directory, 30, per_file=10)  # March 2024
    with ArchiveIndex(directory, index_path=tmp_path / "index.sqlite") as index:
        index.update()
        files = index.files()
    now = datetime(2027, 6, 1, tzinfo=UTC)
    summary = retention(files, 3, [], now=now)
    assert summary.cutoff == datetime(2024, 6, 1, tzinfo=UTC) and len(summary.past) == 3
    text = "\n".join(line for _style, line in retention_lines(summary, now))
    assert "3 files end before 2024-06-01" in text and "They are kept" in text
    assert "3 years and 3 months ago" in text
    assert "never deletes" in text
    assert years_before(datetime(2028, 2, 29, tzinfo=UTC), 3) == datetime(2025, 2, 28, tzinfo=UTC)


async def test_retention_tab_shows_oldest_archive_period_and_missing_files(tmp_path: Path, config) -> None:
    directory = tmp_path / "xroad"
    first, middle, _last = write_traffic(directory, 30, per_file=10)
    middle.unlink()
    app = console_app(config, settings(directory, retention_years=5))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_archives(pilot)
        await pilot.press("3")
        text = str(screen.query_one("#retention-body", Static).content)
        assert "Retention period: 5 years" in text
        assert f"Oldest archive: {first.name}, from 2024-03-01" in text
        assert f"The archive file {middle.name} is missing" in text
        assert "never deletes" in text


async def test_no_action_deletes_an_archive_and_help_says_so(tmp_path: Path, config) -> None:
    for screen_class in (ArchivesScreen, RecordScreen, VerifyScreen):
        actions = [binding.action for binding in screen_class.BINDINGS]
        assert not [action for action in actions if "delete" in action or "remove" in action]
    directory = tmp_path / "xroad"
    write_mixed(directory)
    app = console_app(config, settings(directory))
    async with app.run_test(size=SIZE) as pilot:
        await open_archives(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        note = str(app.screen.query_one("#help-note", Static).content)
        assert "never deletes" in note and "no delete action" in note


async def test_key_and_palette_open_the_archives_without_a_server(tmp_path: Path, config) -> None:
    directory = tmp_path / "xroad"
    write_mixed(directory)
    app = console_app(config, settings(directory))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.server is None
        names = {command.name: command for command in kapka_commands(app)}
        assert "archives: open" in names and "archives: verify" in names
        app.set_focus(None)
        await pilot.press("m")  # the app's key, from the connect screen
        await wait_for(pilot, lambda: isinstance(app.screen, ArchivesScreen), what="archives by key")
        screen = app.screen
        await wait_for(pilot, lambda: screen.indexed >= 1, what="index")
        names["archives: verify"].callback()
        await wait_for(pilot, lambda: isinstance(app.screen, VerifyScreen), what="verify by palette")
        await wait_for(pilot, lambda: app.screen.report is not None, timeout=30, what="verification")
        names["archives: open"].callback()  # back to the one archives screen, not a second one
        await pilot.pause()
        assert app.screen is screen
        assert sum(isinstance(s, ArchivesScreen) for s in app.screen_stack) == 1
