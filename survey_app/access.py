"""Who may see what: every query a logged-in user triggers is scoped here.

Officers see their jurisdiction (city, a district, or a street); a property-company
user sees only its own compounds and the responses given about it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select, true
from werkzeug.exceptions import Forbidden, NotFound

from .extensions import db
from .models import Campaign, Compound, District, RectificationItem, Street, User

OFFICER_ROLES = ("city", "district", "street", "grid")


@dataclass(frozen=True)
class Area:
    """A ranking scope: the whole city, one district or one street."""

    level: str  # city | district | street
    id: int | None = None

    def compound_clause(self):
        if self.level == "district":
            return Compound.district_id == self.id
        if self.level == "street":
            return Compound.street_id == self.id
        return true()

    def name(self) -> str:
        if self.level == "district":
            return db.session.get(District, self.id).name
        if self.level == "street":
            s = db.session.get(Street, self.id)
            return f"{s.district.name} {s.name}"
        return "全市"


def is_officer(user: User) -> bool:
    return user.role in OFFICER_ROLES


def home_area(user: User) -> Area | None:
    """The widest area an officer may see; None for company users."""
    if user.role == "city":
        return Area("city")
    if user.role == "district":
        return Area("district", user.district_id)
    if user.role in ("street", "grid"):
        return Area("street", user.street_id)
    return None


def may_see_area(user: User, area: Area) -> bool:
    home = home_area(user)
    if home is None:
        return False
    if home.level == "city":
        return True
    if home.level == "district":
        if area.level == "district":
            return area.id == home.id
        if area.level == "street":
            return db.session.scalar(select(Street.district_id).where(Street.id == area.id)) == home.id
        return False
    return area.level == "street" and area.id == home.id


def require_area(user: User, area: Area) -> Area:
    model = {"district": District, "street": Street}.get(area.level)
    if model is not None and db.session.get(model, area.id) is None:
        raise NotFound("没有这个范围。")
    if not may_see_area(user, area):
        raise Forbidden("该范围不在您的辖区内")
    return area


def compound_clause(user: User):
    """SQL condition on Compound limiting rows to what the user may see."""
    if user.role == "company":
        return Compound.company_id == user.company_id if user.company_id else false()
    area = home_area(user)
    return area.compound_clause() if area else false()


def rectification_clause(user: User):
    if user.role == "company":
        return RectificationItem.company_id == user.company_id if user.company_id else false()
    return RectificationItem.compound_id.in_(select(Compound.id).where(compound_clause(user)))


def visible_compounds(user: User):
    """A select of the compounds the user may see."""
    return select(Compound).where(compound_clause(user))


def get_visible(user: User, model, ident: int):
    """Load one row of a region model, or 404 when it is outside the user's jurisdiction."""
    from .models import Building, Household

    obj = db.session.get(model, ident)
    if obj is None:
        raise NotFound()
    compound = {Compound: lambda o: o, Building: lambda o: o.compound,
                Household: lambda o: o.building.compound}[model](obj)
    allowed = db.session.scalar(select(Compound.id).where(Compound.id == compound.id, compound_clause(user)))
    if allowed is None:
        raise NotFound()
    return obj


def require_officer(user: User) -> None:
    if not is_officer(user):
        raise Forbidden("仅限街道及以上工作人员")


CAMPAIGN_MANAGERS = ("city", "district")


def campaign_clause(user: User):
    """SQL condition on Campaign for the campaign pages: a city admin sees all campaigns; a district
    admin the city-wide ones and those over its district or a street in it."""
    if user.role == "city":
        return true()
    if user.role == "district" and user.district_id:
        return or_(Campaign.scope_level == "city",
                   (Campaign.scope_level == "district") & (Campaign.scope_id == user.district_id),
                   (Campaign.scope_level == "street")
                   & Campaign.scope_id.in_(select(Street.id).where(Street.district_id == user.district_id)))
    return false()


def may_manage_area(user: User, area: Area) -> bool:
    """Whether the user may run campaigns over the area: a city admin anywhere, a district admin
    over its district or a street in it."""
    if user.role == "city":
        return True
    if user.role != "district" or not user.district_id:
        return False
    if area.level == "district":
        return area.id == user.district_id
    if area.level == "street":
        return db.session.scalar(select(Street.district_id).where(Street.id == area.id)) == user.district_id
    return False


def get_campaign(user: User, ident: int) -> Campaign:
    """Load a campaign the user may see on the campaign pages, or 404."""
    c = db.session.scalar(select(Campaign).where(Campaign.id == ident, campaign_clause(user)))
    if c is None:
        raise NotFound("没有这个测评活动，或不在您的管理范围内。")
    return c
