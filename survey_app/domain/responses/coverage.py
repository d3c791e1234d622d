"""Coverage for the visits: who has answered, who has not, and how many answers were assisted.

The visits lists ask "does this household still need a visit?": a household with a published
response or one held for review has answered and is not sent a visitor again; one whose answer
an officer rejected is asked again (with a re-issued code). Published figures (参评率 on the participation and ranking pages) count published responses
only (stats.aggregates.PUBLISHED), and so does `assisted_by_compound`, shown as their share."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from ...extensions import db
from ...models import Building, Compound, Household, Response, User
from ..paging import Page, clamp
from ..stats.aggregates import PUBLISHED


@dataclass
class BuildingCoverage:
    building: Building
    households: int
    responses: int
    assisted: int

    @property
    def rate(self) -> float | None:
        return self.responses / self.households if self.households else None


def _answered(campaign_id: int):
    """A household's response that means it need not be visited again: any but a rejected one."""
    return and_(Response.household_id == Household.id, Response.campaign_id == campaign_id,
                Response.status != "rejected")


def building_coverage(campaign_id: int, compound_clause, compound_id=None, grid=None,
                      building_ids=None) -> list[BuildingCoverage]:
    """Households, responses (published or held: the visits list's "answered") and assisted responses per
    building, straight from the tables (only `building_ids` when given)."""
    q = (select(Building, func.count(Household.id), func.count(Response.id),
                func.sum(case((Response.mode == "assisted", 1), else_=0)))
         .join(Compound, Compound.id == Building.compound_id)
         .join(Household, Household.building_id == Building.id)
         .outerjoin(Response, _answered(campaign_id))
         .where(compound_clause)
         .group_by(Building.id, Compound.name).order_by(Compound.name, Building.compound_id, Building.id))
    if compound_id:
        q = q.where(Building.compound_id == compound_id)
    if grid:
        q = q.where(Building.grid == grid)
    if building_ids is not None:
        q = q.where(Building.id.in_(building_ids))
    return [BuildingCoverage(b, int(n), int(r), int(a or 0)) for b, n, r, a in db.session.execute(q)]


def building_page(campaign_id: int, clause, number: int = 1, per_page: int = 50) -> Page:
    """One page of `building_coverage` over the buildings with households under `clause` (an SQL
    condition on Building and Compound), in compound-name order: the page's buildings are picked
    first, so a city's page aggregates 50 buildings, not all of them."""
    with_households = (select(Building.id).join(Compound, Compound.id == Building.compound_id)
                       .where(clause, select(Household.id).where(Household.building_id == Building.id).exists()))
    total = db.session.scalar(select(func.count()).select_from(with_households.subquery()))
    number, pages = clamp(total, number, per_page)
    ids = list(db.session.scalars(with_households.order_by(Compound.name, Building.compound_id, Building.id)
                                  .limit(per_page).offset((number - 1) * per_page)))
    rows = building_coverage(campaign_id, clause, building_ids=ids) if ids else []
    return Page(rows, total, number, pages)


def totals(campaign_id: int, clause) -> tuple[int, int, int]:
    """(households, answered, assisted) under `clause` (an SQL condition on Building and Compound)."""
    q = (select(func.count(Household.id), func.count(Response.id),
                func.sum(case((Response.mode == "assisted", 1), else_=0)))
         .join(Building, Building.id == Household.building_id)
         .join(Compound, Compound.id == Household.compound_id)
         .outerjoin(Response, _answered(campaign_id))
         .where(clause))
    n, r, a = db.session.execute(q).one()
    return int(n), int(r), int(a or 0)


def pending_households(campaign_id: int, compound_clause, compound_id=None, grid=None, building_id=None,
                       limit: int | None = None, offset: int = 0):
    """Households without a published or held response (none, or only a rejected one), in visiting order (compound, building, unit, room)."""
    q = (select(Household, Building, Compound)
         .join(Building, Building.id == Household.building_id)
         .join(Compound, Compound.id == Household.compound_id)
         .outerjoin(Response, _answered(campaign_id))
         .where(compound_clause, Response.id.is_(None))
         .order_by(Compound.name, Building.id, func.length(Household.unit), Household.unit,
                   func.length(Household.room), Household.room))
    if compound_id:
        q = q.where(Household.compound_id == compound_id)
    if grid:
        q = q.where(Building.grid == grid)
    if building_id:
        q = q.where(Household.building_id == building_id)
    if limit:
        q = q.limit(limit).offset(offset)
    return db.session.execute(q).all()


def pending_page(campaign_id: int, clause, number: int = 1, per_page: int = 100, total: int | None = None) -> Page:
    """One page of `pending_households` under `clause`, and how many households are pending in all
    (`total` when the caller has counted them: households less answered ones, from `totals`)."""
    if total is None:
        total = db.session.scalar(
            select(func.count(Household.id)).join(Building, Building.id == Household.building_id)
            .join(Compound, Compound.id == Household.compound_id).outerjoin(Response, _answered(campaign_id))
            .where(clause, Response.id.is_(None)))
    number, pages = clamp(total, number, per_page)
    rows = pending_households(campaign_id, clause, limit=per_page, offset=(number - 1) * per_page) if total else []
    return Page(rows, total, number, pages)


def grids(compound_clause) -> list[str]:
    return list(db.session.scalars(
        select(Building.grid).distinct().join(Compound, Compound.id == Building.compound_id)
        .where(compound_clause, Building.grid.is_not(None)).order_by(Building.grid)))


def assisted_by_worker(campaign_id: int, compound_clause) -> list[tuple[str, int, int]]:
    """(worker, assisted responses, compounds) for responses submitted as assisted (any status: the
    worker's visits, not a published figure)."""
    q = (select(User.display_name, func.count(Response.id), func.count(func.distinct(Response.compound_id)))
         .join(Response, Response.assisted_by_id == User.id)
         .join(Compound, Compound.id == Response.compound_id)
         .where(Response.campaign_id == campaign_id, Response.mode == "assisted", compound_clause)
         .group_by(User.id, User.display_name).order_by(func.count(Response.id).desc()))
    return [tuple(r) for r in db.session.execute(q)]


def assisted_by_compound(campaign_id: int, compound_clause) -> dict[int, int]:
    """{compound_id: published responses submitted as assisted} (a share of the published ones)."""
    q = (select(Response.compound_id, func.count(Response.id))
         .join(Compound, Compound.id == Response.compound_id)
         .where(Response.campaign_id == campaign_id, Response.mode == "assisted", Response.status.in_(PUBLISHED),
                compound_clause)
         .group_by(Response.compound_id))
    return dict(db.session.execute(q).all())
