"""What every workbook shares: formula-safe cells, a title block, a styled table set up for A4
printing, rounding, bytes."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Sequence

from flask import has_request_context, request
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from ... import access
from ...access import home_area
from ...extensions import db
from ...models import Campaign
from ..campaigns.lifecycle import default_campaign
from ..documents import in_chinese


# Leading characters a spreadsheet may read as the start of a formula (ASCII and full-width).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F5C99")
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(size=10, color="444444")

# Number formats: shares (0.4962 shows as 49.6%), means and scores (one decimal), dates.
PERCENT, MEAN, DATE, DATETIME = "0.0%", "0.0", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"

# A sheet wider than this many columns is printed landscape.
PORTRAIT_MAX_COLUMNS = 8
CITY = "全市"


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


@dataclass
class Heading:
    """The title block above a sheet's table: what the sheet is, its scope (an area's name), the
    campaign, the date it was made and the issuing office. Empty parts are left out."""
    what: str
    scope: str = ""
    campaign: str = ""
    made: date | datetime | None = None
    office: str = ""

    def lines(self) -> list[str]:
        """The block's lines, in Chinese (workbooks are Chinese documents)."""
        first = "　".join(p for p in (f"范围：{self.scope}" if self.scope else "",
                                      f"测评活动：{self.campaign}" if self.campaign else "") if p)
        made = self.made.strftime("%Y-%m-%d") if self.made else ""
        second = "　".join(p for p in (f"制表日期：{made}" if made else "",
                                       f"制表单位：{self.office}" if self.office else "") if p)
        return [self.what] + [line for line in (first, second) if line]

    def for_sheet(self, what: str) -> "Heading":
        """The same block for another sheet of the workbook."""
        return Heading(what, self.scope, self.campaign, self.made, self.office)


def office_of(user=None) -> str:
    """The issuing office of a workbook: the user's jurisdiction (district, street or company), or
    全市 for a city user, for a command run without a user, or outside a request."""
    if user is None and has_request_context() and getattr(current_user, "is_authenticated", False):
        user = current_user
    if user is None:
        return CITY
    role = getattr(user, "role", None)
    if role == "company":
        return user.company.name if getattr(user, "company", None) else CITY
    area = home_area(user) if role else None
    if area is None or area.level == "city":
        return CITY
    with in_chinese():
        return str(area.name())


def campaign_in_request() -> Campaign | None:
    """The campaign a page's ?campaign= names (already checked by the page), else the user's default."""
    if not has_request_context() or not getattr(current_user, "is_authenticated", False):
        return None
    raw = request.args.get("campaign", "")
    if raw.isdigit():
        return db.session.get(Campaign, int(raw))
    return default_campaign(access.campaign_clause(current_user))


def write_heading(ws, heading: Heading | None, columns: int) -> int:
    """Write the title block at the top of a sheet; return the row the table's header goes in."""
    if heading is None:
        return 1
    lines = heading.lines()
    last = get_column_letter(max(1, columns))
    for r, line in enumerate(lines, start=1):
        cell = ws.cell(row=r, column=1)
        text_cell(cell, line)
        cell.font = TITLE_FONT if r == 1 else NOTE_FONT
        cell.alignment = Alignment(horizontal="left", vertical="center")
        if columns > 1:
            ws.merge_cells(f"A{r}:{last}{r}")
    ws.row_dimensions[1].height = 24
    return len(lines) + 2  # one empty row between the block and the table


def print_setup(ws, columns: int, header_row: int) -> None:
    """A4, landscape when wider than PORTRAIT_MAX_COLUMNS, one page wide and as many pages tall as
    needed, the header row repeated on every printed page, page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = (ws.ORIENTATION_LANDSCAPE if columns > PORTRAIT_MAX_COLUMNS
                                 else ws.ORIENTATION_PORTRAIT)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def write_table(ws, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None,
                formats: dict[int, str] | None = None, heading: Heading | None = None) -> int:
    """Write an optional title block, then a header row and data rows with frozen header, filter,
    widths, number formats and A4 print set-up. Returns the header row's number (data follow it)."""
    top = write_heading(ws, heading, len(headers))
    for col, h in enumerate(headers, start=1):
        cell = ws.cell(row=top, column=col)
        text_cell(cell, h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 0
    formats = formats or {}
    for r, row in enumerate(rows, start=top + 1):  # ws.cell is O(1); ws.max_row would make this quadratic
        count += 1
        for col, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col)
            text_cell(cell, v)  # never let openpyxl store text as a formula
            if col in formats:
                cell.number_format = formats[col]
    ws.freeze_panes = f"A{top + 1}"
    ws.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{top + count}"
    for i, h in enumerate(headers, start=1):
        width = widths[i - 1] if widths else min(60, max(10, len(str(h)) * 2 + 2))
        ws.column_dimensions[get_column_letter(i)].width = width
    print_setup(ws, len(headers), top)
    return top


def rounded(v, nd: int = 1):
    """A figure rounded for a cell (None stays an empty cell)."""
    return None if v is None else round(v, nd)


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
