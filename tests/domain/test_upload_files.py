"""Uploaded workbooks that are broken, fake or bombs are refused with a clear message (never a 500).

Every reader of uploads — the roster import, the questionnaire import and the rectification
workbook's import — goes through domain/xlsx/reading.py; each hostile file is tried on each.
"""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from survey_app.domain import roster
from survey_app.domain.rectification import sheet_import
from survey_app.domain.xlsx import questionnaire as qx
from survey_app.errors import Refusal

from ..factories import build_world


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"  # the files are refused before any database work


def _valid() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "维度"
    ws.append(roster.TEMPLATE_HEADERS)
    ws.append(roster.TEMPLATE_EXAMPLE)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_sheet_xml(xml: str | bytes, drop: tuple[str, ...] = ()) -> bytes:
    """The valid workbook with its first sheet's XML replaced."""
    src = zipfile.ZipFile(io.BytesIO(_valid()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            if item.filename in drop:
                continue
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = xml.encode() if isinstance(xml, str) else xml
            z.writestr(item.filename, data)
    return out.getvalue()


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet(dimension: str | None, rows: str) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{rows}</sheetData></worksheet>'


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def _read_roster(data):
    return roster.import_roster(data, dry_run=True)


def _read_questionnaire(data):
    return qx.read_workbook(data)


READERS = [pytest.param(_read_roster, roster.RosterFileError, id="roster"),
           pytest.param(_read_questionnaire, qx.QuestionnaireFileError, id="questionnaire"),
           pytest.param(sheet_import.read_sheet, sheet_import.SheetFileError, id="rectification")]

# A header every reader accepts (the roster's columns, the questionnaire's 维度 sheet's, the
# rectification workbook's), so a bomb below it is reached by each reader.
HEADERS = roster.TEMPLATE_HEADERS + qx.DIM_HEADERS + ["编号", "状态", "整改情况/说明"]
HEADER_ROW = '<row r="1">' + "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                                     for i, h in enumerate(HEADERS)) + "</row>"
BROKEN = {
    "a PNG named .xlsx": (_png(), "Excel"),
    "a text file": ("区,街道,社区\n市中区,文化路街道,幸福社区\n".encode(), "Excel"),
    "an empty file": (b"", "空"),
    "a zip that is not a workbook": (None, "Excel"),
    "broken sheet XML": (_with_sheet_xml(f'<?xml version="1.0"?><worksheet {NS}><sheetData><row r="1"><c r="A1"'),
                         "损坏"),
    "sheet XML that is not XML": (_with_sheet_xml(b"\xff\xfe\x00garbage<<<"), "损坏"),
    "sheet missing from the zip": (_with_sheet_xml("", drop=("xl/worksheets/sheet1.xml",)), ""),  # no such sheet
    "a declared range A1:XFD1048576": (_with_sheet_xml(_sheet("A1:XFD1048576", HEADER_ROW)), "范围过大"),
    "a declared range of a million rows": (_with_sheet_xml(_sheet("A1:I1048576", HEADER_ROW)), "范围过大"),
    "a cell at the last row, no dimension": (_with_sheet_xml(_sheet(None, HEADER_ROW + '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')), "范围过大"),
    "a cell in the last column": (_with_sheet_xml(_sheet(None, HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>区</t></is></c><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>')), "范围过大"),
}


def _not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize("reader,error", READERS)
@pytest.mark.parametrize("case", list(BROKEN))
def test_hostile_files_are_refused_with_a_message(app, reader, error, case):
    data, words = BROKEN[case]
    if data is None:
        data = _not_a_workbook()
    with pytest.raises(error) as e:
        reader(data)
    assert isinstance(e.value, Refusal) and 400 <= e.value.status < 500
    assert words in e.value.message and re.search(r"[\u4e00-\u9fff]", e.value.message)


@pytest.mark.parametrize("reader,error", READERS)
def test_size_limits_come_from_the_configuration(app, reader, error):
    # Millions of empty rows: refused when the rows counted pass the limit, not after reading them all.
    app.config["UPLOAD_MAX_ROWS"] = 1000
    many = "".join(f'<row r="{i}"/>' for i in range(2, 5000))
    with pytest.raises(error, match="范围过大"):
        reader(_with_sheet_xml(_sheet(None, HEADER_ROW + many + '<row r="5000"><c r="A5000" t="inlineStr"><is><t>x</t></is></c></row>')))
    app.config["UPLOAD_MAX_ROWS"] = 210_000
    # Unpacked size is read from the zip's directory before anything is parsed.
    app.config["UPLOAD_MAX_UNZIPPED_BYTES"] = 100_000
    padded = _with_sheet_xml(_sheet(None, HEADER_ROW) + " " * 200_000)
    assert len(padded) < 10_000  # a small file that unpacks large
    with pytest.raises(error, match="解压后过大") as e:
        reader(padded)
    assert e.value.status == 413
    app.config["UPLOAD_MAX_BYTES"] = 1000
    with pytest.raises(error, match="文件过大"):
        reader(_valid())


def test_a_valid_roster_still_reads_and_wide_empty_columns_are_tolerated(app):
    build_world()
    result = roster.import_roster(roster.template_workbook(), dry_run=True)
    assert result.rows == 1
    # A formatted but empty column far to the right (Excel does this) is not a bomb.
    cells = "".join(f'<c r="{col}1" t="inlineStr"><is><t>{h}</t></is></c>'
                    for col, h in zip("ABCDEFGHI", roster.TEMPLATE_HEADERS))
    sheet = _sheet(None, f'<row r="1">{cells}<c r="ZZ1" s="0"/></row>')
    result = roster.import_roster(_with_sheet_xml(sheet), dry_run=True)
    assert result.rows == 0 and result.ok
