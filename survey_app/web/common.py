"""Small helpers the views share: the campaign and area in view, the area picker, audience guards,
file responses."""
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import quote

from flask import Response as FlaskResponse, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select, true

from .. import access
from ..domain import audit
from ..access import Area
from ..database import parse_id
from ..domain.campaigns.lifecycle import default_campaign
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import Building, Campaign, Community, Compound, District, Household, Street

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def arg_id(name: str) -> int | None:
    """An optional id from the query string: None when absent.

    :raise Invalid: when present but not an id.
    """
    raw = request.args.get(name, "")
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        raise Invalid(_("参数「%(name)s」无效。", name=name))
    return value


def page_number(name: str = "page") -> int:
    """The page a list asks for (?page=, or another name), 1 when absent. :raise Invalid: not a page number."""
    raw = request.args.get(name, "")
    if not raw:
        return 1
    number = parse_id(raw)
    if number is None:
        raise Invalid(_("页码无效。"))
    return number


def campaign_in_view() -> Campaign:
    """The campaign named by ?campaign= (within the user's view), else the default one.

    :raise Invalid: malformed id. :raise NotFound: no such campaign in the user's view, or none at all.
    """
    ident = arg_id("campaign")
    if ident is not None:
        return access.get_visible(current_user, Campaign, ident, _("没有这个测评活动，或不在您的权限范围内。"))
    c = default_campaign(access.campaign_clause(current_user))
    if c is None:
        raise NotFound(_("还没有测评活动。"))
    return c


def all_campaigns() -> list[Campaign]:
    """The campaigns the user may pick from, newest first."""
    return db.session.scalars(select(Campaign).where(access.campaign_clause(current_user))
                              .order_by(Campaign.id.desc())).all()


def area_in_view() -> Area:
    """The area named by ?area= (within the user's jurisdiction), else the user's own."""
    raw = request.args.get("area", "")
    if not raw:
        return access.seen_area(current_user)
    return access.require_area(current_user, Area.parse(raw))


# The area picker's levels, top down: the query name, the model, and the relationship to the level above.
PICKER_LEVELS = (("district", District, None), ("street", Street, "district"), ("community", Community, "street"),
                 ("compound", Compound, "community"), ("building", Building, "compound"))


def _ancestors(obj) -> set[tuple[type, int]]:
    out = set()
    up = {model: parent for _name, model, parent in PICKER_LEVELS}
    while up.get(type(obj)):
        obj = getattr(obj, up[type(obj)])
        out.add((type(obj), obj.id))
    return out


@dataclass
class AreaPick:
    """What the shared area picker (templates/_area_picker.html) chose: a row per level (None when not
    chosen), a grid label, and the options to offer next (`access.picker_choices`)."""

    chosen: dict = field(default_factory=dict)  # level name → District/Street/Community/Compound/Building
    grid: str | None = None
    choices: dict = field(default_factory=dict)

    def id(self, level: str) -> int | None:
        """The chosen id at a level, or None."""
        row = self.chosen.get(level)
        return row.id if row is not None else None

    @property
    def narrowed(self) -> bool:
        """Whether anything below the user's own jurisdiction was chosen."""
        return bool(self.chosen or self.grid)

    def args(self) -> dict[str, str]:
        """The choices as the query string writes them (for paging and download links): the lowest
        level chosen (the levels above follow from it) and the grid."""
        out = {}
        if self.chosen:
            name, row = list(self.chosen.items())[-1]
            out[name] = str(row.id)
        return {**out, "grid": self.grid} if self.grid else out

    def name(self) -> str | None:
        """The lowest level chosen, in words (with the grid), or None when nothing was chosen."""
        parts = [list(self.chosen.values())[-1].name] if self.chosen else []
        if self.grid:
            parts.append(_("网格 %(grid)s", grid=self.grid))
        return " ".join(parts) or None

    def where(self):
        """The audit trail's jurisdiction of what was chosen (the user's own when nothing was)."""
        if "compound" in self.chosen:
            return audit.where_compounds([self.chosen["compound"].id])
        for level in ("street", "district"):
            if level in self.chosen:
                return audit.where_area(level, self.chosen[level].id)
        return audit.where_user(current_user)

    def _compound_ids(self):
        for name, column in (("community", Compound.community_id), ("street", Compound.street_id),
                             ("district", Compound.district_id)):
            if name in self.chosen:
                return select(Compound.id).where(column == self.chosen[name].id)
        return None

    def compound_clause(self):
        """SQL condition on Compound (names no other table): in the chosen district, street, community
        or compound (a building's compound when a building is chosen)."""
        for name, column in (("compound", Compound.id), ("community", Compound.community_id),
                             ("street", Compound.street_id), ("district", Compound.district_id)):
            if name in self.chosen:
                return column == self.chosen[name].id
        return true()

    def building_clause(self):
        """SQL condition on Building (names no other table): in the chosen area and grid."""
        clause = true()
        if "building" in self.chosen:
            clause = Building.id == self.chosen["building"].id
        elif "compound" in self.chosen:
            clause = Building.compound_id == self.chosen["compound"].id
        elif self._compound_ids() is not None:
            clause = Building.compound_id.in_(self._compound_ids())
        return clause & (Building.grid == self.grid) if self.grid else clause

    def household_clause(self):
        """SQL condition on Household (names no other table): in the chosen area and grid."""
        clause = true()
        if "building" in self.chosen:
            clause = Household.building_id == self.chosen["building"].id
        elif "compound" in self.chosen:
            clause = Household.compound_id == self.chosen["compound"].id
        elif self._compound_ids() is not None:
            clause = Household.compound_id.in_(self._compound_ids())
        if self.grid:
            clause = clause & Household.building_id.in_(select(Building.id).where(Building.grid == self.grid))
        return clause


