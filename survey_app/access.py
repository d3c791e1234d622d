"""Who may see and do what: the only module that decides by a user's role and jurisdiction.

Officers see their jurisdiction (the city, a district, or a street); a property-company user
sees only its own compounds, the responses given about them and its own rectification items.
Every query a logged-in user triggers is scoped by a clause from here, every scoped row is
loaded through `get_visible` (404 outside the jurisdiction: outsiders cannot tell "not yours"
from "does not exist"), and every "may this user ..." question is a `may_*` function that the
views, the domain and the templates (as `access.may_...`) all ask.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass

from flask import Flask
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import false, or_, select, true

from .database import parse_id
from .errors import Forbidden, Invalid, NotFound
from .extensions import db
from .models import (Building, Campaign, Community, Company, Compound, District, Household, RectificationItem,
                     Street, User)
from .models.users import ROLES, UserGrid

# The roles (models/users.py stores them) grouped by what they may do.
OFFICER_ROLES = ("city", "district", "street", "grid")
CAMPAIGN_MANAGERS = ("city", "district")
ASSISTANTS = ("street", "grid")  # visit households and help residents fill the survey
COMPANY = "company"
LEVELS = ("city", "district", "street")

# Who makes which move of a rectification item (domain/rectification/states.MOVES): the company
# starts the work and submits it; street, district and city officers hand it to the company, verify
# it, send it back, close it without a fix or reopen it; grid workers add notes and inspection items.
COMPANY_ACTIONS = ("start", "submit", "note")
RECTIFICATION_MANAGERS = ("city", "district", "street")
MANAGER_ACTIONS = ("assign", "verify", "return", "close", "reopen", "note")


# ---------------------------------------------------------------- areas

@dataclass(frozen=True)
class Area:
    """A ranking or campaign scope: the whole city, one district or one street.

    `grids` narrows a street to the compounds with a building in those grids: a grid worker's view
    of their street (see `seen_area`); every figure and list of the area is then theirs only.
    """

    level: str  # city | district | street
    id: int | None = None
    grids: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, raw: str | None) -> Area:
        """Read `city`, `district:ID` or `street:ID` (as pages, forms and commands write it).

        :raise Invalid: when the text is not one of those forms.
        """
        level, _sep, ident = (raw or "").strip().partition(":")
        if level == "city" and not ident:
            return cls("city")
        if level in ("district", "street") and parse_id(ident) is not None:
            return cls(level, parse_id(ident))
        raise Invalid(_("范围参数无效：请用 city、district:编号 或 street:编号。"))

    @property
    def value(self) -> str:
        """The area as `parse` reads it back (`city:` for the city)."""
        return f"{self.level}:{self.id or ''}"

    def compound_clause(self):
        if self.grids is not None:
            return Area(self.level, self.id).compound_clause() & Compound.id.in_(
                select(Building.compound_id).where(Building.grid.in_(self.grids)))
        if self.level == "district":
            return Compound.district_id == self.id
        if self.level == "street":
            return Compound.street_id == self.id
        return true()

    def name(self) -> str:
        if self.level == "district":
            d = db.session.get(District, self.id)
            return d.name if d else _("（已删除的区）")
        if self.level == "street":
            s = db.session.get(Street, self.id)
            return f"{s.district.name} {s.name}" if s else _("（已删除的街道）")
        return _("全市")

    def exists(self) -> bool:
        model = {"district": District, "street": Street}.get(self.level)
        return model is None or db.session.get(model, self.id) is not None


def areas_under(area: Area) -> list[Area]:
    """The area itself, then every district and street inside it."""
    out = [area]
    if area.level == "city":
        out += [Area("district", i) for i in db.session.scalars(select(District.id).order_by(District.id))]
    if area.level in ("city", "district"):
        q = select(Street.id).order_by(Street.district_id, Street.id)
        if area.level == "district":
            q = q.where(Street.district_id == area.id)
        out += [Area("street", i) for i in db.session.scalars(q)]
    return out


def choices(areas: list[Area]) -> list[tuple[str, str]]:
    """(value, label) pairs for a picker of areas."""
    return [(a.value, a.name()) for a in areas]


# ---------------------------------------------------------------- roles

def is_officer(user: User) -> bool:
    return getattr(user, "role", None) in OFFICER_ROLES


def is_company(user: User) -> bool:
    return getattr(user, "role", None) == COMPANY


def home_area(user: User) -> Area | None:
    """The widest area an officer may see; None for company users."""
    if user.role == "city":
        return Area("city")
    if user.role == "district":
        return Area("district", user.district_id)
    if user.role in ("street", "grid"):
        return Area("street", user.street_id)
    return None


def _street_district(street_id: int | None) -> int | None:
    return db.session.scalar(select(Street.district_id).where(Street.id == street_id))


def _within(outer: Area, inner: Area) -> bool:
    if outer.level == "city":
        return True
    if outer.level == "district":
        if inner.level == "district":
            return inner.id == outer.id
        return inner.level == "street" and _street_district(inner.id) == outer.id
    return inner.level == "street" and inner.id == outer.id


def may_see_area(user: User, area: Area) -> bool:
    home = home_area(user)
    return home is not None and _within(home, area)


def require_area(user: User, area: Area) -> Area:
    """The area, when it exists and lies in the user's jurisdiction.

    :raise NotFound: no such district or street.
    :raise Forbidden: it lies outside the user's jurisdiction.
    """
    if not area.exists():
        raise NotFound(_("没有这个范围。"))
    if not may_see_area(user, area):
        raise Forbidden(_("该范围不在您的辖区内。"))
    return seen_area(user, area)


def seen_area(user: User, area: Area | None = None) -> Area | None:
    """The area (the user's home area when None) as the user may see it: a grid worker sees their
    street through their grids only, so its lists, figures and downloads cover just those compounds."""
    area = area or home_area(user)
    if area is not None and is_grid_worker(user):
        return Area(area.level, area.id, tuple(sorted(g.grid for g in user.grids)))
    return area


def area_choices(user: User) -> list[tuple[str, str]]:
    """The areas an officer may look at: their own and every district and street inside it."""
    home = home_area(user)
    return choices(areas_under(home)) if home else []


def may_see_officer_pages(user: User) -> bool:
    return is_officer(user)


def may_see_company_pages(user: User) -> bool:
    return is_company(user)


def may_assist(user: User) -> bool:
    """Grid workers and street staff help residents fill the survey on their visits."""
    return getattr(user, "role", None) in ASSISTANTS


def may_print(user: User) -> bool:
    return is_officer(user)


def may_import_roster(user: User) -> bool:
    """Street staff and above import rosters; a grid worker does not (a roster sets buildings' grids,
    which decide what the grid worker sees)."""
    return getattr(user, "role", None) in ("city", "district", "street")


def may_review_responses(user: User) -> bool:
    """Officers of a street or above decide on held responses (never grid workers)."""
    return getattr(user, "role", None) in ("city", "district", "street")


def may_see_held_figures(user: User) -> bool:
    """Whoever may review held responses may also see figures counting them ("含待复核答卷");
    companies and grid workers see published figures only."""
    return may_review_responses(user)


def may_manage_users(user: User) -> bool:
    return getattr(user, "role", None) in ("city", "district", "street")


def may_manage_campaigns(user: User) -> bool:
    return getattr(user, "role", None) in CAMPAIGN_MANAGERS


def may_manage_area(user: User, area: Area) -> bool:
    """Whether the user may run campaigns over the area: a city admin anywhere, a district admin
    over its district or a street in it."""
    if user.role == "city":
        return True
    if user.role != "district" or not user.district_id:
        return False
    return _within(Area("district", user.district_id), area)


def managed_area_choices(user: User) -> list[tuple[str, str]]:
    """(value, label) pairs of the scopes the user may give a campaign."""
    if not may_manage_campaigns(user):
        return []
    if user.role == "district" and not user.district_id:
        return []
    return area_choices(user)


def scope_of(campaign: Campaign) -> Area:
    return Area(campaign.scope_level or "city", campaign.scope_id)


def may_manage_campaign(user: User, campaign: Campaign) -> bool:
    return may_manage_campaigns(user) and may_manage_area(user, scope_of(campaign))


def require_manage_campaign(user: User, campaign: Campaign) -> None:
    """:raise Forbidden: the user may see the campaign but not change it."""
    if not may_manage_campaign(user, campaign):
        raise Forbidden(_("该测评活动的范围不在您的管理范围内，只能查看，不能修改。"))


def rectification_actions(user: User) -> tuple[str, ...]:
    """The moves this user may make on a rectification item they can see (the item's state decides
    which of them apply now)."""
    if is_company(user):
        return COMPANY_ACTIONS
    if getattr(user, "role", None) in RECTIFICATION_MANAGERS:
        return MANAGER_ACTIONS
    if is_officer(user):
        return ("note",)
    return ()


def may_see_rectification(user: User) -> bool:
    """The rectification list and items: officers (their jurisdiction) and companies (their own items)."""
    return is_officer(user) or is_company(user)


def may_manage_rectification(user: User) -> bool:
    """Hand items to companies, verify, send back and close them (also by importing a workbook)."""
    return getattr(user, "role", None) in RECTIFICATION_MANAGERS


def may_see_requesters(user: User, item: RectificationItem) -> bool:
    """See the addresses and words of the households that asked for a follow-up of this item: the
    item's company, and officers who may see the item (the resident was told so before asking)."""
    if is_company(user):
        return bool(user.company_id) and item.company_id == user.company_id
    if not is_officer(user):
        return False
    return db.session.scalar(select(RectificationItem.id).where(
        RectificationItem.id == item.id, rectification_clause(user))) is not None


def may_search_households(user: User) -> bool:
    """Find a household by its address or room (to re-issue its code): officers, within their jurisdiction."""
    return is_officer(user)


def may_raise_inspection(user: User) -> bool:
    """Record a problem found on a walk-round (any officer, in the compounds they see)."""
    return is_officer(user)


# ---------------------------------------------------------------- clauses

def is_grid_worker(user: User) -> bool:
    """A grid worker works in the grids assigned to them (`User.grids`), not their whole street."""
    return getattr(user, "role", None) == "grid"


def _grids_of(user: User):
    """A select of the grid labels assigned to the user."""
    return select(UserGrid.grid).where(UserGrid.user_id == user.id)


def compound_clause(user: User):
    """SQL condition on Compound limiting rows to what the user may see.

    A grid worker sees the compounds of their street that have a building in one of their grids.
    """
    if is_company(user):
        return Compound.company_id == user.company_id if user.company_id else false()
    area = home_area(user)
    if area is None:
        return false()
    if is_grid_worker(user):
        return area.compound_clause() & Compound.id.in_(
            select(Building.compound_id).where(Building.grid.in_(_grids_of(user))))
    return area.compound_clause()


def building_clause(user: User):
    """SQL condition on Building: within a visible compound and, for a grid worker, in their grids.

    Usable in any query that has Building in its FROM (it names no other table).
    """
    inside = Building.compound_id.in_(_compound_ids(user))
    return inside & Building.grid.in_(_grids_of(user)) if is_grid_worker(user) else inside


def grid_clause(user: User):
    """SQL condition on Building alone: in the user's grids for a grid worker, any building for others.
    With `compound_clause` on the building's compound it is `building_clause`, written so that a query
    joining both tables may start from whichever is narrower (a city's compounds are all of them)."""
    return Building.grid.in_(_grids_of(user)) if is_grid_worker(user) else true()


def household_clause(user: User):
    """SQL condition on Household: in a building the user may see (names no other table)."""
    if is_grid_worker(user):
        return Household.building_id.in_(select(Building.id).where(building_clause(user)))
    return Household.compound_id.in_(_compound_ids(user))


def rectification_clause(user: User):
    if is_company(user):
        return RectificationItem.company_id == user.company_id if user.company_id else false()
    return RectificationItem.compound_id.in_(select(Compound.id).where(compound_clause(user)))


def company_clause(user: User):
    """SQL condition on Company: the companies managing a compound the user sees (a company: itself)."""
    return Company.id.in_(select(Compound.company_id).where(compound_clause(user)))


def visible_compounds(user: User):
    """A select of the compounds the user may see."""
    return select(Compound).where(compound_clause(user))


def campaign_clause(user: User):
    """SQL condition on Campaign: the campaigns whose scope covers or lies within what the user sees.

    A city admin sees every campaign; a district admin the city-wide ones, its district's and its
    streets'; street staff the city-wide ones, their district's and their street's; a company the
    city-wide ones and those over a district or street where it manages a compound.
    """
    city = Campaign.scope_level == "city"
    if user.role == "city":
        return true()
    if user.role == "district" and user.district_id:
        return or_(city, (Campaign.scope_level == "district") & (Campaign.scope_id == user.district_id),
                   (Campaign.scope_level == "street")
                   & Campaign.scope_id.in_(select(Street.id).where(Street.district_id == user.district_id)))
    if user.role in ("street", "grid") and user.street_id:
        return or_(city, (Campaign.scope_level == "district") & (Campaign.scope_id == _street_district(user.street_id)),
                   (Campaign.scope_level == "street") & (Campaign.scope_id == user.street_id))
    if is_company(user) and user.company_id:
        own = Compound.company_id == user.company_id
        return or_(city,
                   (Campaign.scope_level == "district") & Campaign.scope_id.in_(select(Compound.district_id).where(own)),
                   (Campaign.scope_level == "street") & Campaign.scope_id.in_(select(Compound.street_id).where(own)))
    return false()


def _compound_ids(user: User):
    return select(Compound.id).where(compound_clause(user))


def _area_ids(user: User, level: str):
    """A select of the district or street ids whose whole the user may see."""
    home = home_area(user)
    if home is None:
        return select(District.id).where(false())
    model = District if level == "district" else Street
    if home.level == "city":
        return select(model.id)
    if level == "district":
        return select(District.id).where(District.id == home.id if home.level == "district" else false())
    if home.level == "district":
        return select(Street.id).where(Street.district_id == home.id)
    return select(Street.id).where(Street.id == home.id)


# What makes a row of each scoped model visible to a user.
_VISIBLE = {
    District: lambda user: District.id.in_(_area_ids(user, "district")),
    Street: lambda user: Street.id.in_(_area_ids(user, "street")),
    Community: lambda user: Community.street_id.in_(_area_ids(user, "street")),
    Compound: compound_clause,
    Building: building_clause,
    Household: household_clause,
    Campaign: campaign_clause,
    RectificationItem: rectification_clause,
    Company: company_clause,
}


AREA_MODELS = (District, Street, Community)


def visible(user: User, model):
    """SQL condition on `model` limiting rows to what the user may see."""
    return _VISIBLE[model](user)


def get_visible(user: User, model, ident, message: str | None = None):
    """Load one row of a scoped model by id, within the user's jurisdiction.

    `ident` may be an int or a user-written id. A district or street is "visible" when the user's
    jurisdiction covers the whole of it; a community through its street; a building or household
    through its compound.

    :raise NotFound: malformed id, no such row, or a row outside the user's jurisdiction (an
        outsider cannot tell "not yours" from "does not exist").
    :raise Forbidden: a district, street or community that exists outside the jurisdiction (area
        names are public, as in every area picker; what lies inside them is not).
    """
    pk = parse_id(ident)  # ints too: an id beyond the column's range is refused here, not by the database
    obj = None
    if pk is not None:
        obj = db.session.scalar(select(model).where(model.id == pk, visible(user, model)))
    if obj is None:
        if pk is not None and model in AREA_MODELS and db.session.get(model, pk) is not None:
            raise Forbidden(_("该范围不在您的辖区内。"))
        raise NotFound(message or _("没有找到，或不在您的权限范围内。"))
    return obj


def picker_choices(user: User, district_id=None, street_id=None, community_id=None, compound_id=None) -> dict:
    """The options of the shared area picker: {level: [(value, label)]} for district, street,
    community, compound, grid and building, each inside the user's jurisdiction and under the level
    chosen above it. A level offers options once the level above is fixed (chosen, or the user's own
    district or street), so a city's picker never lists every compound or building of the city."""
    home = home_area(user)
    out: dict[str, list] = {k: [] for k in ("district", "street", "community", "compound", "grid", "building")}
    if home is None:
        return out
    if home.level == "district":
        district_id = home.id
    elif home.level == "street":
        street_id = home.id
    rows = db.session.execute
    if home.level == "city":
        out["district"] = list(rows(select(District.id, District.name).order_by(District.id)))
    if district_id and home.level != "street":
        out["street"] = list(rows(select(Street.id, Street.name).where(
            Street.district_id == district_id, visible(user, Street)).order_by(Street.id)))
    if not street_id:
        return out
    seen = select(Compound.id).where(compound_clause(user), Compound.street_id == street_id)
    out["community"] = list(rows(select(Community.id, Community.name).where(
        Community.street_id == street_id,
        Community.id.in_(select(Compound.community_id).where(Compound.id.in_(seen)))).order_by(Community.name)))
    if community_id:
        seen = seen.where(Compound.community_id == community_id)
    out["compound"] = list(rows(select(Compound.id, Compound.name).where(Compound.id.in_(seen))
                                .order_by(Compound.name, Compound.id)))
    if compound_id:
        seen = select(Compound.id).where(Compound.id == compound_id, compound_clause(user))
    out["grid"] = [(g, g) for g in db.session.scalars(
        select(Building.grid).distinct().where(building_clause(user), Building.compound_id.in_(seen),
                                               Building.grid.is_not(None)).order_by(Building.grid))]
    if compound_id:
        out["building"] = list(rows(select(Building.id, Building.name).where(
            Building.compound_id == compound_id, building_clause(user)).order_by(Building.id)))
    return out


def init_app(app: Flask) -> None:
    """Templates ask the same questions as the views: `access.may_assist(current_user)`."""
    app.jinja_env.globals["access"] = sys.modules[__name__]


# ---------------------------------------------------------------- accounts

def jurisdiction_of_role(role: str) -> str | None:
    """The User field naming the jurisdiction an account of this role needs ("district_id",
    "street_id" or "company_id"), or None when the role needs none (the city)."""
    return {"district": "district_id", "street": "street_id", "grid": "street_id", COMPANY: "company_id"}.get(role)


# Who manages whose accounts: the city every account; a district admin the street and grid
# accounts of its streets; a street admin its grid workers. Nobody manages their own account
# (an admin cannot disable or demote themselves out of administration).
_MANAGES = {"city": ROLES, "district": ("street", "grid"), "street": ("grid",)}

ROLE_LABELS = {"city": _l("市级管理员"), "district": _l("区级管理员"), "street": _l("街道工作人员"),
               "grid": _l("网格员"), COMPANY: _l("物业服务企业")}


def role_label(user_or_role) -> str:
    """The role's name for people, from a user or a role value."""
    role = user_or_role if isinstance(user_or_role, str) else getattr(user_or_role, "role", "")
    return str(ROLE_LABELS.get(role, role))


def creatable_roles(actor: User) -> tuple[str, ...]:
    """The roles of the accounts the actor may create or manage."""
    role = getattr(actor, "role", None)
    if role == "district" and not actor.district_id or role == "street" and not actor.street_id:
        return ()
    return tuple(_MANAGES.get(role, ()))


def role_choices(actor: User) -> list[tuple[str, str]]:
    return [(r, role_label(r)) for r in creatable_roles(actor)]


def needs_grids(role: str) -> bool:
    """Whether an account of this role works in assigned grids."""
    return role == "grid"


def may_hold_account(actor: User, role: str, *, district_id=None, street_id=None, company_id=None) -> bool:
    """Whether the actor may give an account this role and jurisdiction."""
    if role not in creatable_roles(actor):
        return False
    if actor.role == "city":
        return True
    if street_id is None:
        return False
    if actor.role == "district":
        return _street_district(street_id) == actor.district_id
    return street_id == actor.street_id


def may_manage_user(actor: User, target: User) -> bool:
    """Whether the actor may change, disable, re-enable or reset the target's account."""
    if target is None or getattr(actor, "id", None) is None or target.id == actor.id:
        return False
    return may_hold_account(actor, target.role, district_id=target.district_id, street_id=target.street_id,
                            company_id=target.company_id)


def require_manage_user(actor: User, target: User) -> None:
    """:raise Forbidden: the target's account is not the actor's to manage."""
    if not may_manage_user(actor, target):
        raise Forbidden(_("该账户不在您的管理范围内。"))


def require_hold_account(actor: User, role: str, **where) -> None:
    """:raise Forbidden: the actor may not give an account this role and jurisdiction."""
    if not may_hold_account(actor, role, **where):
        raise Forbidden(_("您不能在该范围内设立“%(role)s”账户。", role=role_label(role)))


def users_clause(actor: User):
    """SQL condition on User: the accounts the actor manages (never their own)."""
    roles = creatable_roles(actor)
    if not roles:
        return false()
    mine = User.id != actor.id
    if actor.role == "city":
        return mine
    if actor.role == "district":
        streets = select(Street.id).where(Street.district_id == actor.district_id)
        return mine & User.role.in_(roles) & User.street_id.in_(streets)
    return mine & User.role.in_(roles) & (User.street_id == actor.street_id)


def account_street_choices(actor: User) -> list[tuple[int, str]]:
    """(id, "district street") of the streets the actor may place accounts in."""
    q = select(Street).join(District).order_by(District.id, Street.id)
    if actor.role == "district":
        q = q.where(Street.district_id == actor.district_id)
    elif actor.role != "city":
        q = q.where(Street.id == actor.street_id)
    if not creatable_roles(actor):
        return []
    return [(s.id, f"{s.district.name} {s.name}") for s in db.session.scalars(q)]


def may_place_outside_streets(actor: User) -> bool:
    """Whether the actor may create city, district and company accounts (and so pick districts and
    companies in the account form)."""
    return getattr(actor, "role", None) == "city"


_VISIBLE[User] = users_clause


def account_role_clause(role: str):
    """SQL condition on User: accounts of one role (a filter of the accounts list)."""
    return User.role == role if role in ROLES else false()


# ---- audit

from .models import AuditEvent  # noqa: E402  (kept with the section that reads it)


def may_see_audit(user: User) -> bool:
    """City, district and street admins read the audit log of their jurisdiction (not grid workers,
    not companies)."""
    return getattr(user, "role", None) in LEVELS


def audit_clause(user: User):
    """SQL condition on AuditEvent: the city sees every event, a district the events of its district,
    a street those of its street (events carry the jurisdiction they concern)."""
    role = getattr(user, "role", None)
    if role == "city":
        return true()
    if role == "district" and user.district_id:
        return AuditEvent.district_id == user.district_id
    if role == "street" and user.street_id:
        return AuditEvent.street_id == user.street_id
    return false()


# ---- API clients

from .models.api import ApiClient  # noqa: E402  (kept with the section that reads it)


def may_manage_api_clients(user: User) -> bool:
    """Only city admins create and revoke API clients (a client may be given the whole city)."""
    return getattr(user, "role", None) == "city"


def api_area(client: ApiClient) -> Area:
    """What an API client sees: the city, its district or its street."""
    if client.level == "district":
        return Area("district", client.district_id)
    if client.level == "street":
        return Area("street", client.street_id)
    return Area("city")


def api_may_write(client: ApiClient) -> bool:
    """Whether the client may send what changes data (a hotline case), not only read."""
    return bool(client.can_write) and client.revoked_at is None


def api_client_choices(user: User) -> list[tuple[str, str]]:
    """(value, label) of the scopes the user may give an API client: the city, each district and street."""
    return area_choices(user) if may_manage_api_clients(user) else []


def api_read_area(client: ApiClient, area: Area | None = None) -> Area:
    """The area an API request reads: the client's own (None), or a district or street inside it.

    :raise NotFound: no such district or street.
    :raise Forbidden: it lies outside the client's scope.
    """
    home = api_area(client)
    if area is None:
        return home
    if not area.exists():
        raise NotFound(_("没有这个范围。"))
    if not _within(home, area):
        raise Forbidden(_("该范围不在接口客户端的范围内。"))
    return area


def api_may_see_compound(client: ApiClient, compound_id: int) -> bool:
    """Whether the compound lies in the client's scope."""
    return db.session.scalar(select(Compound.id).where(Compound.id == compound_id,
                                                       api_area(client).compound_clause())) is not None


def api_campaign_clause(client: ApiClient):
    """SQL condition on Campaign: campaigns whose scope covers the client's area or lies inside it."""
    home = api_area(client)
    city = Campaign.scope_level == "city"
    if home.level == "district":
        return or_(city, (Campaign.scope_level == "district") & (Campaign.scope_id == home.id),
                   (Campaign.scope_level == "street")
                   & Campaign.scope_id.in_(select(Street.id).where(Street.district_id == home.id)))
    if home.level == "street":
        return or_(city, (Campaign.scope_level == "district") & (Campaign.scope_id == _street_district(home.id)),
                   (Campaign.scope_level == "street") & (Campaign.scope_id == home.id))
    return true()
