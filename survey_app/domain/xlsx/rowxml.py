"""A table's data rows written as the sheet's XML text directly: openpyxl's cell writer costs about
10 µs a cell, this about 1 µs. For workbooks of bounded size (made by `fast_workbook`, e.g. the
ranking workbook): each sheet's data rows are held as text and put into the sheet's XML, after
the rows openpyxl wrote (title block, header), when the workbook is saved (`put_rows`).

Text, numbers and booleans are written here as openpyxl writes them (an inline string, `xml:space`
kept for text with outer spaces, numbers as "%.16g"); any other value (a date, a time) by openpyxl's
own cell writer, so it reads back the same. One difference: text that looks like an error code
("#N/A") stays text, where openpyxl would store it as an error value."""
from __future__ import annotations

from decimal import Decimal
from math import isfinite
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import etree_write_cell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

_HELD: WeakKeyDictionary = WeakKeyDictionary()  # fast workbook → {sheet: [its data rows' XML]}
NUMBERS = (int, float, Decimal)


def fast_workbook() -> Workbook:
    """A write-only workbook whose tables' data rows are held as XML text until it is saved: fast,
    but a table's rows are held in memory (an export of any length uses Workbook(write_only=True))."""
    wb = Workbook(write_only=True)
    _HELD[wb] = {}
    return wb


def holds_rows(ws) -> bool:
    """Whether a sheet's table rows are held as text (the sheet belongs to a fast_workbook)."""
    return ws.parent in _HELD


class RowText:
    """Writes the data rows of one table, from sheet row `first` on: `styles` (0-based column →
    openpyxl style array) styles a column's cells except the dates of the `plain_dates` columns."""

    def __init__(self, ws, first: int, styles: dict, plain_dates: set[int]):
        self.ws, self.row, self.styles, self.plain_dates = ws, first, styles, plain_dates
        self.ids = {col: f' s="{ws.parent._cell_styles.add(style)}"' for col, style in styles.items()}
        self.texts = _HELD[ws.parent].setdefault(ws, [])
        self.letters: list[str] = []

    def add(self, values) -> None:
        """Write one row of values (text already made safe, see common._cell_value)."""
        r, ids, letters = self.row, self.ids, self.letters
        while len(letters) < len(values):
            letters.append(get_column_letter(len(letters) + 1))
        cells = []
        for i, v in enumerate(values):
            if v is None:
                continue
            t = type(v)
            if t is str:
                if not v:
                    cells.append(f'<c r="{letters[i]}{r}"{ids.get(i, "")} t="inlineStr"/>')  # as openpyxl
                    continue
                space = ' xml:space="preserve"' if v != v.strip() and v.strip() else ""
                text = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                cells.append(f'<c r="{letters[i]}{r}"{ids.get(i, "")} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif t is bool:
                cells.append(f'<c r="{letters[i]}{r}"{ids.get(i, "")} t="b"><v>{int(v)}</v></c>')
            elif t is int or (t is float and isfinite(v)):
                cells.append(f'<c r="{letters[i]}{r}"{ids.get(i, "")} t="n"><v>{v:.16g}</v></c>')
            elif isinstance(v, NUMBERS):
                cells.append(f'<c r="{letters[i]}{r}"{ids.get(i, "")} t="n"><v>{safe_string(v)}</v></c>')
            else:
                cells.append(self._by_openpyxl(v, i))
        self.texts.append(f'<row r="{r}">{"".join(cells)}</row>')
        self.row = r + 1

    def _by_openpyxl(self, v, col: int) -> str:
        cell = WriteOnlyCell(self.ws, v)
        if col in self.styles and col not in self.plain_dates:
            cell._style = self.styles[col]
        cell.row, cell.column = self.row, col + 1
        out = _Collect()
        etree_write_cell(out, self.ws, cell, cell.has_style)
        return out.text


class _Collect:
    """Stands for openpyxl's XML stream: keeps what a cell writer writes, as text."""
    text = ""

    def write(self, element) -> None:
        self.text += tostring(element, encoding="unicode")


def put_rows(wb) -> None:
    """Before a fast_workbook is saved: close each sheet holding rows and put them into its XML,
    after the rows openpyxl wrote."""
    for ws, texts in _HELD.get(wb, {}).items():
        ws.close()
        path = ws._writer.out
        with open(path, encoding="utf-8") as f:
            xml = f.read()
        if "</sheetData>" not in xml:  # a sheet openpyxl wrote no row in
            xml = xml.replace("<sheetData />", "<sheetData></sheetData>").replace("<sheetData/>", "<sheetData></sheetData>")
        at = xml.rindex("</sheetData>")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml[:at] + "".join(texts) + xml[at:])
        texts.clear()