def _legacy_area() -> dict[str, int]:
    """An old link's ?area=district:ID or ?area=street:ID as the picker's level (checked against the
    jurisdiction; ?area=city narrows nothing). :raise Invalid: malformed. :raise Forbidden: outside."""
    raw = request.args.get("area", "")
    if not raw:
        return {}
    area = access.require_area(current_user, Area.parse(raw))
    return {area.level: area.id} if area.level in ("district", "street") and area.id else {}


def area_pick(down_to: str = "building", legacy_area: bool = False) -> AreaPick:
    """Read the area picker's ?district= ?street= ?community= ?compound= ?grid= ?building=.

    `down_to="compound"` offers and reads the levels down to the compound only (no grid, no
    building: for lists per compound, or whose texts must not narrow below one). `legacy_area` also
    reads an old link's ?area= (`_legacy_area`) as the default of its level.

    A choice that does not lie under the choices above it is dropped (the user changed a level above
    it): the level above wins. Levels above the lowest choice are filled in from it.

    :raise Invalid: a malformed id. :raise Forbidden: a district, street or community outside the
        jurisdiction. :raise NotFound: a compound or building outside it, or no such row.
    """
    levels = PICKER_LEVELS if down_to == "building" else PICKER_LEVELS[:4]
    legacy = _legacy_area() if legacy_area else {}
    chosen = {}
    for name, model, _parent in levels:
        ident = arg_id(name)
        if ident is None:
            ident = legacy.get(name)
        if ident is None:
            continue
        row = access.get_visible(current_user, model, ident)
        above = _ancestors(row)
        if all((type(r), r.id) in above for r in chosen.values()):
            chosen[name] = row
    if chosen:
        lowest = list(chosen.values())[-1]
        row = lowest
        for name, model, parent in reversed(PICKER_LEVELS):
            if isinstance(row, model) and parent:
                row = getattr(row, parent)
                chosen.setdefault(parent, row)
        chosen = {name: chosen[name] for name, _m, _p in PICKER_LEVELS if name in chosen}
    # No grid name holds a control character (the roster refuses them); PostgreSQL refuses NUL in a query.
    grid = "".join(ch for ch in request.args.get("grid", "") if ch.isprintable()).strip()[:64] or None
    if down_to != "building":
        grid = None
    ids = {name: row.id for name, row in chosen.items() if name != "building"}
    pick = AreaPick(chosen, grid)
    pick.choices = access.picker_choices(current_user, ids.get("district"), ids.get("street"), ids.get("community"),
                                         ids.get("compound"))
    if down_to != "building":
        pick.choices["grid"] = pick.choices["building"] = []
    return pick


def requires(decision, message):
    """A view decorator: log in first, then `decision(current_user)` (an `access.may_*`) or 403 with
    the message (a lazy string, shown in the user's language)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not decision(current_user):
                raise Forbidden(str(message))
            return view(*args, **kwargs)
        return wrapper
    return decorator


officer_required = requires(access.may_see_officer_pages, _l("仅限街道及以上工作人员。"))
company_required = requires(access.may_see_company_pages, _l("仅限物业服务企业用户。"))


def home_for(user) -> str:
    """Where a user lands after logging in."""
    return url_for("company.home") if access.may_see_company_pages(user) else url_for("office.participation")


def moved(endpoint: str, **values):
    """A permanent redirect from an old address (bookmarks), keeping the query string."""
    return redirect(url_for(endpoint, **values, **request.args.to_dict()), 308)


def xlsx_response(data: bytes, filename: str) -> FlaskResponse:
    resp = FlaskResponse(data, mimetype=XLSX)
    resp.headers["Content-Disposition"] = f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return resp
