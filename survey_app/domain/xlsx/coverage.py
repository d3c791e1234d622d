"""The list of households still to visit, as a workbook a grid worker can tick off on paper."""
from __future__ import annotations

from openpyxl import Workbook

from .common import to_bytes, write_table

PENDING_HEADERS = ["街道", "社区", "网格", "小区", "楼栋", "单元", "房号", "已走访（手填）"]


def pending_workbook(rows) -> bytes:
    """Rows of (household, building, compound) from `coverage.pending_households`."""
    wb = Workbook()
    ws = wb.active
    ws.title = "未参评住户"
    write_table(ws, PENDING_HEADERS,
                ([c.community.street.name, c.community.name, b.grid or "", c.name, b.name, h.unit, h.room, ""]
                 for h, b, c in rows), widths=[14, 14, 12, 20, 10, 8, 8, 14])
    return to_bytes(wb)
