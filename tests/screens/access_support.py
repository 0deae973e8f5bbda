"""Helpers for the access-rights tests: synthetic matrices, and the sandbox steps."""

from __future__ import annotations

from typing import Any

from screens.access.matrix_model import MatrixModel, ServiceRow, SubjectColumn


def synthetic_services(count: int) -> list[ServiceRow]:
    return [ServiceRow(f"service-{index:03d}.v1", f"Register extract {index}",
                       f"KG:GOV:70000001:bench:service-{index:03d}.v1") for index in range(count)]


def synthetic_subjects(count: int) -> list[SubjectColumn]:
    subjects = []
    for index in range(count):
        if index % 10 == 9:
            subjects.append(SubjectColumn(str(1000 + index), "LOCALGROUP", f"Group {index}",
                                          code=f"group-{index}"))
        elif index % 10 == 8:
            subjects.append(SubjectColumn(f"KG:global-{index}", "GLOBALGROUP", f"Global {index}"))
        else:
            subjects.append(SubjectColumn(f"KG:GOV:7{index:07d}:sub{index}", "SUBSYSTEM",
                                          f"Org {index}"))
    return subjects


def synthetic_model(services: int, subjects: int) -> MatrixModel:
    """``services`` × ``subjects`` with about one right in eleven cells."""
    rows, cols = synthetic_services(services), synthetic_subjects(subjects)
    rights = [(row.code, col.id) for i, row in enumerate(rows) for j, col in enumerate(cols)
              if (i * 7 + j * 3) % 11 == 0]
    return MatrixModel(rows, cols, rights)


def matrix_text(matrix: Any, lines: int | None = None) -> list[str]:
    """The matrix's lines as text, as drawn now."""
    height = lines if lines is not None else matrix.scrollable_content_region.height
    return [matrix.render_line(y).text for y in range(height)]
