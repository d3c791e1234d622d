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
from ..models import Household
from . import device
from .common import area_pick, campaign_in_view, moved, officer_required, page_number, xlsx_response
from .resident import closed_page, render_survey

bp = Blueprint("visits", __name__, url_prefix="/office")
BUILDINGS_PER_PAGE = 50
PENDING_PER_PAGE = 100
FILTER_NAMES = {"district": "区", "street": "街道", "community": "社区", "compound": "小区", "building": "楼栋",
                "grid": "网格"}  # in the audit trail's detail of a download


def _clause(pick):
    """The buildings in view: the user's (a grid worker's are those of their grids), narrowed by the picker."""
    return access.building_clause(current_user) & pick.building_clause()


@bp.get("/visits")
@officer_required
def index():
    campaign = campaign_in_view()
    pick = area_pick()
    clause = _clause(pick)
    totals = coverage.totals(campaign.id, clause)
    buildings = coverage.building_page(campaign.id, clause, page_number(), BUILDINGS_PER_PAGE)
    # one response per household and campaign (a unique constraint): the pending are the rest
    pending = coverage.pending_page(campaign.id, clause, page_number("pending_page"), PENDING_PER_PAGE,
                                    total=totals[0] - totals[1])
    return render_template("visits/index.html", campaign=campaign, pick=pick, buildings=buildings, pending=pending,
                           workers=coverage.assisted_by_worker(campaign.id, access.compound_clause(current_user)),
                           totals=totals)


@bp.get("/visits/pending.xlsx")
@officer_required
def pending_xlsx():
    campaign = campaign_in_view()
    pick = area_pick()
    rows = coverage.pending_households(campaign.id, _clause(pick))
    data = pending_workbook(rows)
    compound_id = pick.id("compound")
    audit.exported("pending", f"campaign:{campaign.id}", user=current_user,
                   detail=f"{len(rows)} 户" + "".join(f"；{FILTER_NAMES[k]} {v}" for k, v in pick.args().items()),
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
    return {"back": "visits", **area_pick().args()}


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
