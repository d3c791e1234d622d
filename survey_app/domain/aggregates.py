"""SQL aggregation of responses into unit statistics (one GROUP BY per question asked)."""
from __future__ import annotations

from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Answer, Company, Compound, Household, Question, Response
from .access import Area
from .scoring import UnitStats

PUBLISHED = ("published",)
WITH_HELD = ("published", "held")


def households_by_compound(area: Area, extra=None) -> dict[int, int]:
    q = (select(Household.compound_id, func.count(Household.id))
         .join(Compound, Compound.id == Household.compound_id)
         .where(area.compound_clause()).group_by(Household.compound_id))
    if extra is not None:
        q = q.where(extra)
    return dict(db.session.execute(q).all())


def _response_sums(campaign_id: int, area: Area, key_col, statuses, extra=None):
    q = (select(key_col, func.count(Response.id), func.sum(Response.score),
                func.sum(Response.score * Response.score),
                func.sum(case((Response.overall >= 4, 1), else_=0)), func.count(Response.overall))
         .join(Compound, Compound.id == Response.compound_id)
         .where(Response.campaign_id == campaign_id, Response.status.in_(statuses),
                Response.score.is_not(None), area.compound_clause())
         .group_by(key_col))
    if extra is not None:
        q = q.where(extra)
    return {row[0]: row[1:] for row in db.session.execute(q).all()}


def _fill(stats: UnitStats, sums) -> UnitStats:
    if sums:
        n, total, total_sq, sat, overall_n = sums
        stats.n, stats.total, stats.total_sq = int(n), float(total or 0), float(total_sq or 0)
        stats.satisfied, stats.overall_n = int(sat or 0), int(overall_n or 0)
    return stats


def company_stats(campaign_id: int, area: Area, include_held: bool = False, extra=None) -> list[UnitStats]:
    """One UnitStats per company managing a compound in the area (pooled over its compounds)."""
    statuses = WITH_HELD if include_held else PUBLISHED
    households = households_by_compound(area, extra)
    managed = db.session.execute(
        select(Compound.id, Compound.company_id).where(area.compound_clause(), Compound.company_id.is_not(None))
        .where(extra if extra is not None else True)
    ).all()
    hh_by_company: dict[int, int] = {}
    for cid, company_id in managed:
        hh_by_company[company_id] = hh_by_company.get(company_id, 0) + households.get(cid, 0)
    sums = _response_sums(campaign_id, area, Response.company_id, statuses, extra)
    ids = set(hh_by_company) | {k for k in sums if k is not None}
    names = dict(db.session.execute(select(Company.id, Company.name).where(Company.id.in_(ids))).all())
    return [_fill(UnitStats(key=i, label=names.get(i, ""), households=hh_by_company.get(i, 0)), sums.get(i))
            for i in sorted(ids)]


def compound_stats(campaign_id: int, area: Area, include_held: bool = False, extra=None) -> list[UnitStats]:
    """One UnitStats per compound in the area."""
    statuses = WITH_HELD if include_held else PUBLISHED
    households = households_by_compound(area, extra)
    q = select(Compound).where(area.compound_clause()).order_by(Compound.id)
    if extra is not None:
        q = q.where(extra)
    compounds = db.session.scalars(q).all()
    sums = _response_sums(campaign_id, area, Response.compound_id, statuses, extra)
    out = []
    for c in compounds:
        s = _fill(UnitStats(key=c.id, label=c.name, households=households.get(c.id, 0)), sums.get(c.id))
        s.extra = {"compound": c}
        out.append(s)
    return out


def dimension_stats_by_compound(campaign_id: int, compound_ids=None) -> dict[tuple[int, int], UnitStats]:
    """{(compound_id, dimension_id): UnitStats} of per-response dimension scores (published only).

    `satisfied` counts responses whose mean answer on the dimension is 4 or more.
    """
    per_response = (
        select(Response.compound_id.label("cid"), Question.dimension_id.label("did"),
               func.avg(Answer.value * 1.0).label("m"))
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(Response.campaign_id == campaign_id, Response.status == "published", Answer.value.is_not(None))
        .group_by(Response.compound_id, Question.dimension_id, Response.id)
    )
    if compound_ids is not None:
        per_response = per_response.where(Response.compound_id.in_(compound_ids))
    sub = per_response.subquery()
    score = (sub.c.m - 1) * 25.0
    q = select(sub.c.cid, sub.c.did, func.count(), func.sum(score), func.sum(score * score),
               func.sum(case((sub.c.m >= 4, 1), else_=0))).group_by(sub.c.cid, sub.c.did)
    out = {}
    for cid, did, n, total, total_sq, sat in db.session.execute(q).all():
        out[(cid, did)] = UnitStats(key=did, n=int(n), total=float(total), total_sq=float(total_sq),
                                    satisfied=int(sat), overall_n=int(n))
    return out
