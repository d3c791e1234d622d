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
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.formatting.rule import FormulaRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

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
# Rows that need attention (overdue items); a conditional format's solid fill reads bgColor.
HIGHLIGHT_FILL = PatternFill("solid", fgColor="FCE4D6", bgColor="FCE4D6")
WRAPPED = Alignment(wrap_text=True, vertical="top")  # long text (a notes sheet's descriptions): write_table(aligns=)

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
    campaign, the date it was made and the issuing office, and a `note` line when the figures are
    not the published ones (e.g. "含待复核答卷"). Empty parts are left out."""
    what: str
    scope: str = ""
    campaign: str = ""
    made: date | datetime | None = None
    office: str = ""
    note: str = ""

    def lines(self) -> list[str]:
        """The block's lines, in Chinese (workbooks are Chinese documents)."""
        first = "　".join(p for p in (f"范围：{self.scope}" if self.scope else "",
                                      f"测评活动：{self.campaign}" if self.campaign else "") if p)
        made = self.made.strftime("%Y-%m-%d") if self.made else ""
        second = "　".join(p for p in (f"制表日期：{made}" if made else "",
                                       f"制表单位：{self.office}" if self.office else "") if p)
        return [self.what] + [line for line in (first, second, self.note) if line]

    def for_sheet(self, what: str) -> "Heading":
        """The same block for another sheet of the workbook."""
        return Heading(what, self.scope, self.campaign, self.made, self.office, self.note)


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
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4  # the class's constants: a write-only sheet has none
    ws.page_setup.orientation = (Worksheet.ORIENTATION_LANDSCAPE if columns > PORTRAIT_MAX_COLUMNS
                                 else Worksheet.ORIENTATION_PORTRAIT)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def write_table(ws, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None,
                formats: dict[int, str] | None = None, heading: Heading | None = None, *,
                choices: dict[int, Sequence[str]] | None = None,
                highlight: tuple[int, str] | None = None,
                aligns: dict[int, Alignment] | None = None) -> int:
    """Write an optional title block, then a header row and data rows with frozen header, filter,
    widths, number formats and A4 print set-up. Returns the header row's number (data follow it).

    `choices` (column → values) lets a column's data cells hold only those values (a drop-down
    list, checked by the spreadsheet); `highlight` (column, value) fills the rows whose cell in that
    column holds that value (HIGHLIGHT_FILL, as a conditional format: it costs nothing per row);
    `aligns` (column → Alignment) aligns a column's data cells (e.g. wrapped long text). A
    write-only sheet (`Workbook(write_only=True)`) is streamed: rows are consumed one at a time and
    never held, so a workbook of any length takes the same memory."""
    if isinstance(ws, WriteOnlyWorksheet):
        return _write_streamed(ws, headers, rows, widths, formats or {}, heading, choices or {}, highlight,
                               aligns or {})
    top = write_heading(ws, heading, len(headers))
    for col, h in enumerate(headers, start=1):
        cell = ws.cell(row=top, column=col)
        text_cell(cell, h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 0
    formats, aligns = formats or {}, aligns or {}
    for r, row in enumerate(rows, start=top + 1):  # ws.cell is O(1); ws.max_row would make this quadratic
        count += 1
        for col, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col)
            text_cell(cell, v)  # never let openpyxl store text as a formula
            if col in formats:
                cell.number_format = formats[col]
            if col in aligns:
                cell.alignment = aligns[col]
    ws.freeze_panes = f"A{top + 1}"
    _finish(ws, headers, widths, top, count, choices or {}, highlight)
    return top


def _finish(ws, headers, widths, top: int, count: int, choices, highlight) -> None:
    """What follows the rows: the filter, drop-down lists, highlights, and on a normal sheet widths and
    A4 set-up (a streamed sheet has those before its rows)."""
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{top}:{last}{top + count}"
    for col, values in choices.items():
        add_choices(ws, col, values, top + 1, top + max(count, 1))
    if highlight is not None and count:
        col, value = highlight
        literal = safe_text(str(value)).replace('"', '""')
        ws.conditional_formatting.add(f"A{top + 1}:{last}{top + count}", FormulaRule(
            formula=[f'${get_column_letter(col)}{top + 1}="{literal}"'], fill=HIGHLIGHT_FILL))
    if not isinstance(ws, WriteOnlyWorksheet):
        _set_widths(ws, headers, widths)
        print_setup(ws, len(headers), top)


