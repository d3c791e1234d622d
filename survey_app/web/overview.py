"""总览 (overview): an area at a glance, drill-down to compounds and dimensions, benchmark candidates."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import access
from ..access import Area
from ..domain.stats import benchmark
from ..domain.stats.aggregates import dimension_stats
from ..domain.stats.reports import LEVEL_NAMES, area_overview
from ..models import Compound
from .common import all_campaigns, area_in_view, campaign_in_view, officer_required

bp = Blueprint("overview", __name__, url_prefix="/office/overview")


@bp.get("/")
@officer_required
def index():
    campaign = campaign_in_view()
    area = area_in_view()
    include_held = request.args.get("held") == "1"
    return render_template("overview/index.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           ov=area_overview(campaign, area, include_held), include_held=include_held,
                           level_names=LEVEL_NAMES)


@bp.get("/compound/<id:compound_id>")
@officer_required
def compound(compound_id: int):
    campaign = campaign_in_view()
    c = access.get_visible(current_user, Compound, compound_id)
    street = Area("street", c.street_id)
    dims = dimension_stats(campaign.id, street, "compound", extra=Compound.id == c.id)
    street_dims = dimension_stats(campaign.id, street, "city")
    rows = [(d, dims.get((c.id, d.id)), street_dims.get((None, d.id))) for d in campaign.dimensions]
    return render_template("overview/compound.html", campaign=campaign, compound=c, rows=rows)


@bp.get("/benchmarks")
@officer_required
def benchmarks():
    campaign = campaign_in_view()
    area = area_in_view()
    return render_template("overview/benchmarks.html", campaign=campaign, area=area,
                           candidates=benchmark.candidates(campaign, area))
