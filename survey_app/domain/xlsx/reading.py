"""Reading workbooks people upload: refuse what is not a workbook, is broken, or is a bomb.

An uploaded .xlsx is a zip of XML written by anyone. Before openpyxl parses a byte of it, the
zip's directory is checked (declared uncompressed sizes, and zipfile never inflates an entry past
its declared size); then each sheet's declared range, and while reading, every row's width and
the number of rows (empty ones too: a sheet can declare a million of them). Whatever else goes
wrong inside openpyxl on a hostile file (broken XML, a missing part) is a refusal of the file, not
a server error. Limits come from the configuration's "uploads" block.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Iterator

from flask import current_app, has_app_context
from flask_babel import gettext as _
from openpyxl import load_workbook

from ...errors import Refusal


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 12 * 1024 * 1024
    max_unzipped: int = 300 * 1024 * 1024
    max_rows: int = 210_000
    max_columns: int = 60


def limits() -> Limits:
    """The upload limits of the running app (the defaults outside one)."""
    if not has_app_context():
        return Limits()
    cfg, d = current_app.config, Limits()
    return Limits(max_bytes=cfg.get("UPLOAD_MAX_BYTES", d.max_bytes),
                  max_unzipped=cfg.get("UPLOAD_MAX_UNZIPPED_BYTES", d.max_unzipped),
                  max_rows=cfg.get("UPLOAD_MAX_ROWS", d.max_rows),
                  max_columns=cfg.get("UPLOAD_MAX_COLUMNS", d.max_columns))


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def not_excel_message() -> str:
    return _("文件无法作为 Excel（.xlsx）打开，请用 Excel 另存为 .xlsx 后重试。")


def open_workbook(data: bytes, error: type[Refusal]):
    """A read-only workbook from uploaded bytes, after the checks that need no parsing.

    :raise error: not a zip or not a workbook, too large packed or unpacked, or unreadable.
    """
    lim = limits()
    if not data:
        raise error(_("文件是空的。"))
    if len(data) > lim.max_bytes:
        raise error(_("文件过大（%(size)s MB，最多 %(max)s MB）。请删去多余的工作表或按街道拆分后分别上传。",
                      size=_mb(len(data)), max=_mb(lim.max_bytes)), 413)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            entries = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
        raise error(not_excel_message()) from e  # a picture, a text file, an old .xls
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise error(not_excel_message())
    if sum(e.file_size for e in entries) > lim.max_unzipped or len(entries) > 10_000:
        raise error(_("文件解压后过大（超过 %(max)s MB），无法读取。请删去多余的空行、空列和工作表后重试。",
                      max=_mb(lim.max_unzipped)), 413)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Refusal:
        raise
    except Exception as e:  # noqa: BLE001 — any failure of the parser on an uploaded file means the file is broken
        raise error(_("文件已损坏，无法读取。请用 Excel 打开后另存为 .xlsx 再试。")) from e


def _too_large(error, title, rows, cols, lim: Limits):
    return error(_("工作表「%(sheet)s」的范围过大（%(rows)s 行 × %(cols)s 列；最多 %(max_rows)s 行、%(max_cols)s 列）。"
                   "请删去多余的空行和空列，或拆分后分别上传。", sheet=title, rows=rows, cols=cols,
                   max_rows=lim.max_rows, max_cols=lim.max_columns), 413)


def sheet_rows(ws, error: type[Refusal], min_row: int = 1, max_row: int | None = None) -> Iterator[tuple]:
    """The sheet's rows as tuples of values, from `min_row`, within the upload limits.

    :raise error: the declared range, a row's width or the number of rows is beyond the limits,
        or the sheet's XML is broken (found while reading, so possibly after some rows).
    """
    lim = limits()
    try:
        declared_rows, declared_cols = ws.max_row, ws.max_column
    except Exception as e:  # noqa: BLE001 — as in open_workbook: a broken sheet is a refused file
        raise error(_("工作表「%(sheet)s」已损坏，无法读取。请用 Excel 打开后另存为 .xlsx 再试。", sheet=ws.title)) from e
    if (declared_rows or 0) > lim.max_rows or (declared_cols or 0) > lim.max_columns:
        raise _too_large(error, ws.title, declared_rows, declared_cols, lim)
    rows = ws.iter_rows(min_row=min_row, max_row=max_row, values_only=True)
    n = min_row - 1
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Refusal:
            raise
        except Exception as e:  # noqa: BLE001 — see open_workbook
            raise error(_("工作表「%(sheet)s」已损坏，无法读取。请用 Excel 打开后另存为 .xlsx 再试。",
                          sheet=ws.title)) from e
        n += 1
        if n > lim.max_rows:
            raise _too_large(error, ws.title, f"{n}+", declared_cols or len(row), lim)
        if len(row) > lim.max_columns:
            # Only trailing empty cells are tolerated beyond the limit (a formatted, unused column).
            if any(v is not None and v != "" for v in row[lim.max_columns:]):
                raise _too_large(error, ws.title, n, len(row), lim)
            row = row[:lim.max_columns]
        yield row
