"""What every workbook shares: formula-safe cells, a styled table, rounding, bytes."""
from __future__ import annotations

import io
import re
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter


# Leading characters a spreadsheet may read as the start of a formula (ASCII and full-width).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F5C99")


SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")


def safe_text(value: str) -> str:
    """Make text inert and writable in a spreadsheet.

    Characters XML cannot hold (NUL and other control characters, which residents can type)
    become U+FFFD instead of failing the whole workbook; text that could start a formula, after
    any leading spaces (ASCII or full-width), gets an apostrophe in front.
    """
    if not value:
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if value.lstrip(" \u3000").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_title(value: str) -> str:
    """A sheet name from any text: no characters Excel forbids, at most 31 of them, never a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", SHEET_TITLE_FORBIDDEN.sub("_", str(value)))
    text = text.lstrip("".join(FORMULA_STARTS) + " \u3000'").rstrip("'")[:31].rstrip("'")
    return text or "Sheet"


def text_cell(cell, value) -> None:
    """Put a value in a cell; text is always stored as text (openpyxl reads '=...' as a formula)."""
    cell.value = _cell_value(value)
    if isinstance(value, str):
        cell.data_type = "s"


EXCEL_MAX_TEXT = 32767  # characters one cell can hold; longer text is cut, not refused


def _cell_value(v):
    if isinstance(v, str):
        return safe_text(v[:EXCEL_MAX_TEXT - 1])
    return v


def write_table(ws, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None,
                formats: dict[int, str] | None = None) -> None:
    """Write a header row and data rows with frozen header, filter, widths and number formats."""
    for col, h in enumerate(headers, start=1):
        text_cell(ws.cell(row=1, column=col), h)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 0
    formats = formats or {}
    for r, row in enumerate(rows, start=2):  # ws.cell is O(1); ws.max_row would make this quadratic
        count += 1
        for col, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col)
            text_cell(cell, v)  # never let openpyxl store text as a formula
            if col in formats:
                cell.number_format = formats[col]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    for i, h in enumerate(headers, start=1):
        width = widths[i - 1] if widths else min(60, max(10, len(str(h)) * 2 + 2))
        ws.column_dimensions[get_column_letter(i)].width = width


def rounded(v, nd: int = 1):
    """A figure rounded for a cell (None stays an empty cell)."""
    return None if v is None else round(v, nd)


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
