"""整改 (rectification): the list at city scale, an item with its evidence, history, photos and the
moves the user may make, handing many items to their companies at once, and inspection entries.

Officers and companies share these pages; what each sees and may do is decided in `access`
(scope clauses, `rectification_actions`) and the moves' rules in domain/rectification.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..database import begin_write, parse_id, parses_first
from ..domain import rectification
from ..domain.clock import now
from ..domain.rectification import listing, photos, residents
from ..domain.rectification.rules import categories
from ..domain.stats.rounds import item_scores
from ..domain.rectification.states import NOTE_LABELS, RESIDENT_LABELS, SOURCE_LABELS, STATUS_LABELS
from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import Community, Company, Compound, RectificationItem
from .common import all_campaigns, area_pick, arg_id, campaign_in_view, page_number, requires
from .rectification_photos import accepts_photos

bp = Blueprint("rectification", __name__, url_prefix="/rectification")
BULK_MAX = 500  # items handed over in one go

rectification_required = requires(access.may_see_rectification, _l("仅限工作人员和物业服务企业。"))
manager_required = requires(access.may_manage_rectification, _l("仅限街道及以上工作人员交办整改事项。"))
inspector_required = requires(access.may_raise_inspection, _l("仅限工作人员登记巡查发现的问题。"))


def _labels() -> dict:
    return {"status": STATUS_LABELS, "source": SOURCE_LABELS, "action": rectification.ACTION_LABELS,
            "note": NOTE_LABELS, "resident": RESIDENT_LABELS}


def scope_in_view():
    """The user's scope and, for officers, the shared area picker (down to the compound: items are
    per compound) narrowing it; an old link's ?area= is read as the picker's district or street."""
    clause = access.rectification_clause(current_user)
    if access.is_officer(current_user):
        pick = area_pick(down_to="compound", legacy_area=True)
        return clause & pick.compound_clause(), pick
    return clause, None


def checked_filters(pick) -> listing.Filters:
    """The list's filters from the query string, ids checked against the user's view (an officer's
    community is the picker's, already in the scope)."""
    f = listing.Filters.parse(request.args)
    community = arg_id("community") if pick is None else None
    if community is not None:
        f.community_id = access.get_visible(current_user, Community, community).id
    company = arg_id("company")
    if company is not None:
        f.company_id = access.get_visible(current_user, Company, company).id
    return f


@bp.get("/")
@rectification_required
def index():
    """The items in scope: filtered, sorted, paged, with counts per state."""
    campaign = campaign_in_view()
    clause, pick = scope_in_view()
    f = checked_filters(pick)
    number = page_number()
    today = now().date()
    pg = listing.page(clause, campaign.id, f, today, number)
    companies = []
    if pick is not None:
        companies = db.session.execute(
            select(Company.id, Company.name).join(RectificationItem, RectificationItem.company_id == Company.id)
            .join(Compound, Compound.id == RectificationItem.compound_id)
            .where(RectificationItem.campaign_id == campaign.id, clause).distinct().order_by(Company.name)).all()
    return render_template(
        "rectification/list.html", campaign=campaign, campaigns=all_campaigns(), page=pg, f=f, pick=pick,
        picked=pick.args() if pick is not None else {}, companies=companies, labels=_labels(), today=today, statuses=rectification.states.STATUSES,
        status_choices=[(s, STATUS_LABELS[s]) for s in rectification.states.STATUSES],
        source_choices=[(s, SOURCE_LABELS[s]) for s in rectification.states.SOURCES], sorts=_sort_labels(),
        default_deadline=_default_deadline(today), page_url=_page_url, scores=item_scores(pg.items),
        may_manage=access.may_manage_rectification(current_user),
        may_inspect=access.may_raise_inspection(current_user), rule=rectification)


def _page_url(number: int) -> str:
    return url_for(".index", **_list_args(page=str(number)))


def _sort_labels() -> list[tuple[str, str]]:
    return [("deadline", _("按整改期限")), ("newest", _("最新提出在前")), ("compound", _("按小区")),
            ("status", _("按状态"))]


def _item(item_id: int) -> RectificationItem:
    return access.get_visible(current_user, RectificationItem, item_id, _("没有这个整改事项，或不在您的范围内。"))


@bp.get("/<id:item_id>")
@rectification_required
def show(item_id: int):
    """An item: where it came from (figures, sample comments), its history, photos, what residents said
    after a fix was reported, and the moves the user may make now."""
    item = _item(item_id)
    today = now().date()
    actions = rectification.allowed_actions(item, current_user)
    return render_template(
        "rectification/item.html", item=item, labels=_labels(), today=today, actions=actions,
        samples=json.loads(item.samples) if item.samples else [],
        counts=residents.confirmation_counts(item),
        requests=residents.requests_of(item) if access.may_see_requesters(current_user, item) else [],
        companies=_companies() if "assign" in actions else [], default_deadline=_default_deadline(today),
        scores=_scores(item), rule_needs_note=lambda action: rectification.MOVES[action].needs_note)


def _scores(item: RectificationItem):
    """The dimension's score in the round that raised the item and in the next round, if known."""
    return item_scores([item]).get(item.id)


def _companies() -> list:
    """The companies an item may be handed to (any: a compound may have changed hands)."""
    return db.session.execute(select(Company.id, Company.name).order_by(Company.name)).all()


def _default_deadline(today: date) -> str:
    return (today + timedelta(days=rectification.workflow.default_deadline_days())).isoformat()


def _deadline(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(_("整改期限应为日期，例如 2026-12-31。")) from None


@bp.post("/<id:item_id>/act")
@accepts_photos
@parses_first
@rectification_required
def act(item_id: int):
    """One move on an item, with its words and photos (checked before the write lock is taken)."""
    prepared = photos.check_photos(request.files.getlist("photos"))
    begin_write()
    item = _item(item_id)
    action = request.form.get("action", "")
    company = parse_id(request.form.get("company_id", "")) if request.form.get("company_id") else None
    event = rectification.act(item, action, current_user, note=request.form.get("note", ""),
                              deadline=_deadline(request.form.get("deadline", "")), company_id=company)
    photos.store_photos(prepared, item=item, user=current_user, event=event)
    flash(_("已%(action)s。", action=rectification.ACTION_LABELS.get(action, action)), "success")
    return redirect(url_for(".show", item_id=item.id))


@bp.post("/assign")
@manager_required
def assign_many():
    """Hand the chosen open items to their compounds' companies with one deadline: all or none."""
    campaign = campaign_in_view()
    ids = [parse_id(raw) for raw in request.form.getlist("item")]
    if not ids:
        raise Invalid(_("请先勾选要交办的整改事项。"))
    if None in ids or len(ids) > BULK_MAX:
        raise Invalid(_("一次最多交办 %(n)s 条整改事项。", n=BULK_MAX) if None not in ids else _("整改事项编号无效。"))
    items = listing.items_by_ids(access.rectification_clause(current_user), campaign.id, sorted(set(ids)))
    if len(items) != len(set(ids)):
        raise Invalid(_("有 %(n)s 条整改事项不存在或不在您的范围内，均未交办。", n=len(set(ids)) - len(items)))
    not_open = [i for i in items if i.status != "open"]
    if not_open:
        raise Conflict(_("有 %(n)s 条整改事项已不是“待派发”状态（例如 %(first)s），均未交办。", n=len(not_open),
                         first=f"{not_open[0].compound.name} {not_open[0].category}"))
    deadline = _deadline(request.form.get("deadline", ""))
    for item in items:
        rectification.act(item, "assign", current_user, deadline=deadline, note=request.form.get("note", ""))
    flash(_("已交办 %(n)s 条整改事项。", n=len(items)), "success")
    return redirect(url_for(".index", **_list_args()))


LIST_ARGS = ("campaign", "area", "district", "street", "community", "compound", "company", "status", "source",
             "overdue", "q", "sort", "page")


def _list_args(**extra) -> dict:
    """The list's query string as posted back by its forms and paging links (campaign, the area
    picker's levels or an old link's area, and the filters)."""
    return {**{k: request.args[k] for k in LIST_ARGS if request.args.get(k)}, **extra}


@bp.post("/generate")
@manager_required
def generate():
    """Raise the items the rules call for in the user's jurisdiction (idempotent)."""
    campaign = campaign_in_view()
    result = rectification.generate(campaign, access.compound_clause(current_user), current_user)
    flash(_("新生成整改事项 %(created)s 条，已存在 %(existing)s 条。", created=result.created, existing=result.existing),
          "success")
    return redirect(url_for(".index", **_list_args()))


def _inspection_form(campaign, values: dict, error: str | None = None, status: int = 200):
    compounds = db.session.execute(
        select(Compound.id, Compound.name).where(access.compound_clause(current_user))
        .order_by(Compound.name).limit(5000)).all()
    return render_template("rectification/new.html", campaign=campaign, campaigns=all_campaigns(),
                           compounds=compounds, categories=categories(campaign), values=values, error=error), status


@bp.get("/new")
@inspector_required
def new():
    """The form for a problem found on a walk-round."""
    campaign = campaign_in_view()
    return _inspection_form(campaign, {"compound_id": request.args.get("compound", "")})


@bp.post("/new")
@accepts_photos
@parses_first
@inspector_required
def create():
    """Record an inspection entry with its photos (joined to the compound's item of that category)."""
    campaign = campaign_in_view()
    prepared = photos.check_photos(request.files.getlist("photos"))
    begin_write()
    compound_id = parse_id(request.form.get("compound_id", ""))
    if compound_id is None:
        raise Invalid(_("请选择小区。"))
    compound = access.get_visible(current_user, Compound, compound_id)
    item = rectification.raise_inspection(campaign, compound, request.form.get("category", ""),
                                          request.form.get("description", ""), current_user)
    db.session.flush()
    photos.store_photos(prepared, item=item, user=current_user, event=item.events[-1] if item.events else None)
    flash(_("已登记巡查发现的问题。"), "success")
    return redirect(url_for(".show", item_id=item.id))
