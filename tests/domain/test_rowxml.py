"""A table whose rows are written as XML text (rowxml.fast_workbook) reads back exactly as the same
table streamed by openpyxl: values, types, number formats, alignment, and the sheet's set-up."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment

from survey_app.domain.xlsx.common import DATE, DATETIME, MEAN, PERCENT, Heading, to_bytes, write_table
from survey_app.domain.xlsx.rowxml import fast_workbook

HEADERS = ["名称", "得分", "比例", "日期", "时间", "说明", "其他"]
FORMATS = {2: MEAN, 3: PERCENT, 4: DATE, 5: DATETIME}
ALIGNS = {6: Alignment(wrap_text=True, vertical="top")}
AWKWARD = [
    ["甲 & 乙 <公司>", 81.25, 0.4962, date(2026, 5, 1), datetime(2026, 5, 1, 8, 30), "  前后有空格  ", True],
    ["=1+1", 0.1 + 0.2, 1, None, None, "", False],
    ["   ", -3, Decimal("2.50"), date(2026, 1, 31), None, "换行\n第二行", 10 ** 17],
    [None, None, None, None, None, None, None],
    ["\x00控制\x1f字符", 1e-7, 2.5e20, None, datetime(2026, 12, 31, 23, 59), "+cmd|' /C calc'!A0", "#N/A 无"],
]


def _read(wb: Workbook, rows) -> openpyxl.Workbook:
    for name in ("表一", "表二"):
        write_table(wb.create_sheet(name), HEADERS, iter(rows), widths=[20] * len(HEADERS), formats=FORMATS,
                    heading=Heading("测试表", "全市", "2026年测评", date(2026, 5, 1), "全市"), aligns=ALIGNS)
    return openpyxl.load_workbook(io.BytesIO(to_bytes(wb)))


def _cells(ws):
    return [[(c.value, c.data_type, c.number_format, c.alignment.wrap_text, c.alignment.vertical, c.font.b)
             for c in row] for row in ws.iter_rows()]


def _same_as_streamed(rows) -> None:
    fast, streamed = _read(fast_workbook(), rows), _read(Workbook(write_only=True), rows)
    assert fast.sheetnames == streamed.sheetnames == ["表一", "表二"]
    for a, b in zip(fast, streamed):
        assert _cells(a) == _cells(b)
        assert a.max_row == b.max_row
        assert a.freeze_panes == b.freeze_panes == "A6" and a.auto_filter.ref == b.auto_filter.ref
        assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
        assert a.sheet_properties.pageSetUpPr.fitToPage and a.print_title_rows == "$5:$5"


def test_awkward_values_read_back_as_openpyxl_writes_them():
    _same_as_streamed(AWKWARD)
    ws = _read(fast_workbook(), AWKWARD)["表一"]
    assert [c.value for c in ws[6]][:3] == ["甲 & 乙 <公司>", 81.25, 0.4962]
    assert ws["A7"].value == "'=1+1" and ws["A7"].data_type == "s"  # never a formula
    assert ws["B6"].number_format == MEAN and ws["C6"].number_format == PERCENT
    assert ws["F6"].value == "  前后有空格  " and ws["F6"].alignment.wrap_text


def test_text_like_an_error_code_stays_text():
    # openpyxl would store "#N/A" typed in a name as an error value; written as text it reads as typed.
    ws = _read(fast_workbook(), [["#N/A", 1, 1, None, None, "#DIV/0!", None]])["表一"]
    assert (ws["A6"].value, ws["A6"].data_type) == ("#N/A", "s") and ws["F6"].value == "#DIV/0!"


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")  # a number in a date column, both ways
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=20).filter(lambda t: t not in ERROR_CODES), st.integers(-10 ** 6, 10 ** 6),
                                   st.floats(allow_nan=False, allow_infinity=False), st.booleans()),
                         min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=6))
def test_any_table_reads_back_as_openpyxl_writes_it(rows):
    _same_as_streamed(rows)
