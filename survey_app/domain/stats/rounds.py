"""Round to round: find a campaign's previous round and say how a unit changed, and whether beyond noise.

A change counts as real when |Δ| > 1.96·√(SE₁² + SE₂²), the two rounds' standard errors
(with the finite-population correction of UnitStats) taken as independent. Dimensions are
matched by their stable keys, so a renamed dimension still compares and a new one does not.

Rectification items are followed into the next round (`item_scores`): the next round of a campaign is
the one copied from it (`Campaign.copied_from_id`), the questionnaire whose keys carry over.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from sqlalchemy import exists, func, select, true

from ...extensions import db
from ...models import Campaign, Compound, Dimension, Question
from ...models.totals import DimensionTotal
from ...access import Area
from .aggregates import LEVELS as ALL_LEVELS, PUBLISHED, dimension_stats, unit_stats
from .privacy import guard
from .scoring import Z95, UnitStats

LEVELS = ("compound", "company")


@dataclass
class Change:
    """One figure in this round against the previous round."""

    key: str
    label: str = ""
    label_en: str = ""
    current: UnitStats | None = None
    previous: UnitStats | None = None

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None or self.current.mean is None or self.previous.mean is None:
            return None
        return self.current.mean - self.previous.mean

    @property
    def noise(self) -> float | None:
        """Half-width of the 95% band of a zero change; None when either round has fewer than 2 answers."""
        if self.current is None or self.previous is None:
            return None
        se1, se2 = self.current.std_error, self.previous.std_error
        if se1 is None or se2 is None:
            return None
        return Z95 * math.sqrt(se1 * se1 + se2 * se2)

    @property
    def significant(self) -> bool | None:
        """True when the change is larger than the noise; None when it cannot be told."""
        d, noise = self.delta, self.noise
        if d is None or noise is None:
            return None
        return abs(d) > noise

    @property
    def direction(self) -> str:
        """up / down (beyond the noise), flat (within it), unknown (too few answers), none (no previous)."""
        if self.delta is None:
            return "none"
        if self.significant is None:
            return "unknown"
        if not self.significant:
            return "flat"
        return "up" if self.delta > 0 else "down"


@dataclass
class Comparison:
    campaign: Campaign
    previous: Campaign | None
    overall: Change | None = None
    dimensions: list[Change] = field(default_factory=list)
    same_questionnaire: bool = True  # same scored dimensions, weights and questions: the index compares as is


def shared_keys_clause(campaign_col, keys):
    return exists().where(Dimension.campaign_id == campaign_col, Question.dimension_id == Dimension.id,
                          Question.key.in_(keys))


def previous_round(campaign: Campaign) -> Campaign | None:
    """The latest earlier campaign (not a draft) over the same scope that shares question keys with this one."""
    keys = sorted({q.key for q in campaign.questions if q.scored})
    if not keys:
        return None
    scope_id = (Campaign.scope_id.is_(None) if campaign.scope_id is None else Campaign.scope_id == campaign.scope_id)
    q = (select(Campaign)
         .where(Campaign.id != campaign.id, Campaign.scope_level == campaign.scope_level, scope_id,
                Campaign.status != "draft", Campaign.opens_at < campaign.opens_at,
                shared_keys_clause(Campaign.id, keys))
         .order_by(Campaign.opens_at.desc(), Campaign.id.desc()).limit(1))
    return db.session.scalar(q)


def _signature(campaign: Campaign) -> dict:
    total = sum(d.weight for d in campaign.dimensions) or 1.0
    return {d.key: (round(d.weight / total, 9), tuple(sorted(q.key for q in d.questions if q.scored)))
            for d in campaign.dimensions}


def same_questionnaire(a: Campaign, b: Campaign) -> bool:
    return _signature(a) == _signature(b)


def _unit_filter(level: str, unit_id: int):
    """Narrow the SQL to one compound; a company is computed as on a ranking (all its responses in the area)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    return Compound.id == unit_id if level == "compound" else None


def _unit_stats(campaign_id: int, level: str, unit_id: int, area: Area) -> UnitStats | None:
    rows = unit_stats(campaign_id, area, level, extra=_unit_filter(level, unit_id))
    return next((s for s in rows if s.key == unit_id), None)


def _dimension_stats(campaign: Campaign, level: str, unit_id: int, area: Area) -> dict[str, UnitStats]:
    """{dimension key: UnitStats} of the unit's per-response dimension scores."""
    keys = {d.id: d.key for d in campaign.dimensions}
    stats = dimension_stats(campaign.id, area, level, extra=_unit_filter(level, unit_id))
    return {keys[did]: s for (k, did), s in stats.items() if k == unit_id and did in keys}


def compare_unit(campaign: Campaign, level: str, unit_id: int, area: Area | None = None,
                 previous: Campaign | None = None) -> Comparison:
    """Per-dimension and overall change of one compound or company against the previous round.

    `area` limits a company to its compounds in that area (as on a ranking); a compound is its own area.
    """
    area = area or Area("city")
    previous = previous if previous is not None else previous_round(campaign)
    out = Comparison(campaign=campaign, previous=previous)
    if previous is None:
        return out
    out.same_questionnaire = same_questionnaire(campaign, previous)
    cur = _unit_stats(campaign.id, level, unit_id, area)
    prev = _unit_stats(previous.id, level, unit_id, area)
    households = cur.households if cur else (prev.households if prev else 0)
    if prev is not None:
        prev.households = households  # one roster: the compound's households as they are now
    out.overall = Change(key="index", label="满意度指数", label_en="Satisfaction index", current=cur, previous=prev)
    now_dims = _dimension_stats(campaign, level, unit_id, area)
    then_dims = _dimension_stats(previous, level, unit_id, area)
    for d in campaign.dimensions:
        if not any(q.scored for q in d.questions):
            continue
        c, p = now_dims.get(d.key), then_dims.get(d.key)
        if p is not None:
            p.households = households
        out.dimensions.append(Change(key=d.key, label=d.name, label_en=d.name_en or "", current=c, previous=p))
    return out


