"""Figures the pages and the exports share: rankings in an area, coverage of compounds."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...access import Area
from ...extensions import db
from ...models import Campaign, Compound, CompoundTotal
from .aggregates import PUBLISHED, WITH_HELD, AreaSums, company_stats, compound_stats, dimension_stats
from .ranking import Ranking, rank_units
from .rounds import overall_changes


def company_ranking(campaign: Campaign, area: Area, include_held: bool = False) -> Ranking:
    """Rank the companies managing compounds in the area, by the method of docs/scoring.md."""
    units = company_stats(campaign.id, area, include_held=include_held)
    return rank_units(units, campaign.min_responses, campaign.min_coverage)


def held_count(campaign: Campaign, area: Area) -> int:
    """Scored responses of the area held for review (what the switch adds to the figures), read from the
    maintained compound totals: the N of the officer's switch "含待复核答卷（N 份）"."""
    held = [s for s in WITH_HELD if s not in PUBLISHED]
    return int(db.session.scalar(select(func.sum(CompoundTotal.n)).join(Compound, Compound.id == CompoundTotal.compound_id)
                                 .where(CompoundTotal.campaign_id == campaign.id, CompoundTotal.status.in_(held),
                                        area.compound_clause())) or 0)


@dataclass
class Coverage:
    """Households of some compounds and their published responses (参评率 is a published figure)."""

    households: int
    responses: int

    @property
    def rate(self) -> float | None:
        return self.responses / self.households if self.households else None


def coverage_of(stats) -> Coverage:
    return Coverage(households=sum(s.households for s in stats), responses=sum(s.n for s in stats))


def compounds_overview(campaign: Campaign, area: Area, extra=None):
    """Per-compound statistics in the area and their total coverage."""
    stats = compound_stats(campaign.id, area, extra=extra)
    return stats, coverage_of(stats)


CHILD_LEVEL = {"city": "district", "district": "street", "street": "compound"}
LEVEL_NAMES = {"city": _l("全市"), "district": _l("区"), "street": _l("街道"), "community": _l("社区"),
               "compound": _l("小区"), "company": _l("物业服务企业")}


@dataclass
class Overview:
    """What an officer sees of an area: its total, the units below it, the companies and dimensions."""

    area: Area
    total: object  # UnitStats of the whole area
    child_level: str
    children: Ranking
    companies: Ranking
    dimensions: list  # the campaign's dimensions
    company_dims: dict  # {(company id, dimension id): UnitStats}
    area_dims: dict  # {(None, dimension id): UnitStats}
    held: int  # responses held for review in the area
    previous: Campaign | None = None  # the previous round, when there is one
    child_changes: dict | None = None  # {unit key: rounds.Change} of the units below
    company_changes: dict | None = None  # {company id: rounds.Change}

    @property
    def axis(self) -> tuple[int, int]:
        """The range of the company chart: the ranked intervals, widened to whole tens."""
        ivs = [r.stats.interval for r in self.companies.ranked if r.stats.interval]
        if not ivs:
            return 0, 100
        lo = max(0, int(min(i[0] for i in ivs) // 10 * 10))
        hi = min(100, int(-(-max(i[1] for i in ivs) // 10) * 10))
        return (lo, hi) if hi > lo else (0, 100)


def area_overview(campaign: Campaign, area: Area, include_held: bool = False) -> Overview:
    """Everything the officer dashboard shows for one area, from a handful of GROUP BYs."""
    child = CHILD_LEVEL[area.level]
    sums = AreaSums.load(campaign.id, area, include_held)  # one scan of the responses for every level
    children = rank_units(sums.unit_stats(child), campaign.min_responses, campaign.min_coverage)
    held = held_count(campaign, area)
    companies = rank_units(sums.unit_stats("company"), campaign.min_responses, campaign.min_coverage)
    ov = Overview(
        area=area, total=sums.unit_stats("city")[0], child_level=child,
        children=children, companies=companies,
        dimensions=list(campaign.dimensions),
        company_dims=dimension_stats(campaign.id, area, "company", include_held,
                                     households=sums.households_by("company")),
        area_dims=dimension_stats(campaign.id, area, "city", include_held, households=sums.households_by("city")),
        held=held,
    )
    ov.previous, ov.child_changes = overall_changes(campaign, area, child, [r.stats for r in children.rows])
    ov.company_changes = overall_changes(campaign, area, "company", [r.stats for r in companies.rows])[1]
    return ov
