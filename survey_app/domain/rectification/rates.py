"""Rates that say whether the rectification loop works, per company or per street, and what the
items raised in one round did to the next round's scores. Every rate is defined in
docs/rectification_rates.md; the counts come from one GROUP BY (conditional sums), never from a
loop over the items in Python.

- `loop_rates`: per unit, items handed over, started in time, verified fixed, closed without a fix
  (apart: never in the fixed share), confirmed by residents, overdue now, deadlines missed;
- `fix_effect`: for a street's page, the items raised in the previous round there, how many were
  fixed, and how the dimension's score moved for fixed and for unfixed ones.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Integer, and_, case, cast, extract, func, or_, select, true
from sqlalchemy.orm import aliased

from ...access import Area
from ...extensions import db
from ...models import Campaign, Company, Compound, Dimension, RectificationConfirmation, RectificationItem, Street
from ..stats.rounds import dimension_sums, shown_mean

# What a table of rates is per: the unit's id column and name column, chosen in `loop_rates`.
BY = {"company": "物业服务企业", "street": "街道"}


def start_days() -> int:
    """Days after the handover within which an item counts as started in time (RECTIFICATION_START_DAYS)."""
    return int(current_app.config.get("RECTIFICATION_START_DAYS", 7))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class LoopRates:
    """One unit's (a company's or a street's) counts of items and the rates made from them."""

    key: int
    label: str = ""
    items: int = 0  # raised in the round (any state)
    handed: int = 0  # handed over to a company at some time (assigned_at set)
    start_due: int = 0  # handed, and either started or past the start window
    started_in_time: int = 0  # started (or submitted) within start_days of the handover
    verified: int = 0  # verified fixed by an officer (handed items only)
    closed: int = 0  # closed without a fix after the handover (never counted as fixed)
    asked: int = 0  # submitted as fixed at least once: residents were asked
    answered: int = 0  # at least one resident answered about the current submission
    confirmed: int = 0  # more residents said 已解决 than 未解决 about the current submission
    overdue: int = 0  # past the deadline now while the company holds it
    missed: int = 0  # missed the deadline, now or at any time before

    @property
    def started_share(self) -> float | None:
        """按时启动率: started_in_time / start_due."""
        return _share(self.started_in_time, self.start_due)

    @property
    def started_late(self) -> int:
        """Items of start_due not started in time (late, or not started at all)."""
        return self.start_due - self.started_in_time

    @property
    def verified_share(self) -> float | None:
        """整改完成率 (verified fixed): verified / handed."""
        return _share(self.verified, self.handed)

    @property
    def closed_share(self) -> float | None:
        """关闭未整改率: closed / handed (shown apart from the fixed share)."""
        return _share(self.closed, self.handed)

    @property
    def confirmed_share(self) -> float | None:
        """居民确认率: confirmed / asked."""
        return _share(self.confirmed, self.asked)


