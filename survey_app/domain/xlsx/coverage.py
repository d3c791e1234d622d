"""The list of households still to visit, as a workbook a grid worker can tick off on paper."""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook

from ..clock import now
from .common import Heading, campaign_in_request, office_of, to_bytes, write_table

PENDING_HEADERS = ["街道", "社区", "网格", "小区", "楼栋", "单元", "房号", "已走访（手填）"]


def pending_workbook(rows, campaign=None, scope: str | None = None, office: str | None = None,
                     generated: datetime | None = None) -> bytes:
    """Rows of (household, building, compound) from `coverage.pending_households`, under a title
    block: the scope (the one building, compound or street the rows share, else the issuing office's
    jurisdiction), the campaign (the one in view when not given), the date, the issuing office."""
    rows = list(rows)
    office = office if office is not None else office_of()
    campaign = campaign if campaign is not None else campaign_in_request()
    heading = Heading("未参评住户走访清单", scope if scope is not None else _shared_scope(rows, office),
                      campaign.name if campaign is not None else "", generated or now(), office)
    wb = Workbook()
    ws = wb.active
    ws.title = "未参评住户"
    write_table(ws, PENDING_HEADERS,
                ([c.community.street.name, c.community.name, b.grid or "", c.name, b.name, h.unit, h.room, ""]
                 for h, b, c in rows), widths=[14, 14, 12, 20, 10, 8, 8, 14], heading=heading)
    return to_bytes(wb)


def _shared_scope(rows, office: str) -> str:
    """The narrowest place every row lies in: one building, one compound or one street; else `office`."""
    buildings = {b.id for _, b, _ in rows}
    compounds = {c.id for _, _, c in rows}
    streets = {c.community.street_id for _, _, c in rows}
    if not rows or len(streets) != 1:
        return office
    _, b, c = rows[0]
    street = c.community.street.name
    if len(buildings) == 1:
        return f"{street} {c.name} {b.name}"
    if len(compounds) == 1:
        return f"{street} {c.name}"
    return street
