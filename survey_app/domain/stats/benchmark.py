"""Benchmark (标杆) candidates: top band, enough coverage, no overdue rectification.

A company with an item past its deadline while it holds it (`RectificationItem.overdue_on(today)`),
anywhere in the campaign, is not a candidate. The page shows each candidate's rectification-loop
figures beside it: they are computed by `domain.rectification.rates.loop_rates` (stats does not
import rectification) and handed in as `loop`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import Campaign, RectificationItem
from ...access import Area
from ..clock import now
from .ranking import RankedRow
from .reports import company_ranking

TOP_CONSIDERED = 10  # the top companies the list explains, qualifying or not


@dataclass
class Candidate:
    row: RankedRow
    overdue: int
    reasons: list[str]
    loop: object | None = None  # the company's LoopRates in the area, when the caller gave them

    @property
    def qualifies(self) -> bool:
        return not self.reasons


def overdue_counts(campaign_id: int, today: date | None = None) -> dict[int, int]:
    """{company id: items of the campaign past their deadline on `today` while the company holds them}."""
    today = today or now().date()
    q = (select(RectificationItem.company_id, func.count(RectificationItem.id))
         .where(RectificationItem.campaign_id == campaign_id, RectificationItem.overdue_on(today))
         .group_by(RectificationItem.company_id))
    return dict(db.session.execute(q).all())


def candidates(campaign: Campaign, area: Area, today: date | None = None, loop: dict | None = None) -> list[Candidate]:
    """Every company of the top band, and the other top-ranked ones with the reason they do not qualify.

    `loop` ({company id: LoopRates}) is attached to each candidate for the page to show."""
    ranking = company_ranking(campaign, area)
    overdue = overdue_counts(campaign.id, today)
    loop = loop or {}
    out = []
    for row in ranking.ranked:
        if row.band != 1 and row.rank > TOP_CONSIDERED:
            break
        reasons = []
        if row.band != 1:
            reasons.append(_("不在第一等级组（第 %(band)s 组）", band=row.band))
        if overdue.get(row.stats.key):
            reasons.append(_("有 %(n)s 条逾期未完成的整改事项", n=overdue[row.stats.key]))
        out.append(Candidate(row=row, overdue=overdue.get(row.stats.key, 0), reasons=reasons,
                             loop=loop.get(row.stats.key)))
    # Companies scoring as high as the top band on too few answers are named too, with the reason.
    bar = min((c.row.stats.mean for c in out if c.row.band == 1), default=None)
    for row in ranking.unranked:
        if bar is not None and row.stats.mean is not None and row.stats.mean >= bar:
            out.append(Candidate(row=row, overdue=overdue.get(row.stats.key, 0), reasons=[row.reason],
                                 loop=loop.get(row.stats.key)))
    return out
