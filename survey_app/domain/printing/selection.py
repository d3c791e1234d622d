"""Which households a print covers: a building, compound, community or street, within the user's
jurisdiction, in door order; issuing their codes in batches; the audit line of a print."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from flask_babel import gettext as _
from sqlalchemy import func, select, true

from ...errors import Refusal
from ...extensions import db
from ...models import Building, Community, Compound, District, Household, Street, User
from .. import audit
from ..responses import codes as tokens
from . import qr
from .qr import MAX_VERSION

BATCH = 500  # households read and issued per batch (also bounds SQL IN lists)


class SelectionError(Refusal):
    """A selection named by the user that does not exist, is ambiguous or cannot be printed."""


# --- what to print --------------------------------------------------------------------------

@dataclass
class Selection:
    """Households of one building, compound, community or street, optionally within a scope."""

    level: str  # building | compound | community | street
    id: int
    title: str  # full path, e.g. "东城区 文化路街道 幸福社区 金色花园 1号楼"
    short: str  # for file names, e.g. "金色花园1号楼"
    scope: object = field(default=None)  # extra SQL condition on Household or Compound (the user's jurisdiction)

    def clause(self):
        return {"building": Household.building_id == self.id,
                "compound": Household.compound_id == self.id,
                "community": Compound.community_id == self.id,
                "street": Compound.street_id == self.id}[self.level]

    def where(self):
        return (self.clause(), self.scope if self.scope is not None else true())


def selection_for(obj, scope=None) -> Selection:
    """The selection of every household under a Building, Compound, Community or Street."""
    if isinstance(obj, Building):
        c = obj.compound
        path = [c.community.street.district.name, c.community.street.name, c.community.name, c.name, obj.name]
        return Selection("building", obj.id, " ".join(path), c.name + obj.name, scope)
    if isinstance(obj, Compound):
        path = [obj.community.street.district.name, obj.community.street.name, obj.community.name, obj.name]
        return Selection("compound", obj.id, " ".join(path), obj.name, scope)
    if isinstance(obj, Community):
        path = [obj.street.district.name, obj.street.name, obj.name]
        return Selection("community", obj.id, " ".join(path), obj.street.name + obj.name, scope)
    if isinstance(obj, Street):
        return Selection("street", obj.id, f"{obj.district.name} {obj.name}", obj.name, scope)
    raise TypeError(f"cannot print labels for {type(obj).__name__}")


def _names(rows) -> str:
    return "、".join(rows)


def resolve(street: str, district: str | None = None, community: str | None = None,
            compound: str | None = None) -> Selection:
    """Find a street (and optionally a community and compound in it) by name; refuse ambiguity."""
    street, district = (street or "").strip(), (district or "").strip() or None
    community, compound = (community or "").strip() or None, (compound or "").strip() or None
    if not street:
        raise SelectionError(_("请指定街道名称。"))
    q = select(Street).join(District).where(Street.name == street).order_by(District.name)
    if district:
        if db.session.scalar(select(District.id).where(District.name == district)) is None:
            raise SelectionError(_("没有名为「%(district)s」的区。", district=district))
        q = q.where(District.name == district)
    streets = db.session.scalars(q).all()
    if not streets:
        if district:
            raise SelectionError(_("「%(district)s」下没有名为「%(street)s」的街道。", district=district, street=street))
        raise SelectionError(_("没有名为「%(street)s」的街道。", street=street))
    if len(streets) > 1:
        raise SelectionError(_("街道名「%(street)s」在多个区都有（%(districts)s），请用 --district 指明所在区。",
                               street=street, districts=_names(s.district.name for s in streets)))
    s = streets[0]
    target = s
    if community:
        target = db.session.scalar(select(Community).where(Community.street_id == s.id,
                                                           Community.name == community))
        if target is None:
            raise SelectionError(_("「%(street)s」下没有名为「%(community)s」的社区。", street=s.name, community=community))
    if compound:
        q = select(Compound).where(Compound.name == compound)
        q = q.where(Compound.community_id == target.id) if community else q.where(Compound.street_id == s.id)
        found = db.session.scalars(q).all()
        if not found:
            raise SelectionError(_("「%(place)s」下没有名为「%(compound)s」的小区。", place=target.name, compound=compound))
        if len(found) > 1:
            raise SelectionError(_("小区名「%(compound)s」在「%(street)s」的多个社区都有（%(communities)s），"
                                   "请用 --community 指明所在社区。", compound=compound, street=s.name,
                                   communities=_names(c.community.name for c in found)))
        target = found[0]
    return selection_for(target)


def household_ids(sel: Selection):
    """A select of the ids of the selection's households."""
    return (select(Household.id).join(Compound, Household.compound_id == Compound.id)
            .where(*sel.where()))


def count(sel: Selection) -> int:
    return db.session.scalar(select(func.count()).select_from(household_ids(sel).subquery())) or 0


def live_count(campaign_id: int, sel: Selection) -> int:
    """How many of the selection's households already hold a live code for the campaign."""
    return tokens.live_count(campaign_id, household_ids(sel))


