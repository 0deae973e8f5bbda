"""The matrix widget on its own: drawing only what is in view, fixed headers, keys, read-only."""

from __future__ import annotations

from typing import Any

from access_support import matrix_text, synthetic_model
from textual.app import App, ComposeResult

from screens.access.matrix import COLUMN_WIDTH, AccessMatrix
from screens.access.matrix_model import MatrixModel


class MatrixApp(App[None]):
    def __init__(self, model: MatrixModel, *, read_only: bool = False) -> None:
        super().__init__()
        self.model = model
        self.read_only = read_only
        self.messages: list[Any] = []
        self.told: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield AccessMatrix(self.model, id="matrix")

    def on_mount(self) -> None:
        matrix = self.query_one(AccessMatrix)
        matrix.focus()
        matrix.data_changed()

    def on_access_matrix_staged(self, event: AccessMatrix.Staged) -> None:
        self.messages.append(event)

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        self.told.append((title, message))


async def test_headers_stay_while_cells_scroll_and_only_visible_lines_are_drawn() -> None:
    app = MatrixApp(synthetic_model(500, 300))
    async with app.run_test(size=(100, 20)) as pilot:
        matrix = app.query_one(AccessMatrix)
        await pilot.pause()
        first = matrix_text(matrix)
        assert "70000000" in first[0]  # a subsystem's member code over its subsystem code
        assert first[1].startswith(" service \\ sub") and "sub0" in first[1]
        assert first[2].startswith(" service-000.v1") and "[✓]" in first[2]
        assert first[3].startswith(" service-001.v1")  # natural order: 1 before 10
        for _ in range(40):
            await pilot.press("down")
        for _ in range(25):
            await pilot.press("right")
        await pilot.pause()
        lines = matrix_text(matrix)
        model = matrix.model
        assert lines[1].startswith(" service \\ sub")  # the subject header stayed on top
        assert "sub0 " not in lines[1] and model.subject_at(25).short in lines[1]
        assert model.subject_at(25).header[0] in lines[0]
        assert any(line.startswith(" service-040.v1") and "[" in line for line in lines[2:])
        assert matrix.scroll_x % COLUMN_WIDTH == 0  # whole columns: headers line up with cells
        matrix.renders = 0
        matrix.refresh()
        await pilot.pause()
        assert 0 < matrix.renders <= 3 * matrix.size.height  # never 500 lines


async def test_selection_grant_revoke_and_toggle_are_drawn_with_their_marks() -> None:
    app = MatrixApp(synthetic_model(20, 12))
    async with app.run_test(size=(100, 20)) as pilot:
        matrix = app.query_one(AccessMatrix)
        await pilot.press("right", "shift+down", "shift+right", "shift+right")
        model = matrix.model
        assert model.selection_bounds() == (0, 1, 1, 3)
        await pilot.press("g")
        assert model.counts()[0] == 6 - sum(
            1 for row in (0, 1) for col in (1, 2, 3)
            if (model.service_at(row).code, model.subject_at(col).id) in model.rights)
        assert app.messages and app.messages[-1].changed == model.counts()[0]
        await pilot.pause()
        lines = matrix_text(matrix, 4)
        assert "+" in lines[2] and "[" in lines[3]
        await pilot.press("home", "ctrl+left", "space")  # row 0, col 0 holds a right
        assert model.state_at(0, 0) == "pending-revoke"
        await pilot.pause()
        assert "[✗]" in matrix_text(matrix, 3)[2]
        await pilot.press("v", "down", "r")
        assert model.state_at(1, 0) == "none" and model.anchor is None


async def test_read_only_mode_refuses_every_change_and_says_why() -> None:
    app = MatrixApp(synthetic_model(5, 5), read_only=True)
    async with app.run_test(size=(80, 12)) as pilot:
        matrix = app.query_one(AccessMatrix)
        await pilot.press("space", "g", "r")
        assert not matrix.model.pending and not app.messages
        assert matrix.check_action("grant", ()) is None
        assert "read-only" in (matrix.disabled_reason("grant") or "")
        await pilot.press("down", "right")  # moving still works
        assert (matrix.model.row, matrix.model.col) == (1, 1)


async def test_a_click_moves_the_cursor_and_shift_click_selects() -> None:
    app = MatrixApp(synthetic_model(10, 10))
    async with app.run_test(size=(100, 15)) as pilot:
        matrix = app.query_one(AccessMatrix)
        left = matrix.row_header_width
        await pilot.click(AccessMatrix, offset=(left + 2 * COLUMN_WIDTH + 3, 4))
        assert (matrix.model.row, matrix.model.col) == (2, 2)
        await pilot.click(AccessMatrix, offset=(left + 4 * COLUMN_WIDTH + 3, 6), shift=True)
        assert matrix.model.selection_bounds() == (2, 4, 2, 4)


async def test_the_help_lists_the_keys_of_the_focused_matrix() -> None:
    from screens.help import binding_rows

    app = MatrixApp(synthetic_model(5, 4))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        rows = binding_rows(app, app.screen)
        matrix_rows = {row.description for row in rows if row.scope == "Access matrix"}
        assert matrix_rows, "the matrix's own keys are missing from the help"
        assert any("grant" in text.lower() for text in matrix_rows)
        assert any("revoke" in text.lower() for text in matrix_rows)
