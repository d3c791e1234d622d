"""总览 (overview): an area at a glance, drill-down to compounds and dimensions, the rectification loop's
rates (per street, or per company on a street's page) and on a street's page what the previous
round's items did (整改成效), benchmark candidates."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import access
from ..access import Area
from ..domain.clock import now
from ..domain.rectification.rates import fix_effect, loop_rates, start_days, totals
from ..domain.stats import benchmark
from ..domain.stats.aggregates import dimension_stats
from ..domain.stats.reports import LEVEL_NAMES, area_overview
from ..models import Compound
from .common import all_campaigns, area_in_view, campaign_in_view, officer_required

bp = Blueprint("overview", __name__, url_prefix="/office/overview")


def held_in_view() -> bool:
    """The officer's switch ?held=1 ("含待复核答卷"): figures with held responses, for those who may
    see them (access.may_see_held_figures); anyone else asking gets the published figures."""
    return request.args.get("held") == "1" and access.may_see_held_figures(current_user)


@bp.get("/")
@officer_required
def index():
    campaign = campaign_in_view()
    area = area_in_view()
    include_held = held_in_view()
    # The loop per street for the city or a district, per company on a street's page: one query;
    # a street's page adds two for what the previous round's items did.
    loop_by = "company" if area.level == "street" else "street"
    loop = loop_rates(campaign.id, by=loop_by, compound_clause=area.compound_clause(), today=now().date())
    return render_template("overview/index.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           ov=area_overview(campaign, area, include_held), include_held=include_held,
                           level_names=LEVEL_NAMES, loop=loop, loop_by=loop_by, loop_total=totals(loop),
                           start_days=start_days(),
                           effect=fix_effect(campaign, area) if area.level == "street" else None)


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
    today = now().date()
    loop = loop_rates(campaign.id, by="company", compound_clause=area.compound_clause(), today=today)
    return render_template("overview/benchmarks.html", campaign=campaign, area=area, start_days=start_days(),
                           candidates=benchmark.candidates(campaign, area, today=today, loop=loop))