def building_counts(sel: Selection) -> dict[int, int]:
    """Households of the selection per building id (a label PDF plans its pages with these)."""
    q = (select(Household.building_id, func.count()).join(Compound, Household.compound_id == Compound.id)
         .where(*sel.where()).group_by(Household.building_id))
    return dict(db.session.execute(q).all())


NARROWER = {"street": ("community", Community), "community": ("compound", Compound), "compound": ("building", Building)}


def parts(sel: Selection) -> list[tuple[str, int, str, int]]:
    """(level, id, name, households) of the places one level down holding the selection's households.

    A large print can be split into these; places without a household in the selection's scope are left out.
    """
    if sel.level not in NARROWER:
        return []
    level, model = NARROWER[sel.level]
    column = {"community": Compound.community_id, "compound": Compound.id, "building": Household.building_id}[level]
    q = (select(model.id, model.name, func.count()).select_from(Household)
         .join(Compound, Household.compound_id == Compound.id))
    if model is not Compound:
        q = q.join(model, model.id == column)
    natural = (func.length(model.name),) if model is Building else ()
    q = q.where(*sel.where()).group_by(model.id, model.name).order_by(*natural, model.name, model.id)
    return [(level, ident, name, n) for ident, name, n in db.session.execute(q).all()]


def household_rows(sel: Selection, *extra):
    """Rows (id, unit, room, building, compound, community, street, district, *extra) in door order."""
    return (select(Household.id, Household.unit, Household.room, Building.name, Compound.name,
                   Community.name, Street.name, District.name, *extra)
            .join(Building, Household.building_id == Building.id)
            .join(Compound, Household.compound_id == Compound.id)
            .join(Community, Compound.community_id == Community.id)
            .join(Street, Compound.street_id == Street.id)
            .join(District, Compound.district_id == District.id)
            .where(*sel.where())
            # Natural order for names like 2号楼 / 10号楼 and rooms 902 / 1001: shorter first.
            .order_by(Community.name, Community.id, Compound.name, Compound.id,
                      func.length(Building.name), Building.name, Building.id,
                      func.length(Household.unit), Household.unit,
                      func.length(Household.room), Household.room, Household.id))


def tokens_in_batches(sel: Selection, later: list, batch_size: int = BATCH,
                      extra=()) -> Iterator[list[tuple[tuple, str]]]:
    """Yield batches of (row, token), a new token for each of the selection's households, made in
    memory: each batch's {household id: token} is added to `later` and nothing is written until
    `store_codes(later)`, so a long print reads and draws without holding the write lock.

    `extra`: columns appended to each row of `household_rows`.
    """
    result = db.session.execute(household_rows(sel, *extra), execution_options={"yield_per": batch_size})
    for part in result.partitions():
        made = {r[0]: tokens.new_token() for r in part}
        later.append(made)
        yield [(tuple(r), made[r[0]]) for r in part]


def store_codes(campaign_id: int, later: list, user_id: int | None, reason: str) -> None:
    """Store the codes `tokens_in_batches` handed out into `later` (old ones revoked); the caller has
    taken the write lock and commits."""
    for issued in later:
        tokens.issue_codes(campaign_id, list(issued), user_id, reason=reason, made=issued)


def check_base_url(base_url: str) -> int:
    """Return the QR version of a survey URL on this base; refuse bases too long for version 5."""
    v = qr.version(tokens.survey_url(base_url, "A" * 22))
    if v > MAX_VERSION:
        raise SelectionError(_("二维码地址前缀过长（%(url)s），二维码将超过第 %(max)s 版，请缩短 PUBLIC_BASE_URL。",
                               url=base_url, max=MAX_VERSION))
    return v


def audit_print(user_id: int | None, sel: Selection, campaign_id: int, what: str, n: int, reissued: int) -> None:
    detail = f"{what}：{sel.title}，{n} 户" + (f"，其中 {reissued} 户旧码作废重发" if reissued else "")
    audit.record("codes.printed", f"campaign:{campaign_id} {sel.level}:{sel.id}",
                 user=db.session.get(User, user_id) if user_id else None, detail=detail,
                 after={"households": n, "reissued": reissued}, where=where_selection(sel))


def where_selection(sel: Selection) -> audit.Jurisdiction:
    """The jurisdiction of the place a print covers."""
    if sel.level == "street":
        return audit.where_area("street", sel.id)
    if sel.level == "community":
        return audit.where_area("street", db.session.scalar(select(Community.street_id).where(Community.id == sel.id)))
    compound_id = sel.id if sel.level == "compound" else db.session.scalar(
        select(Building.compound_id).where(Building.id == sel.id))
    return audit.where_compounds([compound_id])


def suffixed(value: str, suffix: str) -> str:
    """Append a unit word (单元, 室) unless the value is empty or already ends with it."""
    value = (value or "").strip()
    return value if not value or value.endswith(suffix) else value + suffix
