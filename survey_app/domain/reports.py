"""Figures the pages and the exports share: rankings in an area, coverage of compounds."""
from __future__ import annotations

from dataclasses import dataclass

from .access import Area
from .aggregates import company_stats, compound_stats
from .ranking import Ranking, rank_units
from ..models import Campaign


def company_ranking(campaign: Campaign, area: Area, include_held: bool = False) -> Ranking:
    """Rank the companies managing compounds in the area, by the method of docs/scoring.md."""
    units = company_stats(campaign.id, area, include_held=include_held)
    return rank_units(units, campaign.min_responses, campaign.min_coverage)


@dataclass
class Coverage:
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
