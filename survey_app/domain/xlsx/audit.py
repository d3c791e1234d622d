"""The audit log (a filtered list of events) as a workbook, in Chinese whatever the page language."""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import select

from ...extensions import db
from ...models import Company, District, Street
from ..audit_log import action_label, category_label, changes
from ..documents import in_chinese
from .common import DATETIME, Heading, office_of, to_bytes, write_table

AUDIT_HEADERS = ["时间", "类别", "操作", "操作代码", "操作人", "来源地址", "对象", "说明", "变更前", "变更后",
                 "区", "街道", "物业服务企业"]


def _names(model, ids: set) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def audit_workbook(events, generated_at: datetime, filters_text: str = "", office: str | None = None) -> bytes:
    """One row per event, newest first as given; every text cell formula-safe. Each sheet opens with
    a title block: the scope is the issuing office's jurisdiction (the events the user may see)."""
    office = office if office is not None else office_of()
    heading = Heading("审计日志", office, "", generated_at, office)
    events = list(events)
    districts = _names(District, {e.district_id for e in events})
    streets = _names(Street, {e.street_id for e in events})
    companies = _names(Company, {e.company_id for e in events})
    wb = Workbook()
    ws = wb.active
    ws.title = "审计日志"
    rows = []
    with in_chinese():
        for e in events:
            diff = changes(e)
            rows.append([
                e.at, category_label(e.category), action_label(e.action), e.action, e.actor, e.ip, e.target,
                e.detail,
                "；".join(f"{c.field}：{c.before}" if c.field else c.before for c in diff if c.before),
                "；".join(f"{c.field}：{c.after}" if c.field else c.after for c in diff if c.after),
                districts.get(e.district_id, ""), streets.get(e.street_id, ""), companies.get(e.company_id, "")])
    write_table(ws, AUDIT_HEADERS, rows, widths=[19, 12, 22, 22, 16, 16, 26, 50, 40, 40, 12, 14, 24],
                formats={1: "yyyy-mm-dd hh:mm:ss"}, heading=heading)
    info = wb.create_sheet("说明")
    top = write_table(info, ["项目", "内容"], [("导出时间", generated_at), ("筛选条件", filters_text or "无"),
                                             ("行数", len(rows))], widths=[14, 80],
                      heading=heading.for_sheet("审计日志导出说明"))
    info.cell(row=top + 1, column=2).number_format = DATETIME + ":ss"
    return to_bytes(wb)
