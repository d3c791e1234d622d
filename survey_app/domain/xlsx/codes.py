"""Household codes as an Excel list (household, address, survey URL) for mail-merge printing."""
from __future__ import annotations

from typing import Callable

from openpyxl import Workbook

from ..responses import codes as tokens
from ...database import begin_write
from ...extensions import db
from ...models import User
from ..clock import now
from .common import WRAPPED, Heading, office_of, write_table
from ..printing.selection import (Selection, audit_print, check_base_url, count, live_count, store_codes, suffixed,
                                  tokens_in_batches)

HEADERS = ["户编号", "区", "街道", "社区", "小区", "楼栋", "单元", "房号", "完整地址", "问卷地址"]
WIDTHS = [10, 12, 16, 16, 20, 12, 8, 10, 44, 52]


def write_codes_workbook(out, campaign, sel: Selection, base_url: str, *, user_id: int | None = None,
                         progress: Callable[[int, int], None] | None = None) -> int:
    """Issue codes for the selection's households and save one row per household to `out`.

    Like the PDF labels, households with a live code get a new one, stored once the workbook is
    written (the write lock is not held while it is); the caller confirms that first and commits
    after the file is saved. Returns the number of rows.
    """
    check_base_url(base_url)
    total = count(sel)
    reissued = live_count(campaign.id, sel)
    reason = "reissued" if reissued else "issued"
    done, later = 0, []

    def rows():
        nonlocal done
        for batch in tokens_in_batches(sel, later):
            for (hid, unit, room, building, compound, community, street, district), token in batch:
                address = (f"{district}{street}{community}{compound}{building}"
                           f"{suffixed(unit, '单元')}{suffixed(room, '室')}")
                yield [hid, district, street, community, compound, building, unit, room, address,
                       tokens.survey_url(base_url, token)]
            done += len(batch)
            if progress:
                progress(done, total)

    made = now()
    heading = Heading("住户问卷地址清单", sel.title, campaign.name, made, _office(user_id))
    wb = Workbook()
    ws = wb.active
    ws.title = "住户问卷地址"
    write_table(ws, HEADERS, rows(), widths=WIDTHS, heading=heading)
    notes = wb.create_sheet("说明")
    write_table(notes, ["项目", "说明"], [
        ("测评活动", campaign.name),
        ("范围", sel.title),
        ("生成时间", made.strftime("%Y-%m-%d %H:%M")),
        ("户数", done),
        ("重新发放", f"{reissued} 户原有二维码已作废，须使用本表中的新地址。" if reissued else "无"),
        ("用途", "每个问卷地址只对应一户，可用于邮件合并打印二维码或入户通知；请勿外传。"
               "遗失或泄露时请在系统中为该户重新发放，旧地址随即失效。"),
    ], widths=[14, 90], heading=heading.for_sheet("住户问卷地址清单说明"), aligns={2: WRAPPED})
    wb.save(out)
    begin_write()
    store_codes(campaign.id, later, user_id, reason)
    audit_print(user_id, sel, campaign.id, "导出问卷地址 Excel", done, reissued)
    return done


def _office(user_id: int | None) -> str:
    """The issuing office: the jurisdiction of the user who issues the codes (全市 for none)."""
    if user_id is None:
        return office_of()
    user = db.session.get(User, user_id)
    return office_of(user) if user is not None else office_of()
