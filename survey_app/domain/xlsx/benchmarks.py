"""The benchmark workbook (标杆企业候选): the benchmark page's table, row for row, and the
conditions it applies, under the shared title block."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from openpyxl import Workbook

from ..stats.benchmark import Candidate
from .common import MEAN, PERCENT, WRAPPED, Heading, office_of, rounded, to_bytes, write_table

HEADERS = ["名次", "等级组", "物业服务企业", "满意度指数", "有效样本(份)", "参评率", "按时启动率",
           "整改完成率（核验通过）", "居民确认率", "当前逾期(件)", "是否符合", "原因"]


def candidate_rows(candidates: Sequence[Candidate]):
    """One row per candidate, as the page lists them: figures as numbers, rates as fractions."""
    for c in candidates:
        s, loop = c.row.stats, c.loop
        yield [c.row.rank, c.row.band, s.label, None if s.withheld else rounded(s.mean), s.n, s.coverage,
               loop.started_share if loop else None, loop.verified_share if loop else None,
               loop.confirmed_share if loop else None, c.overdue, "符合" if c.qualifies else "不符合",
               "；".join(str(r) for r in c.reasons)]


def method_rows(days: int) -> list[tuple[str, str]]:
    """The conditions and definitions the page states beside its table."""
    return [
        ("条件", "位于第一等级组（与第一名区间重叠）、达到排名条件（样本与参评率）、没有逾期未完成的整改事项。"
               "表中同时列出排名靠前但不符合条件的企业及原因。"),
        ("整改闭环", f"本辖区内该企业的整改事项；按时启动：交办后 {days} 天内开始整改。"),
        ("当前逾期", "本轮全部整改事项中逾期未完成的条数，有逾期即不符合。"),
    ]


def benchmarks_workbook(candidates: Sequence[Candidate], scope_name: str, campaign_name: str,
                        generated: datetime, days: int, office: str | None = None) -> bytes:
    """The 标杆企业候选 sheet and its 说明 sheet, each under the title block (scope, campaign, date,
    issuing office: the user's jurisdiction unless `office` is given)."""
    heading = Heading("标杆企业候选", scope_name, campaign_name, generated,
                      office if office is not None else office_of())
    wb = Workbook()
    ws = wb.active
    ws.title = "标杆企业候选"
    write_table(ws, HEADERS, candidate_rows(candidates), widths=[7, 8, 30, 12, 12, 10, 12, 14, 12, 12, 10, 40],
                formats={4: MEAN, 6: PERCENT, 7: PERCENT, 8: PERCENT, 9: PERCENT}, heading=heading,
                highlight=(11, "符合"))
    m = wb.create_sheet("说明")
    write_table(m, ["项目", "说明"], method_rows(days), widths=[14, 100],
                heading=heading.for_sheet("标杆企业候选说明"), aligns={2: WRAPPED})
    return to_bytes(wb)
