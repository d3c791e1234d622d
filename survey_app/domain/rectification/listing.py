"""The rectification list at city scale: filters, sorting, pages and counts per state, in SQL.

The caller passes the user's scope (`access.rectification_clause`) and, for officers, the area in
view; every filter narrows inside that scope, never beyond it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Community, Compound, RectificationItem
from ...models.rectification import COMPANY_HELD, SOURCES, STATUSES
from ..paging import clamp

PER_PAGE = 50
SEARCH_MAX = 64
SORTS = {
    "deadline": (RectificationItem.deadline.asc().nulls_last(), RectificationItem.id),
    "newest": (RectificationItem.created_at.desc(), RectificationItem.id.desc()),
    "compound": (Compound.name, RectificationItem.category_key, RectificationItem.id),
    "status": (RectificationItem.status, RectificationItem.deadline.asc().nulls_last(), RectificationItem.id),
    # The company's page: what it still holds, by deadline (the overdue first), then the rest.
    "urgent": (case((RectificationItem.status.in_(COMPANY_HELD), 0), else_=1),
               RectificationItem.deadline.asc().nulls_last(), RectificationItem.id),
}


@dataclass
class Filters:
    """What the list is narrowed to (every field optional); ids already checked against the scope."""

    community_id: int | None = None
    company_id: int | None = None
    status: str = ""
    source: str = ""
    overdue: bool = False
    q: str = ""
    sort: str = "deadline"

    @classmethod
    def parse(cls, args) -> "Filters":
        """From a query string: unknown states, sources and sorts are ignored (the full list is shown)."""
        status = args.get("status", "")
        source = args.get("source", "")
        sort = args.get("sort", "deadline")
        q = "".join(ch for ch in args.get("q", "") if ch.isprintable()).strip()[:SEARCH_MAX]
        return cls(status=status if status in STATUSES else "", source=source if source in SOURCES else "",
                   overdue=args.get("overdue", "") == "1", q=q, sort=sort if sort in SORTS else "deadline")


@dataclass
class Page:
    items: list
    total: int
    number: int
    pages: int
    counts: dict = field(default_factory=dict)  # state -> items (all filters but the state)
    overdue: int = 0  # items overdue under the same filters but the state


def _where(clause, campaign_id: int, f: Filters, today: date, *, with_status: bool = True) -> list:
    where = [RectificationItem.campaign_id == campaign_id, clause]
    if f.community_id:
        where.append(Compound.community_id == f.community_id)
    if f.company_id:
        where.append(RectificationItem.company_id == f.company_id)
    if f.source:
        where.append(RectificationItem.source == f.source)
    if f.q:
        like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(Compound.name.like(like, escape="\\") | RectificationItem.category.like(like, escape="\\"))
    if with_status:
        if f.status:
            where.append(RectificationItem.status == f.status)
        if f.overdue:
            where.append(RectificationItem.overdue_on(today))
    return where


def conditions(clause, campaign_id: int, f: Filters, today: date) -> list:
    """The list's conditions (on RectificationItem and its Compound) under every filter: what a page
    shows, for the workbook to export the same items."""
    return _where(clause, campaign_id, f, today)


def page(clause, campaign_id: int, f: Filters, today: date, number: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the items in scope under the filters, with counts per state."""
    base = select(RectificationItem).join(Compound, Compound.id == RectificationItem.compound_id)
    where = _where(clause, campaign_id, f, today)
    total = db.session.scalar(select(func.count()).select_from(
        select(RectificationItem.id).join(Compound, Compound.id == RectificationItem.compound_id)
        .where(*where).subquery()))
    number, pages = clamp(total, number, per_page)
    items = db.session.scalars(
        base.where(*where).order_by(*SORTS[f.sort]).limit(per_page).offset((number - 1) * per_page)
        .options(selectinload(RectificationItem.compound).selectinload(Compound.community)
                 .selectinload(Community.street),
                 selectinload(RectificationItem.company))).all()
    loose = _where(clause, campaign_id, f, today, with_status=False)
    counts = dict(db.session.execute(
        select(RectificationItem.status, func.count()).join(Compound, Compound.id == RectificationItem.compound_id)
        .where(*loose).group_by(RectificationItem.status)).all())
    overdue = db.session.scalar(
        select(func.count()).select_from(RectificationItem).join(Compound, Compound.id == RectificationItem.compound_id)
        .where(*loose, RectificationItem.overdue_on(today)))
    return Page(items, total, number, pages, {s: counts.get(s, 0) for s in STATUSES}, overdue or 0)


def items_by_ids(clause, campaign_id: int, ids: list[int]) -> list[RectificationItem]:
    """The items among `ids` the user may see in this campaign (others are simply absent)."""
    if not ids:
        return []
    return db.session.scalars(select(RectificationItem).where(
        RectificationItem.id.in_(ids), RectificationItem.campaign_id == campaign_id, clause)
        .order_by(RectificationItem.id)).all()