def overall_changes(campaign: Campaign, area: Area, level: str = "company",
                    current: list[UnitStats] | None = None) -> tuple[Campaign | None, dict[int, Change]]:
    """The previous round and {unit id: change of the index} for every unit in the area (one query per round)."""
    previous = previous_round(campaign)
    if previous is None:
        return None, {}
    if level not in ALL_LEVELS:
        raise ValueError(f"unknown level {level!r}")
    if current is None:
        current = unit_stats(campaign.id, area, level)
    before = {s.key: s for s in unit_stats(previous.id, area, level)}
    out = {}
    for s in current:
        p = before.get(s.key)
        if p is not None:
            p.households = s.households
        out[s.key] = Change(key=str(s.key), label=s.label, current=s, previous=p)
    return previous, out


class ItemScore(NamedTuple):
    """A rectification item's dimension score (0-100) for its compound in the round that raised it
    (`then`) and in the next round (`next`); None where that round shows no figure (no next round,
    no answers, or fewer than privacy.MIN_GROUP of them). Unpacks as (then, next)."""

    then: float | None
    next: float | None

    @property
    def change(self) -> float | None:
        """next − then, or None when either is missing."""
        return None if self.then is None or self.next is None else self.next - self.then


NO_SCORES = ItemScore(None, None)


def next_rounds(campaign_ids: Iterable[int]) -> dict[int, int]:
    """{campaign id: id of its next round}: the earliest campaign (not a draft) copied from it."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    out: dict[int, int] = {}
    q = (select(Campaign.copied_from_id, Campaign.id)
         .where(Campaign.copied_from_id.in_(ids), Campaign.status != "draft")
         .order_by(Campaign.opens_at.desc(), Campaign.id.desc()))
    for source, nxt in db.session.execute(q):
        out[source] = nxt  # the earliest wins (the rows come latest first)
    return out


def dimension_sums(campaign_id: int, compound_clause=None):
    """A subquery of (compound_id, key, n, total): one round's published per-response dimension scores
    summed per compound and dimension key, for joining to rows that name a compound and a key."""
    T = DimensionTotal
    return (select(T.compound_id.label("compound_id"), Dimension.key.label("key"), func.sum(T.n).label("n"),
                   func.sum(T.total).label("total"))
            .join(Dimension, Dimension.id == T.dimension_id)
            .join(Compound, Compound.id == T.compound_id)
            .where(T.campaign_id == campaign_id, T.status.in_(PUBLISHED),
                   compound_clause if compound_clause is not None else true())
            .group_by(T.compound_id, Dimension.key).subquery())


def shown_mean(n, total) -> float | None:
    """The mean of summed scores, None below privacy.MIN_GROUP responses (the rule of `guard`)."""
    return guard(UnitStats(key=None, n=int(n or 0), total=float(total or 0))).mean


def dimension_means(campaign_ids: Iterable[int], compound_clause=None) -> dict[tuple[int, int, str], float | None]:
    """{(campaign id, compound id, dimension key): mean dimension score} over published responses,
    for every round asked for in one GROUP BY; None below privacy.MIN_GROUP responses.

    `compound_clause` is a SQL condition on Compound (an area's, or `Compound.id.in_(...)`)."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    T = DimensionTotal
    q = (select(T.campaign_id, T.compound_id, Dimension.key, func.sum(T.n), func.sum(T.total))
         .join(Dimension, Dimension.id == T.dimension_id)
         .join(Compound, Compound.id == T.compound_id)
         .where(T.campaign_id.in_(ids), T.status.in_(PUBLISHED),
                compound_clause if compound_clause is not None else true())
         .group_by(T.campaign_id, T.compound_id, Dimension.key))
    out = {}
    for campaign_id, compound_id, key, n, total in db.session.execute(q):
        out[(campaign_id, compound_id, key)] = shown_mean(n, total)
    return out


def item_scores(items) -> dict[int, ItemScore]:
    """{item id: ItemScore(then, next)} for rectification items: the dimension's score for the item's
    compound in the round that raised it and in the next round (the campaign copied from it),
    matched by the dimension's key. Three queries whatever the number of items and rounds (the
    dimensions' keys, the next rounds, the scores of every round at once); an item raised for no
    dimension ("其他", an inspection) gets ItemScore(None, None)."""
    items = list(items)
    dim_ids = {i.dimension_id for i in items if i.dimension_id is not None}
    if not dim_ids:
        return {i.id: NO_SCORES for i in items}
    keys = dict(db.session.execute(select(Dimension.id, Dimension.key).where(Dimension.id.in_(dim_ids))).all())
    campaigns = {i.campaign_id for i in items}
    following = next_rounds(campaigns)
    means = dimension_means(campaigns | set(following.values()),
                            Compound.id.in_(sorted({i.compound_id for i in items})))
    out = {}
    for i in items:
        key = keys.get(i.dimension_id)
        if key is None:
            out[i.id] = NO_SCORES
            continue
        nxt = following.get(i.campaign_id)
        out[i.id] = ItemScore(means.get((i.campaign_id, i.compound_id, key)),
                              means.get((nxt, i.compound_id, key)) if nxt is not None else None)
    return out


__all__ = ["Change", "Comparison", "ItemScore", "compare_unit", "dimension_means", "dimension_sums", "item_scores",
           "next_rounds", "overall_changes", "previous_round", "same_questionnaire", "shown_mean"]
