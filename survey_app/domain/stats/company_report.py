"""A property company's own report: its scores next to the scope's average, never others' detail."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ...extensions import db
from ...models import Campaign, Compound, CompoundTotal, DimensionTotal, Response
from ...access import Area
from .aggregates import PUBLISHED, AreaSums, dimension_stats, dimension_stats_by_compound, unit_stats
from .adverts import shown_text
from .privacy import MIN_GROUP, shown
from .ranking import RankedRow, rank_units
from .scoring import UnitStats


SAMPLE_COMPOUNDS = 20  # compounds whose comments are read at a time for the page's sample


@dataclass
class CompanyReport:
    campaign: Campaign
    company_id: int
    own: UnitStats | None
    scope: UnitStats  # the whole city: the average the company is compared with
    position: RankedRow | None  # the company's row of the city ranking
    ranked_count: int
    compounds: list[UnitStats]
    dimensions: list[tuple]  # (dimension, own UnitStats | None, scope UnitStats | None)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (compound name, masked text)
    comment_count: int = 0  # comments in the shown compounds (adverts included: counted, never shown)
    trend: list[tuple[Campaign, UnitStats]] = field(default_factory=list)



def company_report(campaign: Campaign, company_id: int, comment_limit: int | None = None) -> CompanyReport:
    """The company's figures against the city's; `comment_limit` comments at most (the page's
    sample, with the count of all from SQL), all of them when None (the workbook)."""
    city = Area("city")
    own_clause = Compound.company_id == company_id
    sums = AreaSums.load(campaign.id, city)  # the city's responses, scanned once
    ranking = rank_units(sums.unit_stats("company"), campaign.min_responses, campaign.min_coverage)
    position = next((r for r in ranking.rows if r.stats.key == company_id), None)
    own = position.stats if position else None
    scope = sums.unit_stats("city")[0]
    compounds = unit_stats(campaign.id, city, "compound", extra=own_clause)  # names only: no ORM rows
    own_dims = dimension_stats(campaign.id, city, "company", extra=DimensionTotal.company_id == company_id,
                               households=sums.households_by("company"))  # this company's rows only
    scope_dims = dimension_stats(campaign.id, city, "city", households=sums.households_by("city"))
    dims = [(d, own_dims.get((company_id, d.id)), scope_dims.get((None, d.id))) for d in campaign.dimensions]
    report = CompanyReport(
        campaign=campaign, company_id=company_id, own=own, scope=scope, position=position,
        ranked_count=len(ranking.ranked), compounds=compounds, dimensions=dims,
    )
    report.comments, report.comment_count = _comments(campaign.id, company_id, {s.key for s in compounds if shown(s)},
                                                      comment_limit)
    report.trend = _trend(campaign, company_id, own)
    return report


def compound_dimensions(campaign_id: int, compound_ids: list[int]) -> dict[tuple[int, int], UnitStats]:
    """{(compound id, dimension id): figures} of these compounds (a page of the company's), only
    groups of MIN_GROUP or more."""
    return {k: v for k, v in dimension_stats_by_compound(campaign_id, compound_ids).items() if shown(v)}


def _comments(campaign_id: int, company_id: int, compound_ids: set[int],
              limit: int | None = None) -> tuple[list[tuple[str, str]], int]:
    """Masked comments about the company (adverts left out), from compounds with enough responses, in
    no traceable order, and how many comments there are (adverts included).

    With a `limit`, the first compounds' comments are read and masked until that many are shown and
    the count is the maintained compound totals' (`comments`); without, every comment is masked and
    the count is theirs.
    The group is the compound's published responses about this company (a compound that changed
    company has two groups), counted by the maintained compound totals: fewer than MIN_GROUP, and
    its comments are not shown.
    """
    if not compound_ids:
        return [], 0
    about = (Response.campaign_id == campaign_id, Response.company_id == company_id, Response.status.in_(PUBLISHED))
    T = CompoundTotal
    enough = (select(T.compound_id).where(T.campaign_id == campaign_id, T.company_id == company_id,
                                          T.status.in_(PUBLISHED), T.compound_id.in_(compound_ids))
              .group_by(T.compound_id).having(func.sum(T.n) >= MIN_GROUP))
    where = (*about, Response.comment.is_not(None), Response.comment != "")
    query = (select(Compound.name, Response.comment).join(Compound, Compound.id == Response.compound_id)
             .order_by(Compound.name, Compound.id, Response.comment, Response.id))
    if limit is None:
        out = [(name, text) for name, raw in db.session.execute(query.where(*where, Response.compound_id.in_(enough)))
               if (text := shown_text(raw)) is not None]
        return out, len(out)
    # The sample: the comments of the first compounds by name, read a few compounds at a time (a
    # compound's comments come by its index), until `limit` of them are not adverts.
    ordered = db.session.scalars(select(Compound.id).where(Compound.id.in_(enough))
                                 .order_by(Compound.name, Compound.id)).all()
    # The same conditions written so that no index but the compound's applies (SQLite, without
    # statistics, would otherwise read the whole campaign by its campaign or status index).
    by_compound = ((Response.campaign_id + 0) == campaign_id, (Response.company_id + 0) == company_id,
                   Response.status.concat("").in_(PUBLISHED), Response.comment.is_not(None), Response.comment != "")
    out = []
    for start in range(0, len(ordered), SAMPLE_COMPOUNDS):
        chunk = ordered[start:start + SAMPLE_COMPOUNDS]
        rows = db.session.execute(query.where(*by_compound, Response.compound_id.in_(chunk))).all()
        out += [(name, text) for name, raw in rows if (text := shown_text(raw)) is not None]
        if len(out) >= limit:
            break
    count = db.session.scalar(select(func.sum(T.comments)).where(
        T.campaign_id == campaign_id, T.company_id == company_id, T.status.in_(PUBLISHED),
        T.compound_id.in_(ordered))) if ordered else 0
    return out[:limit], int(count or 0)


def _trend(campaign: Campaign, company_id: int, current: UnitStats | None) -> list[tuple[Campaign, UnitStats]]:
    """The company's city-wide index in every campaign up to this one (this one's already known)."""
    campaigns = db.session.scalars(select(Campaign).where(Campaign.opens_at <= campaign.opens_at)
                                   .order_by(Campaign.opens_at, Campaign.id)).all()
    out = []
    for c in campaigns:
        if c.id == campaign.id:
            own = current
        else:
            own = next((s for s in unit_stats(c.id, Area("city"), "company") if s.key == company_id), None)
        if own is not None and own.n:
            out.append((c, own))
    return out
