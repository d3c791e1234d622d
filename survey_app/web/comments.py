"""居民意见 (what residents said) for officers: comments, free-text answers and follow-up requests of
an area, filtered, identical texts counted once, advertising only counted, never who wrote them; an
Excel download."""
from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import access
from ..domain import audit
from ..domain.clock import now
from ..domain.stats import comments
from ..domain.xlsx.comments import comments_workbook
from ..models import Compound
from .common import all_campaigns, area_in_view, campaign_in_view, officer_required, page_number, xlsx_response

bp = Blueprint("comments", __name__, url_prefix="/office")


def _in_view():
    """The campaign, the area and the filters the query string names, each within the user's view.

    :raise NotFound: a compound outside the user's jurisdiction (as every scoped row).
    """
    campaign = campaign_in_view()
    area = area_in_view()
    filters = comments.Filters.parse(request.args, campaign)
    if filters.compound_id is not None:
        access.get_visible(current_user, Compound, filters.compound_id)
    return campaign, area, filters


@bp.get("/comments")
@officer_required
def index():
    campaign, area, filters = _in_view()
    page = comments.comment_page(campaign, area, filters, page_number())
    return render_template("comments/index.html", campaign=campaign, campaigns=all_campaigns(), area=area,
                           area_value=area.value, choices=access.area_choices(current_user), filters=filters,
                           args=filters.args(), page=page, compounds=comments.compound_choices(area),
                           companies=comments.company_choices(area), sources=comments.SOURCES,
                           source_label=comments.source_label, low_index=comments.LOW_INDEX)


@bp.get("/comments.xlsx")
@officer_required
def export():
    campaign, area, filters = _in_view()
    when = now()
    listed = comments.comment_list(campaign, area, filters, limit=comments.EXPORT_MAX)
    groups = listed.groups
    withheld = comments.withheld_compounds(campaign, area, filters)
    data = comments_workbook(campaign, area, filters, groups, withheld, when, adverts=listed.adverts)
    described = "；".join(f"{k}={v}" for k, v in filters.args().items())
    audit.exported("comments", f"campaign:{campaign.id} {area.value}", user=current_user,
                   detail=f"{len(groups)} 条；{described or '无筛选'}", where=audit.where_area(area.level, area.id))
    return xlsx_response(data, f"居民意见-{area.name()}.xlsx")
