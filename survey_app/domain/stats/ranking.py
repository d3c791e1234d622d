"""Ranking units fairly: eligibility, empirical-Bayes ordering and overlap bands."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from flask_babel import gettext as _

from .privacy import MIN_GROUP, WITHHELD
from .scoring import UnitStats

TAU2_FLOOR = 1.0  # points²; keeps shrinkage finite when units barely differ


@dataclass
class RankedRow:
    stats: UnitStats
    eligible: bool
    reason: str = ""  # why not ranked
    shrunk: float | None = None
    rank: int | None = None
    band: int | None = None


@dataclass
class Ranking:
    rows: list[RankedRow]
    scope_mean: float | None
    tau2: float | None
    min_responses: int
    min_coverage: float

    @property
    def ranked(self) -> list[RankedRow]:
        return [r for r in self.rows if r.eligible]

    @property
    def unranked(self) -> list[RankedRow]:
        return [r for r in self.rows if not r.eligible]


def eligibility(s: UnitStats, min_responses: int, min_coverage: float) -> str:
    """Return '' when the unit may be ranked, else the reason in words (in the user's language)."""
    if s.withheld:
        return str(WITHHELD)
    if s.n < max(min_responses, 2):
        return _("样本不足：%(n)s 份，少于 %(min)s 份", n=s.n, min=max(min_responses, 2))
    if s.coverage is None or s.coverage < min_coverage:
        cov = 0 if s.coverage is None else s.coverage
        return _("参评率不足：%(coverage)s，低于 %(min)s", coverage=f"{cov:.1%}", min=f"{min_coverage:.0%}")
    return ""


def between_unit_variance(units: Sequence[UnitStats]) -> float:
    """Method-of-moments estimate of the spread of true unit means (floored)."""
    if len(units) < 2:
        return TAU2_FLOOR
    means = [u.mean for u in units]
    grand = sum(means) / len(means)
    spread = sum((m - grand) ** 2 for m in means) / (len(means) - 1)
    noise = sum(u.std_error ** 2 for u in units) / len(units)
    return max(TAU2_FLOOR, spread - noise)


def shrink(raw: float, se: float, prior_mean: float, tau2: float) -> float:
    """Empirical-Bayes estimate: pull `raw` towards `prior_mean` by se²/(se²+tau²)."""
    b = se * se / (se * se + tau2)
    return prior_mean + (1.0 - b) * (raw - prior_mean)


def rank_units(units: Sequence[UnitStats], min_responses: int, min_coverage: float,
               scope_mean: float | None = None) -> Ranking:
    """Rank eligible units by shrunk index and group them into bands of overlapping intervals."""
    rows = [RankedRow(stats=u, eligible=False) for u in units]
    for r in rows:
        r.reason = eligibility(r.stats, min_responses, min_coverage)
        r.eligible = not r.reason
    eligible = [r for r in rows if r.eligible]
    n = sum(u.n for u in units)
    if scope_mean is None:
        scope_mean = sum(u.total for u in units) / n if n else None
    prior = scope_mean
    if n < MIN_GROUP and any(u.min_shown for u in units):
        scope_mean = None  # the scope's own mean is a figure of a group too small to show
    tau2 = None
    if eligible:
        tau2 = between_unit_variance([r.stats for r in eligible])
        for r in eligible:
            r.shrunk = shrink(r.stats.mean, r.stats.std_error, prior, tau2)
        eligible.sort(key=lambda r: (-r.shrunk, -r.stats.n, r.stats.label))
        band, leader = 0, None
        for i, r in enumerate(eligible, start=1):
            r.rank = i
            if leader is None or r.stats.interval[1] < leader.stats.interval[0]:
                band, leader = band + 1, r
            r.band = band
    others = sorted((r for r in rows if not r.eligible), key=lambda r: (-r.stats.n, r.stats.label))
    if any(u.min_shown for u in units):
        min_responses = max(min_responses, MIN_GROUP)  # what a ranked unit needs, as the pages state it
    return Ranking(rows=eligible + others, scope_mean=scope_mean, tau2=tau2,
                   min_responses=min_responses, min_coverage=min_coverage)
