"""走访进度 (visits): live coverage per building, the households still to visit, and assisted answers."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import access
from ..domain import audit
from ..domain.clock import now
from ..domain.responses import coverage
from ..domain.responses.survey import SurveyClosed, closed_reason, existing_response, parse_form, save_response
from ..domain.xlsx.coverage import pending_workbook
from ..errors import Conflict, Forbidden
from ..extensions import db
from ..models import Compound, Household
from . import device
from .common import arg_id, campaign_in_view, moved, officer_required, xlsx_response
from .resident import closed_page, render_survey

bp = Blueprint("visits", __name__, url_prefix="/office")
PAGE_LIMIT = 2000


def _filters():
    compound_id, building_id = arg_id("compound"), arg_id("building")
    if compound_id:
        access.get_visible(current_user, Compound, compound_id)
    # No grid name holds a control character (the roster refuses them); PostgreSQL refuses NUL in a query.
    grid = "".join(ch for ch in request.args.get("grid", "") if ch.isprintable()).strip()[:64] or None
    return compound_id, grid, building_id


@bp.get("/visits")
@officer_required
def index():
    campaign = campaign_in_view()
    clause = access.building_clause(current_user)  # a grid worker's buildings are those of their grids
    compound_id, grid, building_id = _filters()
    buildings = coverage.building_coverage(campaign.id, clause, compound_id, grid)
    pending = coverage.pending_households(campaign.id, clause, compound_id, grid, building_id, limit=PAGE_LIMIT + 1)
    compounds = db.session.scalars(access.visible_compounds(current_user).order_by(Compound.name)).all()
    return render_template("visits/index.html", campaign=campaign, buildings=buildings,
                           pending=pending[:PAGE_LIMIT], more=len(pending) > PAGE_LIMIT, compounds=compounds,
                           grids=coverage.grids(clause), compound_id=compound_id, grid=grid,
                           building_id=building_id,
                           workers=coverage.assisted_by_worker(campaign.id, access.compound_clause(current_user)),
                           totals=(sum(b.households for b in buildings), sum(b.responses for b in buildings),
                                   sum(b.assisted for b in buildings)))


@bp.get("/visits/pending.xlsx")
@officer_required
def pending_xlsx():
    campaign = campaign_in_view()
    compound_id, grid, building_id = _filters()
    rows = coverage.pending_households(campaign.id, access.building_clause(current_user), compound_id, grid,
                                       building_id)
    data = pending_workbook(rows)
    audit.exported("pending", f"campaign:{campaign.id}", user=current_user,
                   detail=f"{len(rows)} 户" + (f"；小区 {compound_id}" if compound_id else "") + (f"；网格 {grid}" if grid else ""),
                   where=audit.where_compounds([compound_id]) if compound_id else audit.where_user(current_user))
    return xlsx_response(data, f"未参评住户-{now():%Y%m%d}.xlsx")


@bp.get("/coverage")
def old_index():
    return moved("visits.index")


@bp.get("/coverage/pending.xlsx")
def old_pending_xlsx():
    return moved("visits.pending_xlsx")


def _assist_target(household_id: int):
    if not access.may_assist(current_user):
        raise Forbidden(_("仅网格员和街道工作人员可以协助住户填写。"))
    campaign = campaign_in_view()
    household = access.get_visible(current_user, Household, household_id)
    if existing_response(campaign.id, household.id) is not None:
        # Staff never see an identified household's answers, so they cannot edit them either.
        raise Conflict(_("该户已参评。如住户要修改答案，请其本人扫码修改。"))
    return campaign, household


def _back() -> dict:
    """The visits list an assisted answer returns to: `?back=visits` with the list's filters, as the
    list's assist links carry them (and the form's action keeps them); empty when not from the list."""
    if request.args.get("back") != "visits":
        return {}
    compound_id, grid, building_id = _filters()
    return {"back": "visits", **{k: v for k, v in (("compound", compound_id), ("grid", grid),
                                                   ("building", building_id)) if v}}


@bp.get("/assist/<id:household_id>")
@officer_required
def assist_form(household_id: int):
    campaign, household = _assist_target(household_id)
    reason = closed_reason(campaign, household=household)
    if reason:
        return closed_page(campaign, reason)
    device.mark_opened(f"assist:{household.id}")
    return render_survey(campaign, household, assisted_by=current_user,
                         action=url_for(".assist_submit", household_id=household.id, campaign=campaign.id,
                                        **_back()))


@bp.post("/assist/<id:household_id>")
@officer_required
def assist_submit(household_id: int):
    campaign, household = _assist_target(household_id)
    parsed = parse_form(campaign, request.form)
    if not parsed.ok:
        return render_survey(campaign, household, form=request.form, errors=parsed.errors, status=422,
                             assisted_by=current_user,
                             action=url_for(".assist_submit", household_id=household.id, campaign=campaign.id,
                                            **_back()))
    try:
        save_response(campaign, household.id, parsed, mode="assisted", assisted_by_id=current_user.id,
                      seen=device.seen(f"assist:{household.id}"))
    except SurveyClosed as e:
        return closed_page(campaign, e.message)
    flash(_("已保存 %(compound)s %(household)s 的协助填写答卷。", compound=household.building.compound.name,
            household=household.label), "success")
    back = _back()
    if back:
        del back["back"]
        return redirect(url_for(".index", campaign=campaign.id, **back, _anchor="pending"))
    return redirect(url_for("office.building", building_id=household.building_id, campaign=campaign.id))
