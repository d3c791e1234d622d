"""The ranking workbook: companies, one sheet per level below the scope, company × dimension,
compounds, the rectification loop per company (整改闭环), and the method with its parameters."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from ...access import Area
from ...extensions import db
from ...models import Campaign, Community, Company, Compound, Street
from ..documents import in_chinese
from ..rectification.rates import LoopRates, loop_rates, start_days
from ..stats.aggregates import AreaSums, dimension_stats
from ..stats.privacy import MIN_GROUP
from ..stats.ranking import Ranking, rank_units
from ..stats.reports import LEVEL_NAMES, held_count
from .common import MEAN, PERCENT, WRAPPED, Heading, office_of, rounded, safe_title, to_bytes, write_table


RANKING_HEADERS = ["名次", "等级组", "物业服务企业", "满意度指数", "排序估计值", "95%区间下限", "95%区间上限",
                   "有效样本(份)", "总户数", "参评率", "总体满意率", "说明"]


def ranking_rows(ranking: Ranking):
    for r in ranking.rows:
        s = r.stats
        lo, hi = s.interval if s.interval else (None, None)
        yield [r.rank, r.band, s.label, rounded(s.mean), rounded(r.shrunk), rounded(lo),
               rounded(hi), s.n, s.households, s.coverage, s.satisfaction_rate,
               "" if r.eligible else not_ranked(r.reason)]


def not_ranked(reason: str) -> str:
    """The 说明 of a unit left out of the ranking: the reason once ("不参与排名（样本不足：3 份，少于 5 份）")."""
    return f"不参与排名（{reason}）" if reason else "不参与排名"


LOOP_HEADERS = ["物业服务企业", "整改事项(件)", "已交办(件)", "应启动(件)", "按时启动(件)", "按时启动率",
                "核验通过(件)", "整改完成率", "关闭未整改(件)", "已请居民确认(件)", "居民确认已解决(件)", "居民确认率",
                "当前逾期(件)", "曾逾期(件)"]


def loop_rows(loop: Sequence[LoopRates]):
    """One row per company of the 整改闭环 sheet: counts as integers, rates as fractions (shown as %)."""
    for r in loop:
        yield [r.label, r.items, r.handed, r.start_due, r.started_in_time, r.started_share, r.verified,
               r.verified_share, r.closed, r.asked, r.confirmed, r.confirmed_share, r.overdue, r.missed]


def loop_method_rows(days: int):
    """The 方法说明 rows defining the 整改闭环 sheet's rates (as docs/rectification_rates.md)."""
    return [
        ("整改闭环·按时启动率", f"按时启动(件) ÷ 应启动(件)。应启动：已交办、且已开始整改（或已提交核验）或交办已满 {days} 天的事项；"
                       f"按时启动：交办后 {days} 天（{days}×24 小时）内开始整改或提交核验。"),
        ("整改闭环·整改完成率", "核验通过(件) ÷ 已交办(件)。“关闭未整改”单独计数，不计入完成。"),
        ("整改闭环·居民确认率", "居民确认已解决(件) ÷ 已请居民确认(件)。已请居民确认：企业至少提交过一次核验的事项；"
                       "确认已解决：最近一次提交后，答复“已解决”的住户多于答复“未解决”的住户。"),
        ("整改闭环·逾期", "当前逾期：超过整改期限且仍由企业整改中的事项（生成当日）；曾逾期：当前逾期及逾期后才完成的事项，一经逾期始终计入。"),
    ]


HELD_NOTE = "含待复核答卷：本表数字包含尚待复核的答卷，仅供内部比较，不作为公布结果"


def held_method_row(held: int | None) -> tuple[str, str]:
    """The 待复核答卷 row of the 方法说明: left out (held None), or counted (held: how many)."""
    if held is None:
        return ("待复核答卷", "被完整性检查标记、尚待复核的答卷不计入本表；经复核驳回的答卷始终不计入。")
    return ("待复核答卷", f"本表按要求包含尚待复核的答卷（{held} 份），仅供内部比较，不作为公布结果；"
                     "经复核驳回的答卷不计入。")


def compound_rows(compounds, places: dict[int, tuple[str, str, str]]):
    """One row per compound of the 小区 sheet: its street, community, name and company, then its figures."""
    for s in compounds:
        street, community, company = places.get(s.key, ("", "", ""))
        lo, hi = s.interval if s.interval else (None, None)
        yield [street, community, s.label, company, rounded(s.mean), rounded(lo), rounded(hi),
               s.n, s.households, s.coverage, s.satisfaction_rate]


