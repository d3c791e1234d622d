"""What residents said, as a workbook for officers: the filtered groups of masked texts, and a sheet
saying what was filtered and what was withheld."""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook

from ...access import Area
from ...extensions import db
from ...models import Campaign, Company, Compound, Dimension
from ..documents import in_chinese
from ..stats import comments as stats
from ..stats.privacy import MIN_GROUP, WITHHELD
from .common import DATE, Heading, office_of, to_bytes, write_table

HEADERS = ["意见内容", "相同条数", "小区", "物业服务企业", "来源", "日期"]


def comments_workbook(campaign: Campaign, area: Area | str, filters: stats.Filters, groups: list[stats.CommentGroup],
                      withheld: int, generated: datetime, office: str | None = None, adverts: int = 0) -> bytes:
    """Groups from `comments.comment_list` under a title block (the area or its name, the campaign, the date,
    the issuing office), then a sheet with the filters and the rules (masking, small groups, the
    `adverts` texts left out as advertising)."""
    with in_chinese():
        scope = str(area.name()) if isinstance(area, Area) else area
        labels = {s: stats.source_label(s) for s in stats.SOURCES}
        withheld_text = str(WITHHELD)
    heading = Heading("居民意见汇总", scope, campaign.name, generated, office if office is not None else office_of())
    wb = Workbook()
    ws = wb.active
    ws.title = "居民意见"
    write_table(ws, HEADERS,
                ([g.text, g.count, g.compound, g.company, g.label if g.source == stats.TEXT else labels[g.source],
                  g.latest] for g in groups),
                widths=[60, 10, 20, 24, 24, 12], formats={6: DATE}, heading=heading)
    notes = wb.create_sheet("说明")
    lines = [("筛选条件", _described(filters, labels)),
             ("意见组数", len(groups)),
             ("意见条数", sum(g.count for g in groups)),
             ("未显示的小区", f"{withheld} 个（{withheld_text}）" if withheld else "无"),
             ("疑似广告", f"{adverts} 条，未显示" if adverts else "无"),
             ("说明", f"只含已发布的答卷；电话、证件号、微信、QQ、邮箱、网址、门牌、人名等已隐藏；"
                    f"疑似广告（附联系方式的招揽、罗列地名的服务广告、重复刷屏）不列出，只计条数；不显示由谁填写；"
                    f"同一小区同一物业企业的答卷少于 {MIN_GROUP} 份时，其意见不显示，以免识别住户；"
                    f"相同内容（空白不计）只列一次并注明条数；日期只到日。")]
    if len(groups) >= stats.EXPORT_MAX:
        lines.append(("提示", f"只导出前 {stats.EXPORT_MAX} 组，请缩小筛选范围。"))
    write_table(notes, ["项目", "内容"], lines, widths=[16, 80], heading=heading.for_sheet("居民意见汇总说明"))
    return to_bytes(wb)


def _described(filters: stats.Filters, labels: dict[str, str]) -> str:
    """The filters in words (Chinese), or 无."""
    parts = []
    if filters.compound_id is not None:
        c = db.session.get(Compound, filters.compound_id)
        parts.append(f"小区：{c.name if c else filters.compound_id}")
    if filters.company_id is not None:
        c = db.session.get(Company, filters.company_id)
        parts.append(f"物业服务企业：{c.name if c else filters.company_id}")
    if filters.dimension_id is not None:
        d = db.session.get(Dimension, filters.dimension_id)
        parts.append(f"维度：{d.name if d else filters.dimension_id}（该维度有题目打 1-2 分）")
    elif filters.low:
        parts.append(f"只看低分（总体评价 1-2 分或指数低于 {stats.LOW_INDEX}）")
    if filters.source:
        parts.append(f"来源：{labels[filters.source]}")
    return "；".join(parts) or "无"
