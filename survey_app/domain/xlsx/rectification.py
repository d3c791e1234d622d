"""The rectification list as a workbook."""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook

from ..documents import in_chinese
from ..rectification import STATUS_LABELS
from ...extensions import db
from ...models import Campaign
from ..clock import now
from .common import DATE, Heading, campaign_in_request, office_of, to_bytes, write_table


RECTIFICATION_HEADERS = ["街道", "社区", "小区", "物业服务企业", "维度", "问题依据", "整改期限", "状态"]


def rectification_workbook(items, campaign=None, scope: str | None = None, office: str | None = None,
                           generated: datetime | None = None) -> bytes:
    """The rectification list under a title block: the scope (the issuing office's jurisdiction unless
    given), the campaign (the items' own, else the one in view, when not given), the date and the issuing office."""
    items = list(items)
    office = office if office is not None else office_of()
    if campaign is None:
        campaign = db.session.get(Campaign, items[0].campaign_id) if items else campaign_in_request()
    heading = Heading("整改清单", scope if scope is not None else office,
                      campaign.name if campaign is not None else "", generated or now(), office)
    wb = Workbook()
    ws = wb.active
    ws.title = "整改清单"
    with in_chinese():
        status = {k: str(v) for k, v in STATUS_LABELS.items()}  # the document is Chinese on any page
    rows = ([i.compound.community.street.name, i.compound.community.name, i.compound.name,
             i.company.name if i.company else "", i.category, i.evidence, i.deadline, status[i.status]]
            for i in items)
    write_table(ws, RECTIFICATION_HEADERS, rows, widths=[14, 14, 22, 30, 14, 50, 12, 10],
                formats={7: DATE}, heading=heading)
    return to_bytes(wb)
