"""The property company's own view: its scores against the city average, comments, its items."""
from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access
from ..domain import audit, rectification
from ..domain.clock import now
from ..domain.rectification import listing
from ..domain.stats.company_report import company_report, compound_dimensions
from ..domain.stats.privacy import MIN_GROUP, shown
from ..domain.xlsx.company import company_workbook
from ..domain.xlsx.rectification import Filters
from ..domain.paging import page_of
from .common import all_campaigns, campaign_in_view, company_required, page_number, xlsx_response

bp = Blueprint("company", __name__, url_prefix="/company")
old = Blueprint("firm", __name__, url_prefix="/firm")  # the addresses before the rename, for bookmarks


COMPOUNDS_PER_PAGE = 50
COMMENTS_SHOWN = 300  # the rest are in the workbook
ITEMS_SHOWN = 20  # the most urgent; the rest on the rectification list, filtered to the company


@bp.get("/")
@company_required
def home():
    """The company's figures, its compounds 50 a page (?page=), a sample of the comments with their
    count, and its rectification items counted per state with the most urgent listed."""
    campaign = campaign_in_view()
    today = now().date()
    report = company_report(campaign, current_user.company_id, comment_limit=COMMENTS_SHOWN)
    compounds = page_of(report.compounds, page_number(), COMPOUNDS_PER_PAGE)
    compound_dims = compound_dimensions(campaign.id, [s.key for s in compounds.rows])
    items = listing.page(access.rectification_clause(current_user), campaign.id,
                         listing.Filters(company_id=current_user.company_id, sort="urgent"), today, 1, ITEMS_SHOWN)
    return render_template("company/home.html", campaign=campaign, campaigns=all_campaigns(), report=report,
                           compounds=compounds, compound_dims=compound_dims, items=items, comments_shown=COMMENTS_SHOWN,
                           labels=rectification.STATUS_LABELS, today=today, min_group=MIN_GROUP,
                           shown=shown, is_overdue=rectification.is_overdue)


@bp.get("/report.xlsx")
@company_required
def report_xlsx():
    campaign = campaign_in_view()
    report = company_report(campaign, current_user.company_id)
    name = current_user.company.name
    data = company_workbook(report, name, now(),
                            items=Filters(campaign.id, access.rectification_clause(current_user)))
    audit.exported("company_report", f"campaign:{campaign.id}", user=current_user, detail=name,
                   where=audit.Jurisdiction(company_id=current_user.company_id))
    return xlsx_response(data, f"{name}-测评结果-{campaign.name}.xlsx")


@old.route("/", defaults={"rest": ""}, methods=["GET", "POST"])
@old.route("/<path:rest>", methods=["GET", "POST"])
def firm(rest: str):
    """/firm/... moved to /company/... (308 keeps the method)."""
    return redirect(url_for("company.home") + rest + (f"?{request.query_string.decode()}" if request.query_string else ""), 308)
