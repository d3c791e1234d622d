"""总览 (overview): an area at a glance, drill-down to compounds and dimensions, the rectification loop's
rates (per street, or per company on a street's page) and on a street's page what the previous
round's items did (整改成效), benchmark candidates (page and workbook); and the glossary's
per-page list of the terms a page printed (templates/_glossary.html)."""
from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import access
from ..access import Area
from ..domain import audit
from ..domain.clock import now
from ..domain.documents import in_chinese
from ..domain.rectification.rates import fix_effect, loop_rates, start_days, totals
from ..domain.stats import benchmark
from ..domain.stats.aggregates import dimension_stats
from ..domain.stats.glossary import Term, explain
from ..domain.stats.reports import LEVEL_NAMES, area_overview
from ..domain.xlsx.benchmarks import benchmarks_workbook
from ..extensions import db
from ..models import Compound, Street
from ..domain.paging import page_of
from .common import all_campaigns, area_in_view, campaign_in_view, officer_required, page_number, xlsx_response

bp = Blueprint("overview", __name__, url_prefix="/office/overview")
# The keys of the terms the page being rendered printed, in order: kept in the request's environ,
# which (unlike flask.g, shared by the requests of one application context) is the request's own.
GLOSSARY_USED = "survey_app.glossary_used"
COMPOUNDS_PER_PAGE = 50  # a street's compounds (districts and streets are few: listed whole)
COMPANIES_PER_PAGE = 50  # the ranked companies' chart and company × dimension table (a city has hundreds)


@bp.app_template_global("glossary_term")
def glossary_term(key: str) -> Term:
    """A term for a page to print (templates/_glossary.html term()), noted for the page's 术语说明."""
    used = request.environ.setdefault(GLOSSARY_USED, [])
    if key not in used:
        used.append(key)
    return explain(key)


@bp.app_template_global("glossary_used")
def glossary_used() -> list[tuple[str, Term]]:
    """The terms the page printed so far, in order of first use: its 术语说明 footnotes."""
    return [(key, explain(key)) for key in request.environ.get(GLOSSARY_USED, [])]


def held_in_view() -> bool:
    """The officer's switch ?held=1 ("含待复核答卷"): figures with held responses, for those who may
    see them (access.may_see_held_figures); anyone else asking gets the published figures."""
    return request.args.get("held") == "1" and access.may_see_held_figures(current_user)


def area_trail(area: Area) -> list[Area]:
    """The breadcrumb of an area's pages: the user's own area (辖区总览), the district between it
    and a street, then the area itself; each one the user may open."""
    home = access.seen_area(current_user)
    trail = [home]
    if area.level == "street" and home.level == "city":
        trail.append(Area("district", db.session.scalar(select(Street.district_id).where(Street.id == area.id))))
    if (area.level, area.id) != (home.level, home.id):
        trail.append(area)
    return trail


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
    ov = area_overview(campaign, area, include_held)
    per_page = COMPOUNDS_PER_PAGE if ov.child_level == "compound" else max(1, len(ov.children.rows))
    return render_template("overview/index.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           trail=area_trail(area), children=page_of(ov.children.rows, page_number(), per_page),
                           companies=page_of(ov.companies.ranked, page_number("companies"), COMPANIES_PER_PAGE),
                           ov=ov, include_held=include_held,
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
    return render_template("overview/benchmarks.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           trail=area_trail(area), area_value=area.value, choices=access.area_choices(current_user),
                           start_days=start_days(),
                           candidates=benchmark.candidates(campaign, area, today=today, loop=loop))


@bp.get("/benchmarks.xlsx")
@officer_required
def benchmarks_xlsx():
    """The benchmark page's figures as a workbook (a Chinese document whatever the page's language)."""
    campaign = campaign_in_view()
    area = area_in_view()
    today = now().date()
    with in_chinese():
        loop = loop_rates(campaign.id, by="company", compound_clause=area.compound_clause(), today=today)
        found = benchmark.candidates(campaign, area, today=today, loop=loop)
        name = str(area.name())
        data = benchmarks_workbook(found, name, campaign.name, now(), start_days())
    audit.exported("benchmarks", f"campaign:{campaign.id} {area.value}", user=current_user, detail=name,
                   where=audit.where_area(area.level, area.id))
    return xlsx_response(data, f"标杆企业候选-{name}.xlsx")
