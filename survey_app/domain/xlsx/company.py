"""A property company's own workbook: overview, compounds, dimensions against the city, comments, and
its rectification items."""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment

from ..stats.privacy import MIN_GROUP, WITHHELD, shown
from .common import MEAN, PERCENT, Heading, office_of, rounded, to_bytes, write_table
from .ranking import not_ranked
from .rectification import COMPANY_SHEET_HEADERS, Filters, write_items_sheet


def company_workbook(report, company_name: str, generated: datetime, office: str | None = None,
                     items: Filters | None = None) -> bytes:
    """A company's own workbook: overview, compounds, dimensions against the city, masked comments,
    and (`items`: the company's own, as its user sees them) its rectification items.

    Each sheet opens with a title block (the company, the campaign, the date, the issuing office:
    the user's jurisdiction unless `office` is given); shares are numbers shown as percentages."""
    heading = Heading(f"{company_name} 满意度测评结果", company_name, report.campaign.name, generated,
                      office if office is not None else office_of())
    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    own, pos = report.own, report.position
    lo, hi = own.interval if own and own.interval else (None, None)
    overview = [
        ("测评活动", report.campaign.name, None), ("物业服务企业", company_name, None),
        ("满意度指数", rounded(own.mean) if own else None, MEAN), ("95%区间下限", rounded(lo), MEAN),
        ("95%区间上限", rounded(hi), MEAN),
        ("有效样本(份)", own.n if own else 0, None), ("总户数", own.households if own else 0, None),
        ("参评率", own.coverage if own else None, PERCENT),
        ("总体满意率", own.satisfaction_rate if own else None, PERCENT),
        ("全市名次", f"{pos.rank} / {report.ranked_count}" if pos and pos.rank
                     else not_ranked(pos.reason if pos else ""), None),
        ("等级组", pos.band if pos else None, None), ("全市平均指数", rounded(report.scope.mean), MEAN),
        ("生成时间", generated.strftime("%Y-%m-%d %H:%M"), None),
        ("说明", f"答卷少于 {MIN_GROUP} 份的组（小区、维度或本企业整体）不显示任何得分和意见，以免识别住户；"
                "意见中的电话、证件号、门牌等已隐藏。", None),
    ]
    top = write_table(ws, ["项目", "数值"], [(label, value) for label, value, _ in overview], widths=[18, 60],
                      heading=heading.for_sheet(f"{company_name} 满意度测评概况"))
    for r, (_, _, fmt) in enumerate(overview, start=top + 1):
        if fmt:
            ws.cell(row=r, column=2).number_format = fmt
            ws.cell(row=r, column=2).alignment = Alignment(horizontal="left")
    cs = wb.create_sheet("各小区")
    write_table(cs, ["小区", "满意度指数", "95%区间下限", "95%区间上限", "有效样本(份)", "总户数", "参评率", "总体满意率", "说明"],
                ([s.label] + ([rounded(s.mean), rounded(s.interval[0]) if s.interval else None,
                               rounded(s.interval[1]) if s.interval else None] if shown(s) else [None] * 3)
                 + [s.n, s.households, s.coverage, s.satisfaction_rate if shown(s) else None,
                    "" if shown(s) else str(WITHHELD)]
                 for s in report.compounds),
                widths=[24, 12, 12, 12, 12, 10, 10, 12, 24], formats={2: MEAN, 3: MEAN, 4: MEAN, 7: PERCENT, 8: PERCENT},
                heading=heading.for_sheet("各小区满意度"))
    ds = wb.create_sheet("各维度")
    write_table(ds, ["维度", "本企业得分", "全市平均", "差值", "本企业满意率", "作答份数", "说明"],
                ([d.name, rounded(o.mean) if o else None, rounded(a.mean) if a else None,
                  rounded(o.mean - a.mean) if o and a and o.mean is not None and a.mean is not None else None,
                  o.satisfaction_rate if o else None, o.n if o else 0,
                  str(WITHHELD) if (o and o.withheld) or (a and a.withheld) else ""]
                 for d, o, a in report.dimensions),
                widths=[16, 12, 12, 10, 14, 10, 24], formats={2: MEAN, 3: MEAN, 4: "+0.0;-0.0;0.0", 5: PERCENT},
                heading=heading.for_sheet("各维度得分与全市平均"))
    ms = wb.create_sheet("意见建议")
    write_table(ms, ["小区", "意见建议（已隐藏个人信息）"], report.comments, widths=[24, 100],
                heading=heading.for_sheet("意见建议"))
    if items is not None:
        write_items_sheet(wb.create_sheet("整改事项"), items, heading.for_sheet("整改事项"), COMPANY_SHEET_HEADERS,
                          today=generated.date())
    return to_bytes(wb)
