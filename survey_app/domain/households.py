"""Finding a household by its address or room: "碧水家园 3-2-502", "碧水家园 3号楼2单元502", "3-2-502",
"502" or part of a compound's name, in one indexed query within the caller's scope, a page at a time.

A query reads as compound words, then a building, a unit and a room, written the way the roster
writes them (domain/roster.py: "3", "3号楼", "3栋" are one building; full-width digits are digits).
"3-2-502" is building-unit-room, "3-502" building-room (any unit), a number alone a room.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..errors import Invalid
from ..extensions import db
from ..models import Building, Compound, Household, Response
from .paging import clamp
from .roster import clean, normalise_building, normalise_room, normalise_unit

MAX_QUERY = 60  # characters: an address is far shorter
PER_PAGE = 50
_NUM = r"(\d+|[一二三四五六七八九十]+)"
_DASHES = re.compile(r"[‐‑‒–—―－~～_/]")
_DASHED = re.compile(r"(\d+)\s*-\s*(\d+)(?:\s*-\s*(\d+))?")
_BUILDING = re.compile(_NUM + r"\s*(号楼|栋|幢|#)")
_UNIT = re.compile(_NUM + r"\s*单元")
_ROOM = re.compile(r"(\d+)\s*(室|号)")


@dataclass(frozen=True)
class Address:
    """What a search asks for: words of a compound's name, and a building, unit and room (None: any)."""

    words: tuple[str, ...] = ()
    building: str | None = None
    unit: str | None = None
    room: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.words or self.building or self.unit or self.room)


def parse_query(raw: str | None) -> Address:
    """Read a search box's text as an address.

    :raise Invalid: too long, or holding characters no address has (control characters).
    """
    raw = raw or ""
    if len(raw) > MAX_QUERY:
        raise Invalid(_("查询太长：请输入不超过 %(n)s 个字的小区名称或房号。", n=MAX_QUERY))
    text = clean(raw)
    if any(not ch.isprintable() for ch in text):
        raise Invalid(_("查询含有无法识别的字符，请只输入小区名称、楼栋、单元和房号。"))
    text = _DASHES.sub("-", text)
    building = unit = room = None
    m = _DASHED.search(text)
    if m:
        building, unit, room = (m.group(1), m.group(2), m.group(3)) if m.group(3) else (m.group(1), None, m.group(2))
        text = text[:m.start()] + " " + text[m.end():]
    for pattern in (_BUILDING, _UNIT, _ROOM):
        m = pattern.search(text)
        if not m:
            continue
        if pattern is _BUILDING and building is None:
            building = m.group(0)
        elif pattern is _UNIT and unit is None:
            unit = m.group(0)
        elif pattern is _ROOM and room is None:
            room = m.group(1)
        text = text[:m.start()] + " " + text[m.end():]
    words, numbers = [], []
    for token in re.split(r"[\s,，、\-]+", text):
        if token:
            (numbers if token.isdecimal() else words).append(token)
    if numbers and room is None:
        room = numbers.pop()
    if numbers and building is None:
        building = numbers.pop(0)
    if numbers and unit is None:
        unit = numbers.pop(0)
    return Address(tuple(words), building and normalise_building(building), unit and normalise_unit(unit),
                   room and normalise_room(room))


def _building_names(address: Address) -> set[str]:
    return {address.building, address.building.removesuffix("号楼")}


def address_clause(address: Address, compounds, buildings):
    """SQL condition on Household, Building and Compound (all three joined) for an address within
    `compounds` (a condition on Compound) and `buildings` (a condition on Building alone).

    It leads with the narrowest indexed condition it has, so the database starts there: the
    buildings of that name (then households by building, unit and room), else the compounds whose
    names hold the words (then households by compound), else the scope's compounds; a room or unit
    alone is checked on the households those lead to."""
    named = [Compound.name.contains(word, autoescape=True) for word in address.words]
    clause = compounds & buildings
    for condition in named:
        clause = clause & condition
    if address.building:
        clause = clause & Building.name.in_(_building_names(address)) & Household.building_id.in_(
            select(Building.id).join(Compound, Compound.id == Building.compound_id)
            .where(compounds, buildings, Building.name.in_(_building_names(address)), *named))
    elif named:
        clause = clause & Household.compound_id.in_(select(Compound.id).where(compounds, *named))
    if address.unit:
        clause = clause & (Household.unit == address.unit)
    if address.room:
        clause = clause & (Household.room == address.room)
    return clause


@dataclass
class Found:
    """A household found, its building and compound, and whether it has answered the campaign."""

    household: Household
    building: Building
    compound: Compound
    answered: bool


@dataclass
class SearchPage:
    """One page of a search's results, in address order, and how many there are in all."""

    rows: list[Found]
    total: int
    number: int
    pages: int


def search(address: Address, compounds, buildings, campaign_id: int | None, number: int = 1,
           per_page: int = PER_PAGE) -> SearchPage:
    """The households matching the address within `compounds` (an SQL condition on Compound: the
    user's jurisdiction and the area chosen) and `buildings` (on Building alone: a grid worker's grids,
    a grid or building chosen), sorted by compound, building, unit and room (numbers as numbers), one
    page of them. "Answered" is a published or held response to the campaign (a rejected one does not
    count); never what was answered."""
    def matching(*columns):
        return (select(*columns).join(Building, Building.id == Household.building_id)
                .join(Compound, Compound.id == Household.compound_id)
                .where(address_clause(address, compounds, buildings)))

    total = db.session.scalar(matching(func.count(Household.id)))
    number, pages = clamp(total, number, per_page)
    q = (matching(Household, Building, Compound)
         .order_by(Compound.name, Compound.id, func.length(Building.name), Building.name, Building.id,
                   func.length(Household.unit), Household.unit, func.length(Household.room), Household.room)
         .limit(per_page).offset((number - 1) * per_page))
    rows = db.session.execute(q).all()
    answered = set()
    if rows and campaign_id is not None:
        answered = set(db.session.scalars(select(Response.household_id).where(
            Response.campaign_id == campaign_id, Response.household_id.in_([h.id for h, _b, _c in rows]),
            Response.status != "rejected")))
    return SearchPage([Found(h, b, c, h.id in answered) for h, b, c in rows], total, number, pages)
