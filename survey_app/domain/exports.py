"""Excel workbooks (openpyxl): rankings and rectification lists, formula-safe."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Iterable, Sequence

from openpyxl.formatting.rule import ColorScaleRule, FormulaRule

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .ranking import Ranking
from .rectification import STATUS_LABELS

# Leading characters a spreadsheet may read as the start of a formula (ASCII and full-width).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F5C99")


def safe_text(value: str) -> str:
    """Make text inert in a spreadsheet: prefix an apostrophe when it could start a formula."""
    if value and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell_value(v):
    if isinstance(v, str):
        return safe_text(v)
    return v


def write_table(ws, headers: Sequence[str], rows: Iterable[Sequence], widths: Sequence[int] | None = None,
                formats: dict[int, str] | None = None) -> None:
    """Write a header row and data rows with frozen header, filter, widths and number formats."""
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 0
    formats = formats or {}
    for r, row in enumerate(rows, start=2):  # ws.cell is O(1); ws.max_row would make this quadratic
        count += 1
        for col, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=_cell_value(v))
            if isinstance(v, str):
                cell.data_type = "s"  # never let openpyxl store text as a formula
            if col in formats:
                cell.number_format = formats[col]
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    for i, h in enumerate(headers, start=1):
        width = widths[i - 1] if widths else max(10, len(h) * 2 + 2)
        ws.column_dimensions[get_column_letter(i)].width = width


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


RANKING_HEADERS = ["名次", "等级组", "物业服务企业", "满意度指数", "排序估计值", "95%区间下限", "95%区间上限",
                   "有效样本(份)", "总户数", "参评率", "总体满意率", "说明"]


def ranking_rows(ranking: Ranking):
    for r in ranking.rows:
        s = r.stats
        lo, hi = s.interval if s.interval else (None, None)
        yield [r.rank, r.band, s.label, _round(s.mean), _round(r.shrunk), _round(lo),
               _round(hi), s.n, s.households, s.coverage, s.satisfaction_rate,
               "" if r.eligible else "样本不足，不参与排名：" + r.reason]


def _round(v, nd=1):
    return None if v is None else round(v, nd)


def method_rows(ranking: Ranking, scope_name: str, campaign_name: str, generated: datetime):
    return [
        ("测评活动", campaign_name),
        ("排名范围", scope_name),
        ("生成时间", generated.strftime("%Y-%m-%d %H:%M")),
        ("计分方法", "每题 1-5 分换算为 0-100 分：(答案-1)/4×100；“不适用”不计分。"
                 "维度得分为该维度已答题目的平均分；每份答卷的指数为其已答维度按权重归一化的加权平均。"),
        ("单位指数", "企业指数为其在范围内所管小区全部有效答卷指数的平均值（一户一票）。"),
        ("满意率", "总体满意度题选择“满意”或“非常满意”的比例。"),
        ("95%区间", "均值 ± 1.96 × 标准误；标准误 = s/√n × √((N-n)/(N-1))，N 为总户数（有限总体校正）。"),
        ("参与排名条件", f"有效答卷不少于 {ranking.min_responses} 份且参评率不低于 {ranking.min_coverage:.0%}；"
                   "不满足者列为“样本不足”，不排名。"),
        ("排序方法", "按经验贝叶斯收缩估计值排序：估计值 = m + (1-B)(均值-m)，B = SE²/(SE²+τ²)。"),
        ("范围均值 m", _round(ranking.scope_mean, 2)),
        ("单位间方差 τ²", _round(ranking.tau2, 2)),
        ("等级组", "自第一名起，区间与本组第一名区间重叠的单位归入同一等级组；不重叠则另起一组。"
                "同组单位之间的差异不能视为确定。"),
        ("待复核答卷", "被完整性检查标记、尚待复核的答卷不计入本表。"),
    ]


def ranking_workbook(ranking: Ranking, scope_name: str, campaign_name: str, generated: datetime,
                     levels: Sequence[tuple[str, Ranking]] = (), dimensions: Sequence = (),
                     company_dims: dict | None = None, compounds: Sequence = ()) -> bytes:
    """The ranking workbook: companies, one sheet per level below the scope, company × dimension,
    compounds, and the method with its parameters. Numbers stay numbers; bands are shaded."""
    wb = Workbook()
    ws = wb.active
    ws.title = "企业排名"
    _ranking_sheet(ws, ranking, "物业服务企业")
    for level_name, level_ranking in levels:
        _ranking_sheet(wb.create_sheet(f"各{level_name}"), level_ranking, level_name)
    if dimensions:
        ds = wb.create_sheet("企业×维度")
        dims = company_dims or {}
        write_table(ds, ["名次", "物业服务企业"] + [d.name for d in dimensions],
                    ([r.rank, r.stats.label] + [_round(dims[(r.stats.key, d.id)].mean) if (r.stats.key, d.id) in dims
                                                else None for d in dimensions] for r in ranking.ranked),
                    widths=[7, 30] + [12] * len(dimensions),
                    formats={i: "0.0" for i in range(3, 3 + len(dimensions))})
        if ranking.ranked:
            last = get_column_letter(2 + len(dimensions))
            ds.conditional_formatting.add(
                f"C2:{last}{len(ranking.ranked) + 1}",
                ColorScaleRule(start_type="num", start_value=40, start_color="F6C7C3", mid_type="num", mid_value=70,
                               mid_color="FDF3D0", end_type="num", end_value=95, end_color="A5D6A7"))
    if compounds:
        cs = wb.create_sheet("小区")
        write_table(cs, ["街道", "社区", "小区", "物业服务企业", "满意度指数", "95%区间下限", "95%区间上限", "有效样本(份)",
                         "总户数", "参评率", "总体满意率"],
                    ([s.extra["compound"].community.street.name, s.extra["compound"].community.name, s.label,
                      s.extra["compound"].company.name if s.extra["compound"].company else "", _round(s.mean),
                      _round(s.interval[0]) if s.interval else None, _round(s.interval[1]) if s.interval else None,
                      s.n, s.households, s.coverage, s.satisfaction_rate] for s in compounds),
                    widths=[14, 14, 22, 30, 12, 12, 12, 12, 10, 10, 12],
                    formats={5: "0.0", 6: "0.0", 7: "0.0", 10: "0.0%", 11: "0.0%"})
    m = wb.create_sheet("方法说明")
    write_table(m, ["项目", "说明"], method_rows(ranking, scope_name, campaign_name, generated), widths=[18, 100])
    for row in m.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    return to_bytes(wb)


BAND_FILL = PatternFill("solid", fgColor="E8F0FB")


def _ranking_sheet(ws, ranking: Ranking, unit_name: str) -> None:
    headers = list(RANKING_HEADERS)
    headers[2] = unit_name
    write_table(ws, headers, ranking_rows(ranking), widths=[7, 8, 30, 12, 12, 12, 12, 12, 10, 10, 12, 40],
                formats={4: "0.0", 5: "0.0", 6: "0.0", 7: "0.0", 10: "0.0%", 11: "0.0%"})
    if ranking.ranked:
        # Odd bands shaded, so where one band ends and the next begins is visible at a glance.
        ws.conditional_formatting.add(f"A2:L{len(ranking.ranked) + 1}",
                                      FormulaRule(formula=["MOD($B2,2)=1"], fill=BAND_FILL))


RECTIFICATION_HEADERS = ["街道", "社区", "小区", "物业服务企业", "维度", "问题依据", "整改期限", "状态"]


def rectification_workbook(items) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "整改清单"
    rows = ([i.compound.community.street.name, i.compound.community.name, i.compound.name,
             i.company.name if i.company else "", i.category, i.evidence, i.deadline, STATUS_LABELS[i.status]]
            for i in items)
    write_table(ws, RECTIFICATION_HEADERS, rows, widths=[14, 14, 22, 30, 14, 50, 12, 10],
                formats={7: "yyyy-mm-dd"})
    return to_bytes(wb)





def company_workbook(report, company_name: str, generated: datetime) -> bytes:
    """A company's own workbook: overview, compounds, dimensions against the city, masked comments."""
    from .privacy import MIN_GROUP, shown

    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    own, pos = report.own, report.position
    lo, hi = own.interval if own and own.interval else (None, None)
    write_table(ws, ["项目", "数值"], [
        ("测评活动", report.campaign.name), ("物业服务企业", company_name),
        ("满意度指数", _round(own.mean) if own else None), ("95%区间下限", _round(lo)), ("95%区间上限", _round(hi)),
        ("有效样本(份)", own.n if own else 0), ("总户数", own.households if own else 0),
        ("参评率", own.coverage if own else None), ("总体满意率", own.satisfaction_rate if own else None),
        ("全市名次", f"{pos.rank} / {report.ranked_count}" if pos and pos.rank else "样本不足，不参与排名"),
        ("等级组", pos.band if pos else None), ("全市平均指数", _round(report.scope.mean)),
        ("生成时间", generated.strftime("%Y-%m-%d %H:%M")),
        ("说明", f"少于 {MIN_GROUP} 份答卷的小区不显示分项结果和意见；意见中的电话、证件号、门牌等已隐藏。"),
    ], widths=[18, 60])
    cs = wb.create_sheet("各小区")
    write_table(cs, ["小区", "满意度指数", "95%区间下限", "95%区间上限", "有效样本(份)", "总户数", "参评率", "总体满意率"],
                ([s.label] + ([_round(s.mean), _round(s.interval[0]) if s.interval else None,
                               _round(s.interval[1]) if s.interval else None] if shown(s) else [None] * 3)
                 + [s.n, s.households, s.coverage, s.satisfaction_rate if shown(s) else None]
                 for s in report.compounds),
                widths=[24, 12, 12, 12, 12, 10, 10, 12], formats={2: "0.0", 3: "0.0", 4: "0.0", 7: "0.0%", 8: "0.0%"})
    ds = wb.create_sheet("各维度")
    write_table(ds, ["维度", "本企业得分", "全市平均", "差值", "本企业满意率", "作答份数"],
                ([d.name, _round(o.mean) if o else None, _round(a.mean) if a else None,
                  _round(o.mean - a.mean) if o and a else None, o.satisfaction_rate if o else None, o.n if o else 0]
                 for d, o, a in report.dimensions),
                widths=[16, 12, 12, 10, 14, 10], formats={2: "0.0", 3: "0.0", 4: "+0.0;-0.0;0.0", 5: "0.0%"})
    ms = wb.create_sheet("意见建议")
    write_table(ms, ["小区", "意见建议（已隐藏个人信息）"], report.comments, widths=[24, 100])
    return to_bytes(wb)
