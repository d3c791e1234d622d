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


def building_coverage(campaign_id: int, compound_clause, compound_id=None, grid=None) -> list[BuildingCoverage]:
    """Households, responses (published or held: the visits list's "answered") and assisted responses per
    building, straight from the tables."""
    q = (select(Building, func.count(Household.id), func.count(Response.id),
                func.sum(case((Response.mode == "assisted", 1), else_=0)))
         .join(Compound, Compound.id == Building.compound_id)
         .join(Household, Household.building_id == Building.id)
         .outerjoin(Response, _answered(campaign_id))
         .where(compound_clause)
         .group_by(Building.id).order_by(Building.compound_id, Building.id))
    if compound_id:
        q = q.where(Building.compound_id == compound_id)
    if grid:
        q = q.where(Building.grid == grid)
    return [BuildingCoverage(b, int(n), int(r), int(a or 0)) for b, n, r, a in db.session.execute(q)]


def pending_households(campaign_id: int, compound_clause, compound_id=None, grid=None, building_id=None,
                       limit: int | None = None):
    """Households without a published or held response (none, or only a rejected one), in visiting order (compound, building, unit, room)."""
    q = (select(Household, Building, Compound)
         .join(Building, Building.id == Household.building_id)
         .join(Compound, Compound.id == Household.compound_id)
         .outerjoin(Response, _answered(campaign_id))
         .where(compound_clause, Response.id.is_(None))
         .order_by(Compound.name, Building.id, Household.unit, Household.room))
    if compound_id:
        q = q.where(Household.compound_id == compound_id)
    if grid:
        q = q.where(Building.grid == grid)
    if building_id:
        q = q.where(Household.building_id == building_id)
    if limit:
        q = q.limit(limit)
    return db.session.execute(q).all()


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
