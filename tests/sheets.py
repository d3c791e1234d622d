"""Reading exported workbooks: every table sits under a title block, so tests find its header row."""
from __future__ import annotations


def header_row(ws, first: str) -> int:
    """The number of the row whose first cell is `first` (the table's first header)."""
    for r, row in enumerate(ws.iter_rows(max_col=1, values_only=True), start=1):
        if row and row[0] == first:
            return r
    raise AssertionError(f"no header row starting with {first!r} in sheet {ws.title!r}")


def table(ws, first: str) -> tuple[list, list[tuple]]:
    """The header and the data rows (values) of the table whose first header is `first`."""
    r = header_row(ws, first)
    rows = list(ws.iter_rows(min_row=r, values_only=True))
    return list(rows[0]), [tuple(row) for row in rows[1:]]


def title_block(ws, header: int) -> list[str]:
    """The text of the rows above the header row (the title block), empty rows left out."""
    return [str(row[0]) for row in ws.iter_rows(max_row=header - 1, max_col=1, values_only=True) if row[0]]
