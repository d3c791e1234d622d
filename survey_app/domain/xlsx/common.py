"""What every workbook shares: formula-safe cells, a styled table, rounding, bytes."""
from __future__ import annotations

import io
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter


# Leading characters a spreadsheet may read as the start of a formula (ASCII and full-width).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F5C99")


def safe_text(value: str) -> str:
    """Make text inert in a spreadsheet: prefix an apostrophe when it could start a formula."""
    if value and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell_value(v):
    if isinstance(v, str):
        return safe_text(v)
    return v


def write_table(ws, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None,
                formats: dict[int, str] | None = None) -> None:
    """Write a header row and data rows with frozen header, filter, widths and number formats."""
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 0
    formats = formats or {}
    for r, row in enumerate(rows, start=2):  # ws.cell is O(1); ws.max_row would make this quadratic
        count += 1
        for col, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=_cell_value(v))
            if isinstance(v, str):
                cell.data_type = "s"  # never let openpyxl store text as a formula
            if col in formats:
                cell.number_format = formats[col]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    for i, h in enumerate(headers, start=1):
        width = widths[i - 1] if widths else max(10, len(h) * 2 + 2)
        ws.column_dimensions[get_column_letter(i)].width = width


def rounded(v, nd: int = 1):
    """A figure rounded for a cell (None stays an empty cell)."""
    return None if v is None else round(v, nd)


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
