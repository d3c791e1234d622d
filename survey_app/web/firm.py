"""The property company's own view: its compounds' scores and its rectification items."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..domain import access, rectification
from ..domain.access import Area
from ..domain.aggregates import company_stats, compound_stats
from ..domain.clock import now
from ..extensions import db
from ..models import RectificationItem
from .common import all_campaigns, campaign_in_view, company_required

bp = Blueprint("firm", __name__, url_prefix="/firm")
COMPANY_STEPS = ("in_progress", "submitted")


@bp.get("/")
@company_required
def home():
    campaign = campaign_in_view()
    city = Area("city")
    own = access.compound_clause(current_user)
    compounds = compound_stats(campaign.id, city, extra=own)
    mine = next((s for s in company_stats(campaign.id, city, extra=own) if s.key == current_user.company_id), None)
    everyone = company_stats(campaign.id, city)
    n = sum(s.n for s in everyone)
    city_mean = sum(s.total for s in everyone) / n if n else None
    items = db.session.scalars(
        select(RectificationItem).where(RectificationItem.campaign_id == campaign.id,
                                        access.rectification_clause(current_user))
        .order_by(RectificationItem.deadline)).all()
    return render_template("firm/home.html", campaign=campaign, campaigns=all_campaigns(), compounds=compounds,
                           mine=mine, city_mean=city_mean, items=items, labels=rectification.STATUS_LABELS,
                           today=now().date())


@bp.post("/rectification/<id:item_id>")
@company_required
def report_progress(item_id: int):
    item = db.session.scalar(select(RectificationItem).where(RectificationItem.id == item_id,
                                                             access.rectification_clause(current_user)))
    if item is None:
        abort(404)
    status = request.form.get("status", "")
    if status not in COMPANY_STEPS:
        abort(400, "企业只能将整改事项标记为“整改中”或“待核验”。")
    try:
        rectification.advance(item, status)
    except ValueError as e:
        db.session.rollback()
        abort(409, str(e))
    db.session.commit()
    flash("已更新整改进度。", "success")
    return redirect(url_for(".home", campaign=item.campaign_id))
