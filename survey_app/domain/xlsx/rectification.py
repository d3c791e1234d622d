"""The rectification list as a workbook."""
from __future__ import annotations

from openpyxl import Workbook

from ..documents import in_chinese
from ..rectification import STATUS_LABELS
from .common import to_bytes, write_table


RECTIFICATION_HEADERS = ["街道", "社区", "小区", "物业服务企业", "维度", "问题依据", "整改期限", "状态"]


def rectification_workbook(items) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改清单"
    with in_chinese():
        status = {k: str(v) for k, v in STATUS_LABELS.items()}  # the document is Chinese on any page
    rows = ([i.compound.community.street.name, i.compound.community.name, i.compound.name,
             i.company.name if i.company else "", i.category, i.evidence, i.deadline, status[i.status]]
            for i in items)
    write_table(ws, RECTIFICATION_HEADERS, rows, widths=[14, 14, 22, 30, 14, 50, 12, 10],
                formats={7: "yyyy-mm-dd"})
    return to_bytes(wb)