def _seconds_between(later, earlier):
    """later − earlier in seconds, as SQL the database in use understands (SQLite or PostgreSQL)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", later), Integer) - cast(func.strftime("%s", earlier), Integer)
    return extract("epoch", later - earlier)


def _count(cond):
    return func.sum(case((cond, 1), else_=0))


def loop_rates(campaign_id: int, *, by: str = "company", compound_clause=True, today: date,
               days: int | None = None) -> dict[int, LoopRates]:
    """{company or street id: LoopRates} of the round's items, in one query.

    `by` is "company" (the company the item was handed to; items never handed to one are left out)
    or "street" (the item's compound's street). `compound_clause` is a SQL condition on Compound
    (an area's `compound_clause()`); True means every compound. `today` decides what is overdue
    and whose start window has closed; `days` defaults to RECTIFICATION_START_DAYS.
    """
    if by not in BY:
        raise ValueError(f"unknown unit {by!r}")
    days = start_days() if days is None else int(days)
    I = RectificationItem
    C = RectificationConfirmation
    current = aliased(RectificationItem)
    # Residents' answers about each item's current submission: how many said fixed, not fixed.
    votes = (select(C.item_id.label("item_id"),
                    _count(C.answer == "fixed").label("yes"), _count(C.answer == "not_fixed").label("no"))
             .join(current, current.id == C.item_id)
             .where(current.campaign_id == campaign_id, C.submission == current.submissions)
             .group_by(C.item_id).subquery())
    handed = I.assigned_at.is_not(None)
    first_move = case((and_(I.started_at.is_not(None), or_(I.submitted_at.is_(None), I.started_at <= I.submitted_at)),
                       I.started_at), else_=I.submitted_at)
    moved = first_move.is_not(None)
    # The start window has closed when the handover plus `days` lies before today's midnight.
    window_closed = I.assigned_at < datetime.combine(today, time()) - timedelta(days=days)
    in_time = and_(handed, moved, _seconds_between(first_move, I.assigned_at) <= days * 86400)
    if by == "street":
        unit, name = Street.id, Street.name
    else:
        unit, name = I.company_id, Company.name
    q = (select(unit, name, func.count(I.id), _count(handed), _count(and_(handed, or_(moved, window_closed))),
                _count(in_time), _count(and_(handed, I.status == "verified")),
                _count(and_(handed, I.status == "closed")), _count(I.submissions > 0),
                _count(votes.c.item_id.is_not(None)), _count(votes.c.yes > votes.c.no),
                _count(I.overdue_on(today)), _count(I.missed_on(today)))
         .join(Compound, Compound.id == I.compound_id)
         .outerjoin(votes, votes.c.item_id == I.id)
         .where(I.campaign_id == campaign_id, true() if compound_clause is True else compound_clause))
    if by == "street":
        q = q.join(Street, Street.id == Compound.street_id)
    else:
        q = q.join(Company, Company.id == I.company_id)
    q = q.group_by(unit, name).order_by(name, unit)
    out = {}
    for key, label, *counts in db.session.execute(q):
        out[key] = LoopRates(key, label or "", *(int(c or 0) for c in counts))
    return out


def totals(rates: dict[int, LoopRates]) -> LoopRates | None:
    """The units' counts added up (the area's line under a table); None when there are no units."""
    if not rates:
        return None
    out = LoopRates(key=0)
    for r in rates.values():
        for f in ("items", "handed", "start_due", "started_in_time", "verified", "closed", "asked", "answered",
                  "confirmed", "overdue", "missed"):
            setattr(out, f, getattr(out, f) + getattr(r, f))
    return out


@dataclass
class EffectGroup:
    """Items of one kind (fixed, or not fixed) and the change of their dimension's score."""

    items: int = 0
    changes: list[float] = field(default_factory=list)  # next − then, for items with both figures

    @property
    def compared(self) -> int:
        return len(self.changes)

    @property
    def mean_change(self) -> float | None:
        return sum(self.changes) / len(self.changes) if self.changes else None


@dataclass
class FixEffect:
    """整改成效: what the items raised in the previous round in an area became, and did to the scores."""

    previous: Campaign
    items: int = 0
    closed: int = 0  # of the unfixed: closed without a fix
    fixed: EffectGroup = field(default_factory=EffectGroup)  # verified
    unfixed: EffectGroup = field(default_factory=EffectGroup)  # any other state (closed included)

    @property
    def largest_change(self) -> float | None:
        """The larger absolute mean change of the two groups (a chart's scale); None without any."""
        changes = [abs(g.mean_change) for g in (self.fixed, self.unfixed) if g.mean_change is not None]
        return max(changes) if changes else None


def fix_effect(campaign: Campaign, area: Area) -> FixEffect | None:
    """The items raised in the round `campaign` was copied from, in the area, and for those fixed
    (verified) and those not, the mean change of their dimension's score for their compound from
    that round to this one (items whose compound shows a figure in both rounds). None when the
    campaign was not copied from an earlier round. One query: the items, each joined to its
    compound's dimension sums in both rounds."""
    if campaign.copied_from_id is None:
        return None
    previous = db.session.get(Campaign, campaign.copied_from_id)
    if previous is None:
        return None
    I = RectificationItem
    clause = area.compound_clause()
    then, now_ = dimension_sums(previous.id, clause), dimension_sums(campaign.id, clause)
    rows = db.session.execute(
        select(I.status, then.c.n, then.c.total, now_.c.n, now_.c.total)
        .join(Compound, Compound.id == I.compound_id)
        .outerjoin(Dimension, Dimension.id == I.dimension_id)
        .outerjoin(then, and_(then.c.compound_id == I.compound_id, then.c.key == Dimension.key))
        .outerjoin(now_, and_(now_.c.compound_id == I.compound_id, now_.c.key == Dimension.key))
        .where(I.campaign_id == previous.id, clause)).all()
    out = FixEffect(previous=previous, items=len(rows))
    for status, then_n, then_total, now_n, now_total in rows:
        group = out.fixed if status == "verified" else out.unfixed
        group.items += 1
        out.closed += status == "closed"
        before, after = shown_mean(then_n, then_total), shown_mean(now_n, now_total)
        if before is not None and after is not None:
            group.changes.append(after - before)
    return out


__all__ = ["BY", "EffectGroup", "FixEffect", "LoopRates", "fix_effect", "loop_rates", "start_days", "totals"]