def method_rows(ranking: Ranking, scope_name: str, campaign_name: str, generated: datetime,
                held: int | None = None):
    return [
        ("测评活动", campaign_name),
        ("排名范围", scope_name),
        ("生成时间", generated.strftime("%Y-%m-%d %H:%M")),
        ("计分方法", "每题 1-5 分换算为 0-100 分：(答案-1)/4×100；“不适用”不计分。"
                 "维度得分为该维度已答题目的平均分；每份答卷的指数为其已答维度按权重归一化的加权平均。"),
        ("单位指数", "企业指数为其在范围内所管小区全部有效答卷指数的平均值（一户一票）。"),
        ("满意率", "总体满意度题选择“满意”或“非常满意”的比例。"),
        ("95%区间", "均值 ± 1.96 × 标准误；标准误 = s/√n × √((N-n)/(N-1))，N 为总户数（有限总体校正）。"),
        ("参与排名条件", f"有效答卷不少于 {max(ranking.min_responses, MIN_GROUP)} 份且参评率不低于 "
                   f"{ranking.min_coverage:.0%}；不满足者列为“样本不足”，不排名。"),
        ("小样本不显示", f"答卷少于 {MIN_GROUP} 份的单位（小区、街道、企业或其某一维度）不显示任何得分、区间和满意率，"
                   "以免识别住户；户数、答卷数和参评率照常显示。"),
        ("排序方法", "按经验贝叶斯收缩估计值排序：估计值 = m + (1-B)(均值-m)，B = SE²/(SE²+τ²)。"),
        ("范围均值 m", rounded(ranking.scope_mean, 2)),
        ("单位间方差 τ²", rounded(ranking.tau2, 2)),
        ("等级组", "自第一名起，区间与本组第一名区间重叠的单位归入同一等级组；不重叠则另起一组。"
                "同组单位之间的差异不能视为确定。"),
        held_method_row(held),
    ]


def ranking_workbook(ranking: Ranking, scope_name: str, campaign_name: str, generated: datetime,
                     levels: Sequence[tuple[str, Ranking]] = (), dimensions: Sequence = (),
                     company_dims: dict | None = None, compounds: Sequence = (), office: str | None = None,
                     loop: Sequence[LoopRates] | None = None, loop_days: int = 7, held: int | None = None,
                     places: dict[int, tuple[str, str, str]] | None = None) -> bytes:
    """The ranking workbook: companies, one sheet per level below the scope, company × dimension,
    compounds (their street, community and company names from `places`, see compound_places), and
    the method with its parameters. Numbers stay numbers; bands are shaded; each sheet opens with
    a title block (scope, campaign, date, issuing office: the user's jurisdiction unless `office` is
    given). `loop` (companies' LoopRates) adds the 整改闭环 sheet. `held` (how many held responses
    the figures include; None: published only) puts 含待复核答卷 in every title block. The sheets
    are streamed (a write-only workbook): each is written as it is made."""
    heading = Heading("物业服务企业满意度排名", scope_name, campaign_name, generated,
                      office if office is not None else office_of(), HELD_NOTE if held is not None else "")
    wb = Workbook(write_only=True)
    _ranking_sheet(wb.create_sheet("企业排名"), ranking, "物业服务企业", heading.for_sheet("物业服务企业满意度排名"))
    for level_name, level_ranking in levels:
        _ranking_sheet(wb.create_sheet(safe_title(f"各{level_name}")), level_ranking, level_name,
                       heading.for_sheet(f"各{level_name}满意度排名"))
    if dimensions:
        ds = wb.create_sheet("企业×维度")
        dims = company_dims or {}
        top = write_table(ds, ["名次", "物业服务企业"] + [d.name for d in dimensions],
                    ([r.rank, r.stats.label] + [rounded(dims[(r.stats.key, d.id)].mean) if (r.stats.key, d.id) in dims
                                                else None for d in dimensions] for r in ranking.ranked),
                    widths=[7, 30] + [12] * len(dimensions),
                    formats={i: MEAN for i in range(3, 3 + len(dimensions))},
                    heading=heading.for_sheet("物业服务企业各维度得分"))
        if ranking.ranked:
            last = get_column_letter(2 + len(dimensions))
            ds.conditional_formatting.add(
                f"C{top + 1}:{last}{top + len(ranking.ranked)}",
                ColorScaleRule(start_type="num", start_value=40, start_color="F6C7C3", mid_type="num", mid_value=70,
                               mid_color="FDF3D0", end_type="num", end_value=95, end_color="A5D6A7"))
    if compounds:
        cs = wb.create_sheet("小区")
        write_table(cs, ["街道", "社区", "小区", "物业服务企业", "满意度指数", "95%区间下限", "95%区间上限", "有效样本(份)",
                         "总户数", "参评率", "总体满意率"], compound_rows(compounds, places or {}),
                    widths=[14, 14, 22, 30, 12, 12, 12, 12, 10, 10, 12],
                    formats={5: MEAN, 6: MEAN, 7: MEAN, 10: PERCENT, 11: PERCENT},
                    heading=heading.for_sheet("各小区满意度"))
    if loop is not None:
        write_table(wb.create_sheet("整改闭环"), LOOP_HEADERS, loop_rows(loop),
                    widths=[30, 12, 12, 12, 12, 12, 12, 12, 14, 16, 18, 12, 12, 12],
                    formats={6: PERCENT, 8: PERCENT, 12: PERCENT},
                    heading=heading.for_sheet("物业服务企业整改闭环"))
    m = wb.create_sheet("方法说明")
    methods = method_rows(ranking, scope_name, campaign_name, generated, held)
    if loop is not None:
        methods += loop_method_rows(loop_days)
    write_table(m, ["项目", "说明"], methods, widths=[18, 100], heading=heading.for_sheet("排名方法说明"),
                aligns={2: WRAPPED})
    return to_bytes(wb)




