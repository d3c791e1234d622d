"""Pages for street, district and city staff: participation, codes and labels, rankings, rectification."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from .. import access
from ..domain.clock import now
from ..domain.printing import qr
from ..domain.responses import codes as tokens, coverage
from ..domain.stats.aggregates import PUBLISHED
from ..domain.stats.reports import company_ranking, compounds_overview, held_count
from ..domain.stats.rounds import compare_unit, overall_changes
from ..domain.xlsx.ranking import ranking_workbook_for
from ..extensions import db
from ..jobs import workbooks as big_workbooks
from ..models import Building, Compound, Household, Response
from . import jobs
from .common import (all_campaigns, area_in_view, campaign_in_view, moved, officer_required,
                     xlsx_response)
from .overview import held_in_view
from .printing import download_name


bp = Blueprint("office", __name__, url_prefix="/office")


@bp.get("/")
@officer_required
def index():
    """The officer's landing page is 参评情况 (participation)."""
    return moved("office.participation")


@bp.get("/participation")
@officer_required
def participation():
    campaign = campaign_in_view()
    area = access.seen_area(current_user)
    stats, cov = compounds_overview(campaign, area)
    assisted = coverage.assisted_by_compound(campaign.id, area.compound_clause())
    return render_template("office/participation.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           stats=stats, coverage=cov, assisted=assisted)


@bp.get("/ranking")
@officer_required
def ranking():
    campaign = campaign_in_view()
    area = area_in_view()
    include_held = held_in_view()
    result = company_ranking(campaign, area, include_held)
    previous, changes = overall_changes(campaign, area, current=[r.stats for r in result.rows])
    return render_template("office/ranking.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           area_value=area.value, choices=access.area_choices(current_user), ranking=result,
                           previous=previous, changes=changes, include_held=include_held,
                           held=held_count(campaign, area))


@bp.get("/ranking.xlsx")
@officer_required
def ranking_xlsx():
    """The ranking workbook of the area in view; for an area of more than JOB_LARGE_HOUSEHOLDS
    households, a page offering to make it in the background (`ranking_job`)."""
    campaign = campaign_in_view()
    area = area_in_view()
    include_held = held_in_view()
    if big_workbooks.households_in(area.compound_clause()) > current_app.config["JOB_LARGE_HOUSEHOLDS"]:
        return render_template("jobs/offer.html", title=big_workbooks.ranking_file_name(area),
                               action=url_for(".ranking_job", **request.args.to_dict()))
    data = ranking_workbook_for(campaign, area, now(), include_held=include_held)
    big_workbooks.ranking_audit(current_user, campaign, area, include_held)
    return xlsx_response(data, big_workbooks.ranking_file_name(area))


@bp.post("/ranking.xlsx/job")
@officer_required
def ranking_job():
    """Make the ranking workbook of the area in view as a job (its page offers the download)."""
    campaign = campaign_in_view()
    area_in_view()  # an area outside the user's view is refused now, not later in the job
    return jobs.start(big_workbooks.RANKING, campaign_id=campaign.id, area=request.args.get("area", ""),
                      held=held_in_view())


@bp.get("/compounds/<id:compound_id>")
@officer_required
def compound(compound_id: int):
    campaign = campaign_in_view()
    c = access.get_visible(current_user, Compound, compound_id)
    households = dict(db.session.execute(
        select(Household.building_id, func.count(Household.id)).where(Household.compound_id == c.id)
        .group_by(Household.building_id)).all())
    # 参评 per building is a published figure: published responses only (the building's page, a
    # list of households to visit, marks a household with a published or held response as answered).
    answered = dict(db.session.execute(
        select(Household.building_id, func.count(Response.id)).join(Response, Response.household_id == Household.id)
        .where(Household.compound_id == c.id, Response.campaign_id == campaign.id, Response.status.in_(PUBLISHED))
        .group_by(Household.building_id)).all())
    buildings = db.session.scalars(select(Building).where(Building.compound_id == c.id,
                                                          access.visible(current_user, Building))
                                   .order_by(Building.id)).all()
    return render_template("office/compound.html", campaign=campaign, compound=c, buildings=buildings,
                           households=households,
                           answered=answered, comparison=compare_unit(campaign, "compound", c.id))


@bp.get("/buildings/<id:building_id>")
@officer_required
def building(building_id: int):
    campaign = campaign_in_view()
    b = access.get_visible(current_user, Building, building_id)
    ids = [h.id for h in b.households]
    live = tokens.live_count(campaign.id, ids)
    # Who still needs a visit: a household with a published or held response has answered; one whose
    # answer was rejected is asked again (with a re-issued code).
    answered = set(db.session.scalars(select(Response.household_id).where(
        Response.campaign_id == campaign.id, Response.household_id.in_(ids), Response.status != "rejected")).all())
    return render_template("office/building.html", campaign=campaign, building=b, live=live, answered=answered)


@bp.route("/buildings/<id:building_id>/labels", methods=["GET", "POST"])
@officer_required
def building_labels(building_id: int):
    """Moved: a building's labels print on the one print page (PDF). GET 308; the old form's POST 303.

    Nothing is issued here: the print page says how many codes it re-issues and asks to confirm.
    """
    campaign = campaign_in_view()
    b = access.get_visible(current_user, Building, building_id)
    target = url_for("printing.page", level="building", ident=b.id, campaign=campaign.id)
    if request.method == "GET":
        return redirect(target, 308)
    flash(_("楼栋标签已统一为 PDF 打印：请在本页确认后下载。"), "info")
    return redirect(target, 303)


@bp.get("/households/<id:household_id>")
@officer_required
def household(household_id: int):
    campaign = campaign_in_view()
    h = access.get_visible(current_user, Household, household_id)
    live = tokens.live_count(campaign.id, [h.id])
    # Published or held counts as answered here, as on the visits list; a rejected answer does not.
    answered = db.session.scalar(select(Response.id).where(Response.campaign_id == campaign.id,
                                                          Response.household_id == h.id,
                                                          Response.status != "rejected")) is not None
    return render_template("office/household.html", campaign=campaign, household=h, live=live, answered=answered,
                           issued=None)


@bp.post("/households/<id:household_id>/code")
@officer_required
def household_code(household_id: int):
    """Issue (or reissue) one household's code and show it once, as PNG and SVG."""
    campaign = campaign_in_view()
    h = access.get_visible(current_user, Household, household_id)
    live = tokens.live_count(campaign.id, [h.id])
    why = (request.form.get("why") or "").strip()[:200]
    if live and (request.form.get("confirm_reissue") != "yes" or not why):
        flash(_("该户已有二维码。重新发放会作废旧码：请填写原因并勾选确认。"), "warning")
        return redirect(url_for(".household", household_id=h.id, campaign=campaign.id))
    token = tokens.issue_codes(campaign.id, [h.id], current_user.id, reason="reissued" if live else "issued",
                               why=why)[h.id]
    url = tokens.survey_url(current_app.config["PUBLIC_BASE_URL"], token)
    address = f"{h.building.compound.name} {h.label}"
    caption = [h.building.compound.name, h.label]
    # Downloaded, the code says whose it is: the address under it (PNG and SVG) and as the file's name.
    issued = {"url": url, "png": qr.data_uri(qr.captioned_png(url, caption), "image/png"),
              "svg": qr.data_uri(qr.captioned_svg(url, caption), "image/svg+xml"),
              "png_name": download_name(address, ".png"), "svg_name": download_name(address, ".svg")}
    return render_template("office/household.html", campaign=campaign, household=h, live=1, answered=False,
                           issued=issued, reissued=bool(live))


@bp.get("/rectification")
@officer_required
def rectification_list():
    """Moved to the rectification pages (/rectification/), shared with companies."""
    return moved("rectification.index")


@bp.get("/rectification.xlsx")
@officer_required
def rectification_xlsx():
    """Moved to the rectification workbook (/rectification/export.xlsx), keeping the campaign."""
    return moved("rectification_sheets.export")
