"""The wizard's widgets on their own: the host file picker, the PIN input, the hash display."""

from __future__ import annotations

from pathlib import Path

from setup_support import write
from textual.app import App, ComposeResult
from textual.widgets import Input

from screens.widgets.checklist import Check, StatusChecklist
from screens.widgets.file_picker import FilePicker, FilteredTree
from screens.widgets.hash_display import HashDisplay
from screens.widgets.pin_input import PinInput


class PickerApp(App[None]):
    def __init__(self, start: Path, **options) -> None:
        super().__init__()
        self.start = start
        self.options = options
        self.picked: list[Path] = []

    def compose(self) -> ComposeResult:
        yield FilePicker(start=self.start, **self.options)

    def on_file_picker_picked(self, event: FilePicker.Picked) -> None:
        self.picked.append(event.path)


async def loaded(pilot, tree: FilteredTree) -> list[str]:
    for _ in range(200):
        if tree.root.children:
            break
        await pilot.pause(0.01)
    return sorted(str(node.label) for node in tree.root.children)


async def test_the_picker_lists_directories_and_the_wanted_files_only(tmp_path: Path) -> None:
    home = tmp_path / "op"
    write(home / "anchor.xml", "<a/>")
    write(home / "ANCHOR2.XML", "<a/>")
    write(home / "notes.txt", "x")
    write(home / ".hidden.xml", "<a/>")
    write(home / "downloads" / "tunduk.xml", "<a/>")
    app = PickerApp(home, suffixes=(".xml",))
    async with app.run_test() as pilot:
        picker = app.query_one(FilePicker)
        assert picker.path_input.value == f"{home}/"
        assert await loaded(pilot, picker.tree) == ["ANCHOR2.XML", "anchor.xml", "downloads"]
        picker.path_input.value = str(home / "downloads")
        picker.path_input.focus()
        await pilot.press("enter")  # a typed directory moves the tree there
        assert picker.tree.path == home / "downloads" and app.picked == []
        picker.path_input.value = "~/nowhere.xml"
        await pilot.press("enter")
        assert app.picked == []
        picker.path_input.value = str(home / "notes.txt")  # typed: any name goes
        await pilot.press("enter")
        assert app.picked == [home / "notes.txt"]


async def test_a_directory_picker_picks_directories(tmp_path: Path) -> None:
    home = tmp_path / "op"
    (home / "out").mkdir(parents=True)
    write(home / "file.xml", "<a/>")
    app = PickerApp(home, directories=True)
    async with app.run_test() as pilot:
        picker = app.query_one(FilePicker)
        assert await loaded(pilot, picker.tree) == ["out"]
        picker.path_input.value = str(home / "file.xml")
        picker.path_input.focus()
        await pilot.press("enter")
        assert app.picked == []  # a file is not a directory
        picker.path_input.value = str(home / "out")
        await pilot.press("enter")
        assert app.picked == [home / "out"]


class WidgetsApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PinInput(enforced=True)
        yield HashDisplay("ab" * 28, title="Hash (SHA-224)")
        yield StatusChecklist()


async def test_pin_input_hides_the_pin_and_hash_and_checklist_read_without_colour() -> None:
    app = WidgetsApp()
    async with app.run_test() as pilot:
        pin = app.query_one(PinInput)
        fields = list(pin.query(Input))
        assert all(field.password for field in fields)
        fields[0].focus()
        await pilot.press(*"Tunduk-PIN", "enter")  # enter goes on to the second entry
        assert app.focused is fields[1]
        await pilot.press(*"Tunduk-PIN")
        assert pin.pin is not None and pin.pin.reveal() == "Tunduk-PIN"
        assert "Tunduk" not in repr(pin.pin)
        pin.clear()
        await pilot.pause()
        assert pin.pin is None
        assert app.query_one(HashDisplay).value == "ab" * 28
        checklist = app.query_one(StatusChecklist)
        checklist.show([Check("token", True), Check("OCSP", False, "UNKNOWN"),
                        Check("conf", None)])
        assert checklist.plain_text() == "✓ token\n✗ OCSP  UNKNOWN\n… conf"
        assert not checklist.all_ok and [c.label for c in checklist.failing] == ["OCSP", "conf"]