def _set_widths(ws, headers, widths) -> None:
    for i, h in enumerate(headers, start=1):
        width = widths[i - 1] if widths else min(60, max(10, len(str(h)) * 2 + 2))
        ws.column_dimensions[get_column_letter(i)].width = width


def add_choices(ws, column: int, values: Sequence[str], first_row: int, last_row: int) -> DataValidation:
    """Let the cells of a column (rows first..last) hold only one of `values`: a drop-down list, and
    the spreadsheet refuses anything else with a message."""
    letter = get_column_letter(column)
    listed = ",".join(safe_text(str(v)).replace('"', "") for v in values)
    dv = DataValidation(type="list", formula1=f'"{listed}"', allow_blank=False, showDropDown=False,
                        showErrorMessage=True, errorStyle="stop", errorTitle="无效的值",
                        error="请从下拉列表中选择。")
    dv.add(f"{letter}{first_row}:{letter}{last_row}")
    ws.data_validations.append(dv)  # what Worksheet.add_data_validation does; a write-only sheet lacks it
    return dv


SAFE_CACHE_TEXT, SAFE_CACHE_SIZE = 64, 50_000  # a streamed sheet's memory stays bounded


def _write_streamed(ws, headers, rows, widths, formats: dict[int, str], heading, choices, highlight,
                    aligns: dict[int, Alignment]) -> int:
    """write_table on a write-only sheet: what precedes the rows (widths, frozen header, print set-up:
    the sheet's properties, fit to page among them, are written with its first row) is set first,
    each row is written as it comes, and the rest (filter, lists, highlights) at the end.

    Cells with a number format or an alignment share one style per column (made once): the
    per-cell cost of a styled cell is then the same as openpyxl's own for a date."""
    _set_widths(ws, headers, widths)
    lines = heading.lines() if heading is not None else []
    top = len(lines) + 2 if lines else 1
    ws.freeze_panes = f"A{top + 1}"
    print_setup(ws, len(headers), top)
    if lines:
        ws.row_dimensions[1].height = 24
    last = get_column_letter(max(1, len(headers)))
    for r, line in enumerate(lines, start=1):
        cell = WriteOnlyCell(ws, safe_text(line))
        cell.font = TITLE_FONT if r == 1 else NOTE_FONT
        cell.alignment = Alignment(horizontal="left", vertical="center")
        ws.append([cell])
        if len(headers) > 1:
            ws.merged_cells.add(f"A{r}:{last}{r}")
    if lines:
        ws.append([])
    head = []
    for h in headers:
        cell = WriteOnlyCell(ws, safe_text(str(h)))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(cell)
    ws.append(head)
    styles = {}
    for col in sorted(set(formats) | set(aligns)):
        proto = WriteOnlyCell(ws)
        if col in formats:
            proto.number_format = formats[col]
        if col in aligns:
            proto.alignment = aligns[col]
        styles[col - 1] = proto._style
    # Columns whose dates openpyxl already shows as yyyy-mm-dd with no style of ours needed.
    plain_dates = {col - 1 for col, fmt in formats.items() if fmt == DATE and col not in aligns}
    count = 0
    append = ws.append
    safe: dict[str, str] = {}  # short texts repeat (names, labels): made safe once
    for row in rows:
        count += 1
        out = list(row)
        for i, v in enumerate(out):
            if type(v) is str:
                s = safe.get(v)
                if s is None:
                    s = _cell_value(v)
                    if len(v) <= SAFE_CACHE_TEXT and len(safe) < SAFE_CACHE_SIZE:
                        safe[v] = s
                out[i] = s
            elif v is not None and not isinstance(v, (int, float, date)):
                out[i] = _cell_value(v)
        for col, style in styles.items():
            v = out[col]
            if v is None or (type(v) is date and col in plain_dates):
                continue  # an empty cell, or a date openpyxl already shows as yyyy-mm-dd
            cell = WriteOnlyCell(ws, v)
            cell._style = style
            out[col] = cell
        append(out)
    _finish(ws, headers, widths, top, count, choices, highlight)
    return top


def rounded(v, nd: int = 1):
    """A figure rounded for a cell (None stays an empty cell)."""
    return None if v is None else round(v, nd)


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