def compound_places(area: Area) -> dict[int, tuple[str, str, str]]:
    """{compound id: (street, community, company name)} of the area's compounds, read as plain rows
    (the company "" for a compound without one)."""
    q = (select(Compound.id, Street.name, Community.name, Company.name)
         .join(Community, Community.id == Compound.community_id)
         .join(Street, Street.id == Community.street_id)
         .outerjoin(Company, Company.id == Compound.company_id)
         .where(area.compound_clause()))
    return {cid: (street, community, company or "") for cid, street, community, company in db.session.execute(q)}


BAND_FILL = PatternFill("solid", fgColor="E8F0FB")


def _ranking_sheet(ws, ranking: Ranking, unit_name: str, heading: Heading | None = None) -> None:
    headers = list(RANKING_HEADERS)
    headers[2] = str(unit_name)
    top = write_table(ws, headers, ranking_rows(ranking), widths=[7, 8, 30, 12, 12, 12, 12, 12, 10, 10, 12, 40],
                      formats={4: MEAN, 5: MEAN, 6: MEAN, 7: MEAN, 10: PERCENT, 11: PERCENT}, heading=heading)
    if ranking.ranked:
        # Odd bands shaded, so where one band ends and the next begins is visible at a glance.
        ws.conditional_formatting.add(f"A{top + 1}:L{top + len(ranking.ranked)}",
                                      FormulaRule(formula=[f"MOD($B{top + 1},2)=1"], fill=BAND_FILL))


def ranking_workbook_for(campaign: Campaign, area: Area, generated, office: str | None = None,
                         include_held: bool = False) -> bytes:
    """The full ranking workbook of an area (pages and CLI share it), from one scan of the responses:
    published responses only, or with `include_held` (the officer's switch) the held ones too.

    The workbook is a Chinese document whatever the page's language: level names, the area's name
    and the reasons a unit is not ranked are all produced in Chinese."""
    with in_chinese():
        return _ranking_workbook_for(campaign, area, generated, office, include_held)


def _ranking_workbook_for(campaign: Campaign, area: Area, generated, office: str | None,
                          include_held: bool) -> bytes:
    sums = AreaSums.load(campaign.id, area, include_held)
    rank = lambda level: rank_units(sums.unit_stats(level), campaign.min_responses, campaign.min_coverage)  # noqa: E731
    below = {"city": ("district", "street"), "district": ("street",), "street": ()}[area.level]
    return ranking_workbook(rank("company"), area.name(), campaign.name, generated,
                                    levels=[(str(LEVEL_NAMES[level]), rank(level)) for level in below],
                                    dimensions=list(campaign.dimensions),
                                    company_dims=dimension_stats(campaign.id, area, "company", include_held,
                                                                 households=sums.households_by("company")),
                                    compounds=sums.unit_stats("compound"), places=compound_places(area),
                                    office=office,
                                    loop=list(loop_rates(campaign.id, by="company", compound_clause=area.compound_clause(),
                                                         today=generated.date()).values()),
                                    loop_days=start_days(),
                                    held=held_count(campaign, area) if include_held else None)
